package tencent_test

import (
	"context"
	"maps"
	"strings"
	"testing"
)

func transfer(room, from, to string) map[string]string {
	return map[string]string{"RoomId": room, "From_Account": from, "NewOwner_Account": to}
}

// lastSeq returns the Seq of the room's last event.
func (e *env) lastSeq(tb testing.TB, room string) int64 {
	tb.Helper()
	events, err := e.svc.Events(context.Background(), appID, room, 0, 10000)
	if err != nil {
		tb.Fatalf("Events: %v", err)
	}
	if len(events) == 0 {
		return 0
	}
	return events[len(events)-1].Seq
}

func TestChangeRoomOwner(t *testing.T) {
	e := newEnv(t)
	e.room(t, "room-test", "user2", "user3", "user4")

	// The vendor's sample request.
	e.ok(t, "change_room_owner", transfer("room-test", "user2", "user4"), nil)
	want := map[string]string{"user2": "Member", "user3": "Member", "user4": "Owner"}
	if got := e.members(t, "room-test"); !maps.Equal(got, want) {
		t.Fatalf("after transfer: %v, want %v", got, want)
	}
	if owner := e.roomInfo(t, "room-test")["Owner_Account"]; owner != "user4" {
		t.Fatalf("Owner_Account = %v, want user4", owner)
	}
	seq := e.lastSeq(t, "room-test")

	t.Run("IdempotentRetry", func(t *testing.T) {
		// The same request again: From_Account is no longer the owner, but
		// NewOwner_Account already is, so it succeeds and changes nothing.
		e.ok(t, "change_room_owner", transfer("room-test", "user2", "user4"), nil)
		if got := e.members(t, "room-test"); !maps.Equal(got, want) {
			t.Fatalf("after retry: %v, want %v", got, want)
		}
		if got := e.lastSeq(t, "room-test"); got != seq {
			t.Fatalf("last event Seq %d after retry, want %d (no event)", got, seq)
		}
	})
	t.Run("FromNotOwner", func(t *testing.T) {
		e.want(t, 100006, "change_room_owner", transfer("room-test", "user3", "user2"))
	})
	t.Run("FromNotMember", func(t *testing.T) {
		e.want(t, 100006, "change_room_owner", transfer("room-test", "stranger", "user2"))
	})
	t.Run("NewOwnerNotMember", func(t *testing.T) {
		e.importAccounts(t, "outsider")
		e.want(t, 100005, "change_room_owner", transfer("room-test", "user4", "outsider"))
	})
	t.Run("NewOwnerNotImported", func(t *testing.T) {
		e.want(t, 100005, "change_room_owner", transfer("room-test", "user4", "ghost"))
	})
	t.Run("NoRoom", func(t *testing.T) {
		e.want(t, 100004, "change_room_owner", transfer("no-such-room", "user4", "user2"))
	})
	if got := e.members(t, "room-test"); !maps.Equal(got, want) {
		t.Fatalf("after refused transfers: %v, want %v", got, want)
	}
	t.Run("BackToFormerOwner", func(t *testing.T) {
		e.ok(t, "change_room_owner", transfer("room-test", "user4", "user2"), nil)
		want := map[string]string{"user2": "Owner", "user3": "Member", "user4": "Member"}
		if got := e.members(t, "room-test"); !maps.Equal(got, want) {
			t.Fatalf("after transfer back: %v, want %v", got, want)
		}
	})
	t.Run("AdminLosesNothingButOldOwnerIsMember", func(t *testing.T) {
		e.ok(t, "update_room_member_info", map[string]any{"RoomId": "room-test", "MemberInfo": map[string]any{"Member_Account": "user3", "Role": "Admin"}}, nil)
		e.ok(t, "change_room_owner", transfer("room-test", "user2", "user3"), nil)
		want := map[string]string{"user2": "Member", "user3": "Owner", "user4": "Member"}
		if got := e.members(t, "room-test"); !maps.Equal(got, want) {
			t.Fatalf("after transfer to an admin: %v, want %v", got, want)
		}
	})

	bad := map[string]any{
		"NoRoomId":           map[string]string{"From_Account": "user3", "NewOwner_Account": "user2"},
		"EmptyRoomId":        transfer("", "user3", "user2"),
		"RoomIdTooLong":      transfer(strings.Repeat("r", 65), "user3", "user2"),
		"RoomIdNUL":          transfer("room\x00", "user3", "user2"),
		"FromControlChar":    transfer("room-test", "user\n3", "user2"),
		"NewOwnerTooLong":    transfer("room-test", "user3", strings.Repeat("u", 65)),
		"NoFrom":             map[string]string{"RoomId": "room-test", "NewOwner_Account": "user2"},
		"EmptyFrom":          transfer("room-test", "", "user2"),
		"NoNewOwner":         map[string]string{"RoomId": "room-test", "From_Account": "user3"},
		"EmptyNewOwner":      transfer("room-test", "user3", ""),
		"NewOwnerNotString":  `{"RoomId": "room-test", "From_Account": "user3", "NewOwner_Account": 4}`,
		"FromNotString":      `{"RoomId": "room-test", "From_Account": ["user3"], "NewOwner_Account": "user2"}`,
		"RoomIdNotString":    `{"RoomId": 1, "From_Account": "user3", "NewOwner_Account": "user2"}`,
		"NewOwnerNullString": `{"RoomId": "room-test", "From_Account": "user3", "NewOwner_Account": null}`,
	}
	for name, body := range bad {
		t.Run(name, func(t *testing.T) { e.want(t, 100002, "change_room_owner", body) })
	}
	t.Run("InvalidJSON", func(t *testing.T) { e.want(t, 60003, "change_room_owner", `{"RoomId": "room-test",`) })
}
