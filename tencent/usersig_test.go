package tencent_test

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/roomd/roomd/tencent"
	"github.com/tencentyun/tls-sig-api-v2-golang/tencentyun"
)

// zlibLevels are the compression levels sigs are checked at; the vendor
// module uses NoCompression, GenUserSig the default level.
var zlibLevels = []int{zlib.NoCompression, zlib.BestSpeed, zlib.DefaultCompression, zlib.BestCompression, zlib.HuffmanOnly}

func sigCode(tb testing.TB, err error) int {
	tb.Helper()
	if err == nil {
		return 0
	}
	var se *tencent.SigError
	if !errors.As(err, &se) {
		tb.Fatalf("error %v is not a *tencent.SigError", err)
	}
	return se.Code
}

func TestVerifyUserSigVendorSigAtEveryLevel(t *testing.T) {
	sig := vendorSig(t, appID, secret, admin, 3600)
	for _, level := range zlibLevels {
		t.Run(fmt.Sprintf("Level%d", level), func(t *testing.T) {
			s := recompress(t, sig, level)
			if err := tencent.VerifyUserSig(appID, secret, admin, s, time.Now()); err != nil {
				t.Fatalf("VerifyUserSig(level %d) = %v, want nil", level, err)
			}
			if err := tencentyun.VerifyUserSig(appID, secret, admin, s, time.Now()); err != nil {
				t.Fatalf("vendor VerifyUserSig(level %d) = %v, want nil", level, err)
			}
		})
	}
}

func TestGenUserSigAcceptedByVendor(t *testing.T) {
	now := time.Now()
	sig, err := tencent.GenUserSig(appID, secret, admin, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := tencentyun.VerifyUserSig(appID, secret, admin, sig, now); err != nil {
		t.Fatalf("vendor VerifyUserSig(GenUserSig) = %v, want nil", err)
	}
	if err := tencentyun.VerifyUserSig(appID, "another-key", admin, sig, now); err == nil {
		t.Fatal("vendor VerifyUserSig with another key = nil, want an error")
	}
	if err := tencentyun.VerifyUserSig(appID, secret, admin, sig, now.Add(time.Hour+time.Second)); err == nil {
		t.Fatal("vendor VerifyUserSig after expiry = nil, want an error")
	}
	if err := tencent.VerifyUserSig(appID, secret, admin, sig, now); err != nil {
		t.Fatalf("VerifyUserSig(GenUserSig) = %v, want nil", err)
	}
	if _, err := tencent.GenUserSig(appID, secret, "", time.Hour, now); err == nil {
		t.Fatal("GenUserSig with an empty identifier = nil error, want an error")
	}
}

func TestVerifyUserSigExpiryBoundary(t *testing.T) {
	issued := time.Unix(1_700_000_000, 0)
	sig, err := tencent.GenUserSig(appID, secret, admin, 100*time.Second, issued)
	if err != nil {
		t.Fatal(err)
	}
	if err := tencent.VerifyUserSig(appID, secret, admin, sig, issued.Add(100*time.Second)); err != nil {
		t.Fatalf("at TLS.time+TLS.expire: %v, want nil", err)
	}
	if got := sigCode(t, tencent.VerifyUserSig(appID, secret, admin, sig, issued.Add(101*time.Second))); got != 70001 {
		t.Fatalf("one second later: code %d, want 70001", got)
	}
}

// badSigs returns sigs of admin for appID that must be refused, with their codes.
func badSigs(tb testing.TB) []struct {
	name string
	sig  string
	code int
} {
	tb.Helper()
	now := time.Now()
	expired, err := tencent.GenUserSig(appID, secret, admin, time.Hour, now.Add(-2*time.Hour))
	if err != nil {
		tb.Fatal(err)
	}
	var notJSON bytes.Buffer
	zw := zlib.NewWriter(&notJSON)
	_, _ = zw.Write([]byte("this is not json"))
	_ = zw.Close()
	good, err := sigB64.DecodeString(vendorSig(tb, appID, secret, admin, 3600))
	if err != nil {
		tb.Fatal(err)
	}
	mapKey, err := tencentyun.GenPrivateMapKey(appID, secret, admin, 3600, 1234, 255)
	if err != nil {
		tb.Fatal(err)
	}
	return []struct {
		name string
		sig  string
		code int
	}{
		{"Expired", expired, 70001},
		{"Empty", "", 70002},
		{"Garbage", "!!not base64!!", 70003},
		{"NotZlib", sigB64.EncodeToString([]byte("plain bytes, not a zlib stream")), 70004},
		{"Truncated", sigB64.EncodeToString(good[:len(good)-10]), 70004},
		{"NotJSON", sigB64.EncodeToString(notJSON.Bytes()), 70003},
		{"PrivateMapKey", mapKey, 70005},
		{"WrongKey", vendorSig(tb, appID, "not-the-key", admin, 3600), 70009},
		{"WrongIdentifier", vendorSig(tb, appID, secret, "someone-else", 3600), 70013},
		{"OtherApp", vendorSig(tb, otherAppID, otherSecret, admin, 3600), 70014},
	}
}

func TestVerifyUserSigRefusals(t *testing.T) {
	for _, tc := range badSigs(t) {
		t.Run(tc.name, func(t *testing.T) {
			if got := sigCode(t, tencent.VerifyUserSig(appID, secret, admin, tc.sig, time.Now())); got != tc.code {
				t.Fatalf("code %d, want %d", got, tc.code)
			}
		})
	}
}

func TestUserSigOverHTTP(t *testing.T) {
	e := newEnv(t)
	sig := vendorSig(t, appID, secret, admin, 3600)
	for _, level := range zlibLevels {
		t.Run(fmt.Sprintf("VendorLevel%d", level), func(t *testing.T) {
			r := e.do(t, http.MethodPost, cmdURL(t, appID, recompress(t, sig, level), "get_callback"), "{}")
			checkCode(t, r, 0)
		})
	}
	t.Run("GenUserSig", func(t *testing.T) {
		own, err := tencent.GenUserSig(appID, secret, admin, time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		checkCode(t, e.do(t, http.MethodPost, cmdURL(t, appID, own, "get_callback"), "{}"), 0)
	})
	for _, tc := range badSigs(t) {
		t.Run(tc.name, func(t *testing.T) {
			checkCode(t, e.do(t, http.MethodPost, cmdURL(t, appID, tc.sig, "get_callback"), "{}"), tc.code)
		})
	}
}

func TestSigCacheHonoursExpiry(t *testing.T) {
	issued := time.Unix(1_700_000_000, 0)
	sig, err := tencent.GenUserSig(appID, secret, admin, time.Minute, issued)
	if err != nil {
		t.Fatal(err)
	}
	c := tencent.NewSigCache(16)
	if err := c.Verify(appID, secret, admin, sig, issued); err != nil {
		t.Fatalf("first Verify = %v, want nil", err)
	}
	if c.Len() != 1 {
		t.Fatalf("Len = %d after a good sig, want 1", c.Len())
	}
	if got := sigCode(t, c.Verify(appID, secret, admin, sig, issued.Add(61*time.Second))); got != 70001 {
		t.Fatalf("cached sig after expiry: code %d, want 70001", got)
	}
	if c.Len() != 0 {
		t.Fatalf("Len = %d after the sig expired, want 0", c.Len())
	}
}

func TestSigCacheKeyedBySecret(t *testing.T) {
	now := time.Now()
	sig := vendorSig(t, appID, secret, admin, 3600)
	c := tencent.NewSigCache(16)
	if err := c.Verify(appID, secret, admin, sig, now); err != nil {
		t.Fatalf("Verify = %v, want nil", err)
	}
	if got := sigCode(t, c.Verify(appID, "rotated-key", admin, sig, now)); got != 70009 {
		t.Fatalf("same sig under a new key: code %d, want 70009", got)
	}
	if got := sigCode(t, c.Verify(appID, secret, "other", sig, now)); got != 70013 {
		t.Fatalf("same sig for another identifier: code %d, want 70013", got)
	}
}

func TestSigCacheBounded(t *testing.T) {
	const max = 8
	now := time.Now()
	c := tencent.NewSigCache(max)
	for i := range 50 {
		id := fmt.Sprintf("admin-%d", i)
		sig, err := tencent.GenUserSig(appID, secret, id, time.Hour, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Verify(appID, secret, id, sig, now); err != nil {
			t.Fatalf("Verify(%s) = %v", id, err)
		}
		if c.Len() > max {
			t.Fatalf("Len = %d after %d sigs, want at most %d", c.Len(), i+1, max)
		}
	}
	for _, tc := range badSigs(t) {
		_ = c.Verify(appID, secret, admin, tc.sig, now)
	}
	if c.Len() > max {
		t.Fatalf("Len = %d, want at most %d", c.Len(), max)
	}
}

func BenchmarkVerifyUserSigCached(b *testing.B) {
	sig := vendorSig(b, appID, secret, admin, 86400)
	c := tencent.NewSigCache(1024)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Verify(appID, secret, admin, sig, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyUserSigUncached(b *testing.B) {
	sig := vendorSig(b, appID, secret, admin, 86400)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if err := tencent.VerifyUserSig(appID, secret, admin, sig, now); err != nil {
			b.Fatal(err)
		}
	}
}
