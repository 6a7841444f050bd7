package main

import (
	"log/slog"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/postgres"
)

// limiter returns the call-rate limiter for a dialect of a node on store:
// with a PostgreSQL store, one whose buckets live in the database, so that
// the vendors' limits hold for the deployment as a whole however many
// nodes share it; with any other store nil, and the dialect limits in
// memory (wire.Limiters), as one node alone. See docs/limits.md.
func limiter(store roomd.Store, log *slog.Logger) roomd.Limiter {
	if db, ok := store.(*postgres.DB); ok {
		return db.Limiter(postgres.LimiterOptions{Logger: log})
	}
	return nil
}
