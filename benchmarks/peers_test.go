package benchmarks_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2/memstore"
	badgerdb "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/badger"
	"github.com/memberkit/sessionstore/internal/benchkit"
	"github.com/memberkit/sessionstore/memory"
	"github.com/memberkit/sessionstore/storetest"
	"github.com/memberkit/sessionstore/token"
)

// The workload is storetest.Bench's: sessions of realistic team customers
// (benchkit.Fill: 5 per member, 50 per customer), at the sizes of
// benchkit.Sizes (1k, 100k; 1M with SESSIONSTORE_BENCH_LARGE=1; 1k
// only under the race detector). Every implementation holds the same
// number of sessions of the same shape; each is a sub-benchmark
// impl=NAME/size=N[/run=serial|parallel], so that benchstat -col /impl puts
// them side by side.
//
// The implementations come in groups that share one filled store per size
// (the Badger floors read the very DB the Badger store wrote). A group's
// stores are filled on first use, outside the timed loops, reused by every
// -count repetition, and closed before the next group starts, so that no
// other group's heap is alive while one runs.

var errNotFound = errors.New("not found")

// now is the fixed time of the sessionstore stores' fake clock.
var now = storetest.StartTime()

func storeOptions() *sessionstore.Options {
	return &sessionstore.Options{
		PortalURL:            storetest.PortalURL,
		Now:                  func() time.Time { return now },
		SweepInterval:        -1,
		ExpiredRetention:     -1,
		MaxSessionsPerMember: -1,
	}
}

// base is one group's store filled with n sessions: ops[impl](i) does the
// benchmarked operation of impl on session i (0 <= i < n).
type base struct {
	n   int
	ops map[string]func(i int) error
	// after[impl](i), for the impls it names, restores what ops[impl](i)
	// changed; a serial run calls it after each operation with the timer
	// stopped.
	after map[string]func(i int) error
	// trips, when not nil, counts the round trips of the Redis client under
	// the store: the runs report round-trips/op, counting the timed
	// operations only.
	trips *tripCounter
	// paired[impl], for the impls it names, times the parts of each
	// operation; the runs report them.
	paired map[string]*pairTimes
	close  func()
}

// group is implementations sharing a base. build fills one at size n; b
// is the sub-benchmark that needs it, for failures: the base outlives it.
type group struct {
	build    func(b *testing.B, n int) *base
	impls    []string // run in this order
	parallel []string // impls also run from GOMAXPROCS goroutines
	fresh    bool     // a new base for every run (-count), for operations that grow it
}

// runGroups runs every group's implementations at every size, as
// impl=NAME/size=N, with /run=serial and /run=parallel sub-benchmarks when
// withRun.
func runGroups(b *testing.B, sizes []benchkit.Size, groups []group, withRun bool) {
	for _, g := range groups {
		bases := map[int]*base{}
		get := func(b *testing.B, n int) *base {
			if bs := bases[n]; bs != nil {
				return bs
			}
			bs := g.build(b, n)
			if g.fresh {
				b.Cleanup(bs.close)
			} else {
				bases[n] = bs
			}
			runtime.GC() // collect the filling's garbage before timing
			return bs
		}
		for _, name := range g.impls {
			b.Run("impl="+name, func(b *testing.B) {
				for _, size := range sizes {
					b.Run("size="+size.Name, func(b *testing.B) {
						if !withRun {
							runSerial(b, get(b, size.N), name)
							return
						}
						b.Run("run=serial", func(b *testing.B) { runSerial(b, get(b, size.N), name) })
						if slices.Contains(g.parallel, name) {
							b.Run("run=parallel", func(b *testing.B) { runParallel(b, get(b, size.N), name) })
						}
					})
				}
			})
		}
		for _, bs := range bases {
			bs.close()
		}
	}
}

func runSerial(b *testing.B, bs *base, impl string) {
	op, after := bs.ops[impl], bs.after[impl]
	ord := benchkit.NewOrder(bs.n, 0)
	var trips int64
	pt := bs.paired[impl]
	pt.reset()
	b.ReportAllocs()
	for b.Loop() {
		i := ord.Next()
		var before int64
		if bs.trips != nil {
			before = bs.trips.load()
		}
		if err := op(i); err != nil {
			b.Fatal(err)
		}
		if bs.trips != nil {
			trips += bs.trips.load() - before
		}
		if after != nil {
			b.StopTimer()
			err := after(i)
			b.StartTimer()
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	reportTrips(b, bs, trips)
	pt.report(b)
}

func runParallel(b *testing.B, bs *base, impl string) {
	op := bs.ops[impl]
	var goroutine atomic.Int64
	var before int64
	if bs.trips != nil {
		before = bs.trips.load()
	}
	pt := bs.paired[impl]
	pt.reset()
	b.ReportAllocs()
	b.ResetTimer() // the base may just have been filled
	b.RunParallel(func(pb *testing.PB) {
		ord := benchkit.NewOrder(bs.n, int(goroutine.Add(1))*7919)
		for pb.Next() {
			if err := op(ord.Next()); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if bs.trips != nil {
		reportTrips(b, bs, bs.trips.load()-before)
	}
	pt.report(b)
}

// reportTrips reports the round trips of b's b.N operations per operation,
// for a base that counts them.
func reportTrips(b *testing.B, bs *base, trips int64) {
	if bs.trips != nil && b.N > 0 {
		b.ReportMetric(float64(trips)/float64(b.N), "round-trips/op")
	}
}

// BenchmarkLookup looks up stored live sessions by token, from one
// goroutine (run=serial) and, for some, from GOMAXPROCS goroutines
// (run=parallel, b.RunParallel):
//
//	floor                      SHA-256 of the token and a map read under a sync.RWMutex
//	floor-copy                 the same, then one allocation and copy of the encoded record
//	                           (what a lookup that hands out its own copy cannot go below)
//	scs-memstore-find          scs memstore Find
//	scs-memstore-find-decode   scs memstore Find, then json.Unmarshal into a MemberSession
//	memory                     sessionstore memory Lookup
//	badger-raw-get             raw Badger Get of a record the Badger store wrote (key precomputed), ValueCopy
//	badger-raw-get-nocopy      the same, reading the value in place (item.Value) as the store does
//	badger                     sessionstore Badger Lookup on that same DB (no SyncWrites)
//	scs-badgerstore-equiv-find         scs badgerstore's Find, reproduced (see BENCHMARKS.md)
//	scs-badgerstore-equiv-find-decode  the same, then json.Unmarshal into a MemberSession
//	redis-raw-hget             raw HGET of the record's data field the Redis store wrote, on the store's client
//	redis                      sessionstore Redis Lookup (only with SESSIONSTORE_REDIS_ADDR set)
func BenchmarkLookup(b *testing.B) {
	runGroups(b, benchkit.Sizes(), []group{
		{buildFloor, []string{"floor", "floor-copy"}, []string{"floor", "floor-copy"}, false},
		{buildScsMem, []string{"scs-memstore-find", "scs-memstore-find-decode"}, []string{"scs-memstore-find-decode"}, false},
		{buildMemoryLookup, []string{"memory"}, []string{"memory"}, false},
		{buildBadgerLookup, []string{"badger-raw-get", "badger-raw-get-nocopy", "badger"}, []string{"badger-raw-get", "badger"}, false},
		{buildScsBadger, []string{"scs-badgerstore-equiv-find", "scs-badgerstore-equiv-find-decode"}, nil, false},
		{buildRedisLookup, []string{"redis-raw-hget", "redis"}, []string{"redis-raw-hget", "redis"}, false},
	}, true)
}

// BenchmarkCreate stores a new session in a store holding size sessions:
//
//	redis           sessionstore Redis Create (only with SESSIONSTORE_REDIS_ADDR
//	                set), also reporting round-trips/op
//	memory          sessionstore memory Create
//	badger          sessionstore Badger Create (no SyncWrites)
//	badger-raw-set  one Badger transaction setting an encoded record and
//	                the four index keys the Badger store writes with it
//	                (ID, member, customer, expiry), same key layout and
//	                Badger options, no SyncWrites
//	badger-raw-set-counters  the same, also reading and writing a
//	                per-member and a per-customer counter key in the
//	                transaction, as the Badger store did before it ordered
//	                Inserts with group Edits in the process (kept for
//	                comparison)
//
// Each run (-count) gets a store of its own, filled to size, which grows
// by one session per operation. The sizes are 1k and 100k: filling a
// million sessions into Badger for every run would take minutes. Run it
// with a -benchtime of seconds: Badger's memtable flushes and compactions
// come every few thousand writes, and a short run catches a varying number
// of them.
func BenchmarkCreate(b *testing.B) {
	var sizes []benchkit.Size
	for _, s := range benchkit.Sizes() {
		if s.N <= 100_000 {
			sizes = append(sizes, s)
		}
	}
	runGroups(b, sizes, []group{
		{func(b *testing.B, n int) *base {
			r := newRedisStore(b)
			bs := buildCreate(b, n, "redis", r.s, r.close)
			bs.trips = r.trips
			return bs
		}, []string{"redis"}, nil, true},
		{func(b *testing.B, n int) *base { return buildCreate(b, n, "memory", newMemory(b), func() {}) }, []string{"memory"}, nil, true},
		{func(b *testing.B, n int) *base {
			db, closeDB := openDB(b, rawOptions)
			s := newBadgerOn(b, db)
			return buildCreate(b, n, "badger", s, closeDB)
		}, []string{"badger"}, nil, true},
		{func(b *testing.B, n int) *base { return buildRawSet(b, n, "badger-raw-set", false) }, []string{"badger-raw-set"}, nil, true},
		{func(b *testing.B, n int) *base { return buildRawSet(b, n, "badger-raw-set-counters", true) }, []string{"badger-raw-set-counters"}, nil, true},
	}, false)
}

// sessions creates n sessions in a temporary memory store and calls each
// with every one (concurrently, for different j), with Token and
// MemberPortalURL still set.
func sessions(b *testing.B, n int, each func(j int, s *sessionstore.MemberSession)) {
	b.Helper()
	s := newMemory(b)
	defer s.Close()
	if err := benchkit.Fill(s, 0, n, 0, each); err != nil {
		b.Fatal(err)
	}
}

func newMemory(b *testing.B) *memory.Store {
	b.Helper()
	s, err := memory.New(storeOptions())
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// record returns the stored form of a session Create returned.
func record(s *sessionstore.MemberSession) *backend.Record {
	r := &backend.Record{
		ID:        s.ID,
		TokenHash: token.NewHasher(nil).Sum(s.Token),
		CreatedAt: s.CreatedAt,
		ExpiresAt: s.ExpiresAt,
		Member:    &s.Member,
		Customer:  &s.Customer,
	}
	if s.ModifiedAt != nil {
		r.ModifiedAt = *s.ModifiedAt
	}
	if s.ReturnURL != nil {
		r.ReturnURL = *s.ReturnURL
	}
	return r
}

// appJSON is what an application keeping sessions in scs stores: the
// session's JSON without token and portal URL (the token is the key).
func appJSON(s *sessionstore.MemberSession) []byte {
	c := *s
	c.Token, c.MemberPortalURL = "", ""
	data, err := json.Marshal(c)
	if err != nil {
		panic(err) // a session Create returned always encodes
	}
	return data
}

// floor is the least a token lookup costs: hash the token, read a map.
// enc holds each record encoded, for floor-copy.
type floor struct {
	mu  sync.RWMutex
	m   map[token.Hash]*backend.Record
	enc map[token.Hash][]byte
}

// lookupCopy is lookup handing out a copy of the record's bytes: one
// allocation and copy of a record of the same size.
func (f *floor) lookupCopy(tok string) ([]byte, error) {
	var buf [64]byte
	h := sha256.Sum256(buf[:copy(buf[:], tok)])
	f.mu.RLock()
	v := f.enc[h]
	f.mu.RUnlock()
	if v == nil {
		return nil, errNotFound
	}
	return append(make([]byte, 0, len(v)), v...), nil
}

func (f *floor) lookup(tok string) (*backend.Record, error) {
	var buf [64]byte
	h := sha256.Sum256(buf[:copy(buf[:], tok)])
	f.mu.RLock()
	r := f.m[h]
	f.mu.RUnlock()
	if r == nil {
		return nil, errNotFound
	}
	return r, nil
}

func buildFloor(b *testing.B, n int) *base {
	f := &floor{m: make(map[token.Hash]*backend.Record, n), enc: make(map[token.Hash][]byte, n)}
	tokens := make([]string, n)
	sessions(b, n, func(j int, s *sessionstore.MemberSession) {
		tokens[j] = s.Token
		r := record(s)
		enc, err := r.MarshalBinary()
		if err != nil {
			b.Error(err)
			return
		}
		f.mu.Lock()
		f.m[r.TokenHash] = r
		f.enc[r.TokenHash] = enc
		f.mu.Unlock()
	})
	return &base{
		n: n,
		ops: map[string]func(int) error{
			"floor": func(i int) error {
				_, err := f.lookup(tokens[i])
				return err
			},
			"floor-copy": func(i int) error {
				_, err := f.lookupCopy(tokens[i])
				return err
			},
		},
		close: func() {},
	}
}

// buildScsMem keeps the sessions in scs's memstore: each session's JSON
// under its token.
func buildScsMem(b *testing.B, n int) *base {
	ms := memstore.NewWithCleanupInterval(0)
	tokens := make([]string, n)
	expiry := time.Now().Add(24 * time.Hour)
	sessions(b, n, func(j int, s *sessionstore.MemberSession) {
		tokens[j] = s.Token
		_ = ms.Commit(s.Token, appJSON(s), expiry)
	})
	find := func(i int) ([]byte, error) {
		data, ok, err := ms.Find(tokens[i])
		if err == nil && !ok {
			err = errNotFound
		}
		return data, err
	}
	return &base{
		n: n,
		ops: map[string]func(int) error{
			"scs-memstore-find": func(i int) error {
				_, err := find(i)
				return err
			},
			"scs-memstore-find-decode": func(i int) error {
				data, err := find(i)
				if err != nil {
					return err
				}
				return json.Unmarshal(data, new(sessionstore.MemberSession))
			},
		},
		close: func() {},
	}
}

func buildMemoryLookup(b *testing.B, n int) *base {
	s := newMemory(b)
	tokens := fillStore(b, s, n)
	ctx := context.Background()
	return &base{
		n: n,
		ops: map[string]func(int) error{
			"memory": func(i int) error {
				_, err := s.Lookup(ctx, tokens[i])
				return err
			},
		},
		close: func() { _ = s.Close() },
	}
}

// fillStore fills s with n sessions and returns their tokens; it closes s
// when it fails.
func fillStore(b *testing.B, s sessionstore.Store, n int) []string {
	tokens := make([]string, n)
	if err := benchkit.Fill(s, 0, n, 0, func(j int, sess *sessionstore.MemberSession) {
		tokens[j] = sess.Token
	}); err != nil {
		_ = s.Close()
		b.Fatal(err)
	}
	return tokens
}

// buildBadgerLookup fills a sessionstore Badger store and looks sessions
// up through it and, for the floors, straight from its DB: the DB is
// opened with badger.Open's options and the store put on it with
// badger.New, so that the raw Gets read the very bytes it wrote.
func buildBadgerLookup(b *testing.B, n int) *base {
	db, closeDB := openDB(b, rawOptions)
	s := newBadgerOn(b, db)
	tokens := fillStore(b, s, n)
	keys := make([][]byte, n)
	hasher := token.NewHasher(nil)
	for j, tok := range tokens {
		keys[j] = recordKey(hasher.Sum(tok))
	}
	// The keys must be the store's: check one.
	if err := db.View(func(txn *badgerdb.Txn) error {
		item, err := txn.Get(keys[0])
		if err != nil {
			return err
		}
		return item.Value(new(backend.Record).UnmarshalBinary)
	}); err != nil {
		_ = s.Close()
		closeDB()
		b.Fatalf("reading a record the Badger store wrote, by the key layout of ../badger/keys.go: %v", err)
	}
	get := func(i int, copyValue bool) error {
		txn := db.NewTransaction(false)
		defer txn.Discard()
		item, err := txn.Get(keys[i])
		if err != nil {
			return err
		}
		if copyValue {
			_, err = item.ValueCopy(nil)
			return err
		}
		size := 0
		err = item.Value(func(v []byte) error { size += len(v); return nil })
		if err == nil && size == 0 {
			err = errNotFound
		}
		return err
	}
	ctx := context.Background()
	return &base{
		n: n,
		ops: map[string]func(int) error{
			"badger-raw-get":        func(i int) error { return get(i, true) },
			"badger-raw-get-nocopy": func(i int) error { return get(i, false) },
			"badger": func(i int) error {
				_, err := s.Lookup(ctx, tokens[i])
				return err
			},
		},
		close: func() { _ = s.Close(); closeDB() },
	}
}

// newBadgerOn returns a sessionstore Badger store on db; closing it leaves
// db open.
func newBadgerOn(b *testing.B, db *badgerdb.DB) *badger.Store {
	b.Helper()
	s, err := badger.New(db, &badger.Options{Options: *storeOptions()})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// rawOptions are the Badger options of sessionstore's badger.Open (see
// badgerOptions in ../badger/store.go); keep them in step.
func rawOptions(dir string) badgerdb.Options {
	return badgerdb.DefaultOptions(dir).
		WithSyncWrites(false).
		WithLogger(nil).
		WithMemTableSize(16 << 20).
		WithNumMemtables(2).
		WithBlockCacheSize(8 << 20).
		WithIndexCacheSize(4 << 20).
		WithValueThreshold(1 << 20).
		WithValueLogFileSize(64 << 20).
		WithNumCompactors(2).
		WithCompression(options.Snappy).
		WithMetricsEnabled(false).
		WithDetectConflicts(true)
}

// openDB opens a Badger DB in a new directory; closeFn closes it and
// removes the directory.
func openDB(b *testing.B, opts func(dir string) badgerdb.Options) (db *badgerdb.DB, closeFn func()) {
	b.Helper()
	dir, err := os.MkdirTemp("", "sessionstore-bench-")
	if err != nil {
		b.Fatal(err)
	}
	db, err = badgerdb.Open(opts(dir))
	if err != nil {
		_ = os.RemoveAll(dir)
		b.Fatal(err)
	}
	return db, func() { _ = db.Close(); _ = os.RemoveAll(dir) }
}

// The key layout of the sessionstore Badger store (../badger/keys.go).
const keyPrefix = "mst\x00"

func recordKey(h token.Hash) []byte { return append([]byte(keyPrefix+"h"), h[:]...) }

func groupKey(tag byte, group, id string) []byte {
	k := append([]byte(keyPrefix), tag)
	k = binary.AppendUvarint(k, uint64(len(group)))
	return append(append(k, group...), id...)
}

func expiryKey(t time.Time, id string) []byte {
	k := []byte(keyPrefix + "e")
	k = binary.BigEndian.AppendUint64(k, uint64(t.UnixMicro())^1<<63)
	return append(k, id...)
}

func expiryValue(h token.Hash, member, customer string) []byte {
	v := append([]byte(nil), h[:]...)
	v = binary.AppendUvarint(v, uint64(len(member)))
	v = append(v, member...)
	v = binary.AppendUvarint(v, uint64(len(customer)))
	return append(v, customer...)
}

func countKey(tag byte, group string) []byte {
	k := append([]byte(keyPrefix+"g"), tag)
	k = binary.AppendUvarint(k, uint64(len(group)))
	return append(k, group...)
}

// addCount adds one to a big-endian counter, reading it in txn, as the
// Badger store does with its group counters.
func addCount(txn *badgerdb.Txn, key []byte) error {
	var n uint64
	item, err := txn.Get(key)
	switch {
	case err == nil:
		err = item.Value(func(v []byte) error {
			if len(v) == 8 {
				n = binary.BigEndian.Uint64(v)
			}
			return nil
		})
	case errors.Is(err, badgerdb.ErrKeyNotFound):
		err = nil
	}
	if err != nil {
		return err
	}
	return txn.Set(key, binary.BigEndian.AppendUint64(nil, n+1))
}

// rawWrites are the keys and values the Badger store writes for a new
// record, encoded as val.
func rawWrites(r *backend.Record, val []byte) [5][2][]byte {
	h, id, member, customer := r.TokenHash, r.ID, r.Member.ID, r.Customer.ID
	return [5][2][]byte{
		{recordKey(h), val},
		{append([]byte(keyPrefix+"i"), id...), h[:]},
		{groupKey('m', member, id), h[:]},
		{groupKey('c', customer, id), h[:]},
		{expiryKey(r.ExpiresAt, id), expiryValue(h, member, customer)},
	}
}

// scsPrefix is the key prefix of scs's badgerstore.
const scsPrefix = "scs:session:"

// buildScsBadger keeps the sessions as scs's badgerstore does (key prefix
// + token, the JSON with a TTL, in a DB opened with Badger's defaults as an
// application would) and finds them as its Find does: a read transaction,
// Get, ValueCopy.
func buildScsBadger(b *testing.B, n int) *base {
	db, closeDB := openDB(b, func(dir string) badgerdb.Options {
		return badgerdb.DefaultOptions(dir).WithLogger(nil)
	})
	tokens := make([]string, n)
	wb := db.NewWriteBatch()
	defer wb.Cancel()
	var failed atomic.Value
	sessions(b, n, func(j int, s *sessionstore.MemberSession) {
		tokens[j] = s.Token
		e := badgerdb.NewEntry([]byte(scsPrefix+s.Token), appJSON(s)).WithTTL(24 * time.Hour)
		if err := wb.SetEntry(e); err != nil {
			failed.Store(err)
		}
	})
	err, _ := failed.Load().(error)
	if err == nil {
		err = wb.Flush()
	}
	if err != nil {
		closeDB()
		b.Fatal(err)
	}
	find := func(tok string) ([]byte, error) {
		txn := db.NewTransaction(false)
		defer txn.Discard()
		item, err := txn.Get([]byte(scsPrefix + tok))
		if err != nil {
			return nil, err
		}
		return item.ValueCopy(nil)
	}
	return &base{
		n: n,
		ops: map[string]func(int) error{
			"scs-badgerstore-equiv-find": func(i int) error {
				_, err := find(tokens[i])
				return err
			},
			"scs-badgerstore-equiv-find-decode": func(i int) error {
				data, err := find(tokens[i])
				if err != nil {
					return err
				}
				return json.Unmarshal(data, new(sessionstore.MemberSession))
			},
		},
		close: closeDB,
	}
}

// createParams returns the parameters of up to 1024 sessions of existing
// members of a store filled by benchkit.Fill with n sessions, in a
// scattered order.
func createParams(n int) []sessionstore.CreateParams {
	members := n / 5
	ord := benchkit.NewOrder(members, 0)
	params := make([]sessionstore.CreateParams, min(1024, members))
	for i := range params {
		params[i] = sessionParams(ord.Next() * benchkit.PerMember)
	}
	return params
}

// sessionParams returns the parameters of session j of a store filled by
// benchkit.Fill: its member, customer and return URL.
func sessionParams(j int) sessionstore.CreateParams {
	c := storetest.NewCustomer(j / benchkit.PerCustomer)
	return sessionstore.CreateParams{
		Member:    storetest.NewMember(c.ID, j/benchkit.PerMember%benchkit.MembersPerCustomer),
		Customer:  c,
		ReturnURL: benchkit.ReturnURL,
	}
}

// buildCreate fills s and creates sessions for its members; closing the
// base closes s, then calls closeFn.
func buildCreate(b *testing.B, n int, impl string, s sessionstore.Store, closeFn func()) *base {
	if err := benchkit.Fill(s, 0, n, 0, nil); err != nil {
		_ = s.Close()
		closeFn()
		b.Fatal(err)
	}
	params := createParams(n)
	ctx := context.Background()
	return &base{
		n: n,
		ops: map[string]func(int) error{
			impl: func(i int) error {
				_, err := s.Create(ctx, params[i%len(params)])
				return err
			},
		},
		close: func() { _ = s.Close(); closeFn() },
	}
}

// buildRawSet fills a DB through a Badger store as buildBadgerLookup does,
// then writes records and their index keys straight to it, with the group
// counters when counters is set.
func buildRawSet(b *testing.B, n int, impl string, counters bool) *base {
	db, closeDB := openDB(b, rawOptions)
	s := newBadgerOn(b, db)
	if err := benchkit.Fill(s, 0, n, 0, nil); err != nil {
		_ = s.Close()
		closeDB()
		b.Fatal(err)
	}
	_ = s.Close() // leaves db open
	// The records to write, encoded once; each operation writes one under a
	// new token hash and ID.
	params := createParams(n)
	type tmpl struct {
		rec *backend.Record
		val []byte
	}
	tmpls := make([]tmpl, len(params))
	for i, p := range params {
		m, c := p.Member, p.Customer
		r := &backend.Record{
			ID: newID(uint64(i)), CreatedAt: now, ExpiresAt: now.Add(time.Hour),
			ReturnURL: p.ReturnURL, Member: &m, Customer: &c,
		}
		val, err := r.MarshalBinary()
		if err != nil {
			closeDB()
			b.Fatal(err)
		}
		tmpls[i] = tmpl{r, val}
	}
	var seq uint64
	return &base{
		n: n,
		ops: map[string]func(int) error{
			impl: func(i int) error {
				t := tmpls[i%len(tmpls)]
				seq++
				r := *t.rec
				binary.BigEndian.PutUint64(r.TokenHash[:], seq|1<<63)
				r.ID = newID(seq | 1<<62)
				txn := db.NewTransaction(true)
				defer txn.Discard()
				if counters {
					for _, k := range [][]byte{countKey('m', r.Member.ID), countKey('c', r.Customer.ID)} {
						if err := addCount(txn, k); err != nil {
							return err
						}
					}
				}
				for _, w := range rawWrites(&r, t.val) {
					if err := txn.Set(w[0], w[1]); err != nil {
						return err
					}
				}
				return txn.Commit()
			},
		},
		close: closeDB,
	}
}

// newID returns a UUID-shaped ID made from seq.
func newID(seq uint64) string {
	var raw [16]byte
	binary.BigEndian.PutUint64(raw[8:], seq)
	raw[0] = 0xbe
	var out [36]byte
	hex.Encode(out[0:8], raw[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], raw[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], raw[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], raw[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], raw[10:16])
	return string(out[:])
}

// BenchmarkHeap reports heap-B/session: the live heap a store holding size
// sessions adds, after GC, per session, for the sessionstore memory store
// and for scs's memstore keeping each session's JSON under its token. ns/op
// is the time to fill the store.
func BenchmarkHeap(b *testing.B) {
	impls := []struct {
		name string
		fill func(b *testing.B, n int) any
	}{
		{"memory", func(b *testing.B, n int) any {
			s := newMemory(b)
			if err := benchkit.Fill(s, 0, n, 0, nil); err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"scs-memstore", func(b *testing.B, n int) any {
			ms := memstore.NewWithCleanupInterval(0)
			expiry := time.Now().Add(24 * time.Hour)
			sessions(b, n, func(j int, s *sessionstore.MemberSession) {
				_ = ms.Commit(s.Token, appJSON(s), expiry)
			})
			return ms
		}},
	}
	for _, im := range impls {
		b.Run("impl="+im.name, func(b *testing.B) {
			for _, size := range benchkit.FootprintSizes() {
				b.Run("size="+size.Name, func(b *testing.B) {
					var total float64
					runs := 0
					for b.Loop() {
						before := benchkit.LiveHeap()
						store := im.fill(b, size.N)
						after := benchkit.LiveHeap()
						runtime.KeepAlive(store)
						if s, ok := store.(sessionstore.Store); ok {
							_ = s.Close()
						}
						total += (float64(after) - float64(before)) / float64(size.N)
						runs++
					}
					b.ReportMetric(total/float64(runs), "heap-B/session")
				})
			}
		})
	}
}
