package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
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
