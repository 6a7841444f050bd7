package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/roomd/roomd"
)

// tx is a roomd.Tx over one PostgreSQL transaction.
type tx struct {
	pg pgx.Tx
	// write is set in Update: Room locks the rooms it reads.
	write bool
	// conflict is the first deadlock or serialisation failure a statement
	// hit: the transaction is lost, and Update runs it again.
	conflict error
}

var _ roomd.Tx = (*tx)(nil)

// fail records err if it is a conflict and returns it as wrap does.
func (t *tx) fail(err error) error {
	if err == nil {
		return nil
	}
	if t.conflict == nil && conflict(err) {
		t.conflict = err
	}
	return wrap(err)
}

// exec runs a statement and returns the number of rows it touched.
func (t *tx) exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := t.pg.Exec(ctx, sql, args...)
	if err != nil {
		return 0, t.fail(err)
	}
	return tag.RowsAffected(), nil
}

// all runs a query and collects every row with scan; no row is a nil slice.
func all[T any](ctx context.Context, t *tx, scan pgx.RowToFunc[T], sql string, args ...any) ([]T, error) {
	rows, _ := t.pg.Query(ctx, sql, args...) // an error comes out of CollectRows
	out, err := pgx.CollectRows(rows, scan)
	if err != nil || len(out) == 0 {
		return nil, t.fail(err)
	}
	return out, nil
}

// first runs a query and scans its first row with scan; found is false
// when it returns none.
func first[T any](ctx context.Context, t *tx, scan pgx.RowToFunc[T], sql string, args ...any) (v T, found bool, err error) {
	rows, _ := t.pg.Query(ctx, sql, args...)
	v, err = pgx.CollectOneRow(rows, scan)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, false, nil
	}
	if err != nil {
		return v, false, t.fail(err)
	}
	return v, true, nil
}

// value runs a query returning one value.
func value[T any](ctx context.Context, t *tx, sql string, args ...any) (T, error) {
	v, _, err := first(ctx, t, pgx.RowTo[T], sql, args...)
	return v, err
}

// wrap turns a driver error into EINTERNAL, keeping domain errors and
// context errors as they are.
func wrap(err error) error {
	var e *roomd.Error
	if err == nil || errors.As(err, &e) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return roomd.Internal(err)
}

// limitArg is a LIMIT argument: a negative limit means none (NULL).
func limitArg(limit int) *int64 {
	if limit < 0 {
		return nil
	}
	n := int64(limit)
	return &n
}

// nanos returns a time as Unix nanoseconds, the zero time as 0.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// ns is a time argument stored as a bigint of nanos.
type ns time.Time

// Int64Value encodes the time (pgtype.Int64Valuer).
func (n ns) Int64Value() (pgtype.Int8, error) {
	return pgtype.Int8{Int64: nanos(time.Time(n)), Valid: true}, nil
}

// nsInto scans a bigint of Unix nanoseconds into a time.
type nsInto struct{ t *time.Time }

// ScanInt64 decodes the time (pgtype.Int64Scanner); 0 is the zero time.
func (n nsInto) ScanInt64(v pgtype.Int8) error {
	*n.t = time.Time{}
	if v.Valid && v.Int64 != 0 {
		*n.t = time.Unix(0, v.Int64).UTC()
	}
	return nil
}

// jsonText is a value stored as JSON text.
type jsonText struct{ v any }

// TextValue encodes the value (pgtype.TextValuer).
func (j jsonText) TextValue() (pgtype.Text, error) {
	b, err := json.Marshal(j.v)
	if err != nil {
		return pgtype.Text{}, roomd.Internal(err)
	}
	return pgtype.Text{String: string(b), Valid: true}, nil
}

// ScanText decodes the value into the pointer j holds (pgtype.TextScanner);
// empty text leaves it as it is.
func (j jsonText) ScanText(v pgtype.Text) error {
	if !v.Valid || v.String == "" {
		return nil
	}
	return json.Unmarshal([]byte(v.String), j.v)
}
