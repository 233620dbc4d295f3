package badger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/internal/testkit"
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
	b := newStorage(db, true, -1, nil)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// newDiskBackend returns a backend on a DB in a fresh directory. Once the
// test has closed it, the DB is opened again and checked: every record has
// exactly its index entries and counters, and nothing else is stored.
func newDiskBackend(t *testing.T) *storage {
	t.Helper()
	dir := t.TempDir()
	opts := badgerdb.DefaultOptions(dir).WithLogger(nil)
	db, err := badgerdb.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db, err := badgerdb.Open(opts)
		if err != nil {
			t.Fatalf("reopening the DB: %v", err)
		}
		defer db.Close()
		checkConsistency(t, db, false)
	})
	return newStorage(db, true, -1, nil)
}

// TestBackendSuite runs the backend-level suite on disk and in memory.
func TestBackendSuite(t *testing.T) {
	t.Run("Disk", func(t *testing.T) {
		storetest.RunBackend(t, func(t *testing.T) backend.Backend { return newDiskBackend(t) })
	})
	t.Run("InMemory", func(t *testing.T) {
		storetest.RunBackend(t, func(t *testing.T) backend.Backend { return newTestBackend(t, 8<<20) })
	})
}

func TestBackendUnknownIndex(t *testing.T) {
	b := newTestBackend(t, 8<<20)
	if _, err := b.Select(context.Background(), backend.Selector{Index: 99}); err == nil {
		t.Error("Select with an unknown index succeeded")
	}
}

// TestBackendPurgeFloor: a record inserted with an expiry below the range
// an earlier purge emptied is still purged.
func TestBackendPurgeFloor(t *testing.T) {
	b := newTestBackend(t, 8<<20)
	ctx := context.Background()
	for i := range 5 {
		testkit.MustInsert(t, b, storetest.NewRecord(i, 1, i, t0.Add(time.Duration(i)*time.Minute)))
	}
	if n, err := b.DeleteExpired(ctx, t0.Add(10*time.Minute), 100); err != nil || n != 5 {
		t.Fatalf("DeleteExpired = %d, %v; want 5", n, err)
	}
	testkit.MustInsert(t, b, storetest.NewRecord(100, 5, 5, time.Unix(-10000, 0).UTC()))
	if n, err := b.DeleteExpired(ctx, t0, 100); err != nil || n != 1 {
		t.Errorf("DeleteExpired below the purged range = %d, %v; want 1", n, err)
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
		recs = append(recs, storetest.NewRecord(i, i%2, 0, t0.Add(time.Duration(i)*time.Second)))
	}
	testkit.MustInsert(t, b, recs...)
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
				r := storetest.NewRecord(i, i%4, i%7, t0.Add(time.Duration(rng.IntN(3600))*time.Second))
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
	for _, k := range [][]byte{recordKey(h), idKey("i"), groupKey(tagCustomer, "c", "i"), expiryKey(t0, "i")} {
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
	recs := []*backend.Record{storetest.NewRecord(0, 1, 1, t0.Add(time.Hour)), storetest.NewRecord(1, 1, 1, t0.Add(time.Hour)), storetest.NewRecord(2, 1, 1, t0.Add(time.Hour))}
	testkit.MustInsert(t, b, recs...)
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
	}, member, plan)
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
