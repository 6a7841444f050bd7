package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/roomd/roomd"
)

// tx is a roomd.Tx over one PostgreSQL transaction on a pooled connection.
//
// It saves round trips by pipelining: BEGIN, and the writes whose result
// the caller does not need (later), wait in queue and go to the server in
// one batch with the next statement that must be answered (a read, or a
// write that reports what it found), or with COMMIT. A transfer of
// ownership is thus two round trips: BEGIN with the room's lock and the
// members' reads, then the writes with COMMIT. A queued write that fails
// makes the call that sent it, or Update, return its error, and the
// transaction is rolled back: the writes of a transaction commit all
// together or not at all, whichever call sees the error. Queued writes
// that must refuse something (SetOwner's ENOTMEMBER) do it in SQL, with
// roomd_fail (migrations/0003_sequencer.sql), which fails the statement.
type tx struct {
	conn *pgxpool.Conn
	// write is set in Update: Room locks the rooms it reads.
	write bool
	// queue holds the statements not yet sent: BEGIN first, until the
	// first round trip, then queued writes.
	queue []statement
	// begun is set once BEGIN has been sent: the connection is in a
	// transaction that must end with COMMIT or ROLLBACK.
	begun bool
	// apps are the apps the transaction wrote events of, for the
	// sequencer to number once it has committed.
	apps []uint32
	// conflict is the first deadlock or serialisation failure a statement
	// hit: the transaction is lost, and Update runs it again.
	conflict error
	trips    *atomic.Uint64 // the DB's count of round trips
}

// statement is one SQL statement with its arguments.
type statement struct {
	sql  string
	args []any
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

// later queues a write whose result is not needed, to go with the next
// round trip.
func (t *tx) later(sql string, args ...any) {
	t.queue = append(t.queue, statement{sql, args})
}

// send sends the queued statements and then last in one batch, and reads
// the queued statements' results. It returns the batch, whose next
// results are last's, for the caller to read and close; on an error the
// batch is closed.
func (t *tx) send(ctx context.Context, last ...statement) (pgx.BatchResults, error) {
	b := &pgx.Batch{}
	for _, s := range append(t.queue, last...) {
		b.Queue(s.sql, s.args...)
	}
	queued := len(t.queue)
	t.queue = t.queue[:0]
	t.begun = true
	t.trips.Add(1)
	br := t.conn.SendBatch(ctx, b)
	for range queued {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, t.fail(err)
		}
	}
	return br, nil
}

// flush sends the queued statements, if any, in one round trip.
func (t *tx) flush(ctx context.Context) error {
	if len(t.queue) == 0 {
		return nil
	}
	br, err := t.send(ctx)
	if err != nil {
		return err
	}
	return t.fail(br.Close())
}

// exec runs a statement, after the queued ones, and returns the number of
// rows it touched.
func (t *tx) exec(ctx context.Context, sql string, args ...any) (int64, error) {
	br, err := t.send(ctx, statement{sql, args})
	if err != nil {
		return 0, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, t.fail(err)
	}
	return tag.RowsAffected(), nil
}

// query runs a query, after the queued statements; closing its rows
// closes the batch.
func (t *tx) query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	br, err := t.send(ctx, statement{sql, args})
	if err != nil {
		return nil, err
	}
	rows, _ := br.Query() // an error comes out of the rows
	return &batchRows{Rows: rows, batch: br}, nil
}

// batchRows are the rows of the last statement of a batch.
type batchRows struct {
	pgx.Rows
	batch pgx.BatchResults
}

// Close closes the rows and the batch.
func (r *batchRows) Close() {
	r.Rows.Close()
	if r.batch != nil {
		r.batch.Close()
		r.batch = nil
	}
}

// all runs a query and collects every row with scan; no row is a nil slice.
func all[T any](ctx context.Context, t *tx, scan pgx.RowToFunc[T], sql string, args ...any) ([]T, error) {
	rows, err := t.query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, scan)
	if err != nil || len(out) == 0 {
		return nil, t.fail(err)
	}
	return out, nil
}

// first runs a query and scans its first row with scan; found is false
// when it returns none.
func first[T any](ctx context.Context, t *tx, scan pgx.RowToFunc[T], sql string, args ...any) (v T, found bool, err error) {
	rows, err := t.query(ctx, sql, args...)
	if err != nil {
		return v, false, err
	}
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
// context errors as they are. A statement failed by roomd_fail
// (SQLSTATE RD001) is the domain error it names.
func wrap(err error) error {
	var e *roomd.Error
	if err == nil || errors.As(err, &e) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == domainFailure {
		return roomd.Errorf(pe.Detail, "%s", pe.Message)
	}
	return roomd.Internal(err)
}

// domainFailure is the SQLSTATE of roomd_fail: a statement refused with a
// domain error, whose code is the error's DETAIL and message its MESSAGE.
const domainFailure = "RD001"

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
