package postgres

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/roomd/roomd"
)

// Every purgeEvery claims through a DB, UseNonce deletes up to purgeMax
// expired nonces of the claiming app: at any rate of claims the purges
// delete more rows than the claims add.
const (
	purgeEvery = 1000
	purgeMax   = 10 * purgeEvery
)

// nonceCounter counts the claims made through a DB, to purge now and then.
type nonceCounter struct{ n atomic.Uint64 }

// claimNonce claims a nonce unless an unexpired claim holds it: an expired
// row is taken over. It returns no row when the nonce is taken.
const claimNonce = `INSERT INTO nonces AS n (app, nonce, expires) VALUES ($1, $2, $4)
	ON CONFLICT (app, nonce) DO UPDATE SET expires = excluded.expires WHERE n.expires < $3
	RETURNING 1`

// purgeNonces deletes up to $3 nonces of app $1 expired at $2.
const purgeNonces = `DELETE FROM nonces WHERE ctid = ANY (ARRAY(
	SELECT ctid FROM nonces WHERE app = $1 AND expires < $2 LIMIT $3))`

// UseNonce claims nonce for app until expires; see roomd.Store. The claim is
// one statement committed on its own, seen at once by every node sharing
// the database, and durable when UseNonce returns: wait returns nil. A
// nonce is held until its expiry included and may be claimed again after.
// There is no cap per app, so ERATELIMIT is never returned.
func (db *DB) UseNonce(ctx context.Context, app uint32, nonce string, now, expires time.Time) (wait func() error, err error) {
	if err := db.enter(ctx); err != nil {
		return nil, err
	}
	defer db.active.Done()
	var one int
	err = db.pool.QueryRow(ctx, claimNonce, app, []byte(nonce), nanos(now), nanos(expires)).Scan(&one)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, roomd.Errorf(roomd.EEXISTS, "signature nonce was already used")
	case err != nil:
		return nil, wrap(err)
	}
	if db.nonces.n.Add(1)%purgeEvery == 0 {
		if _, err := db.pool.Exec(ctx, purgeNonces, app, nanos(now), purgeMax); err != nil {
			db.log.Warn("postgres: purge expired nonces", "app", app, "err", err)
		}
	}
	return func() error { return nil }, nil
}
