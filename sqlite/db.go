// Package sqlite is a roomd.Store on SQLite (modernc.org/sqlite, pure Go).
//
// The database runs in WAL mode with synchronous=FULL, so an Update returns
// only once its transaction is on disk. One writer goroutine owns the only
// write connection and commits the Updates that queue up while it is busy
// together (group commit). A batch runs without savepoints first; if an
// update in it fails, it runs again with a savepoint around each update, so
// that the failing one leaves no trace and does not affect the others. The
// writer keeps the users, rooms and memberships its updates touch in a cache
// that follows its transactions exactly, rollbacks included (cache.go).
// Views run on a separate pool of read-only connections beside the writer.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/roomd/roomd"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Options configures a DB.
type Options struct {
	// OnCommit, if set, is called after every group commit with the number of Update calls in the batch and the time COMMIT (incl. fsync) took.
	OnCommit func(batch int, sync time.Duration)
	Logger   *slog.Logger // nil = slog.Default()
	MaxBatch int          // max Update calls per transaction; 0 = 128
	// MaxNonces caps the unexpired signature nonces kept per app (see
	// UseNonce); 0 = DefaultMaxNonces.
	MaxNonces int
}

// ErrClosed is the cause of the EINTERNAL error Update and View return after Close.
var ErrClosed = errors.New("sqlite: store is closed")

// queueLen is how many Updates may wait for the writer before Update blocks.
const queueLen = 1024

// pragmas are applied to every connection, reader or writer. A checkpoint
// every 10000 WAL pages rather than SQLite's 1000 copies each hot page into
// the database file once where it would be copied ten times: commits took
// about a fifth less time in `roomd bench` (the WAL grows to ~40 MB). A
// 64 MiB page cache per connection (SQLite's default is 2 MiB) keeps the
// pages of a growing event log in memory, and statement journals stay in
// memory instead of temporary files; together they gave `roomd bench` about
// a fifth more transfers per second.
var pragmas = []string{"busy_timeout(10000)", "foreign_keys(1)", "journal_mode(WAL)", "synchronous(FULL)", "wal_autocheckpoint(10000)", "temp_store(MEMORY)", "cache_size(-65536)"}

// DB is a roomd.Store in one SQLite file.
type DB struct {
	opts    Options
	log     *slog.Logger
	wdb     *sql.DB // one connection, owned by the writer goroutine
	rdb     *sql.DB // the read-only connections of readers
	w       *writer
	readers chan *reader   // idle read connections
	nread   int            // number of readers
	views   sync.WaitGroup // Views in progress
	mu      sync.RWMutex   // guards shut against Update's send on reqs and View's start
	reqs    chan *request
	done    chan struct{} // closed when the writer goroutine has exited
	once    sync.Once
	shut    bool
	nonces  *nonceSet
	lock    *os.File // the store's lock file, held while open
}

var _ roomd.Store = (*DB)(nil)

// Open opens the database at path, creating its parent directory (0700) and
// the file (0600) if needed, and migrates its schema to the newest version
// this binary knows. A database with a newer schema is refused. The store is
// locked while open: if another process (or another Open in this one) has
// it, Open fails with a *LockedError that names the holder. The unexpired
// signature nonces are read back into memory.
func Open(path string, opts Options) (*DB, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 128
	}
	if strings.ContainsAny(path, "?#") || path == "" || path == ":memory:" {
		return nil, fmt.Errorf("sqlite: invalid database path %q", path)
	}
	if opts.MaxNonces <= 0 {
		opts.MaxNonces = DefaultMaxNonces
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: cannot create the data directory: %w", err)
	}
	db := &DB{opts: opts, log: opts.Logger, reqs: make(chan *request, queueLen), done: make(chan struct{}), nonces: newNonceSet(opts.MaxNonces)}
	ok := false
	defer func() {
		if !ok {
			db.closeDBs()
		}
	}()
	var err error
	if db.lock, err = lockStore(path); err != nil {
		return nil, err
	}
	// SQLite gives the -wal and -shm files the mode of the database file.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	_ = f.Close()
	if db.wdb, err = sql.Open("sqlite", dsn(path, false)); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.wdb.SetMaxOpenConns(1)
	db.wdb.SetMaxIdleConns(1)
	db.wdb.SetConnMaxLifetime(0)
	ctx := context.Background()
	conn, err := db.wdb.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.w = newWriter(db, conn)
	if err := migrate(ctx, conn); err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	if db.rdb, err = sql.Open("sqlite", dsn(path, true)); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := db.openReaders(ctx, max(4, runtime.NumCPU())); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := db.nonces.load(ctx, conn, time.Now()); err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	go db.w.run()
	ok = true
	return db, nil
}

// dsn returns the data source name of the file at path with the pragmas of
// every connection, made read-only when readOnly is set.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	}
	return path + "?" + q.Encode()
}

// Update runs fn in a read-write transaction, possibly committed together with
// those of concurrent calls, and returns once it is durable. A call whose ctx
// is done before fn starts returns ctx.Err(); after Close it returns EINTERNAL.
// fn runs on the writer goroutine: it must not call Update itself, and its
// statements run to completion even if ctx ends while it runs.
func (db *DB) Update(ctx context.Context, fn func(roomd.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r, err := db.submit(ctx, fn)
	if err != nil {
		return err
	}
	// The reply is awaited even if ctx ends meanwhile: fn may be running, and
	// its effects on the caller's variables must be complete on return.
	return <-r.reply
}

// submit queues fn for the writer. Requests are run in the order they were
// submitted, so fn is committed together with, or before, any request
// submitted after submit returns.
func (db *DB) submit(ctx context.Context, fn func(roomd.Tx) error) (*request, error) {
	r := &request{ctx: ctx, fn: fn, reply: make(chan error, 1)}
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.shut {
		return nil, roomd.Internal(ErrClosed)
	}
	db.reqs <- r
	return r, nil
}

// Close waits for queued updates to commit, stops the writer and closes the
// database. Later calls return nil.
func (db *DB) Close() error {
	var err error
	db.once.Do(func() {
		db.mu.Lock()
		db.shut = true
		close(db.reqs)
		db.mu.Unlock()
		<-db.done
		db.views.Wait()
		err = db.closeDBs()
	})
	return err
}

func (db *DB) closeDBs() error {
	var errs []error
	if db.w != nil {
		errs = append(errs, db.w.close())
	}
	errs = append(errs, db.closeReaders())
	for _, d := range []*sql.DB{db.rdb, db.wdb} {
		if d != nil {
			errs = append(errs, d.Close())
		}
	}
	if db.lock != nil { // last: the store is free once everything is closed
		errs = append(errs, db.lock.Close())
	}
	return errors.Join(errs...)
}

// SchemaVersion returns the schema version of the database (PRAGMA user_version).
func (db *DB) SchemaVersion() (int, error) {
	var v int
	err := db.View(context.Background(), func(t roomd.Tx) error {
		return t.(*tx).q.QueryRowContext(context.Background(), "PRAGMA user_version").Scan(&v)
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: schema version: %w", err)
	}
	return v, nil
}
