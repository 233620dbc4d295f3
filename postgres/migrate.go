package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/memberkit/sessionstore"
)

// ErrNotMigrated is returned by New when the database lacks the schema the
// store needs, or holds an older version of it: run Migrate first.
var ErrNotMigrated = errors.New("sessionstore/postgres: schema not migrated: run postgres.Migrate before postgres.New")

//go:embed schema/*.sql
var schemaFS embed.FS

// migrations are the schema's steps in order; step i brings the schema to
// version i+1.
var migrations = []string{
	"schema/001_create.sql",
	"schema/002_session_kinds.sql",
}

// schemaVersion is the version of the schema this package reads and writes.
var schemaVersion = len(migrations)

// Migrate creates the store's tables and indexes in the database of pool,
// or brings them to the version this package needs; when they are already
// there it changes nothing. Run it before New, at deployment or at start
// up; it is safe to run from several instances at once (the steps run in
// one transaction under a transaction-level advisory lock, so one instance
// migrates and the others then find the work done). opts is read for Table
// only; nil means DefaultTable. The schema of a qualified Table must exist.
// A database whose schema is newer than this package knows is an error.
func Migrate(ctx context.Context, pool *pgxpool.Pool, opts *Options) error {
	var o Options
	if opts != nil {
		o = *opts
	}
	t, err := parseTable(o.Table)
	if err != nil {
		return err
	}
	if pool == nil {
		return &sessionstore.ValidationError{Field: "pool", Reason: "must not be nil"}
	}
	err = inTx(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1::bigint)", migrateLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+t.version+
			" (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"); err != nil {
			return err
		}
		v, err := readVersion(ctx, tx, t)
		if err != nil {
			return err
		}
		if v > schemaVersion {
			return fmt.Errorf("schema version %d is newer than this package's %d", v, schemaVersion)
		}
		for i := v; i < schemaVersion; i++ {
			sql, err := schemaFS.ReadFile(migrations[i])
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, expand(string(sql), t)); err != nil {
				return fmt.Errorf("step %s: %w", migrations[i], err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO "+t.version+" (version) VALUES ($1::integer)", i+1); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return opError("migrate "+t.name, err)
	}
	return nil
}

// expand fills a schema step's placeholders with t's names.
func expand(sql string, t table) string {
	return strings.NewReplacer("{{table}}", t.quoted, "{{name}}", t.bare).Replace(sql)
}

// querier is what pgxpool.Pool, pgx.Conn and pgx.Tx have in common.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// readVersion returns the schema version recorded in t's version table: 0
// when it has no row.
func readVersion(ctx context.Context, q querier, t table) (int, error) {
	var v int32
	err := q.QueryRow(ctx, "SELECT coalesce(max(version), 0)::integer FROM "+t.version).Scan(&v)
	return int(v), err
}

// checkSchema returns the OID of t when its schema is at this package's
// version, ErrNotMigrated when it is missing or older, and a wrapped error
// when the database cannot say.
func checkSchema(ctx context.Context, pool *pgxpool.Pool, t table) (uint32, error) {
	v, err := readVersion(ctx, pool, t)
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "42P01": // undefined_table
		return 0, fmt.Errorf("%w (table %s: no version table %s)", ErrNotMigrated, t.name, t.version)
	case err != nil:
		return 0, opError("check schema of "+t.name, err)
	case v < schemaVersion:
		return 0, fmt.Errorf("%w (table %s: schema version %d, this package needs %d)", ErrNotMigrated, t.name, v, schemaVersion)
	case v > schemaVersion:
		return 0, opError("check schema of "+t.name, fmt.Errorf("schema version %d is newer than this package's %d", v, schemaVersion))
	}
	var oid *uint32
	if err := pool.QueryRow(ctx, "SELECT to_regclass($1::text)::oid", t.quoted).Scan(&oid); err != nil {
		return 0, opError("check schema of "+t.name, err)
	}
	if oid == nil {
		return 0, fmt.Errorf("%w (table %s is missing, but its version table is not)", ErrNotMigrated, t.name)
	}
	return *oid, nil
}
