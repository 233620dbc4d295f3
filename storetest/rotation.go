package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/token"
)

// shared lets several stores in turn run on one backend: Close leaves it
// open, so that a test can reopen a store on the same records with other
// Options, as an application does when it restarts with a new secret.
type shared struct{ backend.Backend }

func (shared) Close() error { return nil }

// openShared opens a store on b with the suite's default options, these
// secrets and obs as its observer.
func openShared(t *testing.T, b backend.Backend, clock *Clock, obs sessionstore.Observer, secret []byte, previous ...[]byte) sessionstore.Store {
	t.Helper()
	o := defaultOptions(clock)
	o.Secret, o.PreviousSecrets, o.Observer = secret, previous, obs
	s, err := backend.NewStore(o, func(sessionstore.Options) (backend.Backend, error) { return shared{b}, nil })
	if err != nil {
		t.Fatalf("NewStore: %v", err)
	}
	return s
}

// testRotation rotates Options.Secret over one backend: sessions made under
// the old secret (or none) authenticate under the new one while the old is
// in PreviousSecrets, are stored again under the new one on first use, and
// then need the old secret no more.
func testRotation(bh *backendHarness) {
	t, b := bh.t, bh.b
	clock := NewClock(StartTime())
	open := func(secret []byte, previous ...[]byte) sessionstore.Store {
		t.Helper()
		return openShared(t, b, clock, nil, secret, previous...)
	}
	ctx := context.Background()
	oldKey, newKey := []byte("old secret"), []byte("new secret")

	before := open(nil)
	plain, err := before.Create(ctx, params(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	_ = before.Close()
	before = open(oldKey)
	keyed, err := before.Create(ctx, params(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	_ = before.Close()

	h := &harness{t: t, ctx: ctx, clock: clock}
	h.prefix, h.ttl, h.maxTTL, h.portal = effectiveOptions(defaultOptions(clock))
	h.keep, h.idle, _ = lifecycleOptions(defaultOptions(clock))
	h.every = useInterval(defaultOptions(clock))

	// Without the old secrets, the sessions are unknown.
	h.s = open(newKey)
	h.lookupErr(plain.Token, sessionstore.ErrNotFound)
	h.lookupErr(keyed.Token, sessionstore.ErrNotFound)
	_ = h.s.Close()

	// With them, both authenticate, and a revocation still reaches them.
	h.s = open(newKey, oldKey, nil)
	h.lookupOK(plain)
	h.lookupOK(keyed)
	h.lookupErr(unknownToken(t, h.prefix), sessionstore.ErrNotFound)
	fresh, err := h.s.Create(ctx, params(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	h.lookupOK(fresh)
	_ = h.s.Close()

	// Used once, they were stored again under the new secret alone.
	h.s = open(newKey)
	h.lookupOK(plain)
	h.lookupOK(keyed)
	h.listMember(plain.MemberID, withoutToken(plain), withoutToken(fresh))
	n, err := h.s.RevokeMember(ctx, plain.MemberID)
	count(t, "RevokeMember after rotation", n, err, 2)
	h.lookupErr(plain.Token, sessionstore.ErrNotFound)
	_ = h.s.Close()

	// The old secret alone no longer finds the rehashed session, and an
	// expired one still says expired through a previous secret.
	h.s = open(oldKey)
	h.lookupErr(keyed.Token, sessionstore.ErrNotFound)
	expiring, err := h.s.Create(ctx, params(2, 1))
	if err != nil {
		t.Fatal(err)
	}
	_ = h.s.Close()
	clock.Advance(2 * time.Hour)
	h.s = open(newKey, oldKey)
	h.lookupErr(expiring.Token, sessionstore.ErrExpired)
	_ = h.s.Close()
}

// testRotationConcurrentLookups is the attack of a rotation signing members
// out: several lookups of one token made under the previous secret, at
// once, as a browser's parallel requests are. Every one must succeed,
// whichever of them moves the record to the new hash.
func testRotationConcurrentLookups(bh *backendHarness) {
	t, b := bh.t, bh.b
	clock := NewClock(StartTime())
	ctx := context.Background()
	oldKey, newKey := []byte("old secret"), []byte("new secret")
	const trials, parallel = 30, 8
	refused := 0
	for trial := range trials {
		before := openShared(t, b, clock, nil, oldKey)
		s, err := before.Create(ctx, params(trial+1, 1))
		if err != nil {
			t.Fatal(err)
		}
		after := openShared(t, b, clock, nil, newKey, oldKey)
		var wg sync.WaitGroup
		var failed atomic.Int32
		start := make(chan struct{})
		for range parallel {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if _, err := after.Lookup(ctx, s.Token); err != nil {
					failed.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
		if failed.Load() > 0 {
			refused++
		}
	}
	if refused > 0 {
		t.Fatalf("in %d of %d trials a concurrent lookup of a valid pre-rotation token was refused", refused, trials)
	}
}

// findHook is a backend whose Find runs the next of hooks after reading,
// so that a test can land a write between a store's read and what it does
// next.
type findHook struct {
	backend.Backend
	mu    sync.Mutex
	hooks []func()
}

func (f *findHook) Find(ctx context.Context, h token.Hash, route backend.Route) (*backend.Record, error) {
	r, err := f.Backend.Find(ctx, h, route)
	f.mu.Lock()
	var next func()
	if len(f.hooks) > 0 {
		next, f.hooks = f.hooks[0], f.hooks[1:]
	}
	f.mu.Unlock()
	if next != nil {
		next()
	}
	return r, err
}

// testRotationKeepsWrites is the attack of a rehash writing back a stale
// copy: an UpdateMember and an Extend land between each read of the
// Lookup that moves a pre-rotation record to the new hash. Both returned
// before the Lookup did, so both must survive it.
func testRotationKeepsWrites(bh *backendHarness) {
	t := bh.t
	clock := NewClock(StartTime())
	ctx := context.Background()
	oldKey, newKey := []byte("old secret"), []byte("new secret")
	before := openShared(t, bh.b, clock, nil, oldKey)
	p := params(1, 1)
	p.Member.Role = sessionstore.RoleOwner
	s, err := before.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	hooked := &findHook{Backend: bh.b}
	after := openShared(t, hooked, clock, nil, newKey, oldKey)
	demoted := p.Member
	demoted.Role = sessionstore.RoleMember
	var extended *sessionstore.MemberSession
	hooked.hooks = []func(){
		func() {
			if n, err := after.UpdateMember(ctx, demoted); err != nil || n != 1 {
				t.Errorf("UpdateMember: %d, %v", n, err)
			}
		},
		func() {
			if extended, err = after.Extend(ctx, s.ID, 2*time.Hour); err != nil {
				t.Errorf("Extend: %v", err)
			}
		},
	}
	got, err := after.Lookup(ctx, s.Token)
	if err != nil {
		t.Fatalf("Lookup: %v", err)
	}
	stored, err := after.Get(ctx, s.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	for _, x := range []*sessionstore.MemberSession{got, stored} {
		if x.Member.Role != sessionstore.RoleMember {
			t.Fatalf("the rehash undid UpdateMember: role %q", x.Member.Role)
		}
	}
	if extended != nil && !stored.ExpiresAt.Equal(extended.ExpiresAt) {
		t.Fatalf("the rehash undid Extend: expires_at %v, want %v", stored.ExpiresAt, extended.ExpiresAt)
	}
}
