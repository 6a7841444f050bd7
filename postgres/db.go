// Package postgres is a roomd.Store on PostgreSQL (pgx), which several roomd
// nodes may share.
//
// The schema comes from embedded, versioned migrations that Migrate applies
// under an advisory lock (`roomd migrate`); Open refuses a database whose
// schema is older or newer than this binary's. Times are stored as Unix
// nanoseconds in bigint columns, so they round-trip exactly.
//
// Each Update is one READ COMMITTED transaction on a pooled connection:
// every statement sees what committed before it started. Tx.Room locks the
// room's row (SELECT ... FOR UPDATE) until the transaction ends, so writers
// of one room take turns, and reads after it see the last writer's changes.
// A room's row also carries its seq, the seq of its last event, which
// AppendEvents moves; the row Room locks therefore has the current seq. An
// app's event positions come from its row in app_logs, moved by an upsert
// whose row lock lasts until commit: the next writer of the app waits for
// it, so positions follow commit order without gaps. An Update that hits a
// deadlock or a serialisation failure (SQLSTATE 40P01, 40001) is rolled back
// and run again, up to maxAttempts times with a short jittered pause; fn
// may thus run more than once, as roomd.Store allows. Updates are not
// grouped into one transaction as in the SQLite store: each commits on its
// own connection, and PostgreSQL flushes the WAL of concurrent commits
// together. Views are READ ONLY REPEATABLE READ transactions: one snapshot
// for all their reads.
//
// What READ COMMITTED does not give is the SQLite store's total order of
// Updates: two Updates that lock no common row (no common room, no common
// app log) interleave, each seeing what the other committed only from its
// next statement. The domain's writes go through the room they change, so
// this matters only for checks that span rooms, such as deleting a user
// while another Update adds them to a room they were not in.
//
// Signature nonces live in the shared nonces table, so a nonce claimed
// through any node is refused by every other while unexpired. A claim is a
// single INSERT ... ON CONFLICT DO UPDATE ... WHERE expired, committed on
// its own before UseNonce returns. There is no cap per app (rows are on
// disk, not in memory as in the SQLite store): UseNonce never returns
// ERATELIMIT. Every purgeEvery claims through a DB, the claiming app's
// expired rows are purged, at most purgeMax at a time.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/roomd/roomd"
)

// Options configures a DB.
type Options struct {
	// OnCommit, if set, is called after every committed Update with the
	// number of Update calls in its transaction (always 1) and the time
	// COMMIT took.
	OnCommit func(batch int, d time.Duration)
	Logger   *slog.Logger // nil = slog.Default()
	// MaxConns is the size of the connection pool; 0 keeps pgxpool's
	// (pool_max_conns in the DSN, else the greater of 4 and the CPUs).
	MaxConns int
	// Exclusive makes this DB the only one serving its schema: Open takes a
	// session advisory lock, held on a connection of its own until Close,
	// and fails with ErrInUse if another process holds it. roomd serve sets
	// it while several nodes on one database are not supported (their
	// gateways and callbacks would not see each other's changes).
	Exclusive bool
}

// ErrInUse is the cause of Open's error when Options.Exclusive is set and
// another DB holds the schema.
var ErrInUse = errors.New("postgres: the store is in use by another roomd")

// nodeLock is the session advisory lock of an exclusive DB, one per schema.
const nodeLock = `SELECT pg_try_advisory_lock(hashtext('roomd node ' || coalesce(current_schema(), '')))`

// ErrClosed is the cause of the EINTERNAL error Update and View return after Close.
var ErrClosed = errors.New("postgres: store is closed")

// maxAttempts bounds how many times Update runs a transaction that keeps
// hitting deadlocks or serialisation failures.
const maxAttempts = 20

// DB is a roomd.Store in a PostgreSQL database.
type DB struct {
	opts   Options
	log    *slog.Logger
	pool   *pgxpool.Pool
	mu     sync.RWMutex   // guards shut against the start of calls
	shut   bool           // set by Close
	active sync.WaitGroup // calls in progress
	once   sync.Once
	nonces nonceCounter
	lock   *pgxpool.Conn // holds the node lock of an exclusive DB
}

var _ roomd.Store = (*DB)(nil)

// Open connects to the database at dsn (a PostgreSQL URL or keyword/value
// string; its search_path, if set, chooses the schema) and checks that its
// schema is the one this binary knows: an older one is refused with an
// error that names the `roomd migrate` command to run, a newer one too.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", Redact(dsn), err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = int32(opts.MaxConns)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", Redact(dsn), err)
	}
	if err := checkSchema(ctx, pool, dsn); err != nil {
		pool.Close()
		return nil, err
	}
	db := &DB{opts: opts, log: opts.Logger, pool: pool}
	if opts.Exclusive {
		if err := db.takeNodeLock(ctx); err != nil {
			pool.Close()
			return nil, fmt.Errorf("postgres: %s: %w", Redact(dsn), err)
		}
	}
	return db, nil
}

// takeNodeLock takes the node lock on a connection kept for it.
func (db *DB) takeNodeLock(ctx context.Context) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	var ok bool
	if err := conn.QueryRow(ctx, nodeLock).Scan(&ok); err != nil {
		conn.Release()
		return err
	}
	if !ok {
		conn.Release()
		return fmt.Errorf("%w (one node per database until several are supported); stop it first, or give this one another database or schema", ErrInUse)
	}
	db.lock = conn
	return nil
}

// enter registers a call, which must call db.active.Done when it ends. It
// fails after Close, and with ctx.Err() when ctx is done.
func (db *DB) enter(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.shut {
		return roomd.Internal(ErrClosed)
	}
	db.active.Add(1)
	return nil
}

// Close waits for the calls in progress and closes the pool. Later calls
// return nil.
func (db *DB) Close() error {
	db.once.Do(func() {
		db.mu.Lock()
		db.shut = true
		db.mu.Unlock()
		db.active.Wait()
		if db.lock != nil {
			db.lock.Release() // the session lock goes with its connection
		}
		db.pool.Close()
	})
	return nil
}

// Update runs fn in a READ COMMITTED transaction and returns once it has
// committed, or fn's error. A transaction that hits a deadlock or a
// serialisation failure runs again, fn included. A call whose ctx is done
// before fn starts returns ctx.Err(); after Close it returns EINTERNAL.
func (db *DB) Update(ctx context.Context, fn func(roomd.Tx) error) error {
	if err := db.enter(ctx); err != nil {
		return err
	}
	defer db.active.Done()
	for attempt := 1; ; attempt++ {
		err := db.attempt(ctx, fn)
		var retry *retryError
		if !errors.As(err, &retry) {
			return err
		}
		if attempt == maxAttempts {
			return roomd.Internal(fmt.Errorf("postgres: gave up after %d attempts: %w", attempt, retry.err))
		}
		// A pause of up to 1, 2, 4... 64 ms lets the other transaction finish.
		pause := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 6)))
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// retryError is what attempt returns when its transaction hit a deadlock
// or a serialisation failure and is worth running again.
type retryError struct{ err error }

func (e *retryError) Error() string { return "postgres: transaction conflict: " + e.err.Error() }

// conflict reports whether err is a deadlock, a serialisation failure or
// a deletion of a user met by a membership added side by side.
func conflict(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	// members_user fails a deletion of a user that a membership committed
	// meanwhile refers to (migrations/0002_members_user.sql): run again,
	// the deletion sees and removes it.
	return pe.Code == "40001" || pe.Code == "40P01" || (pe.Code == "23503" && pe.ConstraintName == "members_user")
}

// attempt runs fn once in a transaction and commits it. A panic in fn
// rolls the transaction back and is returned as EINTERNAL.
func (db *DB) attempt(ctx context.Context, fn func(roomd.Tx) error) (err error) {
	pt, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return wrap(err)
	}
	t := &tx{pg: pt, write: true}
	defer func() {
		if p := recover(); p != nil {
			err = roomd.Internal(fmt.Errorf("postgres: update function panicked: %v", p))
		}
		if err != nil {
			if rerr := pt.Rollback(context.WithoutCancel(ctx)); rerr != nil && !errors.Is(rerr, pgx.ErrTxClosed) {
				db.log.Warn("postgres: roll back", "err", rerr)
			}
		}
	}()
	err = fn(t)
	if t.conflict != nil { // whatever fn made of it, the transaction is lost
		return &retryError{t.conflict}
	}
	if err != nil {
		return err
	}
	start := time.Now()
	// The commit is not abandoned halfway: fn's effects are complete or none.
	if err := pt.Commit(context.WithoutCancel(ctx)); err != nil {
		if conflict(err) {
			return &retryError{err}
		}
		return wrap(err)
	}
	if db.opts.OnCommit != nil {
		db.opts.OnCommit(1, time.Since(start))
	}
	return nil
}

// View runs fn in a read-only REPEATABLE READ transaction: its reads see
// one snapshot of the database.
func (db *DB) View(ctx context.Context, fn func(roomd.Tx) error) error {
	if err := db.enter(ctx); err != nil {
		return err
	}
	defer db.active.Done()
	pt, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return wrap(err)
	}
	defer func() { _ = pt.Rollback(context.WithoutCancel(ctx)) }()
	if err := fn(&tx{pg: pt}); err != nil {
		return err
	}
	return wrap(pt.Commit(ctx))
}

// SchemaVersion returns the schema version of the database.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	return schemaVersion(ctx, db.pool)
}
