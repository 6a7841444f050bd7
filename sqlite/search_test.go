package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/sqlite"
	"github.com/roomd/roomd/storetest"
)

// searchRooms is how many rooms BenchmarkSearchRooms pages through: the
// console must stay fast at 100,000.
const searchRooms = 100_000

// searchSetup makes searchRooms rooms of app 1, "room000000" and on, each
// owned by its one member, written straight through the Tx in large
// transactions.
func searchSetup(b *testing.B) *roomd.Service {
	b.Helper()
	ctx := context.Background()
	db := mustOpen(b, filepath.Join(b.TempDir(), "roomd.db"), sqlite.Options{})
	err := db.Update(ctx, func(tx roomd.Tx) error {
		return tx.PutUser(ctx, &roomd.User{AppID: 1, ID: "owner"})
	})
	for start := 0; err == nil && start < searchRooms; start += 10_000 {
		err = db.Update(ctx, func(tx roomd.Tx) error {
			for i := start; i < start+10_000; i++ {
				id := fmt.Sprintf("room%06d", i)
				if err := tx.InsertRoom(ctx, &roomd.Room{AppID: 1, ID: id, Owner: "owner"}); err != nil {
					return err
				}
				if err := tx.PutMember(ctx, &roomd.Member{AppID: 1, RoomID: id, UserID: "owner", Role: roomd.RoleOwner}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err != nil {
		b.Fatalf("making %d rooms: %v", searchRooms, err)
	}
	return roomd.NewService(db, nil, nil)
}

// BenchmarkSearchRooms reads a page of 100 rooms out of 100,000 by key
// and, to compare, by OFFSET (storetest.BenchSearchRooms).
func BenchmarkSearchRooms(b *testing.B) {
	storetest.BenchSearchRooms(b, searchSetup(b), searchRooms)
}
