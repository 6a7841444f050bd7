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
// of one room take turns, whichever node they run on, and reads after it
// see the last writer's changes. A room's row also carries its seq, the
// seq of its last event, which AppendEvents moves; the row Room locks
// therefore has the current seq. Statements are pipelined (see tx): a
// transfer of ownership is two round trips. An app's event positions are
// given after commit by the sequencer (sequencer.go), so that no writer
// holds an app-wide lock through its commit; Follow hands every node the
// events of all (follow.go). An Update that hits a deadlock or a
// serialisation failure (SQLSTATE 40P01, 40001) is rolled back and run
// again, up to maxAttempts times with a short jittered pause; fn may thus
// run more than once, as roomd.Store allows. Updates are not grouped into
// one transaction as in the SQLite store: each commits on its own
// connection, and PostgreSQL flushes the WAL of concurrent commits
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
	"sync/atomic"
	"time"

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
}

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
	trips  atomic.Uint64 // round trips of Update and View (RoundTrips)
	// seqTrips are the round trips of the sequencer and the follower
	// (BackgroundRoundTrips).
	seqTrips atomic.Uint64
	seq      *sequencer
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
	db.seq = newSequencer(db)
	go db.seq.run()
	return db, nil
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
		db.seq.close()
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
	t, err := db.begin(ctx, true)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			err = roomd.Internal(fmt.Errorf("postgres: update function panicked: %v", p))
		}
		db.end(ctx, t)
	}()
	err = fn(t)
	if t.conflict != nil { // whatever fn made of it, the transaction is lost
		return &retryError{t.conflict}
	}
	if err != nil || !t.begun && len(t.queue) == 1 { // an error, or nothing but BEGIN to send
		return err
	}
	start := time.Now()
	// The commit is not abandoned halfway: fn's effects are complete or none.
	if err := t.commit(context.WithoutCancel(ctx)); err != nil {
		if t.conflict != nil {
			return &retryError{t.conflict}
		}
		return err
	}
	if db.opts.OnCommit != nil {
		db.opts.OnCommit(1, time.Since(start))
	}
	db.seq.written(t.apps)
	return nil
}

// begin returns a transaction on a pooled connection, its BEGIN queued to
// go with its first statement: READ COMMITTED for an Update (write),
// READ ONLY REPEATABLE READ for a View.
func (db *DB) begin(ctx context.Context, write bool) (*tx, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, wrap(err)
	}
	t := &tx{conn: conn, write: write, trips: &db.trips}
	if background(ctx) {
		t.trips = &db.seqTrips
	}
	if write {
		t.later(`BEGIN ISOLATION LEVEL READ COMMITTED`)
	} else {
		t.later(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`)
	}
	return t, nil
}

// backgroundKey marks the contexts of the sequencer and the follower,
// whose round trips BackgroundRoundTrips counts.
type backgroundKey struct{}

// inBackground returns ctx marked as background work.
func inBackground(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

// background reports whether ctx is marked as background work.
func background(ctx context.Context) bool { return ctx.Value(backgroundKey{}) != nil }

// commit sends the queued statements with COMMIT.
func (t *tx) commit(ctx context.Context) error {
	t.later(`COMMIT`)
	if err := t.flush(ctx); err != nil {
		return err
	}
	t.begun = false
	return nil
}

// end rolls back t's transaction if it is still open and gives its
// connection back to the pool (which closes a connection left in a
// transaction rather than reuse it).
func (db *DB) end(ctx context.Context, t *tx) {
	if t.begun {
		t.trips.Add(1)
		if _, err := t.conn.Exec(context.WithoutCancel(ctx), `ROLLBACK`); err != nil {
			db.log.Warn("postgres: roll back", "err", err)
		}
	}
	t.conn.Release()
}

// View runs fn in a read-only REPEATABLE READ transaction: its reads see
// one snapshot of the database.
func (db *DB) View(ctx context.Context, fn func(roomd.Tx) error) error {
	if err := db.enter(ctx); err != nil {
		return err
	}
	defer db.active.Done()
	t, err := db.begin(ctx, false)
	if err != nil {
		return err
	}
	defer db.end(ctx, t)
	if err := fn(t); err != nil || !t.begun {
		return err
	}
	return t.commit(ctx)
}

// RoundTrips returns how many round trips to the database Update and View
// have made: a transaction sends its statements in batches (see tx), and
// this counts batches. It does not count the statements pgx prepares the
// first time a connection meets them, nor the pool's own.
func (db *DB) RoundTrips() uint64 { return db.trips.Load() }

// BackgroundRoundTrips is RoundTrips for the work done off the request
// path: numbering events after commit (sequencer) and following them.
func (db *DB) BackgroundRoundTrips() uint64 { return db.seqTrips.Load() }

// SchemaVersion returns the schema version of the database.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	return schemaVersion(ctx, db.pool)
}
