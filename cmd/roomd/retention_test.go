package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/sqlite"
)

// TestRetentionConfig: an absent retention section or key gives the default,
// a present one its value.
func TestRetentionConfig(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, config string
		want         roomd.Retention
	}{
		{"Absent", "listen: 127.0.0.1:0\n", roomd.DefaultRetention},
		{"Empty", "retention:\n", roomd.DefaultRetention},
		{"Both", "retention:\n  max_age: 36h\n  min_events: 50\n", roomd.Retention{MaxAge: 36 * time.Hour, MinEvents: 50}},
		{"AgeZero", "retention:\n  max_age: 0s\n", roomd.Retention{MaxAge: 0, MinEvents: 10_000}},
		{"OnlyMin", "retention:\n  min_events: 1\n", roomd.Retention{MaxAge: 7 * 24 * time.Hour, MinEvents: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name+".yaml")
			if err := os.WriteFile(path, []byte(c.config), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := loadConfig(path)
			if err != nil {
				t.Fatalf("loadConfig: got error %v, want nil", err)
			}
			if _, _, err := cfg.check(); err != nil {
				t.Fatalf("check: got error %v, want nil", err)
			}
			if got := cfg.Retention.policy(); got != c.want {
				t.Fatalf("retention: got %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestRetentionLoop: the loop compacts at once, again at each period, logs
// what it deleted, and does nothing more once stopped.
func TestRetentionLoop(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "roomd.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("Open: got error %v, want nil", err)
	}
	defer db.Close()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := base
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	setClock := func(t time.Time) {
		mu.Lock()
		defer mu.Unlock()
		now = t
	}
	seq := int64(0)
	write := func(n int) { // n events in room r1, at the clock's time
		evs := make([]roomd.Event, n)
		for i := range evs {
			seq++
			evs[i] = roomd.Event{AppID: 1, RoomID: "r1", Seq: seq, Type: roomd.EventRoomUpdated, Payload: json.RawMessage(`{"owner":"ann"}`), Time: clock()}
		}
		if err := db.Update(ctx, func(tx roomd.Tx) error { return tx.AppendEvents(ctx, evs) }); err != nil {
			t.Fatalf("AppendEvents: got error %v, want nil", err)
		}
	}
	count := func() int {
		var evs []roomd.Event
		err := db.View(ctx, func(tx roomd.Tx) error {
			var err error
			evs, err = tx.Events(ctx, 1, "r1", 0, 100_000)
			return err
		})
		if err != nil {
			t.Fatalf("Events: got error %v, want nil", err)
		}
		return len(evs)
	}

	svc := roomd.NewService(db, nil, clock)
	r := roomd.Retention{MaxAge: time.Hour, MinEvents: 2}
	write(2500) // more than two chunks
	setClock(base.Add(2 * time.Hour))
	recs := make(chan slog.Record, 100)
	log := slog.New(chanHandler(recs))
	stop := compactLoop(ctx, svc, r, 50*time.Millisecond, time.Millisecond, log)
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()

	wantRecord(t, "first pass", recs, slog.LevelInfo, "event log compacted", 2498)
	if got := count(); got != 2 {
		t.Fatalf("events after the first pass: got %d, want 2", got)
	}
	write(10) // young at first: the passes keep them until the clock moves
	setClock(base.Add(4 * time.Hour))
	// A pass may run between the write and the clock's move (it deletes the
	// two old events then, and the rest later): the passes delete 10 in all.
	wantDeletedInAll(t, "later passes", recs, 10)
	stop()
	stopped = true
	write(5)
	setClock(base.Add(6 * time.Hour))
	time.Sleep(200 * time.Millisecond) // four periods
	if got := count(); got != 7 {
		t.Fatalf("events after stop: got %d, want 7 (none deleted once stopped)", got)
	}
	select {
	case rec := <-recs:
		t.Fatalf("after the passes: got log record %q, want none", rec.Message)
	default:
	}
}

// wantRecord fails the test unless the next record in recs, within 10s, has
// level and msg and an attribute deleted of value deleted.
func wantRecord(t *testing.T, what string, recs <-chan slog.Record, level slog.Level, msg string, deleted int64) {
	t.Helper()
	select {
	case rec := <-recs:
		got := deletedAttr(rec)
		if rec.Level != level || rec.Message != msg || got != deleted {
			t.Fatalf("%s: got record %v %q deleted=%d, want %v %q deleted=%d", what, rec.Level, rec.Message, got, level, msg, deleted)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: got no log record in 10s, want %q", what, msg)
	}
}

// deletedAttr returns the record's "deleted" attribute, or -1.
func deletedAttr(rec slog.Record) int64 {
	got := int64(-1)
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == "deleted" {
			got = a.Value.Int64()
		}
		return true
	})
	return got
}

// wantDeletedInAll reads "event log compacted" records until their deleted
// counts add up to want, failing if they pass it or none comes for 10 s.
func wantDeletedInAll(t *testing.T, what string, recs <-chan slog.Record, want int64) {
	t.Helper()
	var sum int64
	for sum < want {
		select {
		case rec := <-recs:
			got := deletedAttr(rec)
			if rec.Level != slog.LevelInfo || rec.Message != "event log compacted" || got < 1 {
				t.Fatalf("%s: got record %v %q deleted=%d, want Info \"event log compacted\"", what, rec.Level, rec.Message, got)
			}
			sum += got
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: %d deleted after 10s, want %d", what, sum, want)
		}
	}
	if sum != want {
		t.Fatalf("%s: got %d deleted in all, want %d", what, sum, want)
	}
}

// chanHandler is a slog.Handler that sends every record to a channel.
type chanHandler chan<- slog.Record

func (h chanHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h chanHandler) Handle(_ context.Context, r slog.Record) error {
	h <- r.Clone()
	return nil
}

func (h chanHandler) WithAttrs([]slog.Attr) slog.Handler { return h }

func (h chanHandler) WithGroup(string) slog.Handler { return h }
