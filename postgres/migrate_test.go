package postgres

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// TestMigrateIdempotent migrates the same table again and again: nothing
// changes after the first, and New accepts the result.
func TestMigrateIdempotent(t *testing.T) {
	p := pool(t)
	table := testTable(t, p)
	opts := &Options{Table: table}
	for i := range 3 {
		if err := Migrate(bg, p, opts); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	var n int
	if err := p.QueryRow(bg, "SELECT count(*) FROM "+parseTableMust(t, table).version).Scan(&n); err != nil || n != schemaVersion {
		t.Errorf("version rows = %d, %v; want %d", n, err, schemaVersion)
	}
	if _, err := New(p, opts); err != nil {
		t.Errorf("New after Migrate: %v", err)
	}
}

// TestMigrateConcurrent runs Migrate from several goroutines on several
// pools at once: all succeed, and the schema is made once.
func TestMigrateConcurrent(t *testing.T) {
	p := pool(t)
	table := testTable(t, p)
	pools := []*pgxpool.Pool{p, newPool(t, nil), newPool(t, nil)}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- Migrate(bg, pools[i%len(pools)], &Options{Table: table})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Migrate: %v", err)
		}
	}
	var n int
	if err := p.QueryRow(bg, "SELECT count(*) FROM "+parseTableMust(t, table).version).Scan(&n); err != nil || n != schemaVersion {
		t.Errorf("version rows = %d, %v; want %d", n, err, schemaVersion)
	}
}

// TestNewRefusesUnmigrated: New on a database without the schema, or with
// an older or newer one, fails with an error that names Migrate (or says
// the schema is newer), and Migrate refuses a newer schema.
func TestNewRefusesUnmigrated(t *testing.T) {
	p := pool(t)
	table := testTable(t, p)
	_, err := New(p, &Options{Table: table})
	if !errors.Is(err, ErrNotMigrated) || !strings.Contains(err.Error(), "postgres.Migrate") {
		t.Fatalf("New without the schema = %v, want ErrNotMigrated naming postgres.Migrate", err)
	}
	tb := parseTableMust(t, table)

	// The version table without a version: older than this package.
	if _, err := p.Exec(bg, "CREATE TABLE "+tb.version+" (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"); err != nil {
		t.Fatal(err)
	}
	if _, err := New(p, &Options{Table: table}); !errors.Is(err, ErrNotMigrated) {
		t.Errorf("New with schema version 0 = %v, want ErrNotMigrated", err)
	}
	if err := Migrate(bg, p, &Options{Table: table}); err != nil {
		t.Fatal(err)
	}
	if _, err := New(p, &Options{Table: table}); err != nil {
		t.Fatalf("New after Migrate = %v", err)
	}

	// A newer schema than this package knows.
	if _, err := p.Exec(bg, "INSERT INTO "+tb.version+" (version) VALUES ($1::integer)", schemaVersion+1); err != nil {
		t.Fatal(err)
	}
	if _, err := New(p, &Options{Table: table}); err == nil || errors.Is(err, ErrNotMigrated) || !strings.Contains(err.Error(), "newer") {
		t.Errorf("New with a newer schema = %v", err)
	}
	if err := Migrate(bg, p, &Options{Table: table}); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Migrate with a newer schema = %v", err)
	}
}

// TestMigrateRefusesForeignTable: a table of the same name that Migrate did
// not make is an error, never adopted.
func TestMigrateRefusesForeignTable(t *testing.T) {
	p := pool(t)
	table := testTable(t, p)
	if _, err := p.Exec(bg, "CREATE TABLE "+parseTableMust(t, table).quoted+" (x int)"); err != nil {
		t.Fatal(err)
	}
	if err := Migrate(bg, p, &Options{Table: table}); err == nil {
		t.Error("Migrate over a foreign table succeeded")
	}
	if _, err := New(p, &Options{Table: table}); !errors.Is(err, ErrNotMigrated) {
		t.Errorf("New over a foreign table = %v, want ErrNotMigrated", err)
	}
}

func parseTableMust(t *testing.T, name string) table {
	t.Helper()
	tb, err := parseTable(name)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}
