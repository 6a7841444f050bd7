package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/postgres"
	"github.com/roomd/roomd/sqlite"
)

const exportUsage = `usage: roomd export [--store STORE] [--config FILE] [--out FILE]

writes everything the store holds to an export file (JSON Lines, described
in docs/storage.md): users, rooms with their settings, members, bans,
seats, seat requests, marks, mutes, membership periods, the kept event
logs with each room's last seq and each app's last position, callback
settings and delivery cursors. Signature nonces are not exported (they
expire within minutes). "roomd import" reads the file into another store,
SQLite or PostgreSQL.

The file is written to standard output, or with --out to FILE (mode 0600,
written whole or not at all). A PostgreSQL store may be exported while
roomd serves it (one consistent snapshot, which must be migrated); an
SQLite store is locked by the roomd that serves it: stop it first.
`

const importUsage = `usage: roomd import [--store STORE] [--config FILE] [--in FILE]

reads an export file ("roomd export") from standard input, or with --in
from FILE, into the store, which must hold no data (nonces aside): a new
SQLite file is created, a PostgreSQL schema is migrated first as "roomd
migrate" does. Everything is written in one transaction: a file that is
cut short, not a roomd export, or has a record that is invalid or does not
agree with the events before it changes nothing, and the error names the
line or record.
`

// importMigrateTimeout bounds migrating a PostgreSQL store before an
// import.
const importMigrateTimeout = 5 * time.Minute

// stdin is what roomd import reads without --in; tests replace it.
var stdin io.Reader = os.Stdin

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	st, out, err := dumpFlags("export", exportUsage, "out", "write the export to `file` instead of standard output", args, stdout, stderr)
	if err != nil {
		return err
	}
	store, err := openForExport(ctx, st)
	if err != nil {
		return err
	}
	defer store.Close()
	w, info, done := stdout, stderr, func(error) error { return nil }
	if out != "" {
		f, err := createWhole(out)
		if err != nil {
			return err
		}
		w, info, done = f, stdout, f.finish
	}
	counts := kindCounts{}
	rw, err := roomd.NewRecordWriter(w, buildVersion(), st.kind())
	if err == nil {
		err = store.(roomd.Exporter).Export(ctx, func(r roomd.Record) error {
			counts[r.Kind]++
			return rw.Write(r)
		})
	}
	if err == nil {
		err = rw.Close()
	}
	if err = done(err); err != nil {
		return fmt.Errorf("export %s: %s", st, describe(err))
	}
	fmt.Fprintf(info, "roomd: exported %d records from %s (%s)\n", rw.Records(), st, counts)
	return nil
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	st, path, err := dumpFlags("import", importUsage, "in", "read the export from `file` instead of standard input", args, stdout, stderr)
	if err != nil {
		return err
	}
	in, name := stdin, "standard input"
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		in, name = f, path
	}
	// The header is read before the store is touched: a file that is not
	// an export creates no store.
	rr, err := roomd.NewRecordReader(in)
	if err != nil {
		return fmt.Errorf("import from %s: %s", name, describe(err))
	}
	store, err := openForImport(ctx, st)
	if err != nil {
		return err
	}
	defer store.Close()
	counts := kindCounts{}
	err = store.(roomd.Importer).Import(ctx, func() (roomd.Record, bool, error) {
		r, ok, err := rr.Next()
		if ok {
			counts[r.Kind]++
		}
		return r, ok, err
	})
	if err != nil {
		return fmt.Errorf("import from %s into %s: %s; nothing was written", name, st, describe(err))
	}
	if err := store.Close(); err != nil {
		return fmt.Errorf("import into %s: %w", st, err)
	}
	h := rr.Header()
	fmt.Fprintf(stdout, "roomd: imported %d records into %s from a %s export by roomd %s (%s)\n", rr.Records(), st, h.Store, h.Roomd, counts)
	return nil
}

// dumpFlags parses the flags of command (export or import), whose file
// flag is fileFlag, and returns the store they name (--store, else the
// config's, else the default) and the file ("" for standard output or
// input).
func dumpFlags(command, usage, fileFlag, fileUsage string, args []string, stdout, stderr io.Writer) (storeSetting, string, error) {
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	configPath := fs.String("config", "", "YAML config `file` whose store to use (optional)")
	store := fs.String("store", "", "`store`: sqlite:PATH or postgres://... (overrides the config)")
	file := fs.String(fileFlag, "", fileUsage)
	if err := parseFlags(fs, usage, args, stdout, stderr); err != nil {
		return storeSetting{}, "", err
	}
	if fs.NArg() > 0 {
		return storeSetting{}, "", usagef("%s: unexpected argument %q", command, fs.Arg(0))
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return storeSetting{}, "", err
	}
	if *store != "" {
		cfg.Store = *store
	}
	st, err := parseStore(cfg.Store)
	return st, *file, err
}

// kind names the store's kind in an export's header.
func (s storeSetting) kind() string {
	if s.dsn != "" {
		return "postgres"
	}
	return "sqlite"
}

// quiet is the logger of the stores export and import open: the command
// says what happened in one line.
var quiet = slog.New(slog.DiscardHandler)

// openForExport opens an existing store: an SQLite path with no store is
// an error, not a new store.
func openForExport(ctx context.Context, st storeSetting) (roomd.Store, error) {
	if st.dsn != "" {
		ctx, cancel := context.WithTimeout(ctx, openTimeout)
		defer cancel()
		return postgres.Open(ctx, st.dsn, postgres.Options{Logger: quiet})
	}
	if _, err := os.Stat(st.path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("export: no store at %s", st)
	}
	return openSQLite(st.path, sqlite.Options{Logger: quiet})
}

// openForImport opens the store, creating an SQLite one or migrating a
// PostgreSQL one.
func openForImport(ctx context.Context, st storeSetting) (roomd.Store, error) {
	if st.dsn == "" {
		return openSQLite(st.path, sqlite.Options{Logger: quiet})
	}
	ctx, cancel := context.WithTimeout(ctx, importMigrateTimeout)
	defer cancel()
	if err := postgres.Migrate(ctx, st.dsn); err != nil {
		return nil, err
	}
	return postgres.Open(ctx, st.dsn, postgres.Options{Logger: quiet})
}

// describe is the message of a store's error: a domain error's own, or the
// whole text of another (EINTERNAL, with its cause).
func describe(err error) string {
	if c := roomd.ErrorCode(err); c != roomd.EINTERNAL {
		return roomd.ErrorMessage(err)
	}
	return err.Error()
}

// kindCounts counts records by kind.
type kindCounts map[roomd.RecordKind]int

// String lists the counts in the order of an export: "3 user, 120 event".
func (c kindCounts) String() string {
	var parts []string
	for _, k := range roomd.RecordKinds {
		if c[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[k], k))
		}
	}
	if len(parts) == 0 {
		return "empty"
	}
	return strings.Join(parts, ", ")
}

// wholeFile is a file written under a temporary name beside its path and
// renamed to it once complete, so that a failed export leaves no part of
// a file behind.
type wholeFile struct {
	*os.File
	path string
}

// createWhole creates the temporary file of path, mode 0600.
func createWhole(path string) (*wholeFile, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return &wholeFile{File: f, path: path}, nil
}

// finish syncs, closes and renames the file when err is nil, else removes
// it; it returns err or its own error.
func (f *wholeFile) finish(err error) error {
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), f.path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}
