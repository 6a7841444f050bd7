package sqlite

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// lockSuffix names the lock file after the database file.
const lockSuffix = "-lock"

// ErrLocked is the cause of the error Open returns when another process
// holds the store.
var ErrLocked = errors.New("store is in use by another process")

// LockedError is returned by Open when another process has the store open.
type LockedError struct {
	Path   string // the database file
	Holder string // who holds it, as the holder wrote it: pid, command, since when
}

// Error names the store and its holder.
func (e *LockedError) Error() string {
	holder := e.Holder
	if holder == "" {
		holder = "a process that did not say who it is"
	}
	return fmt.Sprintf("store %s is in use by another process (%s); stop it first, or give this one another store", e.Path, holder)
}

// Unwrap returns ErrLocked.
func (e *LockedError) Unwrap() error { return ErrLocked }

// lockStore takes the exclusive lock of the store at path, held until the
// returned file is closed (or the process ends, however it ends), and writes
// into it who holds it.
func lockStore(path string) (*os.File, error) {
	f, err := os.OpenFile(path+lockSuffix, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: lock %s: %w", path, err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("sqlite: lock %s: %w", path, err)
	}
	if !held {
		b, _ := io.ReadAll(io.LimitReader(f, 512))
		f.Close()
		return nil, &LockedError{Path: path, Holder: strings.TrimSpace(string(b))}
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(holderInfo()+"\n"), 0)
	}
	return f, nil
}

// holderInfo says who holds the lock: the process id, the program and its
// command (never the rest of the command line, which may carry secrets),
// and since when.
func holderInfo() string {
	cmd := filepath.Base(os.Args[0])
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-") {
		cmd += " " + os.Args[1]
	}
	return fmt.Sprintf("pid %d, %s, since %s", os.Getpid(), cmd, time.Now().UTC().Format(time.RFC3339))
}
