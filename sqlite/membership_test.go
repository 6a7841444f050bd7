package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/sqlite"
)

// TestMembershipsBackfill: a database made before the memberships table
// gets one period per current member, from the member.joined that added
// them, when it is migrated.
func TestMembershipsBackfill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roomd.db")
	ctx := context.Background()
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc := roomd.NewService(db, nil, nil)
	admin := roomd.Actor{ID: "administrator", Admin: true}
	if _, err := svc.RegisterUsers(ctx, 1, []roomd.User{{ID: "ann"}, {ID: "bob"}}, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.CreateRoom(ctx, admin, roomd.Room{AppID: 1, ID: "r1", Owner: "ann"}, []string{"bob"}); err != nil { // 1-3
		t.Fatal(err)
	}
	if _, err := svc.RemoveMembers(ctx, admin, 1, "r1", []string{"bob"}, ""); err != nil { // 4
		t.Fatal(err)
	}
	if _, err := svc.AddMembers(ctx, admin, 1, "r1", []roomd.MemberAdd{{UserID: "bob"}}); err != nil { // 5
		t.Fatal(err)
	}
	// Back to the schema before memberships.
	db = reopenAt(t, db, path, 2, append([]string{"DROP TABLE memberships"}, undoHooks...)...)
	for user, want := range map[string][]roomd.Membership{"ann": {{From: 2}}, "bob": {{From: 5}}} {
		var got []roomd.Membership
		if err := db.View(ctx, func(tx roomd.Tx) error {
			var err error
			got, err = tx.Memberships(ctx, 1, "r1", user)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s after the migration: got %v, want %v", user, got, want)
		}
	}
}

// undoHooks takes a database back from the latest schema to 3: the undos of
// the later migrations first, then 4's.
var undoHooks = append(append(append([]string{}, undoMutes...), undoSeats...), "DROP TABLE hook_cursors", "DROP INDEX events_pos", "ALTER TABLE events DROP COLUMN pos")

// reopenAt runs the statements undo on db, which take its schema back to
// version, closes it and opens path again, which migrates it.
func reopenAt(tb testing.TB, db *sqlite.DB, path string, version int, undo ...string) *sqlite.DB {
	tb.Helper()
	if err := db.Update(context.Background(), func(tx roomd.Tx) error {
		for _, q := range append(undo, fmt.Sprintf("PRAGMA user_version = %d", version)) {
			if err := sqlite.RawExec(tx, q); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
	return mustOpen(tb, path, sqlite.Options{})
}
