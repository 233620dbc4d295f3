package postgres

import (
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/storetest"
)

func TestConformance(t *testing.T) {
	requireServer(t)
	storetest.Run(t, newConformanceStore)
}

func TestProperties(t *testing.T) {
	requireServer(t)
	storetest.RunProperties(t, newConformanceStore)
}

func TestStress(t *testing.T) {
	requireServer(t)
	storetest.RunStress(t, newConformanceStore)
}

// TestTwoPools runs the conformance suite and the stress test on two
// stores with two pools on one table, their calls interleaved: a revoke
// through one instance never misses a Create through the other.
func TestTwoPools(t *testing.T) {
	requireServer(t)
	storetest.RunStress(t, newPairStore)
	storetest.Run(t, newPairStore)
}

// TestExecMode runs the conformance suite on pools that keep no prepared
// statement on their connections, as with PgBouncer in transaction mode.
func TestExecMode(t *testing.T) {
	requireServer(t)
	for name, mode := range map[string]pgx.QueryExecMode{
		"Exec":           pgx.QueryExecModeExec,
		"SimpleProtocol": pgx.QueryExecModeSimpleProtocol,
	} {
		t.Run(name, func(t *testing.T) {
			storetest.Run(t, newExecModeStore(mode))
			storetest.RunStress(t, newExecModeStore(mode))
		})
	}
}

func TestNewOptions(t *testing.T) {
	for _, table := range []string{
		"Member_Sessions", "a.b.c", ".x", "x.", "1abc", "a-b", `"x"`, "x;drop", "a b",
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmno", // 41 bytes
	} {
		if _, err := New(nil, &Options{Table: table}); !errors.Is(err, sessionstore.ErrInvalid) {
			t.Errorf("New(Table %q) = %v, want ErrInvalid", table, err)
		}
		if err := Migrate(bg, nil, &Options{Table: table}); !errors.Is(err, sessionstore.ErrInvalid) {
			t.Errorf("Migrate(Table %q) = %v, want ErrInvalid", table, err)
		}
	}
	for _, table := range []string{"", "member_sessions", "portal.member_sessions", "_x1", "abcdefghijklmnopqrstuvwxyzabcdefghijklmn"} {
		if _, err := parseTable(table); err != nil {
			t.Errorf("parseTable(%q) = %v", table, err)
		}
	}
	if _, err := New(nil, nil); !errors.Is(err, sessionstore.ErrInvalid) {
		t.Errorf("New(nil pool) = %v, want ErrInvalid", err)
	}
	if err := Migrate(bg, nil, nil); !errors.Is(err, sessionstore.ErrInvalid) {
		t.Errorf("Migrate(nil pool) = %v, want ErrInvalid", err)
	}
	p := pool(t)
	table := migrated(t, p)
	if _, err := New(p, &Options{Table: table, Options: sessionstore.Options{TTL: -time.Second}}); !errors.Is(err, sessionstore.ErrInvalid) {
		t.Errorf("New(bad TTL) = %v, want ErrInvalid", err)
	}
}

func TestCloseLeavesPoolOpen(t *testing.T) {
	p := pool(t)
	table := migrated(t, p)
	clk := storetest.NewClock(farStart)
	opts := &sessionstore.Options{Now: clk.Now, SweepInterval: -1}
	s := newStore(t, p, table, opts)
	ms, err := s.Create(bg, createParams(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(bg); err != nil {
		t.Errorf("Ping = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(bg); !errors.Is(err, sessionstore.ErrClosed) {
		t.Errorf("Ping after Close = %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, err := s.Lookup(bg, ms.Token); !errors.Is(err, sessionstore.ErrClosed) {
		t.Errorf("Lookup after Close = %v", err)
	}
	if err := p.Ping(bg); err != nil {
		t.Errorf("the caller's pool was closed: %v", err)
	}
	if _, err := newStore(t, p, table, opts).Lookup(bg, ms.Token); err != nil {
		t.Errorf("Lookup through a new store = %v", err)
	}
}
