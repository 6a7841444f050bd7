package wire_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomd/roomd/internal/wire"
)

// testLimit is the body limit the ReadBody tests use: small, so that bodies
// over it fit in the connection's buffers and the server never resets.
const testLimit = 1024

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.ReadCloser
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) Close() error { return c.r.Close() }

// readResult is what the ReadBody server saw for one request.
type readResult struct {
	data          []byte
	err           error
	read          int64 // bytes the handler pulled from the request body
	contentLength int64
	chunked       bool
}

// readBodyServer starts a loopback server whose handler calls
// wire.ReadBody(r, limit) on a counting body and sends what happened on the
// returned channel, one value per request.
func readBodyServer(tb testing.TB, limit int64) (*httptest.Server, <-chan readResult) {
	tb.Helper()
	results := make(chan readResult, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cr := &countingReader{r: r.Body}
		r.Body = cr
		data, err := wire.ReadBody(r, limit)
		results <- readResult{
			data:          data,
			err:           err,
			read:          cr.n,
			contentLength: r.ContentLength,
			chunked:       len(r.TransferEncoding) > 0 && r.TransferEncoding[0] == "chunked",
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	tb.Cleanup(srv.Close)
	return srv, results
}

// post sends body to srv; chunked sends it without a Content-Length.
func post(tb testing.TB, srv *httptest.Server, body []byte, chunked bool) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if chunked {
		req.ContentLength = -1
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		tb.Fatalf("POST %d bytes (chunked %v): %v", len(body), chunked, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
}

// receive returns the server's result for the request just made.
func receive(tb testing.TB, results <-chan readResult) readResult {
	tb.Helper()
	select {
	case res := <-results:
		return res
	case <-time.After(10 * time.Second):
		tb.Fatal("the handler reported nothing")
		return readResult{}
	}
}

func TestReadBody(t *testing.T) {
	srv, results := readBodyServer(t, testLimit)

	for _, chunked := range []bool{false, true} {
		mode := "ContentLength"
		if chunked {
			mode = "Chunked"
		}
		t.Run("AtLimit"+mode, func(t *testing.T) {
			body := bytes.Repeat([]byte("a"), testLimit)
			body[0], body[testLimit-1] = 'x', 'z'
			post(t, srv, body, chunked)
			res := receive(t, results)
			checkMode(t, res, chunked, testLimit)
			if res.err != nil {
				t.Fatalf("err = %v, want nil", res.err)
			}
			if !bytes.Equal(res.data, body) {
				t.Errorf("data = %d bytes %.10q…, want the %d bytes sent", len(res.data), res.data, len(body))
			}
		})
	}

	// Over the limit: ErrTooLarge, and the handler pulls at most maxRead
	// bytes of the body (none when the Content-Length already says too much).
	for _, tc := range []struct {
		name    string
		size    int64
		chunked bool
		maxRead int64
	}{
		{"OneByteOverContentLength", testLimit + 1, false, 0},
		{"FarOverContentLength", 8 * testLimit, false, 0},
		{"OneByteOverChunked", testLimit + 1, true, testLimit + 1},
		{"FarOverChunked", 8 * testLimit, true, testLimit + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			post(t, srv, bytes.Repeat([]byte("a"), int(tc.size)), tc.chunked)
			res := receive(t, results)
			checkMode(t, res, tc.chunked, tc.size)
			if !errors.Is(res.err, wire.ErrTooLarge) {
				t.Errorf("err = %v, want ErrTooLarge", res.err)
			}
			if res.data != nil {
				t.Errorf("data = %d bytes, want nil", len(res.data))
			}
			if res.read > tc.maxRead {
				t.Errorf("read %d bytes of the body, want at most %d", res.read, tc.maxRead)
			}
		})
	}

	t.Run("Empty", func(t *testing.T) {
		post(t, srv, nil, false)
		res := receive(t, results)
		if res.err != nil || len(res.data) != 0 {
			t.Errorf("got (%q, %v), want (empty, nil)", res.data, res.err)
		}
	})

	t.Run("ResultNotReused", func(t *testing.T) {
		// ReadBody reads through a pooled buffer; what it returned before
		// must not change when the buffer is used again.
		var got [][]byte
		for i := range 20 {
			post(t, srv, []byte(fmt.Sprintf("body %d %s", i, strings.Repeat("x", 20-i))), false)
			res := receive(t, results)
			if res.err != nil {
				t.Fatalf("request %d: err = %v, want nil", i, res.err)
			}
			got = append(got, res.data)
		}
		for i, data := range got {
			if want := fmt.Sprintf("body %d %s", i, strings.Repeat("x", 20-i)); string(data) != want {
				t.Errorf("body %d after later reads = %q, want %q", i, data, want)
			}
		}
	})

	for _, tc := range []struct{ name, raw string }{
		{"ClientGoneShortContentLength", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc"},
		{"ClientGoneTruncatedChunk", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Send part of the promised body, then close the sending side.
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, tc.raw); err != nil {
				t.Fatal(err)
			}
			if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
				t.Fatal(err)
			}
			res := receive(t, results)
			if !errors.Is(res.err, wire.ErrRead) {
				t.Errorf("err = %v, want ErrRead", res.err)
			}
			if res.data != nil {
				t.Errorf("data = %q, want nil", res.data)
			}
		})
	}

	t.Run("NilBody", func(t *testing.T) {
		data, err := wire.ReadBody(&http.Request{}, testLimit)
		if data != nil || err != nil {
			t.Errorf("got (%q, %v), want (nil, nil)", data, err)
		}
	})
}

// checkMode fails the test when the request did not reach the server in the
// framing the case is about.
func checkMode(tb testing.TB, res readResult, chunked bool, size int64) {
	tb.Helper()
	if chunked {
		if res.contentLength != -1 || !res.chunked {
			tb.Fatalf("server saw ContentLength %d, chunked %v; want -1, true", res.contentLength, res.chunked)
		}
		return
	}
	if res.contentLength != size || res.chunked {
		tb.Fatalf("server saw ContentLength %d, chunked %v; want %d, false", res.contentLength, res.chunked, size)
	}
}

func TestReadBodyMaxBody(t *testing.T) {
	srv, results := readBodyServer(t, wire.MaxBody)
	for _, tc := range []struct {
		name string
		size int
		want error
	}{
		{"AtMaxBody", wire.MaxBody, nil},
		{"OverMaxBody", wire.MaxBody + 1, wire.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			post(t, srv, bytes.Repeat([]byte("a"), tc.size), true)
			res := receive(t, results)
			if !errors.Is(res.err, tc.want) || (tc.want == nil && res.err != nil) {
				t.Errorf("err = %v, want %v", res.err, tc.want)
			}
			if tc.want == nil && len(res.data) != tc.size {
				t.Errorf("data = %d bytes, want %d", len(res.data), tc.size)
			}
			if res.read > wire.MaxBody+1 {
				t.Errorf("read %d bytes, want at most %d", res.read, wire.MaxBody+1)
			}
		})
	}
}

// group is a request shape like the dialects decode.
type group struct {
	GroupID string   `json:"GroupId"`
	Limit   int      `json:"Limit"`
	UserIDs []string `json:"UserIds"`
	Info    struct {
		Count int `json:"Count"`
	} `json:"Info"`
}

func TestDecode(t *testing.T) {
	t.Run("EmptyIsEmptyObject", func(t *testing.T) {
		for _, body := range []string{"", " \r\n\t "} {
			var m map[string]any
			if err := wire.Decode([]byte(body), &m); err != nil {
				t.Fatalf("Decode(%q) = %v, want nil", body, err)
			}
			if m == nil || len(m) != 0 {
				t.Errorf("Decode(%q) gave %#v, want an empty non-nil map (as {} gives)", body, m)
			}
		}
	})

	t.Run("EmptyLeavesFields", func(t *testing.T) {
		g := group{GroupID: "kept", Limit: 7}
		if err := wire.Decode(nil, &g); err != nil {
			t.Fatalf("err = %v, want nil", err)
		}
		if g.GroupID != "kept" || g.Limit != 7 {
			t.Errorf("got %+v, want GroupId kept and Limit 7", g)
		}
	})

	t.Run("Valid", func(t *testing.T) {
		var g group
		err := wire.Decode([]byte(`{"GroupId":"g1","Limit":5,"UserIds":["a","b"],"Info":{"Count":3}}`), &g)
		if err != nil {
			t.Fatalf("err = %v, want nil", err)
		}
		if g.GroupID != "g1" || g.Limit != 5 || !reflect.DeepEqual(g.UserIDs, []string{"a", "b"}) || g.Info.Count != 3 {
			t.Errorf("got %+v, want GroupId g1, Limit 5, UserIds [a b], Info.Count 3", g)
		}
	})

	t.Run("UnknownFieldsIgnored", func(t *testing.T) {
		var g group
		err := wire.Decode([]byte(`{"Extra":{"x":[1,2]},"GroupId":"g1","IsInvite":true,"Info":{"Count":1,"More":"y"}}`), &g)
		if err != nil {
			t.Fatalf("err = %v, want nil", err)
		}
		if g.GroupID != "g1" || g.Info.Count != 1 {
			t.Errorf("got %+v, want GroupId g1, Info.Count 1", g)
		}
	})

	t.Run("NullLeavesFieldUnset", func(t *testing.T) {
		g := group{GroupID: "kept"}
		if err := wire.Decode([]byte(`{"GroupId":null}`), &g); err != nil {
			t.Fatalf("err = %v, want nil", err)
		}
		if g.GroupID != "kept" {
			t.Errorf("GroupId = %q, want %q", g.GroupID, "kept")
		}
	})

	// Malformed bodies are ErrSyntax; wrong types are a *TypeError naming
	// the field. Neither is the other.
	for _, tc := range []struct {
		name, body  string
		want, other error
		field       string
	}{
		{"SyntaxTruncated", `{"GroupId":`, wire.ErrSyntax, wire.ErrType, ""},
		{"SyntaxNotJSON", `GroupId=g1`, wire.ErrSyntax, wire.ErrType, ""},
		{"SyntaxTrailingGarbage", `{"GroupId":"g1"} x`, wire.ErrSyntax, wire.ErrType, ""},
		{"SyntaxTwoValues", `{} {}`, wire.ErrSyntax, wire.ErrType, ""},
		{"SyntaxSingleQuotes", `{'GroupId':'g1'}`, wire.ErrSyntax, wire.ErrType, ""},
		{"SyntaxTrailingComma", `{"GroupId":"g1",}`, wire.ErrSyntax, wire.ErrType, ""},
		{"TypeNumberForString", `{"GroupId":42}`, wire.ErrType, wire.ErrSyntax, "GroupId"},
		{"TypeStringForNumber", `{"Limit":"5"}`, wire.ErrType, wire.ErrSyntax, "Limit"},
		{"TypeFractionForInt", `{"Limit":1.5}`, wire.ErrType, wire.ErrSyntax, "Limit"},
		{"TypeStringForArray", `{"UserIds":"a"}`, wire.ErrType, wire.ErrSyntax, "UserIds"},
		{"TypeNumberInArray", `{"UserIds":["a",1]}`, wire.ErrType, wire.ErrSyntax, "UserIds"},
		{"TypeNested", `{"Info":{"Count":true}}`, wire.ErrType, wire.ErrSyntax, "Info.Count"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var g group
			err := wire.Decode([]byte(tc.body), &g)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Decode(%q) = %v, want %v", tc.body, err, tc.want)
			}
			if errors.Is(err, tc.other) {
				t.Errorf("Decode(%q) = %v, want it not to be %v", tc.body, err, tc.other)
			}
			if tc.field == "" {
				return
			}
			var te *wire.TypeError
			if !errors.As(err, &te) {
				t.Fatalf("Decode(%q) = %T, want *wire.TypeError", tc.body, err)
			}
			if te.Field != tc.field {
				t.Errorf("Field = %q, want %q", te.Field, tc.field)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("Error() = %q, want it to name %q", err.Error(), tc.field)
			}
		})
	}

	t.Run("TypeNotAnObject", func(t *testing.T) {
		for _, body := range []string{`"x"`, `[1]`, `42`} {
			var g group
			if err := wire.Decode([]byte(body), &g); !errors.Is(err, wire.ErrType) {
				t.Errorf("Decode(%s) = %v, want ErrType", body, err)
			}
		}
	})
}

func TestWriteJSON(t *testing.T) {
	type reply struct {
		Code    int               `json:"Code"`
		Message string            `json:"Message"`
		List    []string          `json:"List"`
		Attrs   map[string]string `json:"Attrs"`
	}
	values := map[string]any{
		"/big":   reply{Code: 660600001, Message: strings.Repeat("long message ", 200), List: []string{"a", "<b>&"}},
		"/small": reply{Code: 0, Message: "success", List: []string{}, Attrs: map[string]string{"k": "v"}},
		"/bad":   map[string]any{"ch": make(chan int)},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wire.WriteJSON(w, values[r.URL.Path])
	}))
	defer srv.Close()

	get := func(t *testing.T, path string) (*http.Response, []byte) {
		t.Helper()
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}

	// big first, then small: the pooled buffer must not leak the big one.
	for _, path := range []string{"/big", "/small"} {
		t.Run("RoundTrip"+path, func(t *testing.T) {
			resp, body := get(t, path)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status = %d, want 200", resp.StatusCode)
			}
			if got, want := resp.Header.Get("Content-Type"), "application/json; charset=utf-8"; got != want {
				t.Errorf("Content-Type = %q, want %q", got, want)
			}
			var got reply
			dec := json.NewDecoder(bytes.NewReader(body))
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			if dec.More() {
				t.Errorf("body %q holds more than one JSON value", body)
			}
			if want := values[path].(reply); !reflect.DeepEqual(got, want) {
				t.Errorf("body decodes to %+v, want %+v", got, want)
			}
		})
	}

	t.Run("EncodingFailure", func(t *testing.T) {
		resp, body := get(t, "/bad")
		if resp.StatusCode != http.StatusOK {
			t.Errorf("status = %d, want 200", resp.StatusCode)
		}
		var got map[string]string
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("body %q is not JSON: %v", body, err)
		}
		if got["error"] == "" {
			t.Errorf("body = %q, want an error field", body)
		}
	})
}

func TestOutcome(t *testing.T) {
	t.Run("WithOutcomeThenOutcomeFrom", func(t *testing.T) {
		ctx, o := wire.WithOutcome(context.Background())
		if o == nil {
			t.Fatal("WithOutcome returned a nil Outcome")
		}
		if *o != (wire.Outcome{}) {
			t.Errorf("fresh Outcome = %+v, want zero", *o)
		}
		got := wire.OutcomeFrom(ctx)
		if got != o {
			t.Fatalf("OutcomeFrom = %p, want the Outcome WithOutcome returned (%p)", got, o)
		}
		got.Action = "TransferGroupOwner"
		got.Code = 660600001
		if o.Action != "TransferGroupOwner" || o.Code != 660600001 {
			t.Errorf("Outcome = %+v, want the fields set through OutcomeFrom", *o)
		}
	})

	t.Run("DerivedContext", func(t *testing.T) {
		ctx, o := wire.WithOutcome(context.Background())
		child, cancel := context.WithCancel(ctx)
		defer cancel()
		if got := wire.OutcomeFrom(child); got != o {
			t.Errorf("OutcomeFrom(child) = %p, want %p", got, o)
		}
	})

	t.Run("NestedIsFresh", func(t *testing.T) {
		outer, o1 := wire.WithOutcome(context.Background())
		o1.Code = 1
		inner, o2 := wire.WithOutcome(outer)
		if o2 == o1 || o2.Code != 0 {
			t.Errorf("nested WithOutcome gave %p %+v, want a fresh zero Outcome (outer %p)", o2, *o2, o1)
		}
		if got := wire.OutcomeFrom(inner); got != o2 {
			t.Errorf("OutcomeFrom(inner) = %p, want %p", got, o2)
		}
	})

	t.Run("BareContextThrowaway", func(t *testing.T) {
		o := wire.OutcomeFrom(context.Background())
		if o == nil {
			t.Fatal("OutcomeFrom(bare context) = nil, want a usable Outcome")
		}
		o.Code = 42
		o.Err = errors.New("internal")
		if again := wire.OutcomeFrom(context.Background()); again == o || again.Code != 0 || again.Err != nil {
			t.Errorf("second OutcomeFrom(bare context) = %p %+v, want a fresh zero Outcome (first %p)", again, *again, o)
		}
	})

	t.Run("ThroughServer", func(t *testing.T) {
		var mu sync.Mutex
		var seen wire.Outcome
		handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			o := wire.OutcomeFrom(r.Context())
			o.Dialect, o.Action, o.Code, o.AppID = "zego", "QueryGroupInfo", 660600001, 7
			wire.WriteJSON(w, struct{ Code int }{o.Code})
		})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, o := wire.WithOutcome(r.Context())
			handler.ServeHTTP(w, r.WithContext(ctx))
			mu.Lock()
			seen = *o
			mu.Unlock()
		}))
		defer srv.Close()
		resp, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		mu.Lock()
		defer mu.Unlock()
		want := wire.Outcome{Dialect: "zego", Action: "QueryGroupInfo", Code: 660600001, AppID: 7}
		if seen != want {
			t.Errorf("middleware saw %+v, want %+v", seen, want)
		}
	})
}
