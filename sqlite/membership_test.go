package sqlite_test

import (
	"context"
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
	if err := db.Update(ctx, func(tx roomd.Tx) error {
		if err := sqlite.RawExec(tx, "DROP TABLE memberships"); err != nil {
			return err
		}
		return sqlite.RawExec(tx, "PRAGMA user_version = 2")
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, path, sqlite.Options{})
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
