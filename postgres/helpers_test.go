package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/storetest"
)

// urlEnv names the environment variable that tells the tests where the
// shared PostgreSQL server listens. .ci/postgres.sh start prints it.
const urlEnv = "SESSIONSTORE_POSTGRES_URL"

var bg = context.Background()

var (
	sharedOnce sync.Once
	sharedPool *pgxpool.Pool
	sharedErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedPool != nil {
		sharedPool.Close()
	}
	os.Exit(code)
}

// requireServer skips t when no server is configured, except under CI,
// where a missing server is a failure. It returns the server's URL.
func requireServer(t testing.TB) string {
	t.Helper()
	url := os.Getenv(urlEnv)
	if url == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: CI must start PostgreSQL with: eval \"$(bash .ci/postgres.sh start)\"", urlEnv)
		}
		t.Skipf("%s is not set; start a server with: eval \"$(bash .ci/postgres.sh start)\"", urlEnv)
	}
	return url
}

// openPool opens a pool on url, configured by configure when not nil,
// and checks that the server answers.
func openPool(t testing.TB, url string, configure func(*pgxpool.Config)) (*pgxpool.Pool, error) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = 8
	if configure != nil {
		configure(cfg)
	}
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := p.Ping(ctx); err != nil {
		p.Close()
		return nil, fmt.Errorf("no PostgreSQL at %s: %w", url, err)
	}
	return p, nil
}

// pool returns the pool of the shared server, made once for the whole run
// and closed by TestMain.
func pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	url := requireServer(t)
	sharedOnce.Do(func() { sharedPool, sharedErr = openPool(t, url, nil) })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedPool
}

// newPool returns a pool of its own on the shared server, closed when t
// ends: a second application instance.
func newPool(t testing.TB, configure func(*pgxpool.Config)) *pgxpool.Pool {
	t.Helper()
	p, err := openPool(t, requireServer(t), configure)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// testTable returns the name of a table in a schema no other test uses,
// and drops the schema when t ends. The table is not created.
func testTable(t testing.TB, p *pgxpool.Pool) string {
	t.Helper()
	var r [6]byte
	_, _ = rand.Read(r[:])
	schema := "t_" + hex.EncodeToString(r[:])
	if _, err := p.Exec(bg, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(bg, 30*time.Second)
		defer cancel()
		if _, err := p.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("cleanup: DROP SCHEMA %s: %v", schema, err)
		}
	})
	return schema + "." + DefaultTable
}

// migrated returns a migrated test table.
func migrated(t testing.TB, p *pgxpool.Pool) string {
	t.Helper()
	table := testTable(t, p)
	if err := Migrate(bg, p, &Options{Table: table}); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return table
}

// newStore returns a store on p and table with opts, closed when t ends.
func newStore(t testing.TB, p *pgxpool.Pool, table string, opts *sessionstore.Options) *Store {
	t.Helper()
	o := &Options{Table: table}
	if opts != nil {
		o.Options = *opts
	}
	s, err := New(p, o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newConformanceStore is the storetest factory: a store on the shared
// server in a table of its own, dropped when t ends.
func newConformanceStore(t *testing.T, opts *sessionstore.Options) sessionstore.Store {
	t.Helper()
	p := pool(t)
	return corruptible{newStore(t, p, migrated(t, p), opts)}
}

// corruptible is a store whose records the conformance suite can damage.
type corruptible struct{ *Store }

// CorruptSession implements storetest.Corrupter: it overwrites the record
// column of session id with three bytes, keeping the other columns.
func (s corruptible) CorruptSession(t testing.TB, id string) {
	t.Helper()
	corruptSession(t, s.Store, id)
}

func corruptSession(t testing.TB, s *Store, id string) {
	t.Helper()
	tag, err := s.b.pool.Exec(bg, "UPDATE "+s.b.t.quoted+" SET record = '\\x810007'::bytea WHERE id = $1::uuid", id)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("damaging session %s: %v, %d rows", id, err, tag.RowsAffected())
	}
}

// newPairStore is a storetest factory for two application instances: two
// stores on one table through two pools of their own, driven as one
// (pair alternates the calls between them).
func newPairStore(t *testing.T, opts *sessionstore.Options) sessionstore.Store {
	t.Helper()
	table := migrated(t, pool(t))
	a := newStore(t, newPool(t, nil), table, opts)
	b := newStore(t, newPool(t, nil), table, opts)
	return &pair{a: a, b: b}
}

// newExecModeStore is a storetest factory whose pool runs every statement
// as PgBouncer's transaction mode needs: QueryExecModeExec, no prepared
// statement kept on a connection.
func newExecModeStore(mode pgx.QueryExecMode) func(t *testing.T, opts *sessionstore.Options) sessionstore.Store {
	return func(t *testing.T, opts *sessionstore.Options) sessionstore.Store {
		t.Helper()
		p := newPool(t, func(c *pgxpool.Config) {
			c.MaxConns = 4
			c.ConnConfig.DefaultQueryExecMode = mode
		})
		return corruptible{newStore(t, p, migrated(t, p), opts)}
	}
}

// farStart is far from wall time on purpose: nothing may expire by the
// database's clock.
var farStart = time.Date(2031, time.March, 4, 5, 6, 7, 891011000, time.UTC)

// createParams returns the parameters of a session of member m of
// customer c.
func createParams(c, m int) sessionstore.CreateParams {
	cu := storetest.NewCustomer(c)
	return sessionstore.CreateParams{
		Member:    storetest.NewMember(cu.ID, m),
		Customer:  cu,
		ReturnURL: "https://example.com/account",
	}
}
