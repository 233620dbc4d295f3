package storetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/token"
)

// BenchLargeEnv is the environment variable that adds the 1M-session size to
// Bench (and to the footprint and latency benchmarks of the module) when set
// to 1. Filling a million sessions takes a while and a few GB of memory, so
// it is off by default.
const BenchLargeEnv = "SESSIONSTORE_BENCH_LARGE"

// BenchSize is one store size Bench runs at: Name is how sub-benchmarks
// spell it ("size=" + Name), N the number of sessions stored beforehand.
type BenchSize struct {
	Name string
	N    int
}

// BenchSizes returns the store sizes Bench runs at: 1k and 100k sessions,
// and 1M when SESSIONSTORE_BENCH_LARGE=1. Under the race detector, which
// makes the timings meaningless and filling a store ten times slower, it
// returns 1k only, so that a smoke run (go test -race -bench .
// -benchtime 1x) stays quick.
func BenchSizes() []BenchSize {
	if BenchRace() {
		return []BenchSize{{"1k", 1_000}}
	}
	sizes := []BenchSize{{"1k", 1_000}, {"100k", 100_000}}
	if BenchLarge() {
		sizes = append(sizes, BenchSize{"1M", 1_000_000})
	}
	return sizes
}

// BenchLarge reports whether SESSIONSTORE_BENCH_LARGE=1.
func BenchLarge() bool { return os.Getenv(BenchLargeEnv) == "1" }

// BenchRace reports whether the running binary was built with the race
// detector (go test -race), from its build information.
func BenchRace() bool { return benchRace }

var benchRace = func() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}()

// The shape of the stored data: every member has benchPerMember sessions
// and every customer benchMembersPerCustomer members, so a customer has
// benchPerCustomer sessions.
const (
	benchPerMember          = 5
	benchMembersPerCustomer = 10
	benchPerCustomer        = benchPerMember * benchMembersPerCustomer

	// benchExpired is how many expired sessions DeleteExpired purges per
	// operation (benchExpiredRace under the race detector).
	benchExpired     = 10_000
	benchExpiredRace = 1_000

	// benchReturnURL is the return URL of every benchmark session.
	benchReturnURL = "https://acme.example.com/account/billing?tab=seats"

	// benchExpiredCustomerBase numbers the customers of the expired
	// sessions, far above those of the stored sessions.
	benchExpiredCustomerBase = 1 << 40
)

// Bench runs the store benchmarks against the stores newStore makes, as
// sub-benchmarks named Op/size=N:
//
//	Create           Create one session for an existing member
//	LookupHit        Lookup of a stored live session's token
//	LookupUnknown    Lookup of a well-formed token that is not stored
//	LookupMalformed  Lookup of a token with a wrong checksum
//	Get              Get by session ID
//	ListByMember     ListByMember of a member with 5 sessions
//	LookupParallel   LookupHit from GOMAXPROCS goroutines (b.RunParallel)
//	UpdateCustomer   UpdateCustomer of a customer with 50 sessions
//	RevokeMember     RevokeMember of a member with 5 sessions
//	DeleteExpired    DeleteExpired purging 10,000 expired sessions
//	                 (1,000 under the race detector)
//
// at the sizes of BenchSizes. Every store holds size sessions: size/5
// members with 5 sessions each, 10 members per customer (50 sessions), each
// customer a realistic team customer (NewCustomer: metadata, billing
// address, tax ID; about 600 bytes as JSON) and each session a return URL.
// The stores use a fake clock, SweepInterval -1 and PortalURL, so Lookup
// builds the portal URL as an application would have it.
//
// Filling a store is outside every timed loop. The stores of one size are
// filled once and shared by the sub-benchmarks that leave them as they found
// them; RevokeMember and DeleteExpired restore what they consumed with the
// timer stopped (RevokeMember in batches of a tenth of the members, so the
// store never shrinks by more than 10%). Create gets a store of its own,
// filled to size, which grows by one session per operation. LookupHit also
// reports, from 4096 lookups whose results it keeps, retained-allocs/op (the
// heap objects the returned session consists of) and transient-allocs/op
// (the allocations besides the returned session).
//
// newStore must return a new empty store for opts or fail b itself. It is
// called with the *testing.B given to Bench for the shared stores, which
// live until that benchmark ends, and with a sub-benchmark's for the stores
// of Create; it may register cleanups on the b it gets. Bench closes every
// store it makes. Redis and other shared servers need a distinct key space
// per store.
func Bench(b *testing.B, newStore func(b *testing.B, opts *sessionstore.Options) sessionstore.Store) {
	b.Helper()
	shared := &benchShared{newStore: newStore, top: b, fixtures: map[int]*benchFixture{}}
	ops := []struct {
		name string
		fn   func(b *testing.B, sh *benchShared, size BenchSize)
	}{
		{"Create", benchCreate},
		{"LookupHit", benchLookupHit},
		{"LookupUnknown", benchLookupUnknown},
		{"LookupMalformed", benchLookupMalformed},
		{"Get", benchGet},
		{"ListByMember", benchListByMember},
		{"LookupParallel", benchLookupParallel},
		{"UpdateCustomer", benchUpdateCustomer},
		{"RevokeMember", benchRevokeMember},
		{"DeleteExpired", benchDeleteExpired},
	}
	for _, op := range ops {
		b.Run(op.name, func(b *testing.B) {
			for _, size := range BenchSizes() {
				b.Run("size="+size.Name, func(b *testing.B) {
					b.ReportAllocs()
					op.fn(b, shared, size)
				})
			}
		})
	}
}

// benchShared holds the stores of one Bench call, filled on first use.
type benchShared struct {
	newStore func(b *testing.B, opts *sessionstore.Options) sessionstore.Store
	top      *testing.B
	mu       sync.Mutex
	fixtures map[int]*benchFixture
}

// fixture returns the shared store of size, filling it on first use.
func (sh *benchShared) fixture(b *testing.B, size BenchSize) *benchFixture {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if fx := sh.fixtures[size.N]; fx != nil {
		return fx
	}
	fx := newBenchFixture(b, sh.top, sh.newStore, size.N)
	sh.fixtures[size.N] = fx
	return fx
}

// benchClock is the fake clock of the benchmark stores. Unlike Clock it
// takes no lock, so that LookupParallel measures the store and not the
// clock's mutex.
type benchClock struct{ ns atomic.Int64 }

func newBenchClock() *benchClock {
	c := &benchClock{}
	c.ns.Store(StartTime().UnixNano())
	return c
}

func (c *benchClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *benchClock) Set(t time.Time)         { c.ns.Store(t.UnixNano()) }
func (c *benchClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// benchOptions are the options of every benchmark store.
func benchOptions(clock *benchClock) *sessionstore.Options {
	return &sessionstore.Options{
		PortalURL:     PortalURL,
		Now:           clock.Now,
		SweepInterval: -1,
	}
}

// benchFixture is a store filled with size sessions, and what the
// benchmarks need to address them. Session j belongs to member j/5, member
// k to customer k/10.
type benchFixture struct {
	s         sessionstore.Store
	clock     *benchClock
	size      int
	tokens    []string // by session
	ids       []string // by session
	memberIDs []string // by member
	customers []sessionstore.Customer
}

func (fx *benchFixture) members() int { return len(fx.memberIDs) }

// newBenchFixture makes a store with owner's newStore and fills it; b is
// the benchmark that needs it, for failures.
func newBenchFixture(b, owner *testing.B, newStore func(*testing.B, *sessionstore.Options) sessionstore.Store, size int) *benchFixture {
	b.Helper()
	if size <= 0 || size%benchPerCustomer != 0 {
		b.Fatalf("storetest: bench size %d is not a positive multiple of %d", size, benchPerCustomer)
	}
	clock := newBenchClock()
	s := newStore(owner, benchOptions(clock))
	owner.Cleanup(func() { _ = s.Close() })
	nc := size / benchPerCustomer
	fx := &benchFixture{
		s:         s,
		clock:     clock,
		size:      size,
		tokens:    make([]string, size),
		ids:       make([]string, size),
		memberIDs: make([]string, nc*benchMembersPerCustomer),
		customers: make([]sessionstore.Customer, nc),
	}
	for c := range nc {
		fx.customers[c] = NewCustomer(c)
		for n := range benchMembersPerCustomer {
			fx.memberIDs[c*benchMembersPerCustomer+n] = MemberID(fx.customers[c].ID, n)
		}
	}
	err := BenchFill(s, 0, size, 0, func(j int, s *sessionstore.MemberSession) {
		fx.tokens[j], fx.ids[j] = s.Token, s.ID
	})
	if err != nil {
		b.Fatalf("storetest: filling a store with %d sessions: %v", size, err)
	}
	runtime.GC() // collect the filling's garbage before timing
	return fx
}

// BenchFill creates n sessions in s (n a multiple of 50) shaped as Bench
// stores them: customers firstCustomer, firstCustomer+1, ... (NewCustomer),
// 10 members each (NewMember), 5 sessions per member, every session with a
// return URL and lifetime ttl (0: the store's default). It creates from a
// few goroutines, each owning whole customers, and calls each, when not
// nil, with every session Create returned: session j is session j%5 of
// member j/5, which is member (j/5)%10 of customer firstCustomer+j/50. each
// may be called concurrently for different j. It returns the first error.
func BenchFill(s sessionstore.Store, firstCustomer, n int, ttl time.Duration, each func(j int, s *sessionstore.MemberSession)) error {
	if n < 0 || n%benchPerCustomer != 0 {
		return fmt.Errorf("storetest: BenchFill of %d sessions: not a multiple of %d", n, benchPerCustomer)
	}
	ctx := context.Background()
	return benchEachCustomer(n/benchPerCustomer, func(c int) error {
		cust := NewCustomer(firstCustomer + c)
		for mn := range benchMembersPerCustomer {
			m := NewMember(cust.ID, mn)
			for i := range benchPerMember {
				sess, err := s.Create(ctx, sessionstore.CreateParams{
					Member: m, Customer: cust, ReturnURL: benchReturnURL, TTL: ttl,
				})
				if err != nil {
					return err
				}
				if each != nil {
					each((c*benchMembersPerCustomer+mn)*benchPerMember+i, sess)
				}
			}
		}
		return nil
	})
}

// createMember creates the 5 sessions of member k again, after
// RevokeMember, and records their tokens and IDs.
func (fx *benchFixture) createMember(k int) error {
	cust := fx.customers[k/benchMembersPerCustomer]
	m := NewMember(cust.ID, k%benchMembersPerCustomer)
	for i := range benchPerMember {
		s, err := fx.s.Create(context.Background(), sessionstore.CreateParams{
			Member: m, Customer: cust, ReturnURL: benchReturnURL,
		})
		if err != nil {
			return err
		}
		j := k*benchPerMember + i
		fx.tokens[j], fx.ids[j] = s.Token, s.ID
	}
	return nil
}

// benchEachCustomer calls fn for every customer number in [0, n) from a few
// goroutines, each owning whole customers (so that stores which order the
// writes of one customer do not see conflicts), and returns the first
// error.
func benchEachCustomer(n int, fn func(c int) error) error {
	workers := min(n, 4*runtime.GOMAXPROCS(0))
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
		failed   atomic.Bool
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				c := int(next.Add(1) - 1)
				if c >= n {
					return
				}
				if err := fn(c); err != nil {
					errOnce.Do(func() { firstErr = err })
					failed.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// benchOrder walks [0, n) in a fixed scattered order, so that consecutive
// operations touch unrelated sessions as real traffic does.
type benchOrder struct{ i, n, stride int }

func newBenchOrder(n, start int) *benchOrder {
	stride := max(1, n*618/1000)
	for benchGCD(stride, n) != 1 {
		stride++
	}
	return &benchOrder{i: start % n, n: n, stride: stride}
}

func (o *benchOrder) next() int {
	i := o.i
	o.i += o.stride
	if o.i >= o.n {
		o.i -= o.n
	}
	return i
}

func benchGCD(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func benchCreate(b *testing.B, sh *benchShared, size BenchSize) {
	// Create grows its store, so it gets one of its own.
	fx := newBenchFixture(b, b, sh.newStore, size.N)
	ctx := context.Background()
	const nParams = 1024
	params := make([]sessionstore.CreateParams, 0, nParams)
	ord := newBenchOrder(fx.members(), 0)
	for range min(nParams, fx.members()) {
		k := ord.next()
		cust := fx.customers[k/benchMembersPerCustomer]
		params = append(params, sessionstore.CreateParams{
			Member:    NewMember(cust.ID, k%benchMembersPerCustomer),
			Customer:  cust,
			ReturnURL: benchReturnURL,
		})
	}
	i := 0
	for b.Loop() {
		if _, err := fx.s.Create(ctx, params[i]); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(params) {
			i = 0
		}
	}
}

func benchLookupHit(b *testing.B, sh *benchShared, size BenchSize) {
	fx := sh.fixture(b, size)
	ctx := context.Background()
	ord := newBenchOrder(fx.size, 0)
	retained, transient := benchLookupAllocs(b, fx)
	for b.Loop() {
		if _, err := fx.s.Lookup(ctx, fx.tokens[ord.next()]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(retained, "retained-allocs/op")
	b.ReportMetric(transient, "transient-allocs/op")
}

func benchLookupUnknown(b *testing.B, sh *benchShared, size BenchSize) {
	fx := sh.fixture(b, size)
	ctx := context.Background()
	unknown := make([]string, 1024)
	for i := range unknown {
		tok, err := token.New(sessionstore.DefaultTokenPrefix)
		if err != nil {
			b.Fatal(err)
		}
		unknown[i] = tok
	}
	i := 0
	for b.Loop() {
		if _, err := fx.s.Lookup(ctx, unknown[i]); !errors.Is(err, sessionstore.ErrNotFound) {
			b.Fatalf("Lookup of an unknown token: got %v, want ErrNotFound", err)
		}
		i = (i + 1) % len(unknown)
	}
}

func benchLookupMalformed(b *testing.B, sh *benchShared, size BenchSize) {
	fx := sh.fixture(b, size)
	ctx := context.Background()
	bad := make([]string, min(1024, fx.size))
	for i := range bad {
		// A stored token with its last checksum character changed.
		tok := []byte(fx.tokens[i])
		last := len(tok) - 1
		if tok[last] == '0' {
			tok[last] = '1'
		} else {
			tok[last] = '0'
		}
		bad[i] = string(tok)
	}
	i := 0
	for b.Loop() {
		if _, err := fx.s.Lookup(ctx, bad[i]); !errors.Is(err, sessionstore.ErrMalformedToken) {
			b.Fatalf("Lookup of a malformed token: got %v, want ErrMalformedToken", err)
		}
		i = (i + 1) % len(bad)
	}
}

func benchGet(b *testing.B, sh *benchShared, size BenchSize) {
	fx := sh.fixture(b, size)
	ctx := context.Background()
	ord := newBenchOrder(fx.size, 0)
	for b.Loop() {
		if _, err := fx.s.Get(ctx, fx.ids[ord.next()]); err != nil {
			b.Fatal(err)
		}
	}
}

func benchListByMember(b *testing.B, sh *benchShared, size BenchSize) {
	fx := sh.fixture(b, size)
	ctx := context.Background()
	ord := newBenchOrder(fx.members(), 0)
	for b.Loop() {
		ss, err := fx.s.ListByMember(ctx, fx.memberIDs[ord.next()])
		if err != nil {
			b.Fatal(err)
		}
		if len(ss) != benchPerMember {
			b.Fatalf("ListByMember returned %d sessions, want %d", len(ss), benchPerMember)
		}
	}
}

func benchLookupParallel(b *testing.B, sh *benchShared, size BenchSize) {
	fx := sh.fixture(b, size)
	ctx := context.Background()
	var goroutine atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		// Each goroutine walks the tokens from its own starting point.
		ord := newBenchOrder(fx.size, int(goroutine.Add(1))*7919)
		for pb.Next() {
			if _, err := fx.s.Lookup(ctx, fx.tokens[ord.next()]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func benchUpdateCustomer(b *testing.B, sh *benchShared, size BenchSize) {
	fx := sh.fixture(b, size)
	ctx := context.Background()
	// Each operation changes the customer's name, back and forth.
	renamed := make([]sessionstore.Customer, len(fx.customers))
	for c := range renamed {
		renamed[c] = NewCustomer(c)
		name := fmt.Sprintf("Acme Team %d (renamed)", c)
		renamed[c].Name = &name
	}
	variants := [2][]sessionstore.Customer{renamed, fx.customers}
	ord := newBenchOrder(len(fx.customers), 0)
	i := 0
	for b.Loop() {
		c := ord.next()
		n, err := fx.s.UpdateCustomer(ctx, variants[(i/len(fx.customers))%2][c])
		if err != nil {
			b.Fatal(err)
		}
		if n != benchPerCustomer {
			b.Fatalf("UpdateCustomer changed %d sessions, want %d", n, benchPerCustomer)
		}
		i++
	}
}

func benchRevokeMember(b *testing.B, sh *benchShared, size BenchSize) {
	fx := sh.fixture(b, size)
	ctx := context.Background()
	batch := max(1, fx.members()/10)
	revoked := make([]int, 0, batch)
	restore := func() {
		for _, k := range revoked {
			if err := fx.createMember(k); err != nil {
				b.Fatal(err)
			}
		}
		revoked = revoked[:0]
	}
	ord := newBenchOrder(fx.members(), 0)
	for b.Loop() {
		k := ord.next()
		n, err := fx.s.RevokeMember(ctx, fx.memberIDs[k])
		if err != nil {
			b.Fatal(err)
		}
		if n != benchPerMember {
			b.Fatalf("RevokeMember removed %d sessions, want %d", n, benchPerMember)
		}
		revoked = append(revoked, k)
		if len(revoked) == batch {
			b.StopTimer()
			restore()
			b.StartTimer()
		}
	}
	restore()
}

func benchDeleteExpired(b *testing.B, sh *benchShared, size BenchSize) {
	fx := sh.fixture(b, size)
	ctx := context.Background()
	// The expired sessions belong to customers of their own. They live a
	// minute; the clock moves two minutes ahead for the purge and back
	// afterwards, well within the stored sessions' hour.
	expired := benchExpired
	if BenchRace() {
		expired = benchExpiredRace
	}
	start := fx.clock.Now()
	for b.Loop() {
		b.StopTimer()
		fx.clock.Set(start)
		if err := BenchFill(fx.s, benchExpiredCustomerBase, expired, time.Minute, nil); err != nil {
			b.Fatal(err)
		}
		fx.clock.Advance(2 * time.Minute)
		b.StartTimer()

		n, err := fx.s.DeleteExpired(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n != expired {
			b.Fatalf("DeleteExpired removed %d sessions, want %d", n, expired)
		}
	}
	fx.clock.Set(start)
}

// benchLookupAllocs looks up k stored sessions, keeping every result, and
// returns per lookup the heap objects still reachable from the results
// after a collection (retained: the returned session) and the other
// allocations (transient: what Lookup allocates besides the session it
// returns).
func benchLookupAllocs(b *testing.B, fx *benchFixture) (retained, transient float64) {
	const k = 4096
	ctx := context.Background()
	keep := make([]*sessionstore.MemberSession, k)
	ord := newBenchOrder(fx.size, 1)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range keep {
		s, err := fx.s.Lookup(ctx, fx.tokens[ord.next()])
		if err != nil {
			b.Fatal(err)
		}
		keep[i] = s
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(keep)
	total := float64(after.Mallocs-before.Mallocs) / k
	retained = (float64(after.HeapObjects) - float64(before.HeapObjects)) / k
	return retained, total - retained
}

// LiveHeap returns the bytes of live heap after two garbage collections,
// for footprint benchmarks that compare it before and after filling a store.
func LiveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
