package postgres

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/storetest"
	"github.com/memberkit/sessionstore/token"
)

// These tests start PostgreSQL clusters of their own, so that they can
// stop them and read their files.

// TestServerFaults stops the store's server under it, fast and then
// immediately (as after a crash): every call fails with a wrapped error
// (never ErrNotFound, never a panic), and once the server is back the same
// store works again with every session written before.
func TestServerFaults(t *testing.T) {
	srv := startOwnServer(t)
	p, err := openPool(t, srv.url, func(c *pgxpool.Config) { c.MaxConns = 4 })
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := Migrate(bg, p, nil); err != nil {
		t.Fatal(err)
	}
	clk := storetest.NewClock(farStart)
	s := newStore(t, p, "", &sessionstore.Options{Now: clk.Now, SweepInterval: -1, ExpiredRetention: -1})

	var sessions []*sessionstore.MemberSession
	create := func() {
		t.Helper()
		for i := range 4 {
			ms, err := s.Create(bg, createParams(0, i%2))
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			sessions = append(sessions, ms)
		}
	}
	create()

	for how, sig := range map[string]syscall.Signal{"stopped": syscall.SIGINT, "crashed": syscall.SIGQUIT} {
		srv.stop(sig)
		p0 := createParams(0, 0)
		first := sessions[0]
		calls := storetest.Calls(s, p0, first)
		calls["Ping"] = s.Ping
		for name, call := range calls {
			ctx, cancel := context.WithTimeout(bg, 20*time.Second)
			err := call(ctx)
			cancel()
			checkServerError(t, how+" "+name, err)
		}
		if _, err := New(p, nil); err == nil || errors.Is(err, ErrNotMigrated) {
			t.Errorf("%s: New = %v, want a wrapped connection error", how, err)
		}

		srv.start()
		// Connections idle across the outage fail once each; the store
		// itself needs nothing.
		waitUntil(t, 10*time.Second, func() error { _, err := s.Lookup(bg, first.Token); return err })
		waitUntil(t, 10*time.Second, func() error { return s.Ping(bg) })
		for _, ms := range sessions {
			got, err := s.Lookup(bg, ms.Token)
			if err != nil || got.ID != ms.ID {
				t.Fatalf("after the server was %s and restarted: Lookup = %v, %v", how, got, err)
			}
		}
		create()
		if l, err := s.ListByCustomer(bg, p0.Customer.ID); err != nil || len(l) != len(sessions) {
			t.Fatalf("after restart: ListByCustomer = %d sessions, %v; want %d", len(l), err, len(sessions))
		}
	}
	if n, err := s.RevokeMember(bg, createParams(0, 0).Member.ID); n != len(sessions)/2 || err != nil {
		t.Errorf("RevokeMember after restart = %d, %v", n, err)
	}
	clk.Advance(2 * time.Hour)
	if n, err := s.DeleteExpired(bg); n != len(sessions)/2 || err != nil {
		t.Errorf("DeleteExpired after restart = %d, %v", n, err)
	}
}

// checkServerError checks that err reports the lost server, wraps its
// cause and is no sentinel of the store.
func checkServerError(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error while the server is down", what)
		return
	}
	for _, sentinel := range []error{sessionstore.ErrNotFound, sessionstore.ErrExpired, sessionstore.ErrInvalid, sessionstore.ErrClosed, sessionstore.ErrCorrupt} {
		if errors.Is(err, sentinel) {
			t.Errorf("%s: %v matches %v", what, err, sentinel)
		}
	}
	t.Logf("%s: %v", what, err)
	if errors.Unwrap(err) == nil {
		t.Errorf("%s: %v (%T) wraps no cause", what, err, err)
	}
	if !strings.Contains(err.Error(), "sessionstore/postgres") {
		t.Errorf("%s: %v does not say where it comes from", what, err)
	}
}

// TestAtRest checks that no row, and no file of the cluster (tables,
// indexes, WAL), holds a token, its random part or a portal URL, with and
// without a Secret.
func TestAtRest(t *testing.T) {
	srv := startOwnServer(t)
	p, err := openPool(t, srv.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var secrets []string
	for i, secret := range [][]byte{nil, []byte("server-secret")} {
		table := []string{"plain_sessions", "keyed_sessions"}[i]
		opts := &Options{
			Options: sessionstore.Options{SweepInterval: -1, Secret: secret, PortalURL: storetest.PortalURL},
			Table:   table,
		}
		if err := Migrate(bg, p, opts); err != nil {
			t.Fatal(err)
		}
		s, err := New(p, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for j := range 5 {
			ms, err := s.Create(bg, createParams(j%2, j))
			if err != nil {
				t.Fatal(err)
			}
			random := ms.Token[len(sessionstore.DefaultTokenPrefix) : len(sessionstore.DefaultTokenPrefix)+token.RandomLen]
			secrets = append(secrets, ms.Token, random, ms.MemberPortalURL)
			if j == 0 { // rewrite one row
				if _, err := s.Extend(bg, ms.ID, time.Hour); err != nil {
					t.Fatal(err)
				}
			}
		}
		rows, err := p.Query(bg, "SELECT t::text, record FROM "+table+" AS t")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var text string
			var record []byte
			if err := rows.Scan(&text, &record); err != nil {
				t.Fatal(err)
			}
			n++
			for _, sec := range secrets {
				if strings.Contains(text, sec) || bytes.Contains(record, []byte(sec)) {
					t.Fatalf("a row of %s holds a token, its random part or a portal URL", table)
				}
			}
		}
		if err := rows.Err(); err != nil || n != 5 {
			t.Fatalf("%d rows, %v", n, err)
		}
	}
	// Write everything out: tables and indexes by a checkpoint, and the
	// WAL as it is.
	if _, err := p.Exec(bg, "CHECKPOINT"); err != nil {
		t.Fatal(err)
	}
	files := 0
	err = filepath.WalkDir(srv.data(), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, sec := range secrets {
			if bytes.Contains(data, []byte(sec)) {
				t.Errorf("%s holds a token, its random part or a portal URL", strings.TrimPrefix(path, srv.data()))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A control: the member emails that were stored are found, so the
	// scan reads what the server wrote.
	if !dirContains(t, srv.data(), []byte(createParams(0, 0).Member.Email)) {
		t.Errorf("the scan of %d files did not find a stored member email: it reads nothing", files)
	}
}

func dirContains(t *testing.T, dir string, needle []byte) bool {
	t.Helper()
	found := false
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || found {
			return err
		}
		data, err := os.ReadFile(path)
		if err == nil && bytes.Contains(data, needle) {
			found = true
		}
		return nil
	})
	return found
}
