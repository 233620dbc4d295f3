package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
)

var concurrencyTests = []subtest{
	{"ParallelCreates", testParallelCreates},
	{"CloseDuringLookups", testCloseDuringLookups},
}

// recovered turns a panic in a goroutine into a test error.
func recovered(t *testing.T, who string) {
	if r := recover(); r != nil {
		t.Errorf("%s panicked: %v", who, r)
	}
}

func testParallelCreates(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	const workers, each = 8, 25
	results := make([][]*sessionstore.MemberSession, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer recovered(t, "Create goroutine")
			for i := 0; i < each; i++ {
				s, err := h.s.Create(h.ctx, params(1, (w+i)%4))
				if err != nil {
					t.Errorf("Create: %v", err)
					return
				}
				results[w] = append(results[w], s)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	var all []*sessionstore.MemberSession
	seen := map[string]bool{}
	for _, r := range results {
		for _, s := range r {
			if seen[s.ID] {
				t.Fatalf("two concurrent Creates returned ID %s", s.ID)
			}
			seen[s.ID] = true
			all = append(all, s)
		}
	}
	h.listCustomer(CustomerID(1), all...)
	for _, s := range all[:10] {
		h.lookupOK(s)
	}
}

func testCloseDuringLookups(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	var calls atomic.Int64
	var closed atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer recovered(t, "Lookup goroutine")
			for i := 0; ; i++ {
				after := closed.Load()
				var err error
				switch i % 4 {
				case 0, 1:
					_, err = h.s.Lookup(h.ctx, s.Token)
				case 2:
					_, err = h.s.Get(h.ctx, s.ID)
				case 3:
					_, err = h.s.ListByMember(h.ctx, s.MemberID)
				}
				calls.Add(1)
				if after {
					if !errors.Is(err, sessionstore.ErrClosed) {
						t.Errorf("a call that started after Close returned got %v, want ErrClosed", err)
					}
					return
				}
				runtime.Gosched()
			}
		}()
	}
	poll(t, 5*time.Second, "goroutines calling Lookup", func() bool { return calls.Load() >= 40 })
	if err := h.s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	closed.Store(true)
	wg.Wait()
}

// RunStress runs creates, lookups and revocations concurrently from several
// goroutines (run it with -race) and checks that revocation is never
// undone: no session whose Create returned before a RevokeMember or
// RevokeCustomer call started authenticates after that call returned, every
// session that no revocation could have touched still authenticates, and
// every session is either still live at the end or counted by exactly one
// revocation. With testing.Short it does fewer operations.
func RunStress(t *testing.T, newStore func(t *testing.T, opts *sessionstore.Options) sessionstore.Store) {
	t.Helper()
	t.Run("RevokeWhileCreating", func(t *testing.T) { runStress(t, newStore) })
}

// stressSession is a session created by the stress test; created is the
// event number right after its Create returned.
type stressSession struct {
	s       *sessionstore.MemberSession
	created int64
}

// stressRevoke is a RevokeMember (member true) or RevokeCustomer call:
// start is the event number just before it began, end just after it
// returned.
type stressRevoke struct {
	member     bool
	key        string
	start, end int64
	n          int
}

func runStress(t *testing.T, newStore newStoreFunc) {
	const workers = 4
	ops := 200
	if testing.Short() {
		ops = 50
	}
	h := newHarness(t, newStore)
	var (
		seq      atomic.Int64 // event numbers: a global order of call boundaries
		mu       sync.Mutex
		sessions []stressSession
		revokes  []stressRevoke
		created  atomic.Int64
	)
	// revokedBefore reports a revocation of s that returned before event
	// start, where s was created before the revocation began.
	revokedBefore := func(ss stressSession, start int64) *stressRevoke {
		mu.Lock()
		defer mu.Unlock()
		for i := range revokes {
			r := &revokes[i]
			if r.end < start && ss.created < r.start && r.covers(ss.s) {
				return r
			}
		}
		return nil
	}
	// maybeRevoked reports whether any revocation of s began before event
	// end.
	maybeRevoked := func(ss stressSession, end int64) bool {
		mu.Lock()
		defer mu.Unlock()
		for i := range revokes {
			if revokes[i].start < end && revokes[i].covers(ss.s) {
				return true
			}
		}
		// A revocation may also have begun and not yet been recorded;
		// pending counts those.
		return false
	}
	var pending sync.Map // key -> count of revocations in flight
	inFlight := func(key string) bool {
		v, ok := pending.Load(key)
		return ok && v.(*atomic.Int64).Load() > 0
	}
	enter := func(key string) func() {
		v, _ := pending.LoadOrStore(key, new(atomic.Int64))
		c := v.(*atomic.Int64)
		c.Add(1)
		return func() { c.Add(-1) }
	}

	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer recovered(t, "stress goroutine")
			rng := rand.New(rand.NewPCG(uint64(w), 0x5eed))
			ctx := context.Background()
			for i := 0; i < ops && !t.Failed(); i++ {
				c, m := rng.IntN(3), rng.IntN(3)
				switch k := rng.IntN(10); {
				case k < 4: // Create
					s, err := h.s.Create(ctx, params(c, m))
					if err != nil {
						t.Errorf("Create: %v", err)
						return
					}
					ss := stressSession{s: s, created: seq.Add(1)}
					created.Add(1)
					mu.Lock()
					sessions = append(sessions, ss)
					mu.Unlock()
				case k < 8: // Lookup of a random known session
					mu.Lock()
					if len(sessions) == 0 {
						mu.Unlock()
						continue
					}
					ss := sessions[rng.IntN(len(sessions))]
					mu.Unlock()
					memberBusy, customerBusy := inFlight("m"+ss.s.MemberID), inFlight("c"+ss.s.CustomerID)
					start := seq.Add(1)
					got, err := h.s.Lookup(ctx, ss.s.Token)
					end := seq.Add(1)
					switch {
					case err == nil:
						if got == nil || got.ID != ss.s.ID {
							t.Errorf("Lookup returned another session")
							return
						}
						if r := revokedBefore(ss, start); r != nil {
							t.Errorf("session %s authenticated after %s returned (it was created before that call began)", ss.s.ID, r)
							return
						}
					case errors.Is(err, sessionstore.ErrNotFound):
						if !memberBusy && !customerBusy && !maybeRevoked(ss, end) && !inFlight("m"+ss.s.MemberID) && !inFlight("c"+ss.s.CustomerID) {
							t.Errorf("Lookup of session %s, which no revocation touched: %v", ss.s.ID, err)
							return
						}
					default:
						t.Errorf("Lookup: %v", err)
						return
					}
				case k < 9: // RevokeMember
					id := MemberID(CustomerID(c), m)
					done := enter("m" + id)
					start := seq.Add(1)
					n, err := h.s.RevokeMember(ctx, id)
					end := seq.Add(1)
					mu.Lock()
					revokes = append(revokes, stressRevoke{member: true, key: id, start: start, end: end, n: n})
					mu.Unlock()
					done()
					if err != nil {
						t.Errorf("RevokeMember: %v", err)
						return
					}
				default: // RevokeCustomer
					id := CustomerID(c)
					done := enter("c" + id)
					start := seq.Add(1)
					n, err := h.s.RevokeCustomer(ctx, id)
					end := seq.Add(1)
					mu.Lock()
					revokes = append(revokes, stressRevoke{key: id, start: start, end: end, n: n})
					mu.Unlock()
					done()
					if err != nil {
						t.Errorf("RevokeCustomer: %v", err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	// Afterwards: every session created before a revocation of it began is
	// gone; every session is either still live or counted by exactly one
	// revocation.
	final := seq.Add(1)
	removed := 0
	for _, r := range revokes {
		removed += r.n
	}
	live := 0
	for c := 0; c < 3; c++ {
		list, err := h.s.ListByCustomer(h.ctx, CustomerID(c))
		if err != nil {
			t.Fatalf("ListByCustomer: %v", err)
		}
		live += len(list)
	}
	if total := int(created.Load()); removed+live != total {
		t.Fatalf("%d sessions created, %d counted by revocations and %d still live: want the sum to match", total, removed, live)
	}
	for _, ss := range sessions {
		_, err := h.s.Lookup(h.ctx, ss.s.Token)
		if r := revokedBefore(ss, final); r != nil {
			if !errors.Is(err, sessionstore.ErrNotFound) {
				t.Fatalf("session %s, created before %s began: Lookup got %v, want ErrNotFound", ss.s.ID, r, err)
			}
		} else if !maybeRevoked(ss, final) && err != nil {
			t.Fatalf("session %s, never revoked: Lookup got %v", ss.s.ID, err)
		}
	}
	t.Logf("%d creates, %d revocations removing %d sessions, %d live at the end", created.Load(), len(revokes), removed, live)
}

func (r *stressRevoke) covers(s *sessionstore.MemberSession) bool {
	if r.member {
		return s.MemberID == r.key
	}
	return s.CustomerID == r.key
}

func (r *stressRevoke) String() string {
	if r.member {
		return fmt.Sprintf("RevokeMember(%s) [events %d-%d]", r.key, r.start, r.end)
	}
	return fmt.Sprintf("RevokeCustomer(%s) [events %d-%d]", r.key, r.start, r.end)
}
