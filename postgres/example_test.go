package postgres_test

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/postgres"
)

// A store on the application's own pool, after the explicit migration
// step. The pool outlives the store: close the store first.
func ExampleNew() {
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	// Through PgBouncer in transaction mode: keep no prepared statement
	// on a server connection.
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	opts := &postgres.Options{
		Options: sessionstore.Options{TTL: 24 * time.Hour, PortalURL: "https://polar.sh/acme/portal"},
		Table:   "member_sessions",
	}
	if err := postgres.Migrate(ctx, pool, opts); err != nil {
		log.Fatal(err)
	}
	s, err := postgres.New(pool, opts)
	if err != nil {
		log.Fatal(err) // errors.Is(err, postgres.ErrNotMigrated) without Migrate
	}
	defer s.Close()

	if n, err := s.RevokeMember(ctx, "9b2d5a3e-6f1c-4c8e-9a7b-2d4f6e8a0c1b"); err == nil {
		log.Printf("signed out of %d sessions", n)
	}
}
