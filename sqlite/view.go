package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/roomd/roomd"
)

// reader is one read-only connection with its prepared statements.
type reader struct {
	conn  *sql.Conn
	stmts *stmtCache
}

// openReaders opens the read pool: n read-only connections held for the
// life of the DB, each with its own statement cache.
func (db *DB) openReaders(ctx context.Context, n int) error {
	db.rdb.SetMaxOpenConns(n)
	db.rdb.SetMaxIdleConns(n)
	db.rdb.SetConnMaxLifetime(0)
	db.readers = make(chan *reader, n)
	for range n {
		conn, err := db.rdb.Conn(ctx)
		if err != nil {
			return err
		}
		db.readers <- &reader{conn: conn, stmts: newStmtCache(conn)}
		db.nread++
	}
	return nil
}

// closeReaders closes the read pool; no View may be running.
func (db *DB) closeReaders() error {
	var errs []error
	for ; db.nread > 0; db.nread-- {
		r := <-db.readers
		errs = append(errs, r.stmts.close(), r.conn.Close())
	}
	return errors.Join(errs...)
}

// View runs fn in a read-only transaction (BEGIN ... COMMIT on one read
// connection) that sees a consistent snapshot. It waits for a free read
// connection or for ctx to end.
func (db *DB) View(ctx context.Context, fn func(roomd.Tx) error) (err error) {
	db.mu.RLock()
	if db.shut {
		db.mu.RUnlock()
		return roomd.Internal(ErrClosed)
	}
	db.views.Add(1)
	db.mu.RUnlock()
	defer db.views.Done()
	var r *reader
	select {
	case r = <-db.readers:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { db.readers <- r }()
	if err := ctx.Err(); err != nil {
		return err
	}
	bg := context.Background()
	if _, err := r.stmts.ExecContext(bg, "BEGIN"); err != nil {
		return roomd.Internal(err)
	}
	committed := false
	defer func() {
		if !committed {
			if _, rerr := r.stmts.ExecContext(bg, "ROLLBACK"); rerr != nil {
				db.log.Error("sqlite: roll back view", "err", rerr)
			}
		}
	}()
	if err := fn(&tx{q: r.stmts}); err != nil {
		return err
	}
	if _, err := r.stmts.ExecContext(bg, "COMMIT"); err != nil {
		return roomd.Internal(err)
	}
	committed = true
	return nil
}
