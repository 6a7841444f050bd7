package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/sqlite"
)

// undoMutes takes a database back from schema 6 (0006_mutes.sql) to 5.
var undoMutes = []string{"DROP TABLE member_mutes", "DROP TABLE room_mutes",
	"ALTER TABLE rooms DROP COLUMN be_invited_mode", "ALTER TABLE rooms DROP COLUMN invite_mode", "ALTER TABLE rooms DROP COLUMN join_mode"}

// TestMutesMigration: rooms of a database made before 0006 read with the
// verification settings' defaults once migrated, and take mutes and modes.
func TestMutesMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roomd.db")
	ctx := context.Background()
	db := mustOpen(t, path, sqlite.Options{})
	admin := roomd.Actor{ID: "administrator", Admin: true}
	svc := roomd.NewService(db, nil, nil)
	if _, err := svc.RegisterUsers(ctx, 1, []roomd.User{{ID: "ann"}, {ID: "bob"}}, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.CreateRoom(ctx, admin, roomd.Room{AppID: 1, ID: "r", Owner: "ann"}, []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	db = reopenAt(t, db, path, 5, undoMutes...)
	svc = roomd.NewService(db, nil, nil)
	r, err := svc.Room(ctx, 1, "r")
	if err != nil || r.JoinMode != roomd.JoinAnyone || r.InviteMode != roomd.InviteAnyMember || r.BeInvitedMode != roomd.BeInvitedDirectly || r.MemberCount != 2 {
		t.Fatalf("migrated room: got %+v, %v; want the defaults and 2 members", r, err)
	}
	mode := roomd.JoinInvite
	if err := svc.UpdateRoom(ctx, admin, 1, "r", roomd.RoomUpdate{JoinMode: &mode}); err != nil {
		t.Fatal(err)
	}
	if items, err := svc.MuteMembers(ctx, admin, 1, "r", []string{"bob"}, time.Hour); err != nil || len(items) > 0 {
		t.Fatalf("MuteMembers: got %v, %v", items, err)
	}
	if r, _ := svc.Room(ctx, 1, "r"); r.JoinMode != roomd.JoinInvite {
		t.Fatalf("JoinMode after update: got %d, want 2", r.JoinMode)
	}
	if mutes, n, err := svc.MemberMutes(ctx, 1, "r", 0, 10); err != nil || n != 1 || mutes[0].UserID != "bob" {
		t.Fatalf("MemberMutes: got %v, %d, %v; want bob", mutes, n, err)
	}
}
