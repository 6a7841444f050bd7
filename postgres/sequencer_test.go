package postgres_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/postgres"
	"github.com/roomd/roomd/storetest"
)

// TestSequencerBacksOff: when numbering fails, the sequencer tries again
// at its next poll (every second), not in a busy loop; once the cause is
// gone, the events are numbered.
func TestSequencerBacksOff(t *testing.T) {
	dsn := freshSchema(t)
	mustMigrate(t, dsn)
	logs := &storetest.LockedBuffer{}
	db, err := postgres.Open(context.Background(), dsn, postgres.Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn := mustConnect(t, dsn)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, `ALTER TABLE events ADD CONSTRAINT unnumbered CHECK (pos IS NULL) NOT VALID`); err != nil {
		t.Fatal(err)
	}
	svc := roomd.NewService(db, nil, storetest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)).Now)
	if _, err := svc.RegisterUsers(ctx, 1, []roomd.User{{ID: "ann"}}, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.CreateRoom(ctx, roomd.Actor{Admin: true}, roomd.Room{AppID: 1, ID: "r1", Owner: "ann"}, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if n := strings.Count(logs.String(), "sequencer: number events"); n < 1 || n > 6 {
		t.Fatalf("numbering failures logged in 2 s: got %d, want 1 to 6 (one per poll)", n)
	}
	if _, err := conn.Exec(ctx, `ALTER TABLE events DROP CONSTRAINT unnumbered`); err != nil {
		t.Fatal(err)
	}
	mustNumbered(t, db, 1, "r1")
}
