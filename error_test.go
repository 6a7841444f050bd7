package roomd_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/roomd/roomd"
)

func TestErrorCodeAndMessage(t *testing.T) {
	cause := errors.New("disk on fire at /var/lib/secret-path")
	for _, c := range []struct {
		name     string
		err      error
		code     string
		message  string
		hideText string // must not appear in the client-safe message
	}{
		{"Nil", nil, "", "", ""},
		{"Domain", roomd.Errorf(roomd.ENOROOM, "room %q does not exist", "r1"), roomd.ENOROOM, `room "r1" does not exist`, ""},
		{"Wrapped", fmt.Errorf("transfer: %w", roomd.Errorf(roomd.ENOTMEMBER, "not a member")), roomd.ENOTMEMBER, "not a member", ""},
		{"Plain", cause, roomd.EINTERNAL, "internal error", "disk on fire"},
		{"Internal", roomd.Internal(cause), roomd.EINTERNAL, "internal error", "disk on fire"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := roomd.ErrorCode(c.err); got != c.code {
				t.Errorf("ErrorCode: got %q, want %q", got, c.code)
			}
			msg := roomd.ErrorMessage(c.err)
			if msg != c.message {
				t.Errorf("ErrorMessage: got %q, want %q", msg, c.message)
			}
			if c.hideText != "" && strings.Contains(msg, c.hideText) {
				t.Errorf("ErrorMessage leaks the internal cause: %q", msg)
			}
		})
	}
	if !errors.Is(roomd.Internal(cause), cause) {
		t.Errorf("Internal: the cause is not kept for the log")
	}
}

func TestValidateID(t *testing.T) {
	for _, c := range []struct {
		name string
		id   string
		ok   bool
	}{
		{"Simple", "alice", true},
		{"Max", strings.Repeat("a", roomd.MaxIDLen), true},
		{"Unicode", "zoë", true},
		{"Empty", "", false},
		{"TooLong", strings.Repeat("a", roomd.MaxIDLen+1), false},
		{"Control", "a\nb", false},
		{"Delete", "a\x7fb", false},
		{"BadUTF8", "a\xffb", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := roomd.ValidateID("user id", c.id)
			if (err == nil) != c.ok {
				t.Fatalf("ValidateID(%q): got %v, want ok=%v", c.id, err, c.ok)
			}
			if err != nil && roomd.ErrorCode(err) != roomd.EINVALID {
				t.Fatalf("ValidateID(%q): got code %s, want %s", c.id, roomd.ErrorCode(err), roomd.EINVALID)
			}
		})
	}
}

func TestRoleValid(t *testing.T) {
	for role, want := range map[roomd.Role]bool{0: false, 1: true, 2: true, 3: true, 4: false, 99: false, 100: true, 255: true, 256: false, -1: false} {
		if got := role.Valid(); got != want {
			t.Errorf("Role(%d).Valid(): got %v, want %v", role, got, want)
		}
	}
}

func TestNewRoomID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := roomd.NewRoomID()
		if len(id) != 17 || id[0] != '#' || roomd.ValidateID("room id", id) != nil {
			t.Fatalf("NewRoomID: got %q, want # and 16 hex digits", id)
		}
		if seen[id] {
			t.Fatalf("NewRoomID: %q twice in 1000", id)
		}
		seen[id] = true
	}
}

func TestAppIsAdmin(t *testing.T) {
	app := &roomd.App{Admins: []string{"administrator", "ops"}}
	if !app.IsAdmin("ops") || app.IsAdmin("alice") || app.IsAdmin("") {
		t.Fatalf("IsAdmin: got ops=%v alice=%v empty=%v, want true false false", app.IsAdmin("ops"), app.IsAdmin("alice"), app.IsAdmin(""))
	}
}
