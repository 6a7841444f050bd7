package tencent_test

import (
	"context"
	"testing"

	"github.com/roomd/roomd/tencent"
)

// TestNewRequest: a request built by NewRequest is accepted, and an unknown
// command is refused before anything is sent.
func TestNewRequest(t *testing.T) {
	e := newEnv(t)
	req, err := tencent.NewRequest(context.Background(), e.srv.URL+"/", appID, admin, e.sig, "account_import", map[string]string{"UserID": "ann"}, 7)
	if err != nil {
		t.Fatal(err)
	}
	if r := e.send(t, req); r.ErrorCode != 0 {
		t.Fatalf("account_import: got code %d, want 0", r.ErrorCode)
	}
	if _, err := tencent.NewRequest(context.Background(), e.srv.URL, appID, admin, e.sig, "no_such_command", nil, 7); err == nil {
		t.Fatalf("unknown command: got no error, want one")
	}
}
