package postgres

import (
	"context"
	"time"

	"github.com/roomd/roomd"
)

var _ roomd.Leaser = (*DB)(nil)

// dbNanos is the database's clock in Unix nanoseconds: every node's leases
// are timed by the one clock, whatever the nodes' own say.
const dbNanos = `(extract(epoch FROM clock_timestamp()) * 1e9)::bigint`

// Hold takes or renews the lease name for holder until ttl from now by
// the database's clock, in one statement committed on its own: the row is
// written if it is holder's or has expired, and the statement reports who
// holds it then.
func (db *DB) Hold(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if err := roomd.CheckLease(name, holder, ttl); err != nil {
		return false, err
	}
	if err := db.enter(ctx); err != nil {
		return false, err
	}
	defer db.active.Done()
	var held bool
	err := db.pool.QueryRow(ctx, `WITH taken AS (
			INSERT INTO leases AS l (name, holder, until) VALUES ($1, $2, `+dbNanos+` + $3)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
			WHERE l.holder = excluded.holder OR l.until < `+dbNanos+`
			RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM taken)`, name, holder, ttl.Nanoseconds()).Scan(&held)
	return held, wrap(err)
}

// Release deletes holder's lease on name, if it holds it.
func (db *DB) Release(ctx context.Context, name, holder string) error {
	if err := db.enter(ctx); err != nil {
		return err
	}
	defer db.active.Done()
	_, err := db.pool.Exec(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder)
	return wrap(err)
}
