package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/sqlite"
)

// TestHookBackfill: the events of a database made before positions get
// them when it is migrated, per app in the order they were written, and new
// events continue after them.
func TestHookBackfill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roomd.db")
	ctx := context.Background()
	db := mustOpen(t, path, sqlite.Options{})
	admin := roomd.Actor{ID: "administrator", Admin: true}
	svc := roomd.NewService(db, nil, nil)
	for _, app := range []uint32{1, 2} {
		if _, err := svc.RegisterUsers(ctx, app, []roomd.User{{ID: "ann"}, {ID: "bob"}}, false); err != nil {
			t.Fatal(err)
		}
	}
	for _, step := range []struct {
		app  uint32
		room string
	}{{1, "b"}, {2, "a"}, {1, "a"}, {1, "b"}} {
		if _, err := svc.AddMembers(ctx, admin, step.app, step.room, []roomd.MemberAdd{{UserID: "bob"}}); roomd.ErrorCode(err) == roomd.ENOROOM {
			_, _, err = svc.CreateRoom(ctx, admin, roomd.Room{AppID: step.app, ID: step.room, Owner: "ann"}, nil)
			if err != nil {
				t.Fatal(err)
			}
		} else if err != nil {
			t.Fatal(err)
		}
	}
	db = reopenAt(t, db, path, 3, undoHooks...)
	svc = roomd.NewService(db, nil, nil)
	if _, _, err := svc.CreateRoom(ctx, admin, roomd.Room{AppID: 1, ID: "c", Owner: "ann"}, nil); err != nil {
		t.Fatal(err)
	}
	type ref struct {
		room string
		seq  int64
	}
	want := map[uint32][]ref{
		1: {{"b", 1}, {"b", 2}, {"a", 1}, {"a", 2}, {"b", 3}, {"c", 1}, {"c", 2}},
		2: {{"a", 1}, {"a", 2}},
	}
	for app, refs := range want {
		events, err := svc.AppEvents(ctx, app, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var got []ref
		for i, e := range events {
			got = append(got, ref{e.RoomID, e.Seq})
			if e.Pos != int64(i+1) {
				t.Errorf("app %d event %d (%s/%d): got pos %d, want %d", app, i, e.RoomID, e.Seq, e.Pos, i+1)
			}
		}
		if len(got) != len(refs) {
			t.Fatalf("app %d: got events %v, want %v", app, got, refs)
		}
		for i := range refs {
			if got[i] != refs[i] {
				t.Errorf("app %d: got events %v, want %v", app, got, refs)
				break
			}
		}
	}
}
