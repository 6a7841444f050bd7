package zego_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd/zego"
)

// The tests of this file build and read Token04s by hand, with
// encoding/binary, crypto/aes and crypto/cipher, as ZEGO's generators do,
// so that GenerateToken04 and VerifyToken04 are checked against a second
// implementation and not only against each other.

const (
	tokApp  uint32 = 1596372415
	tokUser        = "alice"
)

// tokNow is the verifier's clock in these tests.
var tokNow = time.Unix(1_800_000_000, 0)

// handToken describes a token built by hand.
type handToken struct {
	secret string
	mode   string // "cbc" (no mode byte), "cbc0" (mode byte 0), "gcm" (mode byte 1), "gcm-padded"
	// doc is the plaintext; nil: the JSON of claims.
	doc    []byte
	claims map[string]any
	// headerExpire is the clear expire; nil: claims["expire"].
	headerExpire *int64
	// pad overrides the PKCS#7 padding bytes of a CBC token when non-nil.
	pad []byte
	// iv overrides the IV or nonce when non-nil.
	iv []byte
}

// claims returns the claims of a token of user for app, issued at ctime
// and expiring at expire.
func claims(app uint32, user string, ctime, expire int64) map[string]any {
	return map[string]any{"app_id": app, "user_id": user, "ctime": ctime, "expire": expire, "nonce": -123456, "payload": ""}
}

// goodClaims are the claims of a token of tokUser for tokApp valid at tokNow.
func goodClaims() map[string]any {
	return claims(tokApp, tokUser, tokNow.Unix()-60, tokNow.Unix()+3600)
}

// build returns the token h describes.
func (h handToken) build(tb testing.TB) string {
	tb.Helper()
	doc := h.doc
	if doc == nil {
		var err error
		if doc, err = json.Marshal(h.claims); err != nil {
			tb.Fatal(err)
		}
	}
	var expire int64
	if h.headerExpire != nil {
		expire = *h.headerExpire
	} else if e, ok := h.claims["expire"].(int64); ok {
		expire = e
	}
	block, err := aes.NewCipher([]byte(h.secret))
	if err != nil {
		tb.Fatal(err)
	}
	var iv, ct []byte
	var tail []byte
	switch h.mode {
	case "cbc", "cbc0":
		iv = []byte("0a1b2c3d4e5f6g7h")
		pad := h.pad
		if pad == nil {
			n := 16 - len(doc)%16
			pad = bytes.Repeat([]byte{byte(n)}, n)
		}
		plain := append(append([]byte{}, doc...), pad...)
		if len(plain)%16 != 0 {
			tb.Fatalf("hand CBC plaintext of %d bytes is not whole blocks", len(plain))
		}
		if h.iv != nil {
			iv = h.iv
		}
		ct = make([]byte, len(plain))
		cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, plain)
		if h.mode == "cbc0" {
			tail = []byte{0}
		}
	case "gcm", "gcm-padded":
		iv = []byte("k2j4h6g8f0d1")
		if h.iv != nil {
			iv = h.iv
		}
		if h.mode == "gcm-padded" {
			n := 16 - len(doc)%16
			doc = append(append([]byte{}, doc...), bytes.Repeat([]byte{byte(n)}, n)...)
		}
		aead, err := cipher.NewGCMWithNonceSize(block, len(iv))
		if err != nil {
			tb.Fatal(err)
		}
		ct = aead.Seal(nil, iv, doc, nil)
		tail = []byte{1}
	default:
		tb.Fatalf("unknown mode %q", h.mode)
	}
	var b bytes.Buffer
	_ = binary.Write(&b, binary.BigEndian, expire)
	_ = binary.Write(&b, binary.BigEndian, uint16(len(iv)))
	b.Write(iv)
	_ = binary.Write(&b, binary.BigEndian, uint16(len(ct)))
	b.Write(ct)
	b.Write(tail)
	return "04" + base64.StdEncoding.EncodeToString(b.Bytes())
}

// readByHand decodes a CBC token without the package: it returns the clear
// expire, the IV, the decrypted document and the bytes after the ciphertext
// (none, or the mode byte). For a GCM token (mode byte 1) it returns no
// document.
func readByHand(tb testing.TB, secret, token string) (int64, []byte, map[string]any, []byte) {
	tb.Helper()
	if !strings.HasPrefix(token, "04") {
		tb.Fatalf("token %q does not start with 04", token)
	}
	raw, err := base64.StdEncoding.DecodeString(token[2:])
	if err != nil {
		tb.Fatalf("token is not base64: %v", err)
	}
	r := bytes.NewReader(raw)
	var expire int64
	var n uint16
	if err := binary.Read(r, binary.BigEndian, &expire); err != nil {
		tb.Fatal(err)
	}
	if err := binary.Read(r, binary.BigEndian, &n); err != nil {
		tb.Fatal(err)
	}
	iv := make([]byte, n)
	if _, err := io.ReadFull(r, iv); err != nil {
		tb.Fatal(err)
	}
	if err := binary.Read(r, binary.BigEndian, &n); err != nil {
		tb.Fatal(err)
	}
	ct := make([]byte, n)
	if _, err := io.ReadFull(r, ct); err != nil {
		tb.Fatal(err)
	}
	tail, _ := io.ReadAll(r)
	if bytes.Equal(tail, []byte{1}) {
		return expire, iv, nil, tail
	}
	if len(tail) > 1 || len(tail) == 1 && tail[0] != 0 {
		tb.Fatalf("bytes % x after the ciphertext, want none or the mode byte", tail)
	}
	if len(iv) != 16 || len(ct) == 0 || len(ct)%16 != 0 {
		tb.Fatalf("IV of %d bytes and ciphertext of %d, want 16 and whole blocks", len(iv), len(ct))
	}
	block, err := aes.NewCipher([]byte(secret))
	if err != nil {
		tb.Fatal(err)
	}
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, ct)
	p := int(plain[len(plain)-1])
	if p < 1 || p > 16 || !bytes.Equal(plain[len(plain)-p:], bytes.Repeat([]byte{byte(p)}, p)) {
		tb.Fatalf("bad PKCS#7 padding % x", plain[len(plain)-16:])
	}
	dec := json.NewDecoder(bytes.NewReader(plain[:len(plain)-p]))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		tb.Fatalf("document is not JSON: %v", err)
	}
	return expire, iv, doc, tail
}

// kindOf returns the Kind of a *zego.TokenError, nil for nil, and fails the
// test for an error of another type.
func kindOf(tb testing.TB, err error) error {
	tb.Helper()
	if err == nil {
		return nil
	}
	var te *zego.TokenError
	if !errors.As(err, &te) {
		tb.Fatalf("error %v (%T) is not a *zego.TokenError", err, err)
	}
	if !errors.Is(err, te.Kind) {
		tb.Fatalf("errors.Is(%v, its Kind) = false", err)
	}
	return te.Kind
}

// Secrets of the three AES key sizes.
var tokSecrets = []string{secret, "0123456789abcdef01234567", "0123456789abcdef"}

func TestToken04RoundTrip(t *testing.T) {
	for _, s := range tokSecrets {
		t.Run(s, func(t *testing.T) {
			tok, err := zego.GenerateToken04(tokApp, s, tokUser, time.Hour, tokNow, `{"room":"team"}`)
			if err != nil {
				t.Fatal(err)
			}
			for _, at := range []time.Duration{0, -Token04Skew(), time.Hour - time.Second} {
				if err := zego.VerifyToken04(tokApp, s, tokUser, tok, tokNow.Add(at)); err != nil {
					t.Errorf("at now%+v: got %v, want nil", at, err)
				}
			}
			if got := kindOf(t, zego.VerifyToken04(tokApp, s, tokUser, tok, tokNow.Add(time.Hour))); got != zego.ErrTokenExpired {
				t.Errorf("at ctime+ttl: got %v, want ErrTokenExpired", got)
			}
			if got := kindOf(t, zego.VerifyToken04(tokApp, s, tokUser, tok, tokNow.Add(-Token04Skew()-time.Second))); got != zego.ErrTokenFuture {
				t.Errorf("ctime %v ahead: got %v, want ErrTokenFuture", Token04Skew()+time.Second, got)
			}
		})
	}
}

// Token04Skew returns zego.Token04ClockSkew (a function, for readable cases).
func Token04Skew() time.Duration { return zego.Token04ClockSkew }

func TestGenerateToken04ReadByHand(t *testing.T) {
	payload := `{"room_id":"demo","privilege":{"1":1,"2":0}} — ünïcode`
	tok, err := zego.GenerateToken04(tokApp, secret, tokUser, 90*time.Second+500*time.Millisecond, tokNow, payload)
	if err != nil {
		t.Fatal(err)
	}
	expire, iv, doc, tail := readByHand(t, secret, tok)
	if len(tail) != 0 {
		t.Errorf("bytes % x after the ciphertext, want none (the CBC variant)", tail)
	}
	want := map[string]string{
		"app_id":  "1596372415",
		"user_id": tokUser,
		"ctime":   "1800000000",
		"expire":  "1800000090", // whole seconds of the ttl
		"payload": payload,
	}
	for k, v := range want {
		var got string
		switch x := doc[k].(type) {
		case json.Number:
			got = x.String()
		case string:
			got = x
		default:
			t.Fatalf("%s = %v (%T), want %q", k, doc[k], doc[k], v)
		}
		if got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if expire != 1_800_000_090 {
		t.Errorf("clear expire = %d, want 1800000090 (absolute unix time)", expire)
	}
	nonce, ok := doc["nonce"].(json.Number)
	if n, err := nonce.Int64(); !ok || err != nil || n < -1<<31 || n > 1<<31-1 {
		t.Errorf("nonce = %v, want an int32", doc["nonce"])
	}
	if strings.Trim(string(iv), "0123456789abcdefghijklmnopqrstuvwxyz") != "" {
		t.Errorf("IV %q, want 16 characters of [0-9a-z]", iv)
	}
	if len(doc) != 6 {
		t.Errorf("document has %d fields (%v), want 6", len(doc), doc)
	}
	again, err := zego.GenerateToken04(tokApp, secret, tokUser, 90*time.Second, tokNow, payload)
	if err != nil {
		t.Fatal(err)
	}
	if _, iv2, _, _ := readByHand(t, secret, again); bytes.Equal(iv, iv2) {
		t.Errorf("two tokens share the IV %q, want a random IV each", iv)
	}
}

func TestVerifyToken04AcceptsHandTokens(t *testing.T) {
	padded := goodClaims()
	padded["payload"] = "exactly-sixteen!" // to try a document of whole blocks too
	odd := goodClaims()
	odd["nonce"] = 4_000_000_000 // beyond int32: the nonce is not checked
	odd["extra"] = []int{1, 2}   // unknown fields are ignored
	for _, s := range tokSecrets {
		for _, mode := range []string{"cbc", "cbc0", "gcm", "gcm-padded"} {
			for name, c := range map[string]map[string]any{"Plain": goodClaims(), "Padded": padded, "Odd": odd} {
				t.Run(mode+"/"+name+"/"+s, func(t *testing.T) {
					tok := handToken{secret: s, mode: mode, claims: c}.build(t)
					if err := zego.VerifyToken04(tokApp, s, tokUser, tok, tokNow); err != nil {
						t.Fatalf("got %v, want nil", err)
					}
				})
			}
		}
	}
	// A document by hand, keys in another order and spaced.
	doc := []byte(`{ "payload" : "", "nonce" : 7, "expire" : 1800003600, "user_id" : "alice", "ctime" : 1799999990, "app_id" : 1596372415 }`)
	tok := handToken{secret: secret, mode: "cbc", doc: doc, headerExpire: ptr(int64(1800003600))}.build(t)
	if err := zego.VerifyToken04(tokApp, secret, tokUser, tok, tokNow); err != nil {
		t.Fatalf("hand-written document: got %v, want nil", err)
	}
}

func ptr[T any](v T) *T { return &v }

// reencode rewrites a token's decoded bytes with f.
func reencode(tb testing.TB, tok string, f func([]byte) []byte) string {
	tb.Helper()
	raw, err := base64.StdEncoding.DecodeString(tok[2:])
	if err != nil {
		tb.Fatal(err)
	}
	return "04" + base64.StdEncoding.EncodeToString(f(raw))
}

// badTokens returns tokens VerifyToken04(tokApp, secret, tokUser, _, tokNow)
// must refuse, with the kind of refusal; a nil kind marks a control, a
// token built the same way but for the flaw, which must pass.
func badTokens(tb testing.TB) []struct {
	name  string
	token string
	kind  error
} {
	tb.Helper()
	good := handToken{secret: secret, mode: "cbc", claims: goodClaims()}.build(tb)
	goodGCM := handToken{secret: secret, mode: "gcm", claims: goodClaims()}.build(tb)
	with := func(mode string, edit func(map[string]any)) string {
		c := goodClaims()
		edit(c)
		return handToken{secret: secret, mode: mode, claims: c}.build(tb)
	}
	docToken := func(doc string) string {
		return handToken{secret: secret, mode: "cbc", doc: []byte(doc), headerExpire: ptr(tokNow.Unix() + 3600)}.build(tb)
	}
	padToken := func(pad ...byte) string {
		// The good document, spaced out so that pad ends the last block:
		// only the padding is wrong.
		doc, err := json.Marshal(goodClaims())
		if err != nil {
			tb.Fatal(err)
		}
		for (len(doc)+len(pad))%16 != 0 {
			doc = append(doc, ' ')
		}
		return handToken{secret: secret, mode: "cbc", doc: doc, pad: pad, headerExpire: ptr(tokNow.Unix() + 3600)}.build(tb)
	}
	long, err := zego.GenerateToken04(tokApp, secret, tokUser, time.Hour, tokNow, strings.Repeat("p", 3000))
	if err != nil {
		tb.Fatal(err)
	}
	return []struct {
		name  string
		token string
		kind  error
	}{
		{"OtherApp", with("cbc", func(c map[string]any) { c["app_id"] = tokApp + 1 }), zego.ErrTokenAppID},
		{"OtherAppGCM", with("gcm", func(c map[string]any) { c["app_id"] = tokApp + 1 }), zego.ErrTokenAppID},
		{"OtherUser", with("cbc", func(c map[string]any) { c["user_id"] = "bob" }), zego.ErrTokenUserID},
		{"UserCase", with("cbc", func(c map[string]any) { c["user_id"] = "Alice" }), zego.ErrTokenUserID},
		{"OtherSecret", handToken{secret: "fa94dd0f974cf2e293728a526b028271", mode: "cbc", claims: goodClaims()}.build(tb), zego.ErrTokenDecrypt},
		{"OtherSecretGCM", handToken{secret: "fa94dd0f974cf2e293728a526b028271", mode: "gcm", claims: goodClaims()}.build(tb), zego.ErrTokenDecrypt},
		{"Expired", with("cbc", func(c map[string]any) { c["ctime"], c["expire"] = tokNow.Unix()-7200, tokNow.Unix()-1 }), zego.ErrTokenExpired},
		{"ExpiresNow", with("gcm", func(c map[string]any) { c["ctime"], c["expire"] = tokNow.Unix()-7200, tokNow.Unix() }), zego.ErrTokenExpired},
		{"Future", with("cbc", func(c map[string]any) { c["ctime"] = tokNow.Unix() + 601 }), zego.ErrTokenFuture},
		{"FarFuture", with("cbc", func(c map[string]any) { c["ctime"], c["expire"] = int64(1<<62), int64(1<<62+1) }), zego.ErrTokenFuture},
		{"ExpireBeforeCTime", with("cbc", func(c map[string]any) { c["ctime"] = tokNow.Unix() + 3600 }), zego.ErrTokenMalformed},
		{"HeaderExpireDiffers", handToken{secret: secret, mode: "cbc", claims: goodClaims(), headerExpire: ptr(tokNow.Unix() + 99999)}.build(tb), zego.ErrTokenMalformed},
		{"NoUserID", with("cbc", func(c map[string]any) { delete(c, "user_id") }), zego.ErrTokenDecrypt},
		{"NullUserID", with("cbc", func(c map[string]any) { c["user_id"] = nil }), zego.ErrTokenDecrypt},
		{"NoAppID", with("gcm", func(c map[string]any) { delete(c, "app_id") }), zego.ErrTokenDecrypt},
		{"AppIDString", with("cbc", func(c map[string]any) { c["app_id"] = "1596372415" }), zego.ErrTokenDecrypt},
		{"AppIDNegative", with("cbc", func(c map[string]any) { c["app_id"] = -1 }), zego.ErrTokenDecrypt},
		{"NoExpire", with("cbc", func(c map[string]any) { delete(c, "expire") }), zego.ErrTokenDecrypt},
		{"PayloadNumber", with("gcm", func(c map[string]any) { c["payload"] = 42 }), zego.ErrTokenDecrypt},
		{"NotJSON", docToken("not json at all"), zego.ErrTokenDecrypt},
		{"JSONArray", docToken(`[1596372415,"alice"]`), zego.ErrTokenDecrypt},
		{"TrailingGarbage", docToken(`{"app_id":1596372415,"user_id":"alice","ctime":1799999990,"expire":1800003600}x`), zego.ErrTokenDecrypt},
		{"PadGood", padToken(4, 4, 4, 4), nil}, // the control: padToken's tokens are good but for the pad
		{"PadZero", padToken(0, 0, 0, 0), zego.ErrTokenDecrypt},
		{"PadSeventeen", padToken(bytes.Repeat([]byte{17}, 17)...), zego.ErrTokenDecrypt},
		{"PadInconsistent", padToken(4, 3, 4, 4), zego.ErrTokenDecrypt},
		{"PadShort", padToken(1, 4, 4, 4), zego.ErrTokenDecrypt},
		{"PadTwoOfFour", padToken(' ', ' ', 4, 4), zego.ErrTokenDecrypt},
		{"GCMTagFlipped", reencode(tb, goodGCM, func(b []byte) []byte { b[len(b)-2] ^= 1; return b }), zego.ErrTokenDecrypt},
		{"GCMWithoutMode", reencode(tb, goodGCM, func(b []byte) []byte { return b[:len(b)-1] }), zego.ErrTokenMalformed},
		{"CBCWithGCMMode", reencode(tb, good, func(b []byte) []byte { return append(b, 1) }), zego.ErrTokenMalformed},
		{"ModeTwo", reencode(tb, good, func(b []byte) []byte { return append(b, 2) }), zego.ErrTokenMalformed},
		{"TwoTrailingBytes", reencode(tb, good, func(b []byte) []byte { return append(b, 0, 0) }), zego.ErrTokenMalformed},
		{"CBCShortIV", reencode(tb, good, func(b []byte) []byte {
			b = append(b[:8:8], append([]byte{0, 12}, b[10+4:]...)...) // 12 of the 16 IV bytes
			return b
		}), zego.ErrTokenMalformed},
		{"GCMLongNonce", handToken{secret: secret, mode: "gcm", claims: goodClaims(), iv: []byte("0123456789abcdef")}.build(tb), zego.ErrTokenMalformed},
		{"Truncated", reencode(tb, good, func(b []byte) []byte { return b[:len(b)-5] }), zego.ErrTokenMalformed},
		// The last block cut off and the length fixed: the layout is
		// right, the padding (or the document) is not.
		{"LastBlockCut", reencode(tb, good, func(b []byte) []byte {
			b = b[:len(b)-16]
			n := len(b) - 8 - 2 - 16 - 2
			binary.BigEndian.PutUint16(b[8+2+16:], uint16(n))
			return b
		}), zego.ErrTokenDecrypt},
		{"NotWholeBlocks", reencode(tb, good, func(b []byte) []byte {
			b = b[:len(b)-3]
			binary.BigEndian.PutUint16(b[8+2+16:], uint16(len(b)-8-2-16-2))
			return b
		}), zego.ErrTokenMalformed},
		{"EmptyCiphertext", reencode(tb, good, func(b []byte) []byte { return binary.BigEndian.AppendUint16(b[:8+2+16], 0) }), zego.ErrTokenMalformed},
		{"IVLengthHuge", reencode(tb, good, func(b []byte) []byte { b[8], b[9] = 0xff, 0xff; return b }), zego.ErrTokenMalformed},
		{"OnlyExpire", reencode(tb, good, func(b []byte) []byte { return b[:8] }), zego.ErrTokenMalformed},
		{"ShortHeader", reencode(tb, good, func(b []byte) []byte { return b[:5] }), zego.ErrTokenMalformed},
		{"TruncatedBase64", good[:len(good)-3], zego.ErrTokenMalformed},
		{"URLBase64", "04" + strings.NewReplacer("+", "-", "/", "_").Replace(good[2:]) + "-_", zego.ErrTokenMalformed},
		{"NotBase64", "04!!!!", zego.ErrTokenMalformed},
		{"Empty", "", zego.ErrTokenMalformed},
		{"PrefixOnly", "04", zego.ErrTokenMalformed},
		{"Version03", "03" + good[2:], zego.ErrTokenMalformed},
		{"NoPrefix", good[2:], zego.ErrTokenMalformed},
		{"UserSig", "eJwtzMEKgjAYwPF3+c4h29ycCR4CoUMeIjt0k7mNmOnaNqmIeHZDvf5-8P*", zego.ErrTokenMalformed},
		{"Oversize", long, zego.ErrTokenMalformed},
		{"OversizeGarbage", "04" + strings.Repeat("A", zego.MaxToken04Len), zego.ErrTokenMalformed},
	}
}

func TestVerifyToken04Refusals(t *testing.T) {
	for _, c := range badTokens(t) {
		t.Run(c.name, func(t *testing.T) {
			err := zego.VerifyToken04(tokApp, secret, tokUser, c.token, tokNow)
			if got := kindOf(t, err); got != c.kind {
				t.Fatalf("got %v, want kind %v", err, c.kind)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Fatalf("error %q holds the secret", err)
			}
		})
	}
}

// TestVerifyToken04Oversize: the 4 KiB bound is on the token's length.
func TestVerifyToken04Oversize(t *testing.T) {
	var under, over bool
	for n := 2900; n <= 3100; n += 7 {
		tok, err := zego.GenerateToken04(tokApp, secret, tokUser, time.Hour, tokNow, strings.Repeat("p", n))
		if err != nil {
			t.Fatal(err)
		}
		err = zego.VerifyToken04(tokApp, secret, tokUser, tok, tokNow)
		ok := len(tok) <= zego.MaxToken04Len
		under, over = under || ok, over || !ok
		if ok != (err == nil) {
			t.Errorf("token of %d chars: got %v, want nil only up to %d chars", len(tok), err, zego.MaxToken04Len)
		}
	}
	if !under || !over {
		t.Fatalf("tokens under the bound: %v, over: %v; want both tried", under, over)
	}
}

func TestVerifyToken04BadArguments(t *testing.T) {
	tok, err := zego.GenerateToken04(tokApp, secret, tokUser, time.Hour, tokNow, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"", "short", secret + "x", secret[:31], "app-one-secret-key"} {
		if got := kindOf(t, zego.VerifyToken04(tokApp, s, tokUser, tok, tokNow)); got != zego.ErrTokenSecret {
			t.Errorf("secret of %d bytes: got %v, want ErrTokenSecret", len(s), got)
		}
	}
	empty := handToken{secret: secret, mode: "cbc", claims: claims(tokApp, "", tokNow.Unix(), tokNow.Unix()+60)}.build(t)
	if got := kindOf(t, zego.VerifyToken04(tokApp, secret, "", empty, tokNow)); got != zego.ErrTokenUserID {
		t.Errorf("empty user in token and call: got %v, want ErrTokenUserID", got)
	}
}

func TestGenerateToken04Refusals(t *testing.T) {
	far := time.Unix(1<<63-10, 0)
	cases := []struct {
		name    string
		app     uint32
		secret  string
		user    string
		ttl     time.Duration
		now     time.Time
		payload string
	}{
		{"SecretLength", tokApp, "app-one-secret-key", tokUser, time.Hour, tokNow, ""},
		{"NoSecret", tokApp, "", tokUser, time.Hour, tokNow, ""},
		{"NoApp", 0, secret, tokUser, time.Hour, tokNow, ""},
		{"NoUser", tokApp, secret, "", time.Hour, tokNow, ""},
		{"ZeroTTL", tokApp, secret, tokUser, 0, tokNow, ""},
		{"SubSecondTTL", tokApp, secret, tokUser, 999 * time.Millisecond, tokNow, ""},
		{"NegativeTTL", tokApp, secret, tokUser, -time.Hour, tokNow, ""},
		{"Overflow", tokApp, secret, tokUser, time.Hour, far, ""},
		{"PayloadTooLong", tokApp, secret, tokUser, time.Hour, tokNow, strings.Repeat("p", 70000)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok, err := zego.GenerateToken04(c.app, c.secret, c.user, c.ttl, c.now, c.payload)
			if err == nil || tok != "" {
				t.Fatalf("got %q, %v; want no token and an error", tok, err)
			}
		})
	}
	if _, err := zego.GenerateToken04(tokApp, "short", tokUser, time.Hour, tokNow, ""); !errors.Is(err, zego.ErrTokenSecret) {
		t.Errorf("short secret: got %v, want ErrTokenSecret", err)
	}
}

// FuzzVerifyToken04: no input panics, every refusal is a *TokenError, and
// whatever is accepted is a token the hand-written reader agrees with.
func FuzzVerifyToken04(f *testing.F) {
	for _, c := range badTokens(f) {
		f.Add(c.token)
	}
	for _, mode := range []string{"cbc", "cbc0", "gcm", "gcm-padded"} {
		f.Add(handToken{secret: secret, mode: mode, claims: goodClaims()}.build(f))
	}
	tok, err := zego.GenerateToken04(tokApp, secret, tokUser, time.Hour, tokNow, "payload")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok)
	f.Add("04AAAAAAAAAAAAAAA=")
	f.Add("04" + base64.StdEncoding.EncodeToString(make([]byte, 8+2+16+2+16)))
	f.Fuzz(func(t *testing.T, token string) {
		err := zego.VerifyToken04(tokApp, secret, tokUser, token, tokNow)
		kindOf(t, err)
		if err != nil {
			return
		}
		_, _, doc, _ := readByHand(t, secret, token)
		if doc == nil {
			return // GCM: authenticated; readByHand reads CBC only
		}
		if doc["user_id"] != tokUser || fmt.Sprint(doc["app_id"]) != "1596372415" {
			t.Fatalf("accepted a token of %v/%v, want %d/%s", doc["app_id"], doc["user_id"], tokApp, tokUser)
		}
	})
}
