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
}

func newWriter(db *DB, conn *sql.Conn) *writer {
	return &writer{db: db, conn: conn, stmts: newStmtCache(conn)}
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

// commit runs a batch in one transaction, each request in its own savepoint,
// and replies to every request once the transaction is durable.
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
	bg := context.Background()
	if err := w.exec(bg, "BEGIN IMMEDIATE"); err != nil {
		w.fail(live, err)
		return
	}
	for i, r := range live {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			continue
		}
		if err := w.exec(bg, "SAVEPOINT u"); err != nil {
			w.abort(live, err)
			return
		}
		r.err = w.call(r)
		if r.err == nil {
			if err := w.exec(bg, "RELEASE u"); err != nil {
				w.abort(live, err)
				return
			}
			continue
		}
		if err := w.exec(bg, "ROLLBACK TO u"); err != nil {
			w.abort(live, fmt.Errorf("roll back update %d of batch: %w", i, err))
			return
		}
		if err := w.exec(bg, "RELEASE u"); err != nil {
			w.abort(live, err)
			return
		}
	}
	start := time.Now()
	err := w.exec(bg, "COMMIT")
	took := time.Since(start)
	if err != nil {
		w.abort(live, fmt.Errorf("commit: %w", err))
		return
	}
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
	return r.fn(&tx{q: w.stmts})
}

// abort rolls the transaction back and fails the batch.
func (w *writer) abort(batch []*request, err error) {
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
