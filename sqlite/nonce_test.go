package sqlite_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/sqlite"
)

// wantCode fails the test unless err has the domain code want ("" for nil).
func wantCode(tb testing.TB, what string, err error, want string) {
	tb.Helper()
	if got := roomd.ErrorCode(err); got != want {
		tb.Fatalf("%s: got code %q (%v), want %q", what, got, err, want)
	}
}

// claim claims a nonce and waits until the claim is durable.
func claim(db *sqlite.DB, app uint32, nonce string, now, expires time.Time) error {
	wait, err := db.UseNonce(context.Background(), app, nonce, now, expires)
	if err != nil {
		return err
	}
	return wait()
}

// newLogger returns a text logger writing to w.
func newLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// wantNonceRows fails the test unless the nonces table has want rows.
func wantNonceRows(tb testing.TB, db *sqlite.DB, want int) {
	tb.Helper()
	got, err := sqlite.NonceRows(db)
	if err != nil {
		tb.Fatal(err)
	}
	if got != want {
		tb.Fatalf("nonces table: got %d rows, want %d", got, want)
	}
}

// TestNonceSurvivesReopen: a nonce claimed before a restart is refused after
// it, one that had expired by then is forgotten, and new nonces work.
func TestNonceSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roomd.db")
	now := time.Now()
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		wantCode(t, "first use", claim(db, 7, "n"+strconv.Itoa(i), now, now.Add(10*time.Minute)), "")
	}
	wantCode(t, "use that expires before the reopen", claim(db, 7, "old", now.Add(-20*time.Minute), now.Add(-10*time.Minute)), "")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, path, sqlite.Options{})
	for i := range 100 {
		wantCode(t, "replay after reopen", claim(db, 7, "n"+strconv.Itoa(i), now, now.Add(10*time.Minute)), roomd.EEXISTS)
	}
	wantCode(t, "same nonce, other app", claim(db, 8, "n0", now, now.Add(10*time.Minute)), "")
	wantCode(t, "new nonce", claim(db, 7, "fresh", now, now.Add(10*time.Minute)), "")
	wantCode(t, "expired before the reopen", claim(db, 7, "old", now, now.Add(10*time.Minute)), "")
}

// TestNonceCommittedBeforeLaterUpdates: UseNonce returns without waiting for
// the writer, and its row is committed no later than an Update called after
// it, so a request's changes are never durable while its nonce is not.
func TestNonceCommittedBeforeLaterUpdates(t *testing.T) {
	db := MustOpenStore(t)
	release := blocked(t, db)
	now := time.Now()
	wait, err := db.UseNonce(context.Background(), 7, "n1", now, now.Add(time.Minute))
	if err != nil {
		t.Fatalf("UseNonce while the writer is busy: got %v, want nil", err)
	}
	done := enqueue(t, db, putUser("u1"))
	release()
	for i, err := range done() {
		if err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
	}
	// The Update is durable: so is the nonce, before anyone waited for it.
	wantNonceRows(t, db, 1)
	if err := wait(); err != nil {
		t.Fatalf("wait: got %v, want nil", err)
	}
}

// TestNoncePurge: expired rows are deleted from the nonces table as new
// nonces are written, and unexpired ones are kept.
func TestNoncePurge(t *testing.T) {
	db := MustOpenStore(t)
	start := time.Now().Add(time.Hour) // past the purge interval since Open
	for i := range 50 {
		wantCode(t, "claim", claim(db, 7, "a"+strconv.Itoa(i), start, start.Add(time.Minute)), "")
	}
	later := start.Add(2 * time.Minute)
	wantCode(t, "claim later", claim(db, 7, "b", later, later.Add(time.Minute)), "")
	wantNonceRows(t, db, 1)
}

// TestNonceCap: at the cap an app's new nonces are refused with ERATELIMIT
// (old ones are not forgotten), once with a log line; other apps are not
// affected; expiry frees room.
func TestNonceCap(t *testing.T) {
	var log strings.Builder
	db := mustOpen(t, filepath.Join(t.TempDir(), "roomd.db"), sqlite.Options{MaxNonces: 3, Logger: newLogger(&log)})
	now := time.Now()
	for _, n := range []string{"a", "b", "c"} {
		wantCode(t, "use "+n, claim(db, 7, n, now, now.Add(10*time.Minute)), "")
	}
	wantCode(t, "over the cap", claim(db, 7, "d", now, now.Add(10*time.Minute)), roomd.ERATELIMIT)
	wantCode(t, "over the cap again", claim(db, 7, "e", now, now.Add(10*time.Minute)), roomd.ERATELIMIT)
	wantCode(t, "replay at the cap", claim(db, 7, "a", now, now.Add(10*time.Minute)), roomd.EEXISTS)
	wantCode(t, "other app", claim(db, 8, "d", now, now.Add(10*time.Minute)), "")
	if got := strings.Count(log.String(), "nonce set full"); got != 1 {
		t.Errorf("log: got %d warnings of a full nonce set, want 1 (logged once per episode)\n%s", got, log.String())
	}
	later := now.Add(12 * time.Minute)
	wantCode(t, "after expiry", claim(db, 7, "d", later, later.Add(10*time.Minute)), "")
}

// TestNonceAfterClose: UseNonce after Close fails with EINTERNAL.
func TestNonceAfterClose(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "roomd.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	wantCode(t, "after close", claim(db, 7, "a", now, now.Add(time.Minute)), roomd.EINTERNAL)
}
