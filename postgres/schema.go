package postgres

import (
	"context"
	"embed"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/roomd/roomd/internal/migration"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// steps returns the embedded migrations in version order.
func steps() ([]migration.Step, error) {
	out, err := migration.Load(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return out, nil
}

// LatestSchema is the schema version this binary's migrations bring a
// database to, and the one Open requires.
var LatestSchema = func() int {
	s, err := steps()
	if err != nil {
		panic(err) // the embedded files are part of the build
	}
	return len(s)
}()

// versionTable records the migrations applied to a schema, one row each.
const versionTable = "roomd_schema"

// migrateLock is the transaction-level advisory lock Migrate holds, one per
// PostgreSQL schema, so that nodes starting together migrate one at a time.
const migrateLock = `SELECT pg_advisory_xact_lock(hashtext('roomd migrate ' || coalesce(current_schema(), '')))`

// Migrate applies to the database at dsn, in one transaction under an
// advisory lock, the embedded migrations it lacks. Run again, or by several
// processes at once, it is a no-op once the schema is current. It refuses a
// schema newer than this binary's (LatestSchema).
func Migrate(ctx context.Context, dsn string) (err error) {
	all, err := steps()
	if err != nil {
		return err
	}
	// The pool's parser, so that a DSN that Open takes (pool_max_conns
	// and the like) is taken here too.
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", Redact(dsn), err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return fmt.Errorf("postgres: connect to %s: %w", Redact(dsn), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, migrateLock); err != nil {
			return fmt.Errorf("postgres: migrate: lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+versionTable+` (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("postgres: migrate: %w", err)
		}
		current, err := schemaVersion(ctx, tx)
		if err != nil {
			return err
		}
		if current > len(all) {
			return newerSchema(current)
		}
		for _, s := range all[current:] {
			if _, err := tx.Exec(ctx, s.SQL); err != nil {
				return fmt.Errorf("postgres: migration %s: %w", s.Name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO `+versionTable+` (version, name) VALUES ($1, $2)`, s.Version, s.Name); err != nil {
				return fmt.Errorf("postgres: migration %s: record it: %w", s.Name, err)
			}
		}
		return nil
	})
}

// querier runs a query on a connection, a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// schemaVersion returns the schema version of the database on q's search
// path, 0 when it has none.
func schemaVersion(ctx context.Context, q querier) (int, error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT to_regclass('`+versionTable+`') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("postgres: read the schema version: %w", err)
	}
	var v int
	if !exists {
		return 0, nil
	}
	if err := q.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM `+versionTable).Scan(&v); err != nil {
		return 0, fmt.Errorf("postgres: read the schema version: %w", err)
	}
	return v, nil
}

// checkSchema returns an error unless the database is at LatestSchema: an
// older one names the command that migrates it.
func checkSchema(ctx context.Context, q querier, dsn string) error {
	v, err := schemaVersion(ctx, q)
	switch {
	case err != nil:
		return err
	case v > LatestSchema:
		return newerSchema(v)
	case v < LatestSchema:
		return fmt.Errorf("postgres: database schema version %d is older than this binary's (%d); run `roomd migrate --store %s` first", v, LatestSchema, Redact(dsn))
	}
	return nil
}

func newerSchema(v int) error {
	return fmt.Errorf("postgres: database schema version %d is newer than this binary supports (%d); use a newer roomd", v, LatestSchema)
}

// Redact returns dsn without its password, for messages and logs: a URL
// (postgres://user:secret@host/db?password=secret) loses both, a
// keyword/value string its password=... pair.
func Redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		if u.User != nil {
			u.User = url.User(u.User.Username())
		}
		q := u.Query()
		if q.Has("password") {
			q.Del("password")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	fields := strings.Fields(dsn)
	kept := fields[:0]
	for _, f := range fields {
		if !strings.HasPrefix(f, "password=") {
			kept = append(kept, f)
		}
	}
	return strings.Join(kept, " ")
}
