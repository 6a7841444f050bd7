package tencent

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Bounds on what VerifyUserSig will look at, so that a hostile sig costs
// little: vendor sigs are a few hundred bytes.
const (
	maxSigLen  = 8 << 10  // encoded length of a usersig
	maxSigJSON = 16 << 10 // decompressed length of its JSON document
)

// SigError is a UserSig verification failure. Code is the vendor's number:
// 70001 expired, 70002 empty, 70003 cannot be parsed, 70004 cannot be
// decompressed (truncated), 70005 not a plain UserSig (it carries a
// userbuf), 70009 signed with another key, 70013 issued to another
// identifier, 70014 issued for another SDKAppID.
type SigError struct {
	Code   int
	Reason string
}

// Error returns the code and the reason.
func (e *SigError) Error() string {
	return fmt.Sprintf("tencent: usersig rejected (%d): %s", e.Code, e.Reason)
}

func sigErr(code int, reason string) *SigError { return &SigError{Code: code, Reason: reason} }

// sigDoc is the JSON document inside a TLS sig v2 UserSig. []byte fields
// are standard base64 strings on the wire, as in the vendor's module.
type sigDoc struct {
	Version    string `json:"TLS.ver,omitempty"`
	Identifier string `json:"TLS.identifier,omitempty"`
	SdkAppID   uint64 `json:"TLS.sdkappid,omitempty"`
	Expire     int64  `json:"TLS.expire,omitempty"`
	Time       int64  `json:"TLS.time,omitempty"`
	UserBuf    []byte `json:"TLS.userbuf,omitempty"`
	Sig        []byte `json:"TLS.sig,omitempty"`
}

// mac returns the HMAC-SHA256 of the document's string to sign under key.
func (d *sigDoc) mac(key string) []byte {
	h := hmac.New(sha256.New, []byte(key))
	var b []byte
	b = append(b, "TLS.identifier:"...)
	b = append(b, d.Identifier...)
	b = append(b, "\nTLS.sdkappid:"...)
	b = strconv.AppendUint(b, d.SdkAppID, 10)
	b = append(b, "\nTLS.time:"...)
	b = strconv.AppendInt(b, d.Time, 10)
	b = append(b, "\nTLS.expire:"...)
	b = strconv.AppendInt(b, d.Expire, 10)
	b = append(b, '\n')
	if d.UserBuf != nil {
		b = append(b, "TLS.userbuf:"...)
		b = append(b, base64.StdEncoding.EncodeToString(d.UserBuf)...)
		b = append(b, '\n')
	}
	h.Write(b)
	return h.Sum(nil)
}

// expiresAt returns the last unix second at which the sig is valid,
// saturating instead of overflowing.
func (d *sigDoc) expiresAt() int64 {
	if d.Expire < 0 {
		return d.Time - 1 // never valid after it was issued; also avoids underflow
	}
	if d.Time > math.MaxInt64-d.Expire {
		return math.MaxInt64
	}
	return d.Time + d.Expire
}

// sigEncoding is the vendor's base64 alphabet: '+' -> '*', '/' -> '-', '=' -> '_'.
var sigEncoding = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-").WithPadding('_')

// sigDecoding decodes sigs whose '_' padding was trimmed.
var sigDecoding = sigEncoding.WithPadding(base64.NoPadding)

// GenUserSig returns a TLS sig v2 UserSig for identifier, valid for expire
// from now (zlib default level).
func GenUserSig(appID uint32, key, identifier string, expire time.Duration, now time.Time) (string, error) {
	if identifier == "" {
		return "", errors.New("tencent: identifier is required")
	}
	d := sigDoc{Version: "2.0", Identifier: identifier, SdkAppID: uint64(appID), Expire: int64(expire / time.Second), Time: now.Unix()}
	d.Sig = d.mac(key)
	doc, err := json.Marshal(&d)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	zw := zlib.NewWriter(&b)
	if _, err := zw.Write(doc); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return sigEncoding.EncodeToString(b.Bytes()), nil
}

// VerifyUserSig checks sig for appID and identifier against key at now. It
// accepts any zlib compression level. The error is a *SigError carrying the
// vendor code (70001, 70002, 70003, 70004, 70005, 70009, 70013, 70014).
func VerifyUserSig(appID uint32, key, identifier, sig string, now time.Time) error {
	_, err := verifySig(appID, key, identifier, sig, now)
	return err
}

// verifySig verifies sig and returns the last unix second it is valid at.
func verifySig(appID uint32, key, identifier, sig string, now time.Time) (int64, error) {
	d, err := parseSig(sig)
	if err != nil {
		return 0, err
	}
	if d.SdkAppID != uint64(appID) {
		return 0, sigErr(codeSigAppID, "usersig was issued for another SDKAppID")
	}
	if d.Identifier != identifier {
		return 0, sigErr(codeSigIdentifier, "usersig was issued to another identifier")
	}
	until := d.expiresAt()
	if now.Unix() > until {
		return 0, sigErr(codeSigExpired, "usersig expired")
	}
	if d.UserBuf != nil {
		return 0, sigErr(codeSigUserBuf, "usersig carries a userbuf (a PrivateMapKey, not a UserSig)")
	}
	if !hmac.Equal(d.mac(key), d.Sig) {
		return 0, sigErr(codeSigKey, "usersig was signed with another key")
	}
	return until, nil
}

// parseSig decodes, decompresses and unmarshals a UserSig.
func parseSig(sig string) (*sigDoc, error) {
	if sig == "" {
		return nil, sigErr(codeSigEmpty, "usersig is empty")
	}
	if len(sig) > maxSigLen {
		return nil, sigErr(codeSigParse, "usersig too long")
	}
	// Accept the sig with or without its '_' padding.
	raw, err := sigDecoding.DecodeString(strings.TrimRight(sig, "_"))
	if err != nil {
		return nil, sigErr(codeSigParse, "usersig is not base64")
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, sigErr(codeSigTruncated, "usersig is not a zlib stream")
	}
	doc, err := io.ReadAll(io.LimitReader(zr, maxSigJSON+1))
	if err != nil {
		return nil, sigErr(codeSigTruncated, "usersig is truncated")
	}
	if len(doc) > maxSigJSON {
		return nil, sigErr(codeSigParse, "usersig document too long")
	}
	var d sigDoc
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, sigErr(codeSigParse, "usersig document is not valid JSON")
	}
	if len(d.Sig) == 0 {
		return nil, sigErr(codeSigParse, "usersig has no signature")
	}
	return &d, nil
}
