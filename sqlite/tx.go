package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/roomd/roomd"
)

// querier is what a transaction runs statements on: the writer's statement
// cache or a reader's *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tx is a roomd.Tx over a querier.
type tx struct {
	q querier
	c *cache // the writer's cache (cache.go); nil in a View
}

var _ roomd.Tx = (*tx)(nil)

// exec runs a statement and returns the number of rows it changed.
func (t *tx) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := t.q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, wrap(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrap(err)
	}
	return n, nil
}

// count runs a query returning one integer.
func (t *tx) count(ctx context.Context, query string, args ...any) (int, error) {
	var n int
	if err := t.q.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, wrap(err)
	}
	return n, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// list runs query and scans each row with scan.
func list[T any](ctx context.Context, t *tx, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := t.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, wrap(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	return out, nil
}

// one scans the single row of query with scan; it returns (zero, false) when
// there is no row.
func one[T any](ctx context.Context, t *tx, scan func(scanner) (T, error), query string, args ...any) (T, bool, error) {
	v, err := scan(t.q.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		var zero T
		return zero, false, nil
	}
	if err != nil {
		var zero T
		return zero, false, wrap(err)
	}
	return v, true, nil
}

// wrap turns a driver error into EINTERNAL, keeping context errors and
// domain errors as they are.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	var e *roomd.Error
	if errors.As(err, &e) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return roomd.Internal(err)
}

// page normalises offset and limit for LIMIT ? OFFSET ?: a negative limit
// means no limit.
func page(offset, limit int) (int, int) {
	return max(offset, 0), limit
}

// nanos encodes a time as Unix nanoseconds, the zero time as 0.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos decodes nanos.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// toJSON encodes v as JSON text.
func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", roomd.Internal(err)
	}
	return string(b), nil
}

// fromJSON decodes JSON text into v.
func fromJSON(s string, v any) error {
	if s == "" {
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}
