package zego

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"time"
)

// Token04 layout, as ZEGO's zego_server_assistant generators write it:
//
//	"04" + base64std( int64 BE expire
//	                | uint16 BE len | IV or nonce
//	                | uint16 BE len | ciphertext
//	                [ | 1 byte mode ] )
//
// mode absent or 0: AES-CBC with PKCS#7 padding and a 16-byte IV (the
// original generators). mode 1: AES-GCM with a 12-byte nonce, no additional
// data, the 16-byte tag after the ciphertext (the current generators). The
// key is the ServerSecret's bytes as they are; the plaintext is the JSON
// document tokenClaims.
const (
	tokenVersion = "04"
	// MaxToken04Len is the longest token VerifyToken04 decodes; a longer one
	// is refused before any work. Vendor tokens are 200–400 bytes plus the
	// payload.
	MaxToken04Len = 4 << 10
	// Token04ClockSkew is how far in the future a token's ctime may be
	// before VerifyToken04 refuses it: the issuer's clock may run ahead.
	Token04ClockSkew = 10 * time.Minute

	token04ModeCBC = 0
	token04ModeGCM = 1
	cbcIVLen       = aes.BlockSize
	gcmNonceLen    = 12
	ivAlphabet     = "0123456789abcdefghijklmnopqrstuvwxyz"
)

// Kinds of Token04 refusal; a *TokenError wraps exactly one, for errors.Is.
var (
	// ErrTokenSecret: the app's ServerSecret is not 16, 24 or 32 bytes, so
	// it is not an AES key and no token can be made or checked with it.
	ErrTokenSecret = errors.New("zego: ServerSecret cannot be a Token04 key")
	// ErrTokenMalformed: not a Token04 (prefix, size, base64, layout).
	ErrTokenMalformed = errors.New("zego: malformed token04")
	// ErrTokenDecrypt: the token does not decrypt under the app's secret
	// to a token document (another secret, or tampered with).
	ErrTokenDecrypt = errors.New("zego: token04 does not decrypt with the app's secret")
	// ErrTokenAppID: the token was issued for another AppId.
	ErrTokenAppID = errors.New("zego: token04 issued for another AppId")
	// ErrTokenUserID: the token was issued to another user.
	ErrTokenUserID = errors.New("zego: token04 issued to another user")
	// ErrTokenExpired: the token's expire time has passed.
	ErrTokenExpired = errors.New("zego: token04 expired")
	// ErrTokenFuture: the token's ctime is more than Token04ClockSkew ahead
	// of the verifier's clock.
	ErrTokenFuture = errors.New("zego: token04 issued in the future")
)

// TokenError is a Token04 that VerifyToken04 refused, or a token
// GenerateToken04 could not make. Kind is one of the Err* values above
// (errors.Is matches it); Reason says why in words fit for a server log. It
// never holds the secret, the token or its decrypted contents. Do not send
// Reason to the client: telling a bad padding from a bad document would give
// an attacker the oracle CBC tokens must not have.
type TokenError struct {
	Kind   error
	Reason string
}

// Error returns the reason.
func (e *TokenError) Error() string { return "zego: token04 rejected: " + e.Reason }

// Unwrap returns Kind.
func (e *TokenError) Unwrap() error { return e.Kind }

func tokenErr(kind error, reason string) *TokenError {
	return &TokenError{Kind: kind, Reason: reason}
}

// tokenClaims is the JSON document inside a Token04.
type tokenClaims struct {
	AppID   uint32 `json:"app_id"`
	UserID  string `json:"user_id"`
	CTime   int64  `json:"ctime"`
	Expire  int64  `json:"expire"`
	Nonce   int32  `json:"nonce"`
	Payload string `json:"payload"`
}

// tokenBlock returns the AES cipher keyed with secret's bytes.
func tokenBlock(secret string) (cipher.Block, error) {
	switch len(secret) {
	case 16, 24, 32:
		return aes.NewCipher([]byte(secret))
	}
	return nil, tokenErr(ErrTokenSecret, "the app's ServerSecret is not 16, 24 or 32 bytes long, so it is not an AES key (ZEGO's secrets are 32)")
}

// GenerateToken04 returns a Token04 (the CBC variant, which every ZEGO SDK
// and VerifyToken04 accept) for userID of appID, issued at now and valid
// for ttl (whole seconds, at least one), carrying payload. secret is the
// ServerSecret; it must be 16, 24 or 32 bytes (ZEGO's are 32): its bytes are
// the AES key. The IV is 16 random characters of [0-9a-z] and the nonce a
// random int32, both from crypto/rand.
func GenerateToken04(appID uint32, secret, userID string, ttl time.Duration, now time.Time, payload string) (string, error) {
	block, err := tokenBlock(secret)
	if err != nil {
		return "", err
	}
	switch {
	case appID == 0:
		return "", errors.New("zego: token04: AppId is required")
	case userID == "":
		return "", errors.New("zego: token04: user id is required")
	case ttl < time.Second:
		return "", errors.New("zego: token04: validity must be at least one second")
	}
	ctime, secs := now.Unix(), int64(ttl/time.Second)
	if ctime > math.MaxInt64-secs {
		return "", errors.New("zego: token04: expiry overflows")
	}
	var rnd [cbcIVLen + 4]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", err
	}
	iv := make([]byte, cbcIVLen)
	for i := range iv {
		// 256 % 36 = 4: a bias of under 2% per character, harmless for a
		// CBC IV, which needs to be unpredictable, not uniform.
		iv[i] = ivAlphabet[int(rnd[i])%len(ivAlphabet)]
	}
	doc, err := json.Marshal(tokenClaims{
		AppID:   appID,
		UserID:  userID,
		CTime:   ctime,
		Expire:  ctime + secs,
		Nonce:   int32(binary.BigEndian.Uint32(rnd[cbcIVLen:])),
		Payload: payload,
	})
	if err != nil {
		return "", err
	}
	pad := aes.BlockSize - len(doc)%aes.BlockSize
	for range pad {
		doc = append(doc, byte(pad))
	}
	if len(doc) > math.MaxUint16 {
		return "", errors.New("zego: token04: payload too long")
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(doc, doc)

	raw := make([]byte, 0, 8+2+len(iv)+2+len(doc))
	raw = binary.BigEndian.AppendUint64(raw, uint64(ctime+secs))
	raw = binary.BigEndian.AppendUint16(raw, uint16(len(iv)))
	raw = append(raw, iv...)
	raw = binary.BigEndian.AppendUint16(raw, uint16(len(doc)))
	raw = append(raw, doc...)
	return tokenVersion + base64.StdEncoding.EncodeToString(raw), nil
}

// VerifyToken04 checks that token is a Token04 of userID for appID, made
// with secret, valid at now: its expire is after now and its ctime at most
// Token04ClockSkew ahead of now. It accepts both variants the vendor's
// generators write, AES-CBC (PKCS#7) and AES-GCM. It never panics; an error
// is a *TokenError whose Kind says which check failed.
func VerifyToken04(appID uint32, secret, userID, token string, now time.Time) error {
	block, err := tokenBlock(secret)
	if err != nil {
		return err
	}
	c, err := openToken04(block, token)
	if err != nil {
		return err
	}
	switch t := now.Unix(); {
	case c.AppID != appID:
		return tokenErr(ErrTokenAppID, "token04 was issued for another AppId")
	case c.UserID != userID || userID == "":
		return tokenErr(ErrTokenUserID, "token04 was issued to another user")
	case t >= c.Expire:
		return tokenErr(ErrTokenExpired, "token04 expired")
	// c.CTime > t, so the unsigned difference is exact, even where the
	// signed one would overflow.
	case c.CTime > t && uint64(c.CTime)-uint64(t) > uint64(Token04ClockSkew/time.Second):
		return tokenErr(ErrTokenFuture, "token04 ctime is more than 10 minutes ahead of roomd's clock")
	}
	return nil
}

// openToken04 decodes and decrypts token and returns its claims, checked for
// consistency (the clear expire equals the encrypted one, which is after
// ctime) but not against an app, user or time.
func openToken04(block cipher.Block, token string) (*tokenClaims, error) {
	if len(token) > MaxToken04Len {
		return nil, tokenErr(ErrTokenMalformed, "token04 longer than 4 KiB")
	}
	body, ok := strings.CutPrefix(token, tokenVersion)
	if !ok {
		return nil, tokenErr(ErrTokenMalformed, `token does not start with "04"`)
	}
	raw, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, tokenErr(ErrTokenMalformed, "token04 is not standard base64")
	}
	expire, iv, ct, mode, ok := splitToken04(raw)
	if !ok {
		return nil, tokenErr(ErrTokenMalformed, "token04 layout is wrong (lengths or mode byte)")
	}
	var doc []byte
	switch mode {
	case token04ModeCBC:
		if len(iv) != cbcIVLen || len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
			return nil, tokenErr(ErrTokenMalformed, "token04 CBC IV is not 16 bytes or its ciphertext not whole blocks")
		}
		doc = make([]byte, len(ct))
		cipher.NewCBCDecrypter(block, iv).CryptBlocks(doc, ct)
		doc, ok = unpadPKCS7(doc)
	case token04ModeGCM:
		if len(iv) != gcmNonceLen {
			return nil, tokenErr(ErrTokenMalformed, "token04 GCM nonce is not 12 bytes")
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		doc, err = aead.Open(nil, iv, ct, nil)
		ok = err == nil
		// The vendor's GCM generators do not pad; should one pad before
		// sealing, the padding is authenticated and can be taken off
		// safely. A JSON object ends in '}', never in a pad byte.
		if ok && len(doc) > 0 && len(doc)%aes.BlockSize == 0 && doc[len(doc)-1] != '}' {
			if d, padded := unpadPKCS7(doc); padded {
				doc = d
			}
		}
	}
	var c tokenClaims
	// A bad padding and a bad document get the same error, so that the
	// refusal is no padding oracle.
	if !ok || !decodeClaims(doc, &c) {
		return nil, tokenErr(ErrTokenDecrypt, "token04 does not decrypt to a token document with the app's secret (another secret, or altered)")
	}
	if c.Expire != expire || c.Expire <= c.CTime {
		return nil, tokenErr(ErrTokenMalformed, "token04 expire does not match its document, or is not after its ctime")
	}
	return &c, nil
}

// splitToken04 splits a decoded token into its fields. mode is 0 (CBC) when
// the mode byte is absent.
func splitToken04(raw []byte) (expire int64, iv, ct []byte, mode byte, ok bool) {
	if len(raw) < 8 {
		return 0, nil, nil, 0, false
	}
	expire, raw = int64(binary.BigEndian.Uint64(raw)), raw[8:]
	if iv, raw, ok = cutLenPrefixed(raw); !ok {
		return 0, nil, nil, 0, false
	}
	if ct, raw, ok = cutLenPrefixed(raw); !ok {
		return 0, nil, nil, 0, false
	}
	switch {
	case len(raw) == 0:
		return expire, iv, ct, token04ModeCBC, true
	case len(raw) == 1 && (raw[0] == token04ModeCBC || raw[0] == token04ModeGCM):
		return expire, iv, ct, raw[0], true
	}
	return 0, nil, nil, 0, false
}

// cutLenPrefixed cuts a uint16 BE length and that many bytes off b.
func cutLenPrefixed(b []byte) (field, rest []byte, ok bool) {
	if len(b) < 2 {
		return nil, nil, false
	}
	n := int(binary.BigEndian.Uint16(b))
	if len(b)-2 < n {
		return nil, nil, false
	}
	return b[2 : 2+n], b[2+n:], true
}

// unpadPKCS7 removes PKCS#7 padding from b, whose length is a non-zero
// multiple of the block size. It looks at the whole last block whatever the
// pad length, so that its time does not depend on where the padding fails.
func unpadPKCS7(b []byte) ([]byte, bool) {
	last := b[len(b)-aes.BlockSize:]
	n := last[aes.BlockSize-1]
	good := subtle.ConstantTimeLessOrEq(1, int(n)) & subtle.ConstantTimeLessOrEq(int(n), aes.BlockSize)
	for i := range aes.BlockSize {
		// Bytes at or after position BlockSize-n are padding and must be n.
		inPad := subtle.ConstantTimeLessOrEq(aes.BlockSize-int(n), i)
		eq := subtle.ConstantTimeByteEq(last[i], n)
		good &= subtle.ConstantTimeSelect(inPad, eq, 1)
	}
	if good != 1 {
		return nil, false
	}
	return b[:len(b)-int(n)], true
}

// claimsDoc is tokenClaims as decoded: pointers tell absent (or null)
// fields, and the nonce, which is not checked, may be any JSON number.
type claimsDoc struct {
	AppID   *uint32 `json:"app_id"`
	UserID  *string `json:"user_id"`
	CTime   *int64  `json:"ctime"`
	Expire  *int64  `json:"expire"`
	Payload string  `json:"payload"`
}

// decodeClaims unmarshals a token document into c and reports whether it is
// a JSON object holding app_id, user_id, ctime and expire of the right types.
func decodeClaims(doc []byte, c *tokenClaims) bool {
	var d claimsDoc
	if json.Unmarshal(doc, &d) != nil || d.AppID == nil || d.UserID == nil || d.CTime == nil || d.Expire == nil {
		return false
	}
	*c = tokenClaims{AppID: *d.AppID, UserID: *d.UserID, CTime: *d.CTime, Expire: *d.Expire, Payload: d.Payload}
	return true
}
