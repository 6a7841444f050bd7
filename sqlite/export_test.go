package sqlite

import (
	"context"
	"fmt"

	"github.com/roomd/roomd"
)

// QueueLen returns the number of Updates waiting for the writer.
func QueueLen(db *DB) int { return len(db.reqs) }

// RawExec runs a statement on the connection of tx, bypassing the Tx methods.
func RawExec(t roomd.Tx, query string) error {
	_, err := t.(*tx).q.ExecContext(context.Background(), query)
	return err
}

// Pragmas returns the values of the named pragmas on the writer's connection
// and on every connection of the read pool (all held at once, so each is a
// distinct connection).
func Pragmas(db *DB, names ...string) (writer map[string]string, readers []map[string]string, err error) {
	read := func(q querier) (map[string]string, error) {
		out := map[string]string{}
		for _, n := range names {
			var v string
			if err := q.QueryRowContext(context.Background(), "PRAGMA "+n).Scan(&v); err != nil {
				return nil, fmt.Errorf("PRAGMA %s: %w", n, err)
			}
			out[n] = v
		}
		return out, nil
	}
	err = db.Update(context.Background(), func(t roomd.Tx) error {
		var err error
		writer, err = read(t.(*tx).q)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	// Take every reader at once, so that each is a distinct connection.
	var held []*reader
	defer func() {
		for _, r := range held {
			db.readers <- r
		}
	}()
	for range db.nread {
		r := <-db.readers
		held = append(held, r)
		m, err := read(r.stmts)
		if err != nil {
			return nil, nil, err
		}
		readers = append(readers, m)
	}
	return writer, readers, nil
}

// NonceRows returns the number of rows in the nonces table.
func NonceRows(db *DB) (int, error) {
	var n int
	err := db.View(context.Background(), func(t roomd.Tx) error {
		return t.(*tx).q.QueryRowContext(context.Background(), "SELECT count(*) FROM nonces").Scan(&n)
	})
	return n, err
}
