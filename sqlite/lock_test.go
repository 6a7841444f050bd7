package sqlite_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/roomd/roomd/sqlite"
)

// TestStoreLock: a second Open of a store that is open fails with a
// LockedError naming the store and the holder, and succeeds once it is closed.
func TestStoreLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roomd.db")
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = sqlite.Open(path, sqlite.Options{})
	var le *sqlite.LockedError
	if !errors.As(err, &le) || !errors.Is(err, sqlite.ErrLocked) {
		t.Fatalf("second Open: got error %v, want a *LockedError", err)
	}
	msg := err.Error()
	for _, want := range []string{path, "pid " + strconv.Itoa(os.Getpid())} {
		if !strings.Contains(msg, want) {
			t.Errorf("second Open: error %q does not name %q", msg, want)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatalf("Open after Close: got error %v, want nil", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestFileModes: the data directory is created 0700 and every file of the
// store 0600 (the database, its WAL and shared memory, and the lock).
func TestFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "roomd.db")
	db := mustOpen(t, path, sqlite.Options{})
	if err := db.Update(t.Context(), putUser("u1")); err != nil {
		t.Fatal(err)
	}
	want := map[string]os.FileMode{dir: 0o700, path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600, path + "-lock": 0o600}
	for p, mode := range want {
		fi, err := os.Stat(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if got := fi.Mode().Perm(); got != mode {
			t.Errorf("%s: got mode %o, want %o", p, got, mode)
		}
	}
}
