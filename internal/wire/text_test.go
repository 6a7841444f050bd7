package wire_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/roomd/roomd/internal/wire"
)

// TestDecodeEncoding: strings that encoding/json would rewrite to U+FFFD
// are refused with ErrEncoding; valid text, surrogate pairs and escaped
// backslashes pass unchanged.
func TestDecodeEncoding(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       string // the GroupId decoded
	}{
		{"ASCII", `{"GroupId":"g1"}`, "g1"},
		{"RawEmoji", `{"GroupId":"room 😀"}`, "room 😀"},
		{"EscapedPair", `{"GroupId":"\ud83d\ude00"}`, "😀"},
		{"EscapedBMP", `{"GroupId":"\u00e9\uffff"}`, "é\uffff"},
		{"EscapedBackslashThenU", `{"GroupId":"\\ud800"}`, `\ud800`},
		{"EscapedNUL", `{"GroupId":"a\u0000b"}`, "a\x00b"}, // NUL is the domain's to refuse
		{"OtherEscapes", `{"GroupId":"\"\/\b\f\n\r\t"}`, "\"/\b\f\n\r\t"},
	} {
		t.Run("Valid"+tc.name, func(t *testing.T) {
			var g group
			if err := wire.Decode([]byte(tc.body), &g); err != nil {
				t.Fatalf("Decode(%s) = %v, want nil", tc.body, err)
			}
			if g.GroupID != tc.want {
				t.Errorf("Decode(%s): GroupId = %q, want %q", tc.body, g.GroupID, tc.want)
			}
		})
	}
	for _, tc := range []struct{ name, body, detail string }{
		{"InvalidByte", "{\"GroupId\":\"a\xffb\"}", "0xff at offset 13"},
		{"TruncatedSequence", "{\"GroupId\":\"\xe2\x82\"}", "0xe2 at offset 12"},
		{"Overlong", "{\"GroupId\":\"\xc0\xaf\"}", "0xc0"},
		{"EncodedSurrogate", "{\"GroupId\":\"\xed\xa0\x80\"}", "0xed"},
		{"InIgnoredField", "{\"Other\":\"\xff\",\"GroupId\":\"g1\"}", "0xff"},
		{"LoneHigh", `{"GroupId":"\ud800"}`, `\ud800`},
		{"LoneHighUpper", `{"GroupId":"x\uD83D"}`, `\ud83d`},
		{"LoneLow", `{"GroupId":"\udc00"}`, `\udc00`},
		{"HighThenBMP", `{"GroupId":"\ud800\u0041"}`, `\ud800`},
		{"HighThenHigh", `{"GroupId":"\ud800\ud800"}`, `\ud800`},
		{"HighThenOtherEscape", `{"GroupId":"\ud800\n"}`, `\ud800`},
		{"LowThenHigh", `{"GroupId":"\ude00\ud83d"}`, `\ude00`},
		{"PairThenLone", `{"GroupId":"\ud83d\ude00\udc00"}`, `\udc00`},
		{"InKey", `{"\ud800":"x"}`, `\ud800`},
		{"InArray", `{"UserIds":["a","\udfff"]}`, `\udfff`},
	} {
		t.Run("Refused"+tc.name, func(t *testing.T) {
			var g group
			err := wire.Decode([]byte(tc.body), &g)
			if !errors.Is(err, wire.ErrEncoding) {
				t.Fatalf("Decode(%q) = %v, want ErrEncoding", tc.body, err)
			}
			if errors.Is(err, wire.ErrSyntax) || errors.Is(err, wire.ErrType) {
				t.Errorf("Decode(%q) = %v, want neither ErrSyntax nor ErrType", tc.body, err)
			}
			if !strings.Contains(err.Error(), tc.detail) {
				t.Errorf("Decode(%q) = %q, want it to say %q", tc.body, err, tc.detail)
			}
		})
	}
	t.Run("SyntaxBeforeEncoding", func(t *testing.T) {
		body := "{\"GroupId\":\"\xff\""
		if err := wire.Decode([]byte(body), &group{}); !errors.Is(err, wire.ErrSyntax) {
			t.Errorf("Decode(%q) = %v, want ErrSyntax (the body is not JSON)", body, err)
		}
	})
}

func TestParseQuery(t *testing.T) {
	params := func(n int) string { return strings.TrimSuffix(strings.Repeat("k=v&", n), "&") }
	t.Run("AtLimit", func(t *testing.T) {
		q, err := wire.ParseQuery(params(wire.MaxQueryParams))
		if err != nil {
			t.Fatalf("ParseQuery(%d params) = %v, want nil", wire.MaxQueryParams, err)
		}
		if got := len(q["k"]); got != wire.MaxQueryParams {
			t.Errorf("got %d values of k, want %d", got, wire.MaxQueryParams)
		}
	})
	t.Run("OverLimit", func(t *testing.T) {
		q, err := wire.ParseQuery("AppId=1&" + params(wire.MaxQueryParams))
		if !errors.Is(err, wire.ErrTooManyParams) {
			t.Fatalf("ParseQuery(%d params) = %v, want ErrTooManyParams", wire.MaxQueryParams+1, err)
		}
		if q == nil || len(q) != 0 {
			t.Errorf("ParseQuery over the limit gave %d keys, want an empty non-nil map", len(q))
		}
	})
	t.Run("BadPairsSkipped", func(t *testing.T) {
		q, err := wire.ParseQuery("a=1&b=%zz&c;d=2&e=%41")
		if err != nil {
			t.Fatalf("err = %v, want nil (bad pairs are skipped)", err)
		}
		if q.Get("a") != "1" || q.Get("e") != "A" || q.Has("b") || q.Has("c") {
			t.Errorf("got %v, want a=1 and e=A only", q)
		}
	})
}

func TestWriteJSONStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wire.WriteJSONStatus(w, http.StatusNotFound, map[string]string{"error": "not_found", "path": r.URL.Path})
	}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/nowhere")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("status = %d, want 404", resp.StatusCode)
	}
	if got, want := resp.Header.Get("Content-Type"), "application/json; charset=utf-8"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	var got map[string]string
	if err := json.Unmarshal(body, &got); err != nil || got["error"] != "not_found" || got["path"] != "/nowhere" {
		t.Errorf("body %q (%v), want error not_found and path /nowhere", body, err)
	}
}
