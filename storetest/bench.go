package storetest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/internal/benchkit"
	"github.com/memberkit/sessionstore/token"
)

const (
	// benchExpired is how many expired sessions DeleteExpired purges per
	// operation (benchExpiredRace under the race detector).
	benchExpired     = 10_000
	benchExpiredRace = 1_000

	// benchExpiredCustomerBase numbers the customers of the expired
	// sessions, far above those of the stored sessions.
	benchExpiredCustomerBase = 1 << 40
)

// Bench runs the store benchmarks against the stores newStore makes, as
// sub-benchmarks named Op/size=N:
//
//	Create           Create one session for an existing member
//	Exchange         Exchange of a stored link for a device session (each
//	                 link in turn; its oldest device makes way past
//	                 Options.MaxDevicesPerLink)
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
// at 1k and 100k sessions (1M with SESSIONSTORE_BENCH_LARGE=1; 1k only
// under the race detector, so that a smoke run stays quick). Every store holds size sessions: size/5
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
		fn   func(b *testing.B, sh *benchShared, size benchkit.Size)
	}{
		{"Create", benchCreate},
		{"Exchange", benchExchange},
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
			for _, size := range benchkit.Sizes() {
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
func (sh *benchShared) fixture(b *testing.B, size benchkit.Size) *benchFixture {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if fx := sh.fixtures[size.N]; fx != nil {
		return fx
	}
	fx := newBenchFixture(b, sh.top, sh.newStore, size.N)
	sh.fixtures[size.N] = fx
	return fx
}

// benchFixture is a store filled with size sessions, and what the
// benchmarks need to address them. Session j belongs to member j/5, member
// k to customer k/10.
type benchFixture struct {
	s         sessionstore.Store
	clock     *benchkit.Clock
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
	if size <= 0 || size%benchkit.PerCustomer != 0 {
		b.Fatalf("storetest: bench size %d is not a positive multiple of %d", size, benchkit.PerCustomer)
	}
	clock := benchkit.NewClock()
	s := newStore(owner, benchkit.Options(clock))
	owner.Cleanup(func() { _ = s.Close() })
	nc := size / benchkit.PerCustomer
	fx := &benchFixture{
		s:         s,
		clock:     clock,
		size:      size,
		tokens:    make([]string, size),
		ids:       make([]string, size),
		memberIDs: make([]string, nc*benchkit.MembersPerCustomer),
		customers: make([]sessionstore.Customer, nc),
	}
	for c := range nc {
		fx.customers[c] = NewCustomer(c)
		for n := range benchkit.MembersPerCustomer {
			fx.memberIDs[c*benchkit.MembersPerCustomer+n] = MemberID(fx.customers[c].ID, n)
		}
	}
	err := benchkit.Fill(s, 0, size, 0, func(j int, s *sessionstore.MemberSession) {
		fx.tokens[j], fx.ids[j] = s.Token, s.ID
	})
	if err != nil {
		b.Fatalf("storetest: filling a store with %d sessions: %v", size, err)
	}
	runtime.GC() // collect the filling's garbage before timing
	return fx
}

// createMember creates the 5 sessions of member k again, after
// RevokeMember, and records their tokens and IDs.
func (fx *benchFixture) createMember(k int) error {
	cust := fx.customers[k/benchkit.MembersPerCustomer]
	m := NewMember(cust.ID, k%benchkit.MembersPerCustomer)
	for i := range benchkit.PerMember {
		s, err := fx.s.Create(context.Background(), sessionstore.CreateParams{
			Member: m, Customer: cust, ReturnURL: benchkit.ReturnURL,
		})
		if err != nil {
			return err
		}
		j := k*benchkit.PerMember + i
		fx.tokens[j], fx.ids[j] = s.Token, s.ID
	}
	return nil
}

func benchCreate(b *testing.B, sh *benchShared, size benchkit.Size) {
	// Create grows its store, so it gets one of its own.
	fx := newBenchFixture(b, b, sh.newStore, size.N)
	ctx := context.Background()
	const nParams = 1024
	params := make([]sessionstore.CreateParams, 0, nParams)
	ord := benchkit.NewOrder(fx.members(), 0)
	for range min(nParams, fx.members()) {
		k := ord.Next()
		cust := fx.customers[k/benchkit.MembersPerCustomer]
		params = append(params, sessionstore.CreateParams{
			Member:    NewMember(cust.ID, k%benchkit.MembersPerCustomer),
			Customer:  cust,
			ReturnURL: benchkit.ReturnURL,
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

func benchExchange(b *testing.B, sh *benchShared, size benchkit.Size) {
	// Exchange grows its store, so it gets one of its own.
	fx := newBenchFixture(b, b, sh.newStore, size.N)
	ctx := context.Background()
	ord := benchkit.NewOrder(fx.size, 0)
	for b.Loop() {
		if _, err := fx.s.Exchange(ctx, fx.tokens[ord.Next()], sessionstore.ExchangeParams{}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchLookupHit(b *testing.B, sh *benchShared, size benchkit.Size) {
	fx := sh.fixture(b, size)
	ctx := context.Background()
	ord := benchkit.NewOrder(fx.size, 0)
	retained, transient := benchLookupAllocs(b, fx)
	for b.Loop() {
		if _, err := fx.s.Lookup(ctx, fx.tokens[ord.Next()]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(retained, "retained-allocs/op")
	b.ReportMetric(transient, "transient-allocs/op")
}

func benchLookupUnknown(b *testing.B, sh *benchShared, size benchkit.Size) {
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

func benchLookupMalformed(b *testing.B, sh *benchShared, size benchkit.Size) {
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

func benchGet(b *testing.B, sh *benchShared, size benchkit.Size) {
	fx := sh.fixture(b, size)
	ctx := context.Background()
	ord := benchkit.NewOrder(fx.size, 0)
	for b.Loop() {
		if _, err := fx.s.Get(ctx, fx.ids[ord.Next()]); err != nil {
			b.Fatal(err)
		}
	}
}

func benchListByMember(b *testing.B, sh *benchShared, size benchkit.Size) {
	fx := sh.fixture(b, size)
	ctx := context.Background()
	ord := benchkit.NewOrder(fx.members(), 0)
	for b.Loop() {
		ss, err := fx.s.ListByMember(ctx, fx.memberIDs[ord.Next()])
		if err != nil {
			b.Fatal(err)
		}
		if len(ss) != benchkit.PerMember {
			b.Fatalf("ListByMember returned %d sessions, want %d", len(ss), benchkit.PerMember)
		}
	}
}

func benchLookupParallel(b *testing.B, sh *benchShared, size benchkit.Size) {
	fx := sh.fixture(b, size)
	ctx := context.Background()
	var goroutine atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		// Each goroutine walks the tokens from its own starting point.
		ord := benchkit.NewOrder(fx.size, int(goroutine.Add(1))*7919)
		for pb.Next() {
			if _, err := fx.s.Lookup(ctx, fx.tokens[ord.Next()]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func benchUpdateCustomer(b *testing.B, sh *benchShared, size benchkit.Size) {
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
	ord := benchkit.NewOrder(len(fx.customers), 0)
	i := 0
	for b.Loop() {
		c := ord.Next()
		n, err := fx.s.UpdateCustomer(ctx, variants[(i/len(fx.customers))%2][c])
		if err != nil {
			b.Fatal(err)
		}
		if n != benchkit.PerCustomer {
			b.Fatalf("UpdateCustomer changed %d sessions, want %d", n, benchkit.PerCustomer)
		}
		i++
	}
}

func benchRevokeMember(b *testing.B, sh *benchShared, size benchkit.Size) {
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
	ord := benchkit.NewOrder(fx.members(), 0)
	for b.Loop() {
		k := ord.Next()
		n, err := fx.s.RevokeMember(ctx, fx.memberIDs[k])
		if err != nil {
			b.Fatal(err)
		}
		if n != benchkit.PerMember {
			b.Fatalf("RevokeMember removed %d sessions, want %d", n, benchkit.PerMember)
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

func benchDeleteExpired(b *testing.B, sh *benchShared, size benchkit.Size) {
	fx := sh.fixture(b, size)
	ctx := context.Background()
	// The expired sessions belong to customers of their own. They live a
	// minute; the clock moves two minutes ahead for the purge and back
	// afterwards, well within the stored sessions' hour.
	expired := benchExpired
	if benchkit.Race() {
		expired = benchExpiredRace
	}
	start := fx.clock.Now()
	for b.Loop() {
		b.StopTimer()
		fx.clock.Set(start)
		if err := benchkit.Fill(fx.s, benchExpiredCustomerBase, expired, time.Minute, nil); err != nil {
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
	ord := benchkit.NewOrder(fx.size, 1)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range keep {
		s, err := fx.s.Lookup(ctx, fx.tokens[ord.Next()])
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
