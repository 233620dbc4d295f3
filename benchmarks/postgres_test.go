package benchmarks_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"runtime"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/memberkit/sessionstore/postgres"
)

// postgresURLEnv names the PostgreSQL database of the Postgres benchmarks.
const postgresURLEnv = "SESSIONSTORE_POSTGRES_URL"

// newPostgresStore returns a Postgres store in a migrated table of a
// schema of its own, on a pool of its own (pgx's defaults, 4 connections
// per core), and a function that drops the schema and closes both; it
// skips b without SESSIONSTORE_POSTGRES_URL.
func newPostgresStore(b *testing.B) (*postgres.Store, func()) {
	dsn := os.Getenv(postgresURLEnv)
	if dsn == "" {
		b.Skip(postgresURLEnv + " is not set")
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = int32(4 * runtime.GOMAXPROCS(0))
	ctx := context.Background()
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	var r [4]byte
	_, _ = rand.Read(r[:])
	schema := "bench_" + hex.EncodeToString(r[:])
	drop := func() {
		_, _ = p.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
		p.Close()
	}
	if _, err := p.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		p.Close()
		b.Fatal(err)
	}
	o := &postgres.Options{Options: *storeOptions(), Table: schema + "." + postgres.DefaultTable}
	if err := postgres.Migrate(ctx, p, o); err != nil {
		drop()
		b.Fatal(err)
	}
	s, err := postgres.New(p, o)
	if err != nil {
		drop()
		b.Fatal(err)
	}
	return s, func() { _ = s.Close(); drop() }
}
