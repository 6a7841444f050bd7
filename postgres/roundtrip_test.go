package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/storetest"
)

// TestTransferRoundTrips: a transfer of ownership is one transaction of
// two round trips, whether the operator is the app's administrator
// (Tencent) or the owner (ZEGO's FromUserId). A refusal is two as well
// (the read, then ROLLBACK); a read is one per statement plus COMMIT.
func TestTransferRoundTrips(t *testing.T) {
	db := MustOpenStore(t)
	ctx := context.Background()
	clock := storetest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC))
	svc := roomd.NewService(db, nil, clock.Now)
	if _, err := svc.RegisterUsers(ctx, 1, []roomd.User{{ID: "ann"}, {ID: "bob"}}, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.CreateRoom(ctx, roomd.Actor{Admin: true}, roomd.Room{AppID: 1, ID: "r1", Owner: "ann"}, []string{"bob"}); err != nil {
		t.Fatal(err)
	}
	trips := func(what string, want uint64, do func() error) {
		t.Helper()
		before := db.RoundTrips()
		if err := do(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := db.RoundTrips() - before; got != want {
			t.Errorf("%s: got %d round trips, want %d", what, got, want)
		}
	}
	trips("transfer by the administrator", 2, func() error {
		return svc.TransferOwner(ctx, roomd.Actor{Admin: true}, 1, "r1", "bob", "ann")
	})
	trips("transfer by the owner", 2, func() error {
		return svc.TransferOwner(ctx, roomd.Actor{ID: "bob"}, 1, "r1", "ann", "")
	})
	trips("refused transfer to a non-member", 2, func() error {
		if err := svc.TransferOwner(ctx, roomd.Actor{Admin: true}, 1, "r1", "zed", ""); roomd.ErrorCode(err) != roomd.ENOTMEMBER {
			t.Fatalf("transfer to a non-member: got %v, want ENOTMEMBER", err)
		}
		return nil
	})
	trips("room read (the room, its member count)", 3, func() error {
		_, err := svc.Room(ctx, 1, "r1")
		return err
	})
}
