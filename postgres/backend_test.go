package postgres

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/storetest"
	"github.com/memberkit/sessionstore/token"
)

// newRecord returns a record of member m of customer c created at now,
// expiring after ttl, with a random token hash and ID.
func newRecord(c, m int, now time.Time, ttl time.Duration) *backend.Record {
	p := createParams(c, m)
	var h token.Hash
	_, _ = rand.Read(h[:])
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6], u[8] = u[6]&0x0f|0x40, u[8]&0x3f|0x80
	now = now.UTC().Truncate(time.Microsecond)
	return &backend.Record{
		ID:        fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:]),
		TokenHash: h,
		CreatedAt: now,
		ExpiresAt: now.Add(ttl),
		Member:    &p.Member,
		Customer:  &p.Customer,
	}
}

// newTestBackend returns the backend of a new store on p and table.
func newTestBackend(t *testing.T, p *pgxpool.Pool, table string) *storage {
	t.Helper()
	return newStore(t, p, table, &sessionstore.Options{SweepInterval: -1}).b
}

func mustInsert(t *testing.T, b *storage, recs ...*backend.Record) {
	t.Helper()
	for _, r := range recs {
		if err := b.Insert(bg, r, nil); err != nil {
			t.Fatalf("Insert: %v", err)
		}
	}
}

func sel(i backend.Index, key string) backend.Selector { return backend.Selector{Index: i, Key: key} }

func deleteAll(*backend.Record) (backend.Op, *backend.Record, error) { return backend.Delete, nil, nil }

// waitUntil calls f on a ticker until it succeeds, failing t after d.
func waitUntil(t *testing.T, d time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing after %v: %v", d, err)
		}
		<-tick.C
	}
}

// waitingOnAdvisoryLock returns nil once some session of the database
// waits for an advisory lock.
func waitingOnAdvisoryLock(p *pgxpool.Pool) error {
	var n int
	err := p.QueryRow(bg, `SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
		WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()`).Scan(&n)
	if err == nil && n == 0 {
		err = errors.New("no session waits for an advisory lock")
	}
	return err
}

// TestInsertWaitsForGroupEdit holds an edit of a member open (its EditFunc
// blocks) and inserts a session of that member through another pool: the
// Insert waits on the member's advisory lock until the edit commits, so
// the edit, which did not see it, is ordered before it. The same with an
// edit of the customer.
func TestInsertWaitsForGroupEdit(t *testing.T) {
	// With a cap on sessions per member, Insert takes the member's lock in
	// exclusive mode; without, in shared mode: it waits either way.
	capped := &backend.Admission{Limit: 100, Evict: func([]*backend.Record) ([]*backend.Record, error) { return nil, nil }}
	for name, c := range map[string]struct {
		index backend.Index
		admit *backend.Admission
	}{
		"member":          {backend.IndexMember, nil},
		"customer":        {backend.IndexCustomer, nil},
		"member/capped":   {backend.IndexMember, capped},
		"customer/capped": {backend.IndexCustomer, capped},
	} {
		index := c.index
		t.Run(name, func(t *testing.T) {
			table := migrated(t, pool(t))
			a, b := newTestBackend(t, newPool(t, nil), table), newTestBackend(t, newPool(t, nil), table)
			now := farStart
			old := newRecord(0, 0, now, time.Hour)
			mustInsert(t, a, old)
			key := old.MemberID()
			if index == backend.IndexCustomer {
				key = old.CustomerID()
			}

			inFn, release := make(chan struct{}), make(chan struct{})
			var releaseOnce sync.Once
			// On failure too: the edit's transaction would block the
			// cleanup's DROP SCHEMA.
			defer releaseOnce.Do(func() { close(release) })
			type result struct {
				changes []backend.Change
				err     error
			}
			edited := make(chan result, 1)
			go func() {
				changes, err := a.Edit(bg, sel(index, key), func(cur *backend.Record) (backend.Op, *backend.Record, error) {
					close(inFn)
					<-release
					return backend.Delete, nil, nil
				})
				edited <- result{changes, err}
			}()
			<-inFn

			fresh := newRecord(0, 0, now, time.Hour)
			inserted := make(chan error, 1)
			go func() { inserted <- b.Insert(bg, fresh, c.admit) }()
			waitUntil(t, 10*time.Second, func() error { return waitingOnAdvisoryLock(pool(t)) })
			select {
			case err := <-inserted:
				t.Fatalf("Insert returned (%v) while an edit of its group was in progress", err)
			default:
			}

			releaseOnce.Do(func() { close(release) })
			r := <-edited
			if r.err != nil || len(r.changes) != 1 || r.changes[0].Old.ID != old.ID {
				t.Fatalf("Edit = %v, %v; want the one old record", r.changes, r.err)
			}
			if err := <-inserted; err != nil {
				t.Fatalf("Insert after the edit: %v", err)
			}
			if _, err := a.Find(bg, old.TokenHash, backend.RouteOf(old.CustomerID())); !errors.Is(err, sessionstore.ErrNotFound) {
				t.Errorf("Find(deleted) = %v", err)
			}
			if _, err := a.Find(bg, fresh.TokenHash, backend.RouteOf(fresh.CustomerID())); err != nil {
				t.Errorf("Find(inserted after the edit) = %v", err)
			}
		})
	}
}

// TestPurgeSkipsLockedRows holds row locks in another transaction, as an
// edit would: DeleteExpired skips those rows instead of waiting, and a
// lookup of a locked row answers at once.
func TestPurgeSkipsLockedRows(t *testing.T) {
	p := pool(t)
	table := migrated(t, p)
	b := newTestBackend(t, p, table)
	now := farStart
	var recs []*backend.Record
	for i := range 5 {
		recs = append(recs, newRecord(0, i, now, time.Minute))
	}
	mustInsert(t, b, recs...)

	other := newPool(t, nil)
	tx, err := other.BeginTx(bg, pgx.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(bg)
	if _, err := tx.Exec(bg, "SELECT 1 FROM "+b.t.quoted+" WHERE member_id = $1 FOR UPDATE", recs[0].MemberID()); err != nil {
		t.Fatal(err)
	}

	// Bounded, so that a purge or lookup that waited would fail instead of
	// hanging; they must not wait at all.
	ctx, cancel := context.WithTimeout(bg, 30*time.Second)
	defer cancel()
	if _, err := b.Find(ctx, recs[0].TokenHash, backend.RouteOf(recs[0].CustomerID())); err != nil {
		t.Fatalf("Find of a locked row: %v", err)
	}
	cutoff := now.Add(2 * time.Minute)
	if n, err := b.DeleteExpired(ctx, cutoff, 100); n != 4 || err != nil {
		t.Fatalf("DeleteExpired with one row locked = %d, %v; want 4", n, err)
	}
	if err := tx.Rollback(bg); err != nil {
		t.Fatal(err)
	}
	if n, err := b.DeleteExpired(ctx, cutoff, 100); n != 1 || err != nil {
		t.Fatalf("DeleteExpired after the lock = %d, %v; want 1", n, err)
	}
}

func TestBackendDeleteExpired(t *testing.T) {
	p := pool(t)
	b := newTestBackend(t, p, migrated(t, p))
	now := farStart
	var short, long []*backend.Record
	for i := range 7 {
		short = append(short, newRecord(0, i%2, now, time.Duration(i+1)*time.Minute))
		long = append(long, newRecord(0, i%2, now, 24*time.Hour))
	}
	mustInsert(t, b, short...)
	mustInsert(t, b, long...)
	for _, c := range []struct {
		cutoff time.Time
		limit  int
		want   int
	}{
		{now, 100, 0},
		{short[2].ExpiresAt, 100, 3}, // the cutoff is inclusive
		{now.Add(time.Hour), 2, 2},   // the limit bounds one call
		{now.Add(time.Hour), 100, 2},
		{now.Add(time.Hour), 0, 0},
	} {
		if n, err := b.DeleteExpired(bg, c.cutoff, c.limit); n != c.want || err != nil {
			t.Fatalf("DeleteExpired(%v, %d) = %d, %v; want %d", c.cutoff.Sub(now), c.limit, n, err, c.want)
		}
	}
	got, err := b.Select(bg, sel(backend.IndexCustomer, long[0].CustomerID()))
	if err != nil || len(got) != len(long) {
		t.Errorf("customer's records after the purge = %d, %v; want %d", len(got), err, len(long))
	}
}

func TestBackendEditAbortWritesNothing(t *testing.T) {
	p := pool(t)
	b := newTestBackend(t, p, migrated(t, p))
	recs := []*backend.Record{newRecord(0, 0, farStart, time.Hour), newRecord(0, 0, farStart, time.Hour), newRecord(0, 0, farStart, time.Hour)}
	mustInsert(t, b, recs...)
	boom := &sessionstore.ValidationError{Field: "member.customer_id", Reason: "nope"}
	calls := 0
	_, err := b.Edit(bg, sel(backend.IndexMember, recs[0].MemberID()), func(cur *backend.Record) (backend.Op, *backend.Record, error) {
		calls++
		switch calls {
		case 1:
			return backend.Delete, nil, nil
		case 3:
			return backend.Keep, nil, boom
		}
		next := *cur
		next.ReturnURL = "https://example.com/changed"
		return backend.Put, &next, nil
	})
	if err != boom {
		t.Errorf("Edit returned %v, want the EditFunc's error itself", err)
	}
	// A Put that changes the record's identity is refused.
	_, err = b.Edit(bg, sel(backend.IndexID, recs[0].ID), func(cur *backend.Record) (backend.Op, *backend.Record, error) {
		next := *cur
		next.ID = "00000000-0000-4000-8000-000000000000"
		return backend.Put, &next, nil
	})
	if !errors.Is(err, backend.ErrEditContract) || !strings.Contains(err.Error(), "sessionstore/postgres") {
		t.Errorf("Edit with an identity-changing Put = %v, want a wrapped ErrEditContract", err)
	}
	got, err := b.Select(bg, sel(backend.IndexMember, recs[0].MemberID()))
	if err != nil || len(got) != 3 {
		t.Fatalf("Select = %d records, %v", len(got), err)
	}
	for _, r := range got {
		if r.ReturnURL != "" {
			t.Errorf("an aborted edit changed record %s", r.ID)
		}
	}
	if _, err := b.Edit(bg, sel(backend.IndexID, "not-a-uuid"), deleteAll); !errors.Is(err, sessionstore.ErrNotFound) {
		t.Errorf("Edit(malformed ID) = %v, want ErrNotFound", err)
	}
	if got, err := b.Select(bg, sel(backend.IndexID, "not-a-uuid")); err != nil || len(got) != 0 {
		t.Errorf("Select(malformed ID) = %v, %v", got, err)
	}
}

// TestBackendCorrupt: a record that cannot be decoded is ErrCorrupt for
// Find, and a stub that carries the row's key columns for Select and Edit,
// which deletes it by key; the purge removes it once expired.
func TestBackendCorrupt(t *testing.T) {
	p := pool(t)
	b := newTestBackend(t, p, migrated(t, p))
	bad, good, old := newRecord(0, 0, farStart, time.Minute), newRecord(0, 0, farStart, time.Hour), newRecord(0, 1, farStart, time.Minute)
	mustInsert(t, b, bad, good, old)
	damage := func(r *backend.Record) {
		t.Helper()
		if _, err := p.Exec(bg, "UPDATE "+b.t.quoted+" SET record = '\\x81ff07'::bytea WHERE token_hash = $1", r.TokenHash[:]); err != nil {
			t.Fatal(err)
		}
	}
	damage(bad)
	damage(old)
	if _, err := b.Find(bg, bad.TokenHash, backend.RouteOf(bad.CustomerID())); !errors.Is(err, sessionstore.ErrCorrupt) {
		t.Errorf("Find(corrupt) = %v, want ErrCorrupt", err)
	}
	stub := func(what string, got []*backend.Record, err error) {
		t.Helper()
		if err != nil || len(got) == 0 {
			t.Fatalf("%s = %v, %v", what, got, err)
		}
		for _, r := range got {
			if r.TokenHash != bad.TokenHash {
				continue
			}
			if !errors.Is(r.Corrupt, sessionstore.ErrCorrupt) || r.ID != bad.ID || r.MemberID() != bad.MemberID() || r.CustomerID() != bad.CustomerID() {
				t.Errorf("%s: stub %+v, want the row's keys and a Corrupt error", what, r)
			}
			return
		}
		t.Errorf("%s: no stub of the corrupt record", what)
	}
	got, err := b.Select(bg, sel(backend.IndexID, bad.ID))
	stub("Select(ID)", got, err)
	got, err = b.Select(bg, sel(backend.IndexMember, bad.MemberID()))
	stub("Select(member)", got, err)
	if len(got) != 2 {
		t.Errorf("Select(member) = %d records, want the good one and the stub", len(got))
	}
	// A Put of a stub breaks the EditFunc contract; a Delete removes it.
	_, err = b.Edit(bg, sel(backend.IndexID, bad.ID), func(cur *backend.Record) (backend.Op, *backend.Record, error) {
		next := *cur
		return backend.Put, &next, nil
	})
	if !errors.Is(err, backend.ErrEditContract) {
		t.Errorf("Edit(Put of a stub) = %v, want ErrEditContract", err)
	}
	changes, err := b.Edit(bg, sel(backend.IndexMember, bad.MemberID()), func(cur *backend.Record) (backend.Op, *backend.Record, error) {
		if cur.Corrupt != nil {
			return backend.Delete, nil, nil
		}
		return backend.Keep, nil, nil
	})
	if err != nil || len(changes) != 1 || changes[0].Old.TokenHash != bad.TokenHash || changes[0].New != nil {
		t.Fatalf("Edit deleting the stub = %v, %v", changes, err)
	}
	if _, err := b.Find(bg, bad.TokenHash, backend.RouteOf(bad.CustomerID())); !errors.Is(err, sessionstore.ErrNotFound) {
		t.Errorf("Find(deleted stub) = %v, want ErrNotFound", err)
	}
	// The purge removes the other corrupt record once expired: it reads
	// only expires_at.
	if n, err := b.DeleteExpired(bg, farStart.Add(2*time.Minute), 10); n != 1 || err != nil {
		t.Errorf("DeleteExpired over a corrupt record = %d, %v; want 1", n, err)
	}
	if got, err := b.Select(bg, sel(backend.IndexCustomer, good.CustomerID())); err != nil || len(got) != 1 || got[0].ID != good.ID {
		t.Errorf("Select(customer) after all = %v, %v; want the good record", got, err)
	}
}

func TestBackendClosed(t *testing.T) {
	p := pool(t)
	b := newTestBackend(t, p, migrated(t, p))
	r := newRecord(0, 0, farStart, time.Hour)
	mustInsert(t, b, r)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Insert(bg, r, nil); !errors.Is(err, sessionstore.ErrClosed) {
		t.Errorf("Insert after Close = %v", err)
	}
	if _, err := b.Find(bg, r.TokenHash, backend.RouteOf(r.CustomerID())); !errors.Is(err, sessionstore.ErrClosed) {
		t.Errorf("Find after Close = %v", err)
	}
	if _, err := b.Select(bg, sel(backend.IndexID, r.ID)); !errors.Is(err, sessionstore.ErrClosed) {
		t.Errorf("Select after Close = %v", err)
	}
	if _, err := b.Edit(bg, sel(backend.IndexID, r.ID), deleteAll); !errors.Is(err, sessionstore.ErrClosed) {
		t.Errorf("Edit after Close = %v", err)
	}
	if _, err := b.DeleteExpired(bg, farStart, 1); !errors.Is(err, sessionstore.ErrClosed) {
		t.Errorf("DeleteExpired after Close = %v", err)
	}
}

// TestRetry checks the classification of retryable errors: a transaction
// that keeps failing with a serialization failure gives up after
// maxAttempts, wrapped; any other error ends it at once.
func TestRetry(t *testing.T) {
	p := pool(t)
	attempts := 0
	err := inTx(bg, p, func(tx pgx.Tx) error {
		attempts++
		_, err := tx.Exec(bg, `DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = 'serialization_failure'; END $$`)
		return err
	})
	if attempts != maxAttempts || !retryable(err) {
		t.Errorf("after %d attempts: %v; want %d attempts and the 40001 error", attempts, err, maxAttempts)
	}
	attempts = 0
	err = inTx(bg, p, func(tx pgx.Tx) error {
		attempts++
		if attempts == 1 {
			_, err := tx.Exec(bg, `DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = 'deadlock_detected'; END $$`)
			return err
		}
		return nil
	})
	if attempts != 2 || err != nil {
		t.Errorf("a deadlock then success: %d attempts, %v", attempts, err)
	}
	attempts = 0
	err = inTx(bg, p, func(tx pgx.Tx) error {
		attempts++
		_, err := tx.Exec(bg, "SELECT 1/0")
		return err
	})
	if attempts != 1 || err == nil || retryable(err) {
		t.Errorf("division by zero: %d attempts, %v", attempts, err)
	}
}

// TestStatementTimeout: an edit that the server cancels (statement_timeout,
// while another transaction holds its row) is a wrapped *pgconn.PgError,
// never ErrNotFound, and changes nothing.
func TestStatementTimeout(t *testing.T) {
	table := migrated(t, pool(t))
	short := newPool(t, func(c *pgxpool.Config) { c.ConnConfig.RuntimeParams["statement_timeout"] = "200" })
	s := newStore(t, short, table, &sessionstore.Options{SweepInterval: -1})
	ms, err := s.Create(bg, createParams(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	tx, err := pool(t).Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(bg)
	if _, err := tx.Exec(bg, "SELECT 1 FROM "+s.b.t.quoted+" FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	err = s.Revoke(bg, ms.ID)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" || errors.Is(err, sessionstore.ErrNotFound) || !strings.Contains(err.Error(), "sessionstore/postgres") {
		t.Fatalf("Revoke of a locked row under statement_timeout = %v, want a wrapped query_canceled (57014)", err)
	}
	if err := tx.Rollback(bg); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lookup(bg, ms.Token); err != nil {
		t.Errorf("Lookup after the timed-out Revoke = %v", err)
	}
}

// TestBackendSuite runs the backend-level suite, each test on a table of
// its own.
func TestBackendSuite(t *testing.T) {
	requireServer(t)
	storetest.RunBackend(t, func(t *testing.T) backend.Backend {
		p := pool(t)
		return newTestBackend(t, p, migrated(t, p))
	})
}
