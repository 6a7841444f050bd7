package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/sqlite"
	"github.com/roomd/roomd/storetest"
)

// MustOpenStore opens a store in a new file under tb.TempDir(), closed in Cleanup.
func MustOpenStore(tb testing.TB) *sqlite.DB {
	tb.Helper()
	return mustOpen(tb, filepath.Join(tb.TempDir(), "roomd.db"), sqlite.Options{})
}

// testLog is an io.Writer onto a test's log.
type testLog struct{ tb testing.TB }

func (w testLog) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// mustOpen opens the store at path with opts, closed in Cleanup. The store
// logs to the test's log unless opts has a Logger.
func mustOpen(tb testing.TB, path string, opts sqlite.Options) *sqlite.DB {
	tb.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(testLog{tb}, nil))
	}
	db, err := sqlite.Open(path, opts)
	if err != nil {
		tb.Fatalf("Open(%s): got error %v, want nil", path, err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: got error %v, want nil", err)
		}
	})
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) roomd.Store { return MustOpenStore(tb) })
}

func TestPragmas(t *testing.T) {
	db := MustOpenStore(t)
	writer, readers, err := sqlite.Pragmas(db, "journal_mode", "synchronous", "foreign_keys", "busy_timeout", "query_only", "wal_autocheckpoint", "temp_store", "cache_size")
	if err != nil {
		t.Fatalf("Pragmas: got error %v, want nil", err)
	}
	want := map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "10000", "query_only": "0", "wal_autocheckpoint": "10000", "temp_store": "2", "cache_size": "-65536"}
	check := func(what string, got map[string]string, want map[string]string) {
		t.Helper()
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: PRAGMA %s: got %q, want %q", what, k, got[k], v)
			}
		}
	}
	check("writer", writer, want)
	if len(readers) < 2 {
		t.Fatalf("read pool: got %d connections, want at least 2", len(readers))
	}
	want["query_only"] = "1"
	for i, r := range readers {
		check(fmt.Sprintf("reader %d", i), r, want)
	}
}

func TestViewIsReadOnly(t *testing.T) {
	db := MustOpenStore(t)
	err := db.View(context.Background(), func(tx roomd.Tx) error {
		return tx.PutUser(context.Background(), &roomd.User{AppID: 1, ID: "ann"})
	})
	if code := roomd.ErrorCode(err); code != roomd.EINTERNAL {
		t.Fatalf("write in View: got %v, want code %s", err, roomd.EINTERNAL)
	}
}

func TestMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dir", "roomd.db")
	for i := range 3 {
		db, err := sqlite.Open(path, sqlite.Options{})
		if err != nil {
			t.Fatalf("Open #%d: got error %v, want nil", i+1, err)
		}
		v, err := db.SchemaVersion()
		if err != nil || v != sqlite.LatestSchema || v < 1 {
			t.Fatalf("SchemaVersion after open #%d: got %d, %v; want %d", i+1, v, err, sqlite.LatestSchema)
		}
		if err := db.Close(); err != nil {
			t.Fatalf("Close: got error %v, want nil", err)
		}
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roomd.db")
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open: got error %v, want nil", err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	newer := sqlite.LatestSchema + 1
	if _, err := raw.Exec(fmt.Sprintf("PRAGMA user_version = %d", newer)); err != nil {
		t.Fatalf("set user_version: %v", err)
	}
	raw.Close()
	db, err = sqlite.Open(path, sqlite.Options{})
	if err == nil {
		db.Close()
		t.Fatalf("Open of a schema version %d database: got nil error, want a refusal", newer)
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open of a newer database: got error %q, want one saying it is newer", err)
	}
}

func TestReopenDurability(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "roomd.db")
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open: got error %v, want nil", err)
	}
	svc := roomd.NewService(db, nil, nil)
	if _, err := svc.RegisterUsers(ctx, 1, []roomd.User{{ID: "ann"}, {ID: "bob"}}, false); err != nil {
		t.Fatalf("RegisterUsers: got error %v, want nil", err)
	}
	if _, _, err := svc.CreateRoom(ctx, roomd.Actor{ID: "ann"}, roomd.Room{AppID: 1, ID: "r1", Owner: "ann"}, []string{"bob"}); err != nil {
		t.Fatalf("CreateRoom: got error %v, want nil", err)
	}
	if err := svc.TransferOwner(ctx, roomd.Actor{ID: "ann"}, 1, "r1", "bob", ""); err != nil {
		t.Fatalf("TransferOwner: got error %v, want nil", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: got error %v, want nil", err)
	}
	db = mustOpen(t, path, sqlite.Options{})
	svc = roomd.NewService(db, nil, nil)
	r, err := svc.Room(ctx, 1, "r1")
	if err != nil || r.Owner != "bob" || r.MemberCount != 2 || r.Seq != 4 {
		t.Fatalf("room after reopen: got %+v, %v; want owner bob, 2 members, Seq 4", r, err)
	}
	if err := svc.TransferOwner(ctx, roomd.Actor{ID: "bob"}, 1, "r1", "ann", ""); err != nil {
		t.Fatalf("TransferOwner after reopen: got error %v, want nil", err)
	}
	evs, err := svc.Events(ctx, 1, "r1", 0, 100)
	if err != nil || len(evs) != 5 || evs[4].Seq != 5 {
		t.Fatalf("events after reopen: got %d, %v; want 5 ending with Seq 5", len(evs), err)
	}
}

// blocked holds the writer busy: it starts an Update whose fn waits until
// release is called, and returns once that fn is running.
func blocked(t *testing.T, db *sqlite.DB) (release func()) {
	t.Helper()
	running, unblock := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.Update(context.Background(), func(roomd.Tx) error {
			close(running)
			<-unblock
			return nil
		})
	}()
	waitClosed(t, running)
	return func() {
		close(unblock)
		if err := <-done; err != nil {
			t.Errorf("blocking Update: got error %v, want nil", err)
		}
	}
}

// waitClosed waits for ch to close, failing the test after a minute.
func waitClosed(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(time.Minute):
		t.Fatal("still waiting after a minute")
	}
}

// waitQueued waits until n Updates are queued for the writer.
func waitQueued(t *testing.T, db *sqlite.DB, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for sqlite.QueueLen(db) < n {
		if time.Now().After(deadline) {
			t.Fatalf("queued updates: got %d after a minute, want %d", sqlite.QueueLen(db), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// enqueue starts one Update per fn, in order, each queued before the next
// starts, and returns a function that waits for their errors.
func enqueue(t *testing.T, db *sqlite.DB, fns ...func(roomd.Tx) error) (wait func() []error) {
	t.Helper()
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Update(context.Background(), fn)
		}()
		waitQueued(t, db, i+1)
	}
	return func() []error { wg.Wait(); return errs }
}

// putUser returns an update function registering user id in app 1.
func putUser(id string) func(roomd.Tx) error {
	return func(tx roomd.Tx) error {
		return tx.PutUser(context.Background(), &roomd.User{AppID: 1, ID: id})
	}
}

// putUsers returns n update functions registering users prefix0..prefix<n-1>.
func putUsers(prefix string, n int) []func(roomd.Tx) error {
	fns := make([]func(roomd.Tx) error, n)
	for i := range fns {
		fns[i] = putUser(fmt.Sprintf("%s%d", prefix, i))
	}
	return fns
}

// registered reports whether user id of app 1 exists.
func registered(t *testing.T, db *sqlite.DB, id string) bool {
	t.Helper()
	err := db.View(context.Background(), func(tx roomd.Tx) error {
		_, err := tx.User(context.Background(), 1, id)
		return err
	})
	if err != nil && roomd.ErrorCode(err) != roomd.ENOUSER {
		t.Fatalf("User(%s): got error %v", id, err)
	}
	return err == nil
}

func TestGroupCommit(t *testing.T) {
	for _, c := range []struct {
		maxBatch int
		want     []int
	}{{0, []int{1, 20}}, {8, []int{1, 8, 8, 4}}} {
		t.Run(fmt.Sprintf("MaxBatch%d", c.maxBatch), func(t *testing.T) {
			var mu sync.Mutex
			var batches []int
			db := mustOpen(t, filepath.Join(t.TempDir(), "roomd.db"), sqlite.Options{MaxBatch: c.maxBatch, OnCommit: func(n int, _ time.Duration) {
				mu.Lock()
				defer mu.Unlock()
				batches = append(batches, n)
			}})
			release := blocked(t, db)
			wait := enqueue(t, db, putUsers("u", 20)...)
			release()
			for i, err := range wait() {
				if err != nil {
					t.Fatalf("Update %d: got error %v, want nil", i, err)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if fmt.Sprint(batches) != fmt.Sprint(c.want) {
				t.Fatalf("batch sizes: got %v, want %v", batches, c.want)
			}
		})
	}
}

func TestBatchFailure(t *testing.T) {
	db := MustOpenStore(t)
	release := blocked(t, db)
	wait := enqueue(t, db, putUser("a"), func(tx roomd.Tx) error {
		// Ending the transaction under the writer breaks the batch: the
		// writer's own rollback then fails. (Functions only reach the store
		// through roomd.Tx, which cannot end a transaction; RawExec is a
		// test hook.)
		if err := sqlite.RawExec(tx, "ROLLBACK"); err != nil {
			return err
		}
		return errors.New("update failed after ending the transaction")
	}, putUser("c"))
	release()
	for i, err := range wait() {
		if roomd.ErrorCode(err) != roomd.EINTERNAL {
			t.Fatalf("Update %d of a failed batch: got %v, want code %s", i, err, roomd.EINTERNAL)
		}
	}
	for _, id := range []string{"a", "c"} {
		if registered(t, db, id) {
			t.Fatalf("user %s of a failed batch: got registered, want absent", id)
		}
	}
	if err := db.Update(context.Background(), putUser("d")); err != nil || !registered(t, db, "d") {
		t.Fatalf("Update after a failed batch: got %v, want the user registered", err)
	}
}

func TestCanceledWhileQueued(t *testing.T) {
	db := MustOpenStore(t)
	release := blocked(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- db.Update(ctx, putUser("late")) }()
	waitQueued(t, db, 1)
	cancel()
	release()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Update canceled while queued: got %v, want %v", err, context.Canceled)
	}
	if registered(t, db, "late") {
		t.Fatalf("user of a canceled Update: got registered, want absent")
	}
}

func TestClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roomd.db")
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open: got error %v, want nil", err)
	}
	release := blocked(t, db)
	wait := enqueue(t, db, putUsers("q", 5)...)
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	release()
	for i, err := range wait() {
		if err != nil {
			t.Fatalf("Update queued before Close: #%d got error %v, want nil", i, err)
		}
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: got error %v, want nil", err)
	}
	if err := db.Update(context.Background(), putUser("x")); !errors.Is(err, sqlite.ErrClosed) || roomd.ErrorCode(err) != roomd.EINTERNAL {
		t.Fatalf("Update after Close: got %v, want EINTERNAL wrapping ErrClosed", err)
	}
	if err := db.View(context.Background(), func(roomd.Tx) error { return nil }); !errors.Is(err, sqlite.ErrClosed) {
		t.Fatalf("View after Close: got %v, want ErrClosed", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: got error %v, want nil", err)
	}
	db = mustOpen(t, path, sqlite.Options{})
	for i := range 5 {
		if id := fmt.Sprintf("q%d", i); !registered(t, db, id) {
			t.Fatalf("user %s queued before Close: got absent after reopen, want registered", id)
		}
	}
}
