package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/roomd/roomd"
)

// The event log's compaction: how often it runs, and the pause between two
// chunks of roomd.CompactChunk events. A chunk holds the writer about 5 ms
// (sqlite, 1,000 events), so the pause keeps compaction to a tenth of the
// writer's time while it works through a backlog.
const (
	compactEvery = time.Minute
	compactPause = 50 * time.Millisecond
)

// startRetention compacts the event log by r at once and then every minute,
// in chunks, until ctx ends or stop is called. stop waits for the
// compaction in progress to end; call it before closing the store.
func startRetention(ctx context.Context, svc *roomd.Service, r roomd.Retention, log *slog.Logger) (stop func()) {
	return compactLoop(ctx, svc, r, compactEvery, compactPause, log)
}

// compactLoop is startRetention with the period and the pause as parameters.
// It logs the events each pass deleted at Info when there were any, and a
// failed pass at Error; the next pass is still made.
func compactLoop(ctx context.Context, svc *roomd.Service, r roomd.Retention, every, pause time.Duration, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			start := time.Now()
			n, err := svc.Compact(ctx, r, pause)
			if n > 0 {
				log.Info("event log compacted", "deleted", n, "took", time.Since(start).Round(time.Millisecond),
					"max_age", r.MaxAge.String(), "min_events", r.MinEvents)
			}
			if err != nil && ctx.Err() == nil {
				log.Error("event log compaction failed", "deleted", n, "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
