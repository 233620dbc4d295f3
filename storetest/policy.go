package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
)

// The lifecycle policies of Options: retention of expired sessions, the
// idle timeout, the cap on sessions per member and the absolute lifetime.

var retentionTests = []subtest{
	{"ExpiredSaysExpiredUntilPurged", testRetentionDefault},
	{"Custom", testRetentionCustom},
	{"NegativePurgesAtExpiry", testRetentionNegative},
	{"RevokeRemovesExpired", testRetentionRevoke},
}

var idleTests = []subtest{
	{"ExpiresUnused", testIdleExpires},
	{"UseKeepsAlive", testIdleUse},
	{"ExtendIsAUse", testIdleExtend},
	{"RevokeCountsOnlyLive", testIdleRevokeCount},
}

var capTests = []subtest{
	{"EvictsOldest", testCapEvictsOldest},
	{"ExpiredDoNotCount", testCapExpired},
	{"Default", testCapDefault},
	{"Unlimited", testCapUnlimited},
	{"Concurrent", testCapConcurrent},
}

var lifetimeTests = []subtest{
	{"ExtendStopsAtMaxTTL", testAbsoluteLifetime},
}

func testRetentionDefault(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	h.clock.Set(s.ExpiresAt)
	h.lookupErr(s.Token, sessionstore.ErrExpired)
	h.getErr(s.ID, sessionstore.ErrExpired)
	h.listMember(s.MemberID)
	h.clock.Set(s.ExpiresAt.Add(sessionstore.DefaultExpiredRetention - time.Microsecond))
	n, err := h.s.DeleteExpired(h.ctx)
	count(t, "DeleteExpired within the retention", n, err, 0)
	h.lookupErr(s.Token, sessionstore.ErrExpired)
	h.clock.Set(s.ExpiresAt.Add(sessionstore.DefaultExpiredRetention))
	n, err = h.s.DeleteExpired(h.ctx)
	count(t, "DeleteExpired after the retention", n, err, 1)
	h.lookupErr(s.Token, sessionstore.ErrNotFound)
}

func testRetentionCustom(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore, func(o *sessionstore.Options) { o.ExpiredRetention = 30 * time.Minute })
	s := h.create(params(1, 1))
	h.clock.Set(s.ExpiresAt.Add(29 * time.Minute))
	n, err := h.s.DeleteExpired(h.ctx)
	count(t, "DeleteExpired within 30m of expiry", n, err, 0)
	h.lookupErr(s.Token, sessionstore.ErrExpired)
	h.clock.Set(s.ExpiresAt.Add(30 * time.Minute))
	n, err = h.s.DeleteExpired(h.ctx)
	count(t, "DeleteExpired 30m after expiry", n, err, 1)
}

func testRetentionNegative(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore, func(o *sessionstore.Options) { o.ExpiredRetention = -1 })
	s := h.create(params(1, 1))
	h.clock.Set(s.ExpiresAt)
	n, err := h.s.DeleteExpired(h.ctx)
	count(t, "DeleteExpired at expiry", n, err, 1)
	h.lookupErr(s.Token, sessionstore.ErrNotFound)
}

func testRetentionRevoke(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	p := params(1, 1)
	p.TTL = time.Minute
	expired := h.create(p)
	p.TTL = 48 * time.Hour
	live := h.create(p)
	h.clock.Advance(2 * time.Minute)
	n, err := h.s.RevokeMember(h.ctx, live.MemberID)
	count(t, "RevokeMember with one live and one expired session", n, err, 1)
	h.lookupErr(expired.Token, sessionstore.ErrNotFound)
	h.lookupErr(live.Token, sessionstore.ErrNotFound)

	// Revoke by ID removes an expired session too.
	p.TTL = time.Minute
	s := h.create(p)
	h.clock.Advance(2 * time.Minute)
	if err := h.s.Revoke(h.ctx, s.ID); err != nil {
		t.Fatalf("Revoke of an expired session: %v", err)
	}
	h.lookupErr(s.Token, sessionstore.ErrNotFound)
}

// idleOptions sets a 10-minute idle timeout.
func idleOptions(o *sessionstore.Options) { o.IdleTimeout = 10 * time.Minute }

func testIdleExpires(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore, idleOptions)
	s := h.create(params(1, 1))
	if s.LastUsedAt != nil {
		t.Fatalf("Create: LastUsedAt = %v, want nil", s.LastUsedAt)
	}
	h.clock.Advance(10*time.Minute - time.Microsecond)
	h.getOK(s) // Get is not a use
	h.clock.Advance(time.Microsecond)
	h.lookupErr(s.Token, sessionstore.ErrExpired)
	h.getErr(s.ID, sessionstore.ErrExpired)
	h.listMember(s.MemberID)
	if _, err := h.s.Extend(h.ctx, s.ID, 0); err == nil {
		t.Fatalf("Extend of an idle session succeeded")
	}
}

func testIdleUse(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore, idleOptions)
	s := h.create(params(1, 1))
	// Within a tenth of the timeout a lookup writes nothing.
	h.clock.Advance(30 * time.Second)
	h.lookupOK(s)
	// After it, the use is recorded.
	h.clock.Advance(30 * time.Second)
	used := utcMicro(h.clock.Now())
	want := copySession(s)
	want.LastUsedAt = &used
	h.lookupOK(want)
	h.getOK(want)
	h.listMember(s.MemberID, withoutToken(want))
	// A lookup soon after does not move it.
	h.clock.Advance(59 * time.Second)
	h.lookupOK(want)
	// Used, the session outlives its first ten minutes.
	h.clock.Set(used.Add(10*time.Minute - time.Microsecond))
	later := utcMicro(h.clock.Now())
	want.LastUsedAt = &later
	h.lookupOK(want)
	h.clock.Set(later.Add(10 * time.Minute))
	h.lookupErr(s.Token, sessionstore.ErrExpired)
}

func testIdleExtend(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore, idleOptions)
	s := h.create(params(1, 1))
	h.clock.Advance(9 * time.Minute)
	e := h.extendOK(s, 0)
	if e.LastUsedAt == nil || !e.LastUsedAt.Equal(utcMicro(h.clock.Now())) {
		t.Fatalf("Extend: LastUsedAt = %v, want now", e.LastUsedAt)
	}
	h.clock.Advance(9 * time.Minute)
	h.getOK(e)
}

func testIdleRevokeCount(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore, idleOptions)
	idle := h.create(params(1, 1))
	h.clock.Advance(10 * time.Minute)
	fresh := h.create(params(1, 1))
	n, err := h.s.RevokeMember(h.ctx, fresh.MemberID)
	count(t, "RevokeMember with one idle and one fresh session", n, err, 1)
	h.lookupErr(idle.Token, sessionstore.ErrNotFound)
}

// capOptions caps sessions at three per member.
func capOptions(o *sessionstore.Options) { o.MaxSessionsPerMember = 3 }

func testCapEvictsOldest(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore, capOptions)
	var ss []*sessionstore.MemberSession
	for range 3 {
		ss = append(ss, h.create(params(1, 1)))
		h.clock.Advance(time.Second)
	}
	other := h.create(params(1, 2))
	fourth := h.create(params(1, 1))
	h.lookupErr(ss[0].Token, sessionstore.ErrNotFound)
	h.listMember(fourth.MemberID, withoutToken(ss[1]), withoutToken(ss[2]), withoutToken(fourth))
	h.lookupOK(other)
	h.clock.Advance(time.Second)
	fifth := h.create(params(1, 1))
	h.lookupErr(ss[1].Token, sessionstore.ErrNotFound)
	h.listMember(fifth.MemberID, withoutToken(ss[2]), withoutToken(fourth), withoutToken(fifth))
}

func testCapExpired(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore, capOptions)
	p := params(1, 1)
	p.TTL = time.Minute
	var dead []*sessionstore.MemberSession
	for range 3 {
		dead = append(dead, h.create(p))
	}
	h.clock.Advance(2 * time.Minute)
	var live []*sessionstore.MemberSession
	for range 3 {
		live = append(live, h.create(params(1, 1)))
		h.clock.Advance(time.Second)
	}
	// Expired sessions take no place: all six are still stored.
	for _, s := range dead {
		h.lookupErr(s.Token, sessionstore.ErrExpired)
	}
	h.listMember(live[0].MemberID, withoutToken(live[0]), withoutToken(live[1]), withoutToken(live[2]))
	// Once the live ones expire, the member keeps at most three expired
	// sessions: the oldest expired ones go first.
	p.TTL = time.Minute
	h.clock.Advance(time.Hour)
	s := h.create(p)
	for _, d := range dead {
		h.lookupErr(d.Token, sessionstore.ErrNotFound)
	}
	for _, l := range live {
		h.lookupErr(l.Token, sessionstore.ErrExpired)
	}
	h.lookupOK(s)
}

func testCapDefault(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	first := h.create(params(1, 1))
	h.clock.Advance(time.Second)
	for range sessionstore.DefaultMaxSessionsPerMember - 1 {
		h.create(params(1, 1))
	}
	h.lookupOK(first)
	h.create(params(1, 1))
	h.lookupErr(first.Token, sessionstore.ErrNotFound)
	got, err := h.s.ListByMember(h.ctx, first.MemberID)
	if err != nil || len(got) != sessionstore.DefaultMaxSessionsPerMember {
		t.Fatalf("ListByMember: %d sessions, %v; want %d", len(got), err, sessionstore.DefaultMaxSessionsPerMember)
	}
}

func testCapUnlimited(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore, func(o *sessionstore.Options) { o.MaxSessionsPerMember = -1 })
	first := h.create(params(1, 1))
	for range sessionstore.DefaultMaxSessionsPerMember + 10 {
		h.create(params(1, 1))
	}
	h.lookupOK(first)
}

// testCapConcurrent creates sessions for one member from several goroutines
// while another lists them: no list ever shows more than the cap, and at
// the end exactly the cap's worth authenticate.
func testCapConcurrent(t *testing.T, newStore newStoreFunc) {
	const limit, workers, each = 4, 6, 8
	h := newHarness(t, newStore, func(o *sessionstore.Options) { o.MaxSessionsPerMember = limit })
	member := params(1, 1).Member.ID
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created []*sessionstore.MemberSession
		done    = make(chan struct{})
		watched = make(chan int)
	)
	go func() {
		most := 0
		defer func() { watched <- most }()
		for {
			select {
			case <-done:
				return
			default:
			}
			got, err := h.s.ListByMember(h.ctx, member)
			if err != nil {
				t.Errorf("ListByMember: %v", err)
				return
			}
			most = max(most, len(got))
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer recovered(t, "Create goroutine")
			for range each {
				s, err := h.s.Create(h.ctx, params(1, 1))
				if err != nil {
					t.Errorf("Create: %v", err)
					return
				}
				mu.Lock()
				created = append(created, s)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(done)
	if most := <-watched; most > limit {
		t.Fatalf("a concurrent ListByMember saw %d sessions, cap %d", most, limit)
	}
	if t.Failed() {
		return
	}
	live := 0
	for _, s := range created {
		if _, err := h.s.Lookup(h.ctx, s.Token); err == nil {
			live++
		}
	}
	if live != limit {
		t.Fatalf("%d of %d sessions authenticate, want the cap, %d", live, len(created), limit)
	}
}

func testAbsoluteLifetime(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore, func(o *sessionstore.Options) { o.MaxTTL = 2 * time.Hour })
	s := h.create(params(1, 1))
	limit := s.CreatedAt.Add(2 * time.Hour)
	for range 5 {
		h.clock.Advance(50 * time.Minute)
		if h.clock.Now().Before(limit) {
			e := h.extendOK(s, time.Hour) // checks the capped expires_at
			if e.ExpiresAt.After(limit) {
				t.Fatalf("Extend moved expires_at to %v, past created_at + MaxTTL = %v", e.ExpiresAt, limit)
			}
			s = &sessionstore.MemberSession{}
			*s = *e
			s.Token = ""
		}
	}
	h.getErr(s.ID, sessionstore.ErrExpired)
}
