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

// storeSetting is where a node keeps its data: an SQLite file, or a
// PostgreSQL database.
type storeSetting struct {
	path string // the SQLite file; "" for PostgreSQL
	dsn  string // the PostgreSQL DSN; "" for SQLite
}

// parseStore reads a store setting: "sqlite:PATH" or a bare path for
// SQLite, a postgres:// or postgresql:// URL for PostgreSQL.
func parseStore(s string) (storeSetting, error) {
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		return storeSetting{dsn: s}, nil
	}
	if p, ok := strings.CutPrefix(s, "sqlite:"); ok {
		s = p
	} else if strings.Contains(s, "://") {
		return storeSetting{}, fmt.Errorf("config: store %q: use sqlite:PATH or a postgres:// URL", postgres.Redact(s))
	}
	if s == "" {
		return storeSetting{}, fmt.Errorf("config: store: the SQLite path is empty")
	}
	return storeSetting{path: s}, nil
}

// String names the store for logs and messages, without a password.
func (s storeSetting) String() string {
	if s.dsn != "" {
		return postgres.Redact(s.dsn)
	}
	return "sqlite:" + s.path
}

// openTimeout bounds connecting to PostgreSQL and checking its schema.
const openTimeout = 30 * time.Second

// open opens the store for a serving node. A PostgreSQL store, which
// several nodes may share, must have been migrated (roomd migrate); an
// SQLite store migrates itself.
func (s storeSetting) open(log *slog.Logger, onCommit func(int, time.Duration)) (roomd.Store, error) {
	if s.dsn != "" {
		ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
		defer cancel()
		return postgres.Open(ctx, s.dsn, postgres.Options{Logger: log, OnCommit: onCommit})
	}
	return openSQLite(s.path, sqlite.Options{OnCommit: onCommit, Logger: log})
}

// openSQLite creates the store's directory (0700) and opens the store. A
// directory that cannot be created or written is said in one line.
func openSQLite(path string, opts sqlite.Options) (*sqlite.DB, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create data directory %s: %w", dir, pathCause(err))
	}
	db, err := sqlite.Open(path, opts)
	if errors.Is(err, fs.ErrPermission) {
		return nil, fmt.Errorf("cannot write to data directory %s: %w", dir, pathCause(err))
	}
	return db, err
}

// pathCause returns the cause of a file system error: "permission denied"
// rather than "mkdir /a/b: permission denied".
func pathCause(err error) error {
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

const migrateUsage = `usage: roomd migrate [--config FILE] [--store STORE]

brings the store's schema up to this roomd's version. A PostgreSQL store
must be migrated before roomd serve uses it (serve refuses an older schema
and says so); concurrent runs take turns. An SQLite store is migrated by
serve itself, and by this command too.
`

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	configPath := fs.String("config", "", "YAML config `file` (optional)")
	store := fs.String("store", "", "`store`: sqlite:PATH or postgres://... (overrides the config)")
	if err := parseFlags(fs, migrateUsage, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("migrate: unexpected argument %q", fs.Arg(0))
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	if *store != "" {
		cfg.Store = *store
	}
	st, err := parseStore(cfg.Store)
	if err != nil {
		return err
	}
	if st.dsn != "" {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		if err := postgres.Migrate(ctx, st.dsn); err != nil {
			return err
		}
	} else {
		db, err := openSQLite(st.path, sqlite.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			return err
		}
		if err := db.Close(); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "roomd: %s is at schema version %d\n", st, latestSchema(st))
	return nil
}

// latestSchema is the schema version this roomd migrates st's kind to.
func latestSchema(st storeSetting) int {
	if st.dsn != "" {
		return postgres.LatestSchema
	}
	return sqlite.LatestSchema
}
