package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
)

var extendTests = []subtest{
	{"Live", testExtendLive},
	{"ZeroUsesOptionsTTL", testExtendZero},
	{"Shorten", testExtendShorten},
	{"Expired", testExtendExpired},
	{"Missing", testExtendMissing},
	{"InvalidTTL", testExtendInvalid},
}

var deleteExpiredTests = []subtest{
	{"Counts", testDeleteExpiredCounts},
	{"Boundary", testDeleteExpiredBoundary},
	{"Empty", testDeleteExpiredEmpty},
}

var contextTests = []subtest{
	{"Canceled", func(t *testing.T, n newStoreFunc) { testContext(t, n, false) }},
	{"DeadlineExceeded", func(t *testing.T, n newStoreFunc) { testContext(t, n, true) }},
}

var closeTests = []subtest{
	{"MethodsReturnErrClosed", testClose},
}

var sweeperTests = []subtest{
	{"PurgesExpired", testSweeper},
}

// extended is what Extend(s, ttl) must return at now: s without its token,
// with a new expires_at (never past authenticated_at + maxTTL, to the
// microsecond) and modified_at,
// and with an idle timeout a new last use.
func extended(s *sessionstore.MemberSession, now time.Time, ttl, maxTTL time.Duration, idle bool) *sessionstore.MemberSession {
	w := copySession(s)
	w.ExpiresAt = utcMicro(now.Add(ttl))
	auth := s.AuthenticatedAt
	if auth.IsZero() {
		auth = s.CreatedAt
	}
	if limit := utcMicro(auth.Add(maxTTL)); w.ExpiresAt.After(limit) {
		w.ExpiresAt = limit
	}
	m := utcMicro(now)
	w.ModifiedAt = &m
	if idle {
		w.LastUsedAt = &m
	}
	return w
}

func (h *harness) extendOK(s *sessionstore.MemberSession, ttl time.Duration) *sessionstore.MemberSession {
	h.t.Helper()
	got, err := h.s.Extend(h.ctx, s.ID, ttl)
	if err != nil {
		h.t.Fatalf("Extend(%s, %v): %v", s.ID, ttl, err)
	}
	eff := ttl
	if eff == 0 {
		eff = h.ttl
	}
	want := extended(s, h.clock.Now(), eff, h.maxTTL, h.every > 0)
	checkSession(h.t, "Extend", withoutToken(want), got)
	return want
}

func testExtendLive(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	sibling := h.create(params(1, 1))
	h.clock.Advance(10*time.Minute + 789*time.Nanosecond)
	e := h.extendOK(s, 2*time.Hour)
	h.getOK(e)
	h.lookupOK(e)
	h.getOK(sibling)
	h.listMember(s.MemberID, e, sibling)
	// Past the old expiry it is still live; at the new one it is not.
	h.clock.Set(s.ExpiresAt)
	h.lookupOK(e)
	h.getErr(sibling.ID, sessionstore.ErrExpired)
	h.clock.Advance(5 * time.Minute)
	e2 := h.extendOK(e, h.maxTTL)
	h.lookupOK(e2)
	h.clock.Set(e2.ExpiresAt)
	h.lookupErr(s.Token, sessionstore.ErrExpired)
}

func testExtendZero(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	h.clock.Advance(59 * time.Minute)
	e := h.extendOK(s, 0)
	if want := utcMicro(h.clock.Now()).Add(time.Hour); !e.ExpiresAt.Equal(want) {
		t.Fatalf("Extend(0): ExpiresAt = %v, want now + 1h", e.ExpiresAt)
	}
	h.lookupOK(e)
}

func testExtendShorten(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	h.clock.Advance(time.Minute)
	e := h.extendOK(s, time.Second)
	h.lookupOK(e)
	h.clock.Set(e.ExpiresAt)
	h.lookupErr(s.Token, sessionstore.ErrExpired)
}

func testExtendExpired(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	h.clock.Set(s.ExpiresAt)
	got, err := h.s.Extend(h.ctx, s.ID, time.Hour)
	expectErr(t, "Extend of an expired session", err, sessionstore.ErrExpired)
	if got != nil {
		t.Fatalf("Extend returned a session along with %v", err)
	}
	h.lookupErr(s.Token, sessionstore.ErrExpired)
	// Back before expiry, the session is as it was: Extend changed nothing.
	h.clock.Set(s.ExpiresAt.Add(-time.Microsecond))
	h.getOK(s)
}

func testExtendMissing(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	_, err := h.s.Extend(h.ctx, randomUUID(), time.Hour)
	expectErr(t, "Extend of an unknown ID", err, sessionstore.ErrNotFound)
	if err := h.s.Revoke(h.ctx, s.ID); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	got, err := h.s.Extend(h.ctx, s.ID, time.Hour)
	expectErr(t, "Extend of a revoked session", err, sessionstore.ErrNotFound)
	if got != nil {
		t.Fatalf("Extend returned a session along with %v", err)
	}
	h.lookupErr(s.Token, sessionstore.ErrNotFound)
}

func testExtendInvalid(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	h.clock.Advance(time.Minute)
	for _, ttl := range []time.Duration{-time.Nanosecond, -time.Hour, h.maxTTL + time.Nanosecond, 10 * h.maxTTL} {
		got, err := h.s.Extend(h.ctx, s.ID, ttl)
		expectInvalid(t, "Extend("+ttl.String()+")", err, "")
		if got != nil {
			t.Fatalf("Extend(%v) returned a session along with %v", ttl, err)
		}
		h.getOK(s)
		h.lookupOK(s)
	}
}

func testDeleteExpiredCounts(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	p1, p2, p3 := params(1, 1), params(1, 1), params(1, 2)
	p1.TTL, p2.TTL, p3.TTL = time.Minute, 2*time.Minute, 48*time.Hour
	s1 := h.create(p1)
	s2 := h.create(p2)
	s3 := h.create(p3)
	p4 := params(2, 0)
	p4.TTL = 2 * time.Minute
	s4 := h.create(p4)
	h.clock.Set(s2.ExpiresAt.Add(h.keep))
	n, err := h.s.DeleteExpired(h.ctx)
	count(t, "DeleteExpired", n, err, 3)
	for _, s := range []*sessionstore.MemberSession{s1, s2, s4} {
		h.lookupErr(s.Token, sessionstore.ErrNotFound)
		h.getErr(s.ID, sessionstore.ErrNotFound)
		if err := h.s.Revoke(h.ctx, s.ID); !errors.Is(err, sessionstore.ErrNotFound) {
			t.Fatalf("Revoke of a purged session: got %v, want ErrNotFound", err)
		}
	}
	h.lookupOK(s3)
	n, err = h.s.DeleteExpired(h.ctx)
	count(t, "second DeleteExpired", n, err, 0)
	h.clock.Set(s3.ExpiresAt.Add(h.keep))
	n, err = h.s.DeleteExpired(h.ctx)
	count(t, "DeleteExpired after the last expiry", n, err, 1)
	h.lookupErr(s3.Token, sessionstore.ErrNotFound)
	h.listCustomer(s3.CustomerID)
}

func testDeleteExpiredBoundary(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	h.clock.Set(s.ExpiresAt.Add(-time.Nanosecond))
	n, err := h.s.DeleteExpired(h.ctx)
	count(t, "DeleteExpired just before expiry", n, err, 0)
	h.lookupOK(s)
	h.clock.Set(s.ExpiresAt.Add(h.keep - time.Nanosecond))
	n, err = h.s.DeleteExpired(h.ctx)
	count(t, "DeleteExpired just before the retention ends", n, err, 0)
	h.lookupErr(s.Token, sessionstore.ErrExpired)
	h.clock.Set(s.ExpiresAt.Add(h.keep))
	n, err = h.s.DeleteExpired(h.ctx)
	count(t, "DeleteExpired at expires_at + retention", n, err, 1)
	h.lookupErr(s.Token, sessionstore.ErrNotFound)
}

func testDeleteExpiredEmpty(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	n, err := h.s.DeleteExpired(h.ctx)
	count(t, "DeleteExpired on an empty store", n, err, 0)
	many := 150
	for i := 0; i < many; i++ {
		p := params(i%3, i%5)
		p.TTL = time.Duration(1+i%7) * time.Minute
		if _, err := h.s.Create(h.ctx, p); err != nil {
			t.Fatalf("Create: %v", err)
		}
	}
	h.clock.Advance(7*time.Minute + h.keep)
	n, err = h.s.DeleteExpired(h.ctx)
	count(t, "DeleteExpired of many sessions", n, err, many)
	for c := 0; c < 3; c++ {
		h.listCustomer(CustomerID(c))
	}
}

// testContext checks that every method gives up with ctx.Err() when ctx is
// already done, and changes nothing.
func testContext(t *testing.T, newStore newStoreFunc, deadline bool) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	other := h.create(params(1, 2))
	h.clock.Advance(30 * time.Minute)

	var ctx context.Context
	var cancel context.CancelFunc
	want := context.Canceled
	if deadline {
		ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		want = context.DeadlineExceeded
	} else {
		ctx, cancel = context.WithCancel(context.Background())
		cancel()
	}
	defer cancel()

	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Fatalf("%s with a done context: got %v, want %v", op, err, want)
		}
	}
	got, err := h.s.Create(ctx, params(1, 3))
	check("Create", err)
	if got != nil {
		t.Fatalf("Create returned a session along with %v", err)
	}
	got, err = h.s.Lookup(ctx, s.Token)
	check("Lookup", err)
	if got != nil {
		t.Fatalf("Lookup returned a session along with %v", err)
	}
	_, err = h.s.Get(ctx, s.ID)
	check("Get", err)
	_, err = h.s.ListByMember(ctx, s.MemberID)
	check("ListByMember", err)
	_, err = h.s.ListByCustomer(ctx, s.CustomerID)
	check("ListByCustomer", err)
	_, err = h.s.Extend(ctx, s.ID, 2*time.Hour)
	check("Extend", err)
	err = h.s.Revoke(ctx, s.ID)
	check("Revoke", err)
	_, err = h.s.RevokeMember(ctx, s.MemberID)
	check("RevokeMember", err)
	_, err = h.s.RevokeCustomer(ctx, s.CustomerID)
	check("RevokeCustomer", err)
	m := s.Member
	m.Email = "changed@example.com"
	_, err = h.s.UpdateMember(ctx, m)
	check("UpdateMember", err)
	c := s.Customer
	c.Email = "changed@example.com"
	_, err = h.s.UpdateCustomer(ctx, c)
	check("UpdateCustomer", err)
	h.clock.Advance(31 * time.Minute) // both sessions have expired now
	_, err = h.s.DeleteExpired(ctx)
	check("DeleteExpired", err)

	// Nothing changed.
	h.clock.Advance(-31 * time.Minute)
	h.lookupOK(s)
	h.lookupOK(other)
	h.listMember(MemberID(CustomerID(1), 3))
	h.listCustomer(s.CustomerID, s, other)
}

func testClose(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	if err := h.s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, sessionstore.ErrClosed) {
			t.Fatalf("%s after Close: got %v, want ErrClosed", op, err)
		}
	}
	got, err := h.s.Create(h.ctx, params(1, 2))
	check("Create", err)
	if got != nil {
		t.Fatalf("Create after Close returned a session")
	}
	got, err = h.s.Lookup(h.ctx, s.Token)
	check("Lookup", err)
	if got != nil {
		t.Fatalf("Lookup after Close returned a session")
	}
	_, err = h.s.Get(h.ctx, s.ID)
	check("Get", err)
	_, err = h.s.ListByMember(h.ctx, s.MemberID)
	check("ListByMember", err)
	_, err = h.s.ListByCustomer(h.ctx, s.CustomerID)
	check("ListByCustomer", err)
	_, err = h.s.Extend(h.ctx, s.ID, time.Hour)
	check("Extend", err)
	check("Revoke", h.s.Revoke(h.ctx, s.ID))
	_, err = h.s.RevokeMember(h.ctx, s.MemberID)
	check("RevokeMember", err)
	_, err = h.s.RevokeCustomer(h.ctx, s.CustomerID)
	check("RevokeCustomer", err)
	_, err = h.s.UpdateMember(h.ctx, s.Member)
	check("UpdateMember", err)
	_, err = h.s.UpdateCustomer(h.ctx, s.Customer)
	check("UpdateCustomer", err)
	_, err = h.s.DeleteExpired(h.ctx)
	check("DeleteExpired", err)
	for i := 0; i < 2; i++ {
		if err := h.s.Close(); err != nil {
			t.Fatalf("Close again: got %v, want nil", err)
		}
	}
}

// poll calls f every few milliseconds until it returns true, and fails t
// if that takes longer than timeout. It never sleeps.
func poll(t *testing.T, timeout time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !f() {
		select {
		case <-deadline.C:
			t.Fatalf("%s did not happen within %v", what, timeout)
		case <-tick.C:
		}
	}
}

// waitReal lets at least d of real time pass without sleeping.
func waitReal(d time.Duration) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	<-timer.C
}

func testSweeper(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore, func(o *sessionstore.Options) { o.SweepInterval = 10 * time.Millisecond })
	p := params(1, 1)
	p.TTL = time.Minute
	short := h.create(p)
	p = params(1, 2)
	p.TTL = 48 * time.Hour
	long := h.create(p)
	// Several sweeps pass; nothing is due yet.
	waitReal(60 * time.Millisecond)
	h.lookupOK(short)
	h.lookupOK(long)

	// Expired, it is kept for the retention while the sweeper runs: its
	// link still says "expired".
	h.clock.Advance(2 * time.Minute)
	waitReal(60 * time.Millisecond)
	h.lookupErr(short.Token, sessionstore.ErrExpired)
	h.clock.Advance(h.keep)
	poll(t, 5*time.Second, "the sweeper purging an expired session", func() bool {
		_, err := h.s.Lookup(h.ctx, short.Token)
		switch {
		case errors.Is(err, sessionstore.ErrNotFound):
			return true
		case errors.Is(err, sessionstore.ErrExpired):
			return false
		}
		t.Fatalf("Lookup of an expired session while the sweeper runs: got %v, want ErrExpired or ErrNotFound", err)
		return false
	})
	h.getErr(short.ID, sessionstore.ErrNotFound)
	h.lookupOK(long)
	h.listMember(long.MemberID, long)
	if err := h.s.Close(); err != nil {
		t.Fatalf("Close with the sweeper running: %v", err)
	}
}
