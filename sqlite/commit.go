package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/roomd/roomd"
)

// request is one queued Update.
type request struct {
	ctx   context.Context
	fn    func(roomd.Tx) error
	reply chan error
	err   error // fn's outcome, before COMMIT
}

// writer owns the write connection and commits queued requests in batches.
type writer struct {
	db    *DB
	conn  *sql.Conn
	stmts *stmtCache
	// cautious makes the next batch use a savepoint per update from the
	// start; it is set after a batch in which an update failed.
	cautious bool
	cache    *cache
}

func newWriter(db *DB, conn *sql.Conn) *writer {
	return &writer{db: db, conn: conn, stmts: newStmtCache(conn), cache: newCache()}
}

// run commits batches until the request queue is closed and drained.
func (w *writer) run() {
	defer close(w.db.done)
	max := w.db.opts.MaxBatch
	batch := make([]*request, 0, max)
	for first := range w.db.reqs {
		batch = append(batch[:0], first)
	drain:
		for len(batch) < max {
			select {
			case r, ok := <-w.db.reqs:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		w.commit(batch)
		clear(batch)
	}
}

// commit runs a batch in one transaction and replies to every request once
// the transaction is durable.
//
// It first runs the batch optimistically, without savepoints: most updates
// succeed, and two statements fewer per update is a large share of the
// writer's time. If any function fails, the transaction is rolled back and
// the whole batch runs again with a savepoint around each function, so that
// the failing ones leave no trace (Store.Update allows a function to run more
// than once). A batch that had failures makes the next one start with
// savepoints, so a stream of failing updates does not pay twice.
func (w *writer) commit(batch []*request) {
	live := batch[:0:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.reply <- err
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	if !w.cautious {
		done, err := w.runOptimistic(live)
		if err != nil {
			w.fail(live, err)
			return
		}
		if done {
			w.finish(live)
			return
		}
	}
	if err := w.runIsolated(live); err != nil {
		return
	}
	w.cautious = false
	for _, r := range live {
		if r.err != nil {
			w.cautious = true
		}
	}
	w.finish(live)
}

// runOptimistic runs every function of live in one transaction without
// savepoints. It returns done=false, with the transaction rolled back and
// every r.err cleared, when a function failed; err when the store failed.
func (w *writer) runOptimistic(live []*request) (done bool, err error) {
	bg := context.Background()
	if err := w.exec(bg, "BEGIN IMMEDIATE"); err != nil {
		return false, err
	}
	for _, r := range live {
		if r.err = w.call(r); r.err != nil {
			break
		}
	}
	failed := false
	for _, r := range live {
		failed = failed || r.err != nil
		r.err = nil
	}
	if !failed {
		return true, nil
	}
	if err := w.exec(bg, "ROLLBACK"); err != nil {
		w.cache.clear()
		return false, fmt.Errorf("roll back optimistic batch: %w", err)
	}
	w.cache.rollback(0)
	w.cautious = true
	return false, nil
}

// runIsolated runs every function of live in one transaction, each in its
// own savepoint. On a store failure it has already answered the batch and
// returns the error.
func (w *writer) runIsolated(live []*request) error {
	bg := context.Background()
	if err := w.exec(bg, "BEGIN IMMEDIATE"); err != nil {
		w.fail(live, err)
		return err
	}
	for i, r := range live {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			continue
		}
		if err := w.exec(bg, "SAVEPOINT u"); err != nil {
			w.abort(live, err)
			return err
		}
		mark := w.cache.mark()
		r.err = w.call(r)
		if r.err == nil {
			if err := w.exec(bg, "RELEASE u"); err != nil {
				w.abort(live, err)
				return err
			}
			continue
		}
		if err := w.exec(bg, "ROLLBACK TO u"); err != nil {
			err = fmt.Errorf("roll back update %d of batch: %w", i, err)
			w.abort(live, err)
			return err
		}
		w.cache.rollback(mark)
		if err := w.exec(bg, "RELEASE u"); err != nil {
			w.abort(live, err)
			return err
		}
	}
	return nil
}

// finish commits the open transaction and replies to the batch.
func (w *writer) finish(live []*request) {
	start := time.Now()
	err := w.exec(context.Background(), "COMMIT")
	took := time.Since(start)
	if err != nil {
		w.abort(live, fmt.Errorf("commit: %w", err))
		return
	}
	w.cache.commit()
	if w.db.opts.OnCommit != nil {
		w.db.opts.OnCommit(len(live), took)
	}
	for _, r := range live {
		r.reply <- r.err
	}
}

// call runs r.fn on the write connection, turning a panic into EINTERNAL.
func (w *writer) call(r *request) (err error) {
	defer func() {
		if p := recover(); p != nil {
			w.db.log.Error("sqlite: update function panicked", "panic", p, "stack", string(debug.Stack()))
			err = roomd.Internal(fmt.Errorf("update function panicked: %v", p))
		}
	}()
	return r.fn(&tx{q: w.stmts, c: w.cache})
}

// abort rolls the transaction back and fails the batch.
func (w *writer) abort(batch []*request, err error) {
	w.cache.clear() // whatever SQLite kept, the cache does not guess
	if rerr := w.exec(context.Background(), "ROLLBACK"); rerr != nil {
		w.db.log.Debug("sqlite: rollback after failed batch", "err", rerr)
	}
	w.fail(batch, err)
}

// fail replies EINTERNAL to every request of batch whose fn succeeded (or
// did not run); a request whose fn failed keeps its error, which stands
// whether or not the transaction commits.
func (w *writer) fail(batch []*request, err error) {
	w.db.log.Error("sqlite: group commit failed", "batch", len(batch), "err", err)
	for _, r := range batch {
		if r.err != nil {
			r.reply <- r.err
			continue
		}
		r.reply <- roomd.Internal(err)
	}
}

func (w *writer) exec(ctx context.Context, query string) error {
	_, err := w.stmts.ExecContext(ctx, query)
	return err
}

func (w *writer) close() error {
	return errors.Join(w.stmts.close(), w.conn.Close())
}

// stmtCache runs queries on one connection through statements prepared once
// and kept by SQL text. It is used by one goroutine at a time.
//
// Statements run to completion even if the caller's context ends meanwhile:
// the connection is shared by the whole batch, an interrupt must not land on
// it, and the driver would start a watcher goroutine per statement. A request
// whose context ends before its fn starts is not run at all.
type stmtCache struct {
	conn *sql.Conn
	m    map[string]*sql.Stmt
}

func newStmtCache(conn *sql.Conn) *stmtCache {
	return &stmtCache{conn: conn, m: map[string]*sql.Stmt{}}
}

func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := c.m[query]; ok {
		return s, nil
	}
	s, err := c.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.m[query] = s
	return s, nil
}

// ExecContext runs a prepared statement.
func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

// QueryContext runs a prepared query.
func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// QueryRowContext runs a prepared query for one row; a prepare error shows at Scan.
func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	s, err := c.stmt(ctx, query)
	if err != nil {
		// sql.Row cannot be built with an error; fall back to the connection,
		// which reports the same prepare error from Scan.
		return c.conn.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

func (c *stmtCache) close() error {
	var errs []error
	for _, s := range c.m {
		errs = append(errs, s.Close())
	}
	clear(c.m)
	return errors.Join(errs...)
}
