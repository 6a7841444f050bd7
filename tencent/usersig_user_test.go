package tencent_test

import (
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd/tencent"
	"github.com/tencentyun/tls-sig-api-v2-golang/tencentyun"
)

// TestVerifyUserSigAnyUser: VerifyUserSig, which the real-time gateway uses
// for member logins, takes the UserSig of any user of the app, not only of
// an administrator, as Tencent's own module makes it, and refuses it for
// another user, another app, another key and after it expired, naming the
// reason.
func TestVerifyUserSigAnyUser(t *testing.T) {
	const member = "alice-not-an-admin"
	now := time.Now()
	sig := vendorSig(t, appID, secret, member, 3600)
	if err := tencentyun.VerifyUserSig(appID, secret, member, sig, now); err != nil {
		t.Fatalf("vendor VerifyUserSig of its own sig = %v, want nil", err)
	}
	if err := tencent.VerifyUserSig(appID, secret, member, sig, now); err != nil {
		t.Fatalf("VerifyUserSig(%s) = %v, want nil", member, err)
	}
	if err := tencent.VerifyUserSig(appID, secret, member, sig, now.Add(3590*time.Second)); err != nil {
		t.Fatalf("VerifyUserSig(%s) 10 s before expiry = %v, want nil", member, err)
	}
	cases := []struct {
		name   string
		app    uint32
		key    string
		user   string
		sig    string
		at     time.Time
		code   int
		reason string
	}{
		{"OtherUser", appID, secret, "bob", sig, now, 70013, "another identifier"},
		{"AdminWithMemberSig", appID, secret, admin, sig, now, 70013, "another identifier"},
		{"OtherApp", otherAppID, otherSecret, member, sig, now, 70014, "another SDKAppID"},
		{"OtherAppSameKey", otherAppID, secret, member, sig, now, 70014, "another SDKAppID"},
		{"OtherKey", appID, otherSecret, member, sig, now, 70009, "another key"},
		{"Expired", appID, secret, member, sig, now.Add(3602 * time.Second), 70001, "expired"},
		{"ExpiredVendorSig", appID, secret, member, vendorSig(t, appID, secret, member, 1), now.Add(3 * time.Second), 70001, "expired"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := tencent.VerifyUserSig(c.app, c.key, c.user, c.sig, c.at)
			if got := sigCode(t, err); got != c.code {
				t.Fatalf("got %v (code %d), want code %d", err, got, c.code)
			}
			if !strings.Contains(err.Error(), c.reason) {
				t.Errorf("error %q does not name the reason %q", err, c.reason)
			}
			if strings.Contains(err.Error(), c.key) {
				t.Errorf("error %q holds the key", err)
			}
		})
	}
}
