package redis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/internal/testkit"
	"github.com/memberkit/sessionstore/storetest"
)

// These tests drive the backend directly through the Backend interface,
// and look at what it leaves in Redis.

var bg = context.Background()

func sel(i backend.Index, key string) backend.Selector {
	return backend.Selector{Index: i, Key: key}
}

// dumpAll returns every key of the prefix with its DUMP, to compare the
// whole state before and after an operation.
func dumpAll(t *testing.T, c *goredis.Client, prefix string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, k := range scanKeys(t, bg, c, prefix) {
		d, err := c.Dump(bg, k).Result()
		if err != nil {
			t.Fatalf("DUMP %s: %v", k, err)
		}
		out[k] = d
	}
	return out
}

// TestBackendSuite runs the backend-level suite, each test under a prefix of
// its own, and then checks that every record it left has its ID key, set
// entries and expiry entry, and every index entry its record.
func TestBackendSuite(t *testing.T) {
	requireServer(t)
	storetest.RunBackend(t, func(t *testing.T) backend.Backend {
		b, _, c, prefix := newTestBackend(t)
		t.Cleanup(func() { checkConsistent(t, b, c, prefix) })
		return b
	})
}

// TestBackendInsertDuplicate: the insert script refuses a token hash or an
// ID that is already stored, and writes nothing.
func TestBackendInsertDuplicate(t *testing.T) {
	b, clk, c, prefix := newTestBackend(t)
	cu := testCustomer(0)
	r := newRecord(testMember(cu, 0), cu, clk.Now(), time.Hour)
	testkit.MustInsert(t, b, r)
	before := dumpAll(t, c, prefix)
	sameID := newRecord(testMember(cu, 1), cu, clk.Now(), time.Hour)
	sameID.ID = r.ID
	for _, dup := range []*backend.Record{r, sameID} {
		if err := b.Insert(bg, dup, nil); err == nil || errors.Is(err, sessionstore.ErrNotFound) {
			t.Errorf("Insert(duplicate) = %v, want an error", err)
		}
	}
	if fmt.Sprint(before) != fmt.Sprint(dumpAll(t, c, prefix)) {
		t.Errorf("a refused Insert changed Redis")
	}
}

func TestBackendKeyLayoutAndTTL(t *testing.T) {
	b, clk, c, prefix := newTestBackend(t)
	cu := testCustomer(0)
	m := testMember(cu, 0)
	m.ID = "odd {member} id ü" // braces in an ID must not move the slot
	r := newRecord(m, cu, clk.Now(), 2*time.Hour)
	testkit.MustInsert(t, b, r)

	tag := "{" + prefix + "}"
	h := r.TokenHash.String()
	want := []string{tag + "s:" + h, tag + "id:" + r.ID, tag + "mem:" + m.ID, tag + "cus:" + cu.ID, tag + "exp"}
	got := scanKeys(t, bg, c, prefix)
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("keys = %q, want %q", got, want)
	}
	slot := keySlot(want[0])
	for _, k := range got {
		if keySlot(k) != slot {
			t.Errorf("key %q is in slot %d, want %d", k, keySlot(k), slot)
		}
	}
	if typ := c.Type(bg, tag+"s:"+h).Val(); typ != "hash" {
		t.Errorf("record key type %q", typ)
	}
	if got := c.Get(bg, tag+"id:"+r.ID).Val(); got != h {
		t.Errorf("ID key holds %q, want %q", got, h)
	}
	if s := c.ZScore(bg, tag+"exp", h).Val(); int64(s) != r.ExpiresAt.UnixMicro() {
		t.Errorf("expiry score %v, want %d", s, r.ExpiresAt.UnixMicro())
	}

	// The TTL is relative to the store's clock (which is years from wall
	// time): 2h of life plus the 1h margin.
	wantTTL := 3 * time.Hour
	for _, k := range got {
		ttl := c.PTTL(bg, k).Val()
		if ttl < wantTTL-time.Minute || ttl > wantTTL {
			t.Errorf("PTTL(%s) = %v, want about %v", k, ttl, wantTTL)
		}
	}

	// A Put that extends the record extends its keys and the index keys.
	clk.Advance(30 * time.Minute)
	now := clk.Now().Truncate(time.Microsecond)
	changes, err := b.Edit(bg, sel(backend.IndexID, r.ID), func(cur *backend.Record) (backend.Op, *backend.Record, error) {
		next := *cur
		next.ExpiresAt = now.Add(10 * time.Hour)
		next.ModifiedAt = now
		return backend.Put, &next, nil
	})
	if err != nil || len(changes) != 1 || changes[0].New == nil {
		t.Fatalf("Edit = %v, %v", changes, err)
	}
	wantTTL = 11 * time.Hour
	for _, k := range got {
		ttl := c.PTTL(bg, k).Val()
		if ttl < wantTTL-time.Minute || ttl > wantTTL {
			t.Errorf("after extend, PTTL(%s) = %v, want about %v", k, ttl, wantTTL)
		}
	}
	if s := c.ZScore(bg, tag+"exp", h).Val(); int64(s) != now.Add(10*time.Hour).UnixMicro() {
		t.Errorf("expiry score after extend %v", s)
	}
	back, err := b.Find(bg, r.TokenHash, backend.RouteOf(r.CustomerID()))
	if err != nil || !back.ExpiresAt.Equal(now.Add(10*time.Hour)) || !back.ModifiedAt.Equal(now) {
		t.Errorf("Find after extend = %+v, %v", back, err)
	}
}

// keySlot is Redis Cluster's HASH_SLOT: CRC16 (XMODEM) of the hash tag,
// or of the whole key when it has none, modulo 16384.
func keySlot(key string) int {
	if i := indexByte(key, '{'); i >= 0 {
		if j := indexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for i := 0; i < len(key); i++ {
		crc ^= uint16(key[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc) % 16384
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func TestKeySlotMatchesRedis(t *testing.T) {
	// CRC16/XMODEM's check value, and CLUSTER KEYSLOT of a few keys.
	for key, want := range map[string]int{"123456789": 0x31c3, "foo": 12182, "{foo}bar": 12182, "a{foo}{x}": 12182} {
		if got := keySlot(key); got != want {
			t.Errorf("keySlot(%q) = %d, want %d", key, got, want)
		}
	}
}

// TestBackendEditDeleteLeavesNoKeys: deleting every record, by member and by
// ID, leaves no key at all, not even an empty set or the expiry zset.
func TestBackendEditDeleteLeavesNoKeys(t *testing.T) {
	b, clk, c, prefix := newTestBackend(t)
	cu := testCustomer(0)
	m0, m1 := testMember(cu, 0), testMember(cu, 1)
	gone := newRecord(m1, cu, clk.Now(), time.Hour)
	testkit.MustInsert(t, b, newRecord(m0, cu, clk.Now(), time.Hour), newRecord(m0, cu, clk.Now(), time.Hour), gone)
	del := func(*backend.Record) (backend.Op, *backend.Record, error) {
		return backend.Delete, nil, nil
	}
	if _, err := b.Edit(bg, sel(backend.IndexMember, m0.ID), del); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Edit(bg, sel(backend.IndexID, gone.ID), del); err != nil {
		t.Fatal(err)
	}
	if keys := scanKeys(t, bg, c, prefix); len(keys) != 0 {
		t.Errorf("keys left after every session was deleted: %q", keys)
	}
}

func TestBackendEditAbortWritesNothing(t *testing.T) {
	b, clk, c, prefix := newTestBackend(t)
	cu := testCustomer(0)
	m := testMember(cu, 0)
	recs := []*backend.Record{newRecord(m, cu, clk.Now(), time.Hour), newRecord(m, cu, clk.Now(), time.Hour), newRecord(m, cu, clk.Now(), time.Hour)}
	testkit.MustInsert(t, b, recs...)
	before := dumpAll(t, c, prefix)

	boom := &sessionstore.ValidationError{Field: "member.customer_id", Reason: "nope"}
	calls := 0
	_, err := b.Edit(bg, sel(backend.IndexMember, m.ID), func(cur *backend.Record) (backend.Op, *backend.Record, error) {
		calls++
		if calls == 3 { // the first two decided to write
			return backend.Keep, nil, boom
		}
		if calls == 1 {
			return backend.Delete, nil, nil
		}
		next := *cur
		next.ReturnURL = "https://example.com/changed"
		return backend.Put, &next, nil
	})
	if err != boom {
		t.Errorf("Edit returned %v, want fn's error itself", err)
	}
	if !errors.Is(err, sessionstore.ErrInvalid) {
		t.Errorf("fn's validation error no longer matches ErrInvalid: %v", err)
	}
	after := dumpAll(t, c, prefix)
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("an aborted edit changed Redis")
	}

	// A Put that changes the record's identity is refused, writing nothing.
	_, err = b.Edit(bg, sel(backend.IndexID, recs[0].ID), func(cur *backend.Record) (backend.Op, *backend.Record, error) {
		next := *cur
		next.ID = "00000000-0000-4000-8000-000000000000"
		return backend.Put, &next, nil
	})
	if err == nil || errors.Is(err, sessionstore.ErrNotFound) {
		t.Errorf("Edit with identity-changing Put = %v, want an error", err)
	}
	if fmt.Sprint(before) != fmt.Sprint(dumpAll(t, c, prefix)) {
		t.Errorf("a refused Put changed Redis")
	}
}

// TestBackendEditLeavesNoWatch: an edit that ends without its MULTI/EXEC
// (fn failed, or there was nothing to write) releases its WATCHes, so that
// the next transaction on the same pooled connection is not aborted by a
// change to a key that edit had watched.
func TestBackendEditLeavesNoWatch(t *testing.T) {
	shared, clk, _, prefix := newTestBackend(t)
	one := goredis.NewClient(&goredis.Options{Addr: requireServer(t), PoolSize: 1})
	t.Cleanup(func() { _ = one.Close() })
	b := newStorage(one, prefix, sessionstore.Options{Now: clk.Now})
	cu := testCustomer(0)
	m := testMember(cu, 0)
	rec := newRecord(m, cu, clk.Now(), time.Hour)
	testkit.MustInsert(t, b, rec)
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		sel  backend.Selector
		fn   backend.EditFunc
	}{
		{"fn fails, by ID", sel(backend.IndexID, rec.ID), func(*backend.Record) (backend.Op, *backend.Record, error) { return backend.Keep, nil, boom }},
		{"nothing to write, by member", sel(backend.IndexMember, m.ID), func(*backend.Record) (backend.Op, *backend.Record, error) { return backend.Keep, nil, nil }},
	} {
		if _, err := b.Edit(bg, tc.sel, tc.fn); err != nil && err != boom {
			t.Fatalf("%s: %v", tc.name, err)
		}
		// Change every key the edit watched, from another connection.
		testkit.MustInsert(t, shared, newRecord(m, cu, clk.Now(), time.Hour))
		if _, err := shared.Edit(bg, sel(backend.IndexID, rec.ID), func(cur *backend.Record) (backend.Op, *backend.Record, error) {
			next := *cur
			next.ReturnURL = "https://example.com/" + tc.name
			return backend.Put, &next, nil
		}); err != nil {
			t.Fatal(err)
		}
		// A transaction of its own on the pool's one connection.
		probe := "{" + prefix + "}probe"
		if err := one.Watch(bg, func(tx *goredis.Tx) error {
			_, err := tx.TxPipelined(bg, func(p goredis.Pipeliner) error {
				p.Set(bg, probe, tc.name, time.Minute)
				return nil
			})
			return err
		}, probe); err != nil {
			t.Errorf("%s: the next transaction on the connection: %v", tc.name, err)
		}
	}
}

// TestBackendDeleteExpiredIndexSets: the purge removes the purged records'
// entries from the member and customer sets and the expiry zset, which
// Select alone cannot show (it skips entries whose record is gone).
func TestBackendDeleteExpiredIndexSets(t *testing.T) {
	b, clk, c, prefix := newTestBackend(t)
	cu := testCustomer(0)
	m0, m1 := testMember(cu, 0), testMember(cu, 1)
	for i := range 7 {
		m := m0
		if i%2 == 1 {
			m = m1
		}
		testkit.MustInsert(t, b, newRecord(m, cu, clk.Now(), time.Duration(i+1)*time.Minute), newRecord(m, cu, clk.Now(), 24*time.Hour))
	}
	clk.Advance(time.Hour)
	if n, err := b.DeleteExpired(bg, clk.Now(), 100); n != 7 || err != nil {
		t.Fatalf("DeleteExpired = %d, %v; want 7", n, err)
	}
	tag := "{" + prefix + "}"
	for k, want := range map[string]int64{tag + "mem:" + m0.ID: 4, tag + "mem:" + m1.ID: 3, tag + "cus:" + cu.ID: 7} {
		if n := c.SCard(bg, k).Val(); n != want {
			t.Errorf("%s has %d entries, want %d", k, n, want)
		}
	}
	if n := c.ZCard(bg, tag+"exp").Val(); n != 7 {
		t.Errorf("the expiry zset has %d entries, want 7", n)
	}
}

func TestBackendPurgeKeepsExtended(t *testing.T) {
	b, clk, _, _ := newTestBackend(t)
	cu := testCustomer(0)
	r := newRecord(testMember(cu, 0), cu, clk.Now(), time.Minute)
	testkit.MustInsert(t, b, r)
	// The record was picked as expired, then extended before the purge ran:
	// purge re-checks the score and keeps it.
	now := clk.Now().Truncate(time.Microsecond)
	if _, err := b.Edit(bg, sel(backend.IndexID, r.ID), func(cur *backend.Record) (backend.Op, *backend.Record, error) {
		next := *cur
		next.ExpiresAt = now.Add(time.Hour)
		return backend.Put, &next, nil
	}); err != nil {
		t.Fatal(err)
	}
	n, err := b.purge(bg, now.Add(2*time.Minute), picked{{b.k, []string{r.TokenHash.String()}}})
	if n != 0 || err != nil {
		t.Errorf("purge of an extended record = %d, %v", n, err)
	}
	if _, err := b.Find(bg, r.TokenHash, backend.RouteOf(r.CustomerID())); err != nil {
		t.Errorf("extended record gone: %v", err)
	}
}

func TestBackendReclaimedRecords(t *testing.T) {
	b, clk, c, prefix := newTestBackend(t)
	cu := testCustomer(0)
	m := testMember(cu, 0)
	gone, kept := newRecord(m, cu, clk.Now(), time.Minute), newRecord(m, cu, clk.Now(), time.Minute)
	testkit.MustInsert(t, b, gone, kept)
	// Redis reclaimed one record's keys (its TTL ran out) before any sweep.
	tag := "{" + prefix + "}"
	c.Del(bg, tag+"s:"+gone.TokenHash.String(), tag+"id:"+gone.ID)

	got, err := b.Select(bg, sel(backend.IndexMember, m.ID))
	if err != nil || !slices.Equal(testkit.IDs(got), []string{kept.ID}) {
		t.Errorf("Select skips reclaimed records: %v, %v", testkit.IDs(got), err)
	}
	// A group edit cleans the dangling entry from the set it watched.
	if _, err := b.Edit(bg, sel(backend.IndexMember, m.ID), func(*backend.Record) (backend.Op, *backend.Record, error) {
		return backend.Keep, nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if c.SIsMember(bg, tag+"mem:"+m.ID, gone.TokenHash.String()).Val() {
		t.Errorf("dangling member entry kept")
	}
	// The purge counts only what it deleted, and leaves no key behind.
	clk.Advance(time.Hour)
	if n, err := b.DeleteExpired(bg, clk.Now(), 10); n != 1 || err != nil {
		t.Errorf("DeleteExpired = %d, %v; want 1", n, err)
	}
	if keys := scanKeys(t, bg, c, prefix); len(keys) != 1 || keys[0] != tag+"cus:"+cu.ID {
		// The customer set's dangling entry stays until its TTL: the
		// purge does not know a reclaimed record's customer.
		t.Errorf("keys left: %q", keys)
	}
}

func TestBackendCorrupt(t *testing.T) {
	b, clk, c, prefix := newTestBackend(t)
	cu := testCustomer(0)
	m := testMember(cu, 0)
	bad, good, wrong := newRecord(m, cu, clk.Now(), time.Minute), newRecord(m, cu, clk.Now(), time.Hour), newRecord(m, cu, clk.Now(), time.Minute)
	testkit.MustInsert(t, b, bad, good, wrong)
	tag := "{" + prefix + "}"
	c.HSet(bg, tag+"s:"+bad.TokenHash.String(), fieldData, []byte("\x01garbage"))
	// A record key overwritten with another type by a foreign write.
	wk := tag + "s:" + wrong.TokenHash.String()
	c.Del(bg, wk)
	c.Set(bg, wk, "not a hash", 0)

	for _, r := range []*backend.Record{bad, wrong} {
		if _, err := b.Find(bg, r.TokenHash, backend.RouteOf(r.CustomerID())); !errors.Is(err, sessionstore.ErrCorrupt) {
			t.Errorf("Find(corrupt) = %v, want ErrCorrupt", err)
		}
		got, err := b.Select(bg, sel(backend.IndexID, r.ID))
		if err != nil || len(got) != 1 || !errors.Is(got[0].Corrupt, sessionstore.ErrCorrupt) ||
			got[0].ID != r.ID || got[0].TokenHash != r.TokenHash {
			t.Errorf("Select(ID of corrupt) = %v, %v; want its stub", got, err)
		}
	}
	// The stubs of a member's records name the keys the hash's plain
	// fields hold (none for the key of the wrong type).
	got, err := b.Select(bg, sel(backend.IndexMember, m.ID))
	if err != nil || len(got) != 3 {
		t.Fatalf("Select(member) = %v, %v; want 3 records", testkit.IDs(got), err)
	}
	for _, r := range got {
		switch r.ID {
		case good.ID:
			if r.Corrupt != nil {
				t.Errorf("good record marked corrupt: %v", r.Corrupt)
			}
		case bad.ID:
			if r.Corrupt == nil || r.CustomerID() != cu.ID || r.MemberID() != m.ID {
				t.Errorf("stub of the bad record = %+v", r)
			}
		default:
			if r.Corrupt == nil || r.TokenHash != wrong.TokenHash || r.MemberID() != m.ID || r.CustomerID() != "" {
				t.Errorf("stub of the wrong-type record = %+v", r)
			}
		}
	}
	// A Put over a stub breaks the EditFunc contract; deleting by ID
	// removes the bad record with all its keys.
	if _, err := b.Edit(bg, sel(backend.IndexID, bad.ID), func(cur *backend.Record) (backend.Op, *backend.Record, error) {
		return backend.Put, cur, nil
	}); !errors.Is(err, backend.ErrEditContract) {
		t.Errorf("Put over a stub = %v, want ErrEditContract", err)
	}
	changes, err := b.Edit(bg, sel(backend.IndexID, bad.ID), func(*backend.Record) (backend.Op, *backend.Record, error) {
		return backend.Delete, nil, nil
	})
	if err != nil || len(changes) != 1 || changes[0].Old.Corrupt == nil {
		t.Errorf("Edit(ID of corrupt) = %v, %v; want its stub deleted", changes, err)
	}
	// The member's edit deletes the good record and the wrong-type key.
	changes, err = b.Edit(bg, sel(backend.IndexMember, m.ID), func(*backend.Record) (backend.Op, *backend.Record, error) {
		return backend.Delete, nil, nil
	})
	if err != nil || len(changes) != 2 {
		t.Errorf("Edit(member) over a corrupt record = %v, %v", changes, err)
	}
	for _, k := range scanKeys(t, bg, c, prefix) {
		// The wrong-type record's ID key and customer entry are not named
		// by anything left: Redis reclaims them by their TTL.
		if k != tag+"id:"+wrong.ID && k != tag+"cus:"+cu.ID {
			t.Errorf("key left after the edits: %q", k)
		}
	}
}

// TestBackendCloseLeavesClient: Close leaves the caller's client open.
func TestBackendCloseLeavesClient(t *testing.T) {
	b, _, c, _ := newTestBackend(t)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(bg).Err(); err != nil {
		t.Errorf("Close closed the caller's client: %v", err)
	}
}

func TestBackendContextCanceled(t *testing.T) {
	b, clk, _, _ := newTestBackend(t)
	cu := testCustomer(0)
	r := newRecord(testMember(cu, 0), cu, clk.Now(), time.Hour)
	ctx, cancel := context.WithCancel(bg)
	cancel()
	if err := b.Insert(ctx, r, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Insert(canceled) = %v", err)
	}
	if _, err := b.Find(ctx, r.TokenHash, backend.RouteOf(r.CustomerID())); !errors.Is(err, context.Canceled) {
		t.Errorf("Find(canceled) = %v", err)
	}
}

// TestBackendConcurrentEditsKeepIndexesConsistent races extends, member and
// customer revokes and purges over the same records, then checks that
// nothing is left half-written: no index entry without its record and no
// record without its index entries.
func TestBackendConcurrentEditsKeepIndexesConsistent(t *testing.T) {
	b, clk, c, prefix := newTestBackend(t)
	cu := testCustomer(0)
	m0, m1 := testMember(cu, 0), testMember(cu, 1)
	var recs []*backend.Record
	for i := range 40 {
		m := m0
		if i%2 == 1 {
			m = m1
		}
		recs = append(recs, newRecord(m, cu, clk.Now(), time.Duration(i%3)*time.Minute+time.Second))
	}
	testkit.MustInsert(t, b, recs...)
	extend := func(cur *backend.Record) (backend.Op, *backend.Record, error) {
		next := *cur
		next.ExpiresAt = cur.ExpiresAt.Add(time.Hour)
		return backend.Put, &next, nil
	}
	del := func(*backend.Record) (backend.Op, *backend.Record, error) {
		return backend.Delete, nil, nil
	}
	var wg sync.WaitGroup
	for i, r := range recs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := b.Edit(bg, sel(backend.IndexID, r.ID), extend); err != nil && !errors.Is(err, sessionstore.ErrNotFound) {
				t.Errorf("extend %d: %v", i, err)
			}
		}()
	}
	wg.Add(3)
	go func() {
		defer wg.Done()
		if _, err := b.Edit(bg, sel(backend.IndexMember, m0.ID), del); err != nil {
			t.Errorf("revoke member: %v", err)
		}
	}()
	go func() {
		defer wg.Done()
		if _, err := b.Edit(bg, sel(backend.IndexCustomer, cu.ID), extend); err != nil {
			t.Errorf("update customer: %v", err)
		}
	}()
	go func() {
		defer wg.Done()
		if _, err := b.DeleteExpired(bg, clk.Now().Add(90*time.Second), 100); err != nil {
			t.Errorf("purge: %v", err)
		}
	}()
	wg.Wait()
	checkConsistent(t, b, c, prefix)
	if got, _ := b.Select(bg, sel(backend.IndexMember, m0.ID)); len(got) != 0 {
		t.Errorf("member 0 still has %d sessions after its revoke", len(got))
	}
}

// checkConsistent checks that every record has its ID key, set entries and
// expiry entry with the right score in its own place (the keys with its
// hash tag), that in the routed layout its place is its customer's route
// and its member's owner set names it, and that every index entry has its
// record.
func checkConsistent(t *testing.T, b *storage, c goredis.UniversalClient, prefix string) {
	t.Helper()
	split := func(k string) (tag, body string) {
		i := strings.IndexByte(k, '}')
		return k[:i+1], k[i+1:]
	}
	type placed struct{ tag, h string }
	records := map[placed]*backend.Record{}
	all := scanKeys(t, bg, c, prefix)
	for _, k := range all {
		tag, body := split(k)
		if strings.HasPrefix(body, "s:") {
			h := body[2:]
			data, err := c.HGet(bg, k, fieldData).Bytes()
			if err != nil {
				t.Fatal(err)
			}
			r, err := decode(data, h)
			if err != nil {
				t.Fatal(err)
			}
			records[placed{tag, h}] = r
		}
	}
	for p, r := range records {
		tag, h := p.tag, p.h
		if b.routed() {
			if want := b.placeOf(r.CustomerID()).tag; tag != want {
				t.Errorf("record %s in %s, want %s", r.ID, tag, want)
			}
			own := b.placeOf(r.MemberID()).owner(r.MemberID())
			if !c.SIsMember(bg, own, strconv.Itoa(int(backend.RouteOf(r.CustomerID())))).Val() {
				t.Errorf("record %s: owner set %s does not name its route", r.ID, own)
			}
		}
		if c.Get(bg, tag+"id:"+r.ID).Val() != h {
			t.Errorf("record %s: ID key missing", r.ID)
		}
		if !c.SIsMember(bg, tag+"mem:"+r.MemberID(), h).Val() || !c.SIsMember(bg, tag+"cus:"+r.CustomerID(), h).Val() {
			t.Errorf("record %s: set entry missing", r.ID)
		}
		if s, err := c.ZScore(bg, tag+"exp", h).Result(); err != nil || int64(s) != r.ExpiresAt.UnixMicro() {
			t.Errorf("record %s: expiry entry %v, %v; want %d", r.ID, s, err, r.ExpiresAt.UnixMicro())
		}
	}
	for _, k := range all {
		tag, body := split(k)
		var entries []string
		switch {
		case body == "exp":
			entries = c.ZRange(bg, k, 0, -1).Val()
		case strings.HasPrefix(body, "mem:") || strings.HasPrefix(body, "cus:"):
			entries = c.SMembers(bg, k).Val()
		case strings.HasPrefix(body, "id:"):
			entries = []string{c.Get(bg, k).Val()}
		}
		for _, h := range entries {
			if records[placed{tag, h}] == nil {
				t.Errorf("%s refers to a record that is gone", k)
			}
		}
	}
}
