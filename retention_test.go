package roomd

import (
	"context"
	"errors"
	"testing"
	"time"
)

// chunkStore is a Store whose CompactEvents deletes the counts it is given
// in turn (0 once they run out) and records its arguments.
type chunkStore struct {
	Store
	counts []int
	err    error // returned with the last count
	calls  []chunkCall
	onCall func() // called at each CompactEvents, when set
}

type chunkCall struct {
	r     Retention
	now   time.Time
	limit int
}

func (s *chunkStore) CompactEvents(_ context.Context, r Retention, now time.Time, limit int) (int, error) {
	s.calls = append(s.calls, chunkCall{r, now, limit})
	if s.onCall != nil {
		s.onCall()
	}
	if len(s.calls) > len(s.counts) {
		return 0, nil
	}
	if len(s.calls) == len(s.counts) {
		return s.counts[len(s.calls)-1], s.err
	}
	return s.counts[len(s.calls)-1], nil
}

func TestRetentionValidate(t *testing.T) {
	for _, c := range []struct {
		r    Retention
		want string
	}{
		{DefaultRetention, ""},
		{Retention{MaxAge: 0, MinEvents: 1}, ""},
		{Retention{MaxAge: -time.Nanosecond, MinEvents: 1}, EINVALID},
		{Retention{MaxAge: time.Hour, MinEvents: 0}, EINVALID},
	} {
		if got := ErrorCode(c.r.Validate()); got != c.want {
			t.Errorf("%+v.Validate(): got code %q, want %q", c.r, got, c.want)
		}
	}
	if DefaultRetention != (Retention{MaxAge: 7 * 24 * time.Hour, MinEvents: 10_000}) {
		t.Errorf("DefaultRetention: got %+v, want 7 days and 10,000 events", DefaultRetention)
	}
}

// TestCompactChunks: Compact asks for chunks of CompactChunk at one now
// until a chunk comes back short, and adds up what they deleted.
func TestCompactChunks(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	r := Retention{MaxAge: time.Hour, MinEvents: 3}
	for _, c := range []struct {
		name   string
		counts []int
		calls  int
		want   int
	}{
		{"Nothing", []int{0}, 1, 0},
		{"OneShort", []int{10}, 1, 10},
		{"Three", []int{CompactChunk, CompactChunk, 7}, 3, 2*CompactChunk + 7},
		{"ExactThenNothing", []int{CompactChunk, 0}, 2, CompactChunk},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := &chunkStore{counts: c.counts}
			clock := now
			svc := NewService(st, nil, func() time.Time { clock = clock.Add(time.Second); return clock })
			got, err := svc.Compact(context.Background(), r, 0)
			if err != nil || got != c.want {
				t.Fatalf("Compact: got %d, %v; want %d, nil", got, err, c.want)
			}
			if len(st.calls) != c.calls {
				t.Fatalf("CompactEvents calls: got %d, want %d", len(st.calls), c.calls)
			}
			for i, call := range st.calls {
				if call.r != r || call.limit != CompactChunk || !call.now.Equal(st.calls[0].now) {
					t.Fatalf("call %d: got %+v, want retention %+v, limit %d, the first call's now %v", i, call, r, CompactChunk, st.calls[0].now)
				}
			}
		})
	}
}

// TestCompactStops: Compact stops at a store error, at an invalid
// retention without calling the store, and when ctx ends during a pause.
func TestCompactStops(t *testing.T) {
	ctx := context.Background()
	r := Retention{MaxAge: time.Hour, MinEvents: 1}
	boom := Internal(errors.New("disk on fire"))
	st := &chunkStore{counts: []int{CompactChunk, 5}, err: boom}
	if got, err := NewService(st, nil, nil).Compact(ctx, r, 0); !errors.Is(err, boom) || got != CompactChunk+5 || len(st.calls) != 2 {
		t.Fatalf("store error: got %d, %v after %d calls; want %d, %v after 2", got, err, len(st.calls), CompactChunk+5, boom)
	}

	st = &chunkStore{counts: []int{CompactChunk}}
	if got, err := NewService(st, nil, nil).Compact(ctx, Retention{MaxAge: time.Hour}, 0); ErrorCode(err) != EINVALID || got != 0 || len(st.calls) != 0 {
		t.Fatalf("invalid retention: got %d, %v after %d calls; want 0, %s after none", got, err, len(st.calls), EINVALID)
	}

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st = &chunkStore{counts: []int{CompactChunk, CompactChunk, CompactChunk}}
	st.onCall = cancel // during the first chunk: the pause after it ends at once
	start := time.Now()
	got, err := NewService(st, nil, nil).Compact(cctx, r, time.Hour)
	if !errors.Is(err, context.Canceled) || got != CompactChunk || len(st.calls) != 1 {
		t.Fatalf("ended context: got %d, %v after %d calls; want %d, %v after 1", got, err, len(st.calls), CompactChunk, context.Canceled)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("ended context: Compact took %v, want it to stop pausing at once", took)
	}
}
