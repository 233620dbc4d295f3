package badger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/storetest"
)

var t0 = time.Date(2026, 1, 20, 10, 0, 0, 0, time.UTC)

// newTestBackend returns a backend on a fresh in-memory DB whose memtable
// is memTable bytes (small values make transactions too big sooner).
func newTestBackend(t *testing.T, memTable int64) *storage {
	t.Helper()
	db, err := badgerdb.Open(badgerdb.DefaultOptions("").WithInMemory(true).
		WithLogger(nil).WithMemTableSize(memTable).WithValueThreshold(min(valueThreshold, memTable/10)))
	if err != nil {
		t.Fatal(err)
	}
	b := newStorage(db, true, -1)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// record returns record n of member m of customer c, expiring at exp.
func record(n, c, m int, exp time.Time) *backend.Record {
	cust := storetest.NewCustomer(c)
	cust.CreatedAt = cust.CreatedAt.Truncate(time.Microsecond)
	cust.ModifiedAt = nil
	mem := storetest.NewMember(cust.ID, m)
	mem.CreatedAt = mem.CreatedAt.Truncate(time.Microsecond)
	mem.ModifiedAt = nil
	return &backend.Record{
		ID:        fmt.Sprintf("00000000-0000-4000-8000-%012d", n),
		TokenHash: sha256.Sum256(fmt.Appendf(nil, "token %d", n)),
		CreatedAt: t0,
		ExpiresAt: exp,
		Member:    &mem,
		Customer:  &cust,
	}
}

func mustInsert(t testing.TB, b *storage, recs ...*backend.Record) {
	t.Helper()
	for _, r := range recs {
		if err := b.Insert(context.Background(), r, nil); err != nil {
			t.Fatalf("Insert: %v", err)
		}
	}
}

func ids(recs []*backend.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	slices.Sort(out)
	return out
}

func TestBackendInsertFindSelect(t *testing.T) {
	b := newTestBackend(t, 8<<20)
	ctx := context.Background()
	r1, r2, r3 := record(1, 1, 1, t0.Add(time.Hour)), record(2, 1, 2, t0.Add(time.Hour)), record(3, 2, 1, t0.Add(time.Hour))
	mustInsert(t, b, r1, r2, r3)
	got, err := b.Find(ctx, r2.TokenHash)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r2) {
		t.Errorf("Find = %+v, want %+v", got, r2)
	}
	if _, err := b.Find(ctx, sha256.Sum256([]byte("unknown"))); !errors.Is(err, sessionstore.ErrNotFound) {
		t.Errorf("Find of an unknown hash = %v", err)
	}
	for _, tc := range []struct {
		sel  backend.Selector
		want []string
	}{
		{backend.Selector{Index: backend.IndexID, Key: r3.ID}, []string{r3.ID}},
		{backend.Selector{Index: backend.IndexID, Key: "nope"}, nil},
		{backend.Selector{Index: backend.IndexMember, Key: r1.MemberID()}, []string{r1.ID}},
		{backend.Selector{Index: backend.IndexCustomer, Key: r1.CustomerID()}, []string{r1.ID, r2.ID}},
		{backend.Selector{Index: backend.IndexCustomer, Key: r3.CustomerID()}, []string{r3.ID}},
		// A prefix of a key selects nothing.
		{backend.Selector{Index: backend.IndexCustomer, Key: r3.CustomerID()[:10]}, nil},
		{backend.Selector{Index: backend.IndexMember, Key: ""}, nil},
	} {
		recs, err := b.Select(ctx, tc.sel)
		if err != nil {
			t.Fatalf("Select(%+v): %v", tc.sel, err)
		}
		if recs == nil {
			t.Errorf("Select(%+v) = nil, want an empty slice", tc.sel)
		}
		if got := ids(recs); !reflect.DeepEqual(got, tc.want) && len(got)+len(tc.want) > 0 {
			t.Errorf("Select(%+v) = %v, want %v", tc.sel, got, tc.want)
		}
	}
	if _, err := b.Select(ctx, backend.Selector{Index: 99}); err == nil {
		t.Error("Select with an unknown index succeeded")
	}
	checkConsistency(t, b.db, false)
}

func TestBackendEdit(t *testing.T) {
	b := newTestBackend(t, 8<<20)
	ctx := context.Background()
	var recs []*backend.Record
	for i := range 6 {
		recs = append(recs, record(i, 1, i%2, t0.Add(time.Duration(i)*time.Minute)))
	}
	mustInsert(t, b, recs...)
	member0 := backend.Selector{Index: backend.IndexMember, Key: recs[0].MemberID()}

	// Selecting an ID that is not stored.
	_, err := b.Edit(ctx, backend.Selector{Index: backend.IndexID, Key: "missing"}, func(*backend.Record) (backend.Op, *backend.Record, error) {
		t.Error("fn called")
		return backend.Keep, nil, nil
	})
	if !errors.Is(err, sessionstore.ErrNotFound) {
		t.Errorf("Edit of a missing ID = %v", err)
	}

	// An error aborts everything, and comes back as it is.
	boom := &sessionstore.ValidationError{Field: "x", Reason: "boom"}
	calls := 0
	_, err = b.Edit(ctx, member0, func(cur *backend.Record) (backend.Op, *backend.Record, error) {
		if calls++; calls == 3 {
			return backend.Keep, nil, boom
		}
		return backend.Delete, nil, nil
	})
	if err != boom { //nolint:errorlint // the very error
		t.Errorf("Edit = %v, want fn's error as it is", err)
	}
	if got, _ := b.Select(ctx, member0); len(got) != 3 {
		t.Errorf("after an aborted edit, %d records, want 3", len(got))
	}

	// Keep everything: no change.
	changes, err := b.Edit(ctx, member0, func(*backend.Record) (backend.Op, *backend.Record, error) {
		return backend.Keep, nil, nil
	})
	if err != nil || len(changes) != 0 {
		t.Errorf("Edit keeping all = %v, %v", changes, err)
	}

	// A replacement must keep the keys.
	for name, mutate := range map[string]func(r *backend.Record){
		"ID":       func(r *backend.Record) { r.ID = "other" },
		"hash":     func(r *backend.Record) { r.TokenHash[0]++ },
		"member":   func(r *backend.Record) { m := *r.Member; m.ID = "other"; r.Member = &m },
		"customer": func(r *backend.Record) { c := *r.Customer; c.ID = "other"; r.Customer = &c },
		"nil":      nil,
	} {
		_, err := b.Edit(ctx, member0, func(cur *backend.Record) (backend.Op, *backend.Record, error) {
			if mutate == nil {
				return backend.Put, nil, nil
			}
			next := *cur
			mutate(&next)
			return backend.Put, &next, nil
		})
		if !errors.Is(err, backend.ErrEditContract) {
			t.Errorf("Put changing the %s: %v", name, err)
		}
	}

	// Put: extend one, change another's member snapshot; delete a third.
	renamed := *recs[2].Member
	renamed.Email = "new@example.com"
	changes, err = b.Edit(ctx, member0, func(cur *backend.Record) (backend.Op, *backend.Record, error) {
		next := *cur
		switch cur.ID {
		case recs[0].ID:
			next.ExpiresAt = t0.Add(10 * time.Hour)
			next.ModifiedAt = t0.Add(time.Minute)
		case recs[2].ID:
			next.Member = &renamed
		default:
			return backend.Delete, nil, nil
		}
		return backend.Put, &next, nil
	})
	if err != nil || len(changes) != 3 {
		t.Fatalf("Edit = %d changes, %v", len(changes), err)
	}
	for _, c := range changes {
		if c.Old == nil || (c.Old.ID == recs[4].ID) != (c.New == nil) {
			t.Errorf("change %+v", c)
		}
	}
	got, err := b.Find(ctx, recs[0].TokenHash)
	if err != nil || !got.ExpiresAt.Equal(t0.Add(10*time.Hour)) || !got.ModifiedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("extended record = %+v, %v", got, err)
	}
	if got, err := b.Find(ctx, recs[2].TokenHash); err != nil || got.Member.Email != "new@example.com" {
		t.Errorf("updated record = %+v, %v", got, err)
	}
	if _, err := b.Find(ctx, recs[4].TokenHash); !errors.Is(err, sessionstore.ErrNotFound) {
		t.Errorf("deleted record: %v", err)
	}
	checkConsistency(t, b.db, false)

	// The moved expiry entry: the extended record is not purged early.
	if n, err := b.DeleteExpired(ctx, t0.Add(time.Hour), 100); err != nil || n != 4 {
		t.Errorf("DeleteExpired = %d, %v; want 4", n, err)
	}
	if _, err := b.Find(ctx, recs[0].TokenHash); err != nil {
		t.Errorf("extended record after the purge: %v", err)
	}
	checkConsistency(t, b.db, false)
}

func TestBackendDeleteExpiredCutoffAndLimit(t *testing.T) {
	b := newTestBackend(t, 8<<20)
	ctx := context.Background()
	// Expiries before and after 1970 too: the keys must sort like times.
	var recs []*backend.Record
	for i, exp := range []time.Time{
		time.Unix(-5000, 0).UTC(), time.Unix(-1, 999999000).UTC(), time.Unix(0, 0).UTC(),
		t0, t0.Add(time.Microsecond), t0.Add(time.Second), t0.Add(time.Hour),
	} {
		recs = append(recs, record(i, i%2, i%3, exp))
	}
	rand.Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
	mustInsert(t, b, recs...)
	if n, err := b.DeleteExpired(ctx, time.Unix(-1, 0), 100); err != nil || n != 1 {
		t.Errorf("DeleteExpired(-1s) = %d, %v; want 1", n, err)
	}
	if n, err := b.DeleteExpired(ctx, t0, 1); err != nil || n != 1 {
		t.Errorf("DeleteExpired(t0, limit 1) = %d, %v; want 1", n, err)
	}
	// The cutoff is inclusive.
	if n, err := b.DeleteExpired(ctx, t0, 100); err != nil || n != 2 {
		t.Errorf("DeleteExpired(t0) = %d, %v; want 2", n, err)
	}
	if n, err := b.DeleteExpired(ctx, t0, 100); err != nil || n != 0 {
		t.Errorf("DeleteExpired(t0) again = %d, %v; want 0", n, err)
	}
	if c := checkConsistency(t, b.db, false); c.records != 3 {
		t.Errorf("%d records left, want 3", c.records)
	}
	// A record inserted below the purged range is still found.
	mustInsert(t, b, record(100, 5, 5, time.Unix(-10000, 0).UTC()))
	if n, err := b.DeleteExpired(ctx, t0.Add(time.Hour), 100); err != nil || n != 4 {
		t.Errorf("DeleteExpired(t0+1h) = %d, %v; want 4", n, err)
	}
	if n := countKeys(t, b.db, []byte(keyPrefix)); n != 0 {
		t.Errorf("%d keys left", n)
	}
}

// TestBackendLargeEdits: edits and purges too big for one Badger
// transaction are split, and still leave every index consistent.
func TestBackendLargeEdits(t *testing.T) {
	// A 1 MiB memtable lets a transaction hold about 1600 entries.
	b := newTestBackend(t, 1<<20)
	ctx := context.Background()
	const n = 1500
	var recs []*backend.Record
	for i := range n {
		recs = append(recs, record(i, i%2, 0, t0.Add(time.Duration(i)*time.Second)))
	}
	mustInsert(t, b, recs...)
	customer0 := backend.Selector{Index: backend.IndexCustomer, Key: recs[0].CustomerID()}

	// A Put of every record of a customer, with a new expiry.
	changes, err := b.Edit(ctx, customer0, func(cur *backend.Record) (backend.Op, *backend.Record, error) {
		next := *cur
		next.ExpiresAt = cur.ExpiresAt.Add(24 * time.Hour)
		next.ModifiedAt = t0
		return backend.Put, &next, nil
	})
	if err != nil || len(changes) != n/2 {
		t.Fatalf("large Put edit = %d changes, %v", len(changes), err)
	}
	checkConsistency(t, b.db, false)
	if b.splits.Load() == 0 {
		t.Fatal("the large Put edit fit in one transaction: the test is too small")
	}
	splits := b.splits.Load()

	// An error from fn still changes nothing: fn sees every record before
	// anything is written.
	calls := 0
	_, err = b.Edit(ctx, customer0, func(cur *backend.Record) (backend.Op, *backend.Record, error) {
		if calls++; calls == n/2 {
			return backend.Keep, nil, errors.New("last one")
		}
		return backend.Delete, nil, nil
	})
	if err == nil || len(mustSelect(t, b, customer0)) != n/2 {
		t.Fatalf("aborted large edit: %v", err)
	}

	// A large delete.
	changes, err = b.Edit(ctx, customer0, func(cur *backend.Record) (backend.Op, *backend.Record, error) {
		return backend.Delete, nil, nil
	})
	if err != nil || len(changes) != n/2 {
		t.Fatalf("large Delete edit = %d changes, %v", len(changes), err)
	}
	if got := mustSelect(t, b, customer0); len(got) != 0 {
		t.Errorf("%d records left", len(got))
	}
	checkConsistency(t, b.db, false)
	if b.splits.Load() == splits {
		t.Error("the large Delete edit fit in one transaction")
	}
	splits = b.splits.Load()

	// A large purge, in one call.
	got, err := b.DeleteExpired(ctx, t0.Add(time.Hour*1000), 1<<30)
	if err != nil || got != n/2 {
		t.Fatalf("large DeleteExpired = %d, %v; want %d", got, err, n/2)
	}
	if c := countKeys(t, b.db, []byte(keyPrefix)); c != 0 {
		t.Errorf("%d keys left", c)
	}
	if b.splits.Load() == splits {
		t.Error("the large purge fit in one transaction")
	}
}

func mustSelect(t *testing.T, b *storage, sel backend.Selector) []*backend.Record {
	t.Helper()
	recs, err := b.Select(context.Background(), sel)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestBackendEditSeesConcurrentInserts: an Edit of a group either sees an
// Insert into it or is ordered before it, so a delete-all never leaves a
// record that was inserted before it started.
func TestBackendEditSeesConcurrentInserts(t *testing.T) {
	b := newTestBackend(t, 8<<20)
	ctx := context.Background()
	var (
		mu       sync.Mutex
		inserted []*backend.Record
		wg       sync.WaitGroup
		next     = 0
	)
	stop := make(chan struct{})
	for w := range 3 {
		wg.Go(func() {
			for i := w; ; i += 3 {
				select {
				case <-stop:
					return
				default:
				}
				r := record(i, 1, 1, t0.Add(time.Hour))
				if err := b.Insert(ctx, r, nil); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				inserted = append(inserted, r)
				mu.Unlock()
			}
		})
	}
	member := backend.Selector{Index: backend.IndexMember, Key: record(0, 1, 1, t0).MemberID()}
	for range 30 {
		for {
			mu.Lock()
			n := len(inserted) - next
			mu.Unlock()
			if n >= 3 {
				break
			}
			runtime.Gosched()
		}
		mu.Lock()
		before := inserted[next:]
		next = len(inserted)
		mu.Unlock()
		if _, err := b.Edit(ctx, member, func(*backend.Record) (backend.Op, *backend.Record, error) {
			return backend.Delete, nil, nil
		}); err != nil {
			t.Fatal(err)
		}
		for _, r := range before {
			if _, err := b.Find(ctx, r.TokenHash); !errors.Is(err, sessionstore.ErrNotFound) {
				t.Fatalf("a record inserted before the edit survived it: %v", err)
			}
		}
	}
	close(stop)
	wg.Wait()
	checkConsistency(t, b.db, false)
}

// TestBackendPurgeRacingWrites: purges running while records with random
// expiries are inserted and extended lose nothing: the final purge of
// everything leaves no key.
func TestBackendPurgeRacingWrites(t *testing.T) {
	b := newTestBackend(t, 8<<20)
	ctx := context.Background()
	const n = 600
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for i := w; i < n; i += 3 {
				r := record(i, i%4, i%7, t0.Add(time.Duration(rng.IntN(3600))*time.Second))
				if err := b.Insert(ctx, r, nil); err != nil {
					t.Error(err)
					return
				}
				if i%5 == 0 {
					_, err := b.Edit(ctx, backend.Selector{Index: backend.IndexID, Key: r.ID}, func(cur *backend.Record) (backend.Op, *backend.Record, error) {
						next := *cur
						next.ExpiresAt = t0.Add(time.Duration(rng.IntN(3600)) * time.Second)
						return backend.Put, &next, nil
					})
					if err != nil && !errors.Is(err, sessionstore.ErrNotFound) {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	purged := 0
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for cutoff := t0; ; cutoff = cutoff.Add(time.Minute) {
		k, err := b.DeleteExpired(ctx, cutoff, 7)
		if err != nil {
			t.Fatal(err)
		}
		purged += k
		select {
		case <-done:
		default:
			continue
		}
		break
	}
	k, err := b.DeleteExpired(ctx, t0.Add(2*time.Hour), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if purged+k != n {
		t.Errorf("purged %d records of %d", purged+k, n)
	}
	if c := countKeys(t, b.db, []byte(keyPrefix)); c != 0 {
		t.Errorf("%d keys left", c)
	}
}

func TestExpiryKeysSortByTime(t *testing.T) {
	times := []time.Time{
		time.UnixMicro(-1 << 62), time.Unix(-86400*365*100, 0), time.Unix(-1, 0), time.Unix(0, -1000),
		time.Unix(0, 0), time.Unix(0, 1000), time.Unix(1, 0), t0, time.UnixMicro(1 << 62),
	}
	for i := 1; i < len(times); i++ {
		a, b := expiryKey(times[i-1], "z"), expiryKey(times[i], "a")
		if bytes.Compare(a, b) >= 0 {
			t.Errorf("expiry key of %v does not sort before that of %v", times[i-1], times[i])
		}
	}
}

func TestKeyHelpers(t *testing.T) {
	h := sha256.Sum256([]byte("x"))
	v := expiryValue(h, "member", "customer")
	gh, m, c, ok := parseExpiryValue(v)
	if !ok || gh != h || m != "member" || c != "customer" {
		t.Errorf("parseExpiryValue = %x %q %q %v", gh, m, c, ok)
	}
	for i := range len(v) {
		if _, _, _, ok := parseExpiryValue(v[:i]); ok {
			t.Errorf("a %d-byte prefix of an expiry value parses", i)
		}
	}
	if _, _, _, ok := parseExpiryValue(append(bytes.Clone(v), 0)); ok {
		t.Error("an expiry value with a trailing byte parses")
	}
	// Group prefixes are length-prefixed: one group's prefix never starts
	// another's key.
	if bytes.HasPrefix(groupKey(tagMember, "abc", "id"), groupPrefix(tagMember, "ab")) {
		t.Error("member ab's prefix matches member abc's keys")
	}
	for _, k := range [][]byte{recordKey(h), idKey("i"), groupKey(tagCustomer, "c", "i"), countKey(tagMember, "m"), expiryKey(t0, "i")} {
		if !bytes.HasPrefix(k, []byte(keyPrefix)) {
			t.Errorf("key %q lacks the prefix", k)
		}
	}
}

// TestReplan: a later chunk of a split edit keeps the steps of unchanged
// records, asks fn again about changed ones and drops deleted ones.
func TestReplan(t *testing.T) {
	b := newTestBackend(t, 8<<20)
	ctx := context.Background()
	recs := []*backend.Record{record(0, 1, 1, t0.Add(time.Hour)), record(1, 1, 1, t0.Add(time.Hour)), record(2, 1, 1, t0.Add(time.Hour))}
	mustInsert(t, b, recs...)
	member := backend.Selector{Index: backend.IndexMember, Key: recs[0].MemberID()}
	del := func(*backend.Record) (backend.Op, *backend.Record, error) {
		return backend.Delete, nil, nil
	}
	txn := b.db.NewTransaction(true)
	plan, err := b.plan(ctx, txn, member, del)
	txn.Discard()
	if err != nil || len(plan) != 3 {
		t.Fatalf("plan = %d steps, %v", len(plan), err)
	}
	byID := func(id string) backend.Selector {
		return backend.Selector{Index: backend.IndexID, Key: id}
	}
	if _, err := b.Edit(ctx, byID(recs[1].ID), func(cur *backend.Record) (backend.Op, *backend.Record, error) {
		next := *cur
		next.ModifiedAt = t0
		return backend.Put, &next, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Edit(ctx, byID(recs[2].ID), del); err != nil {
		t.Fatal(err)
	}
	var asked []string
	txn = b.db.NewTransaction(true)
	defer txn.Discard()
	steps, err := replan(txn, func(cur *backend.Record) (backend.Op, *backend.Record, error) {
		asked = append(asked, cur.ID)
		if !cur.ModifiedAt.Equal(t0) {
			t.Errorf("fn got the old version of %s", cur.ID)
		}
		return backend.Keep, nil, nil
	}, plan)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 1 || steps[0].rec.ID != recs[0].ID {
		t.Errorf("replan kept %d steps, want only the unchanged record's", len(steps))
	}
	if !reflect.DeepEqual(asked, []string{recs[1].ID}) {
		t.Errorf("fn asked about %v, want only the changed record", asked)
	}
}
