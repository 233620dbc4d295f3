package storetest

import (
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
)

// Recorded uses (MemberSession.LastUsedAt) without an idle timeout, for a
// devices page's "last used".

var lastUseTests = []subtest{
	{"DefaultInterval", testLastUseDefault},
	{"Never", testLastUseNever},
	{"IdleTimeoutBoundsIt", testLastUseIdleBound},
}

// lastUseAfter looks s up at its creation plus d and returns LastUsedAt.
func (h *harness) lastUseAfter(s *sessionstore.MemberSession, d time.Duration) *time.Time {
	h.t.Helper()
	h.clock.Set(s.CreatedAt.Add(d))
	got, err := h.s.Lookup(h.ctx, s.Token)
	if err != nil {
		h.t.Fatalf("Lookup after %v: %v", d, err)
	}
	return got.LastUsedAt
}

func testLastUseDefault(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore, func(o *sessionstore.Options) { o.LastUseInterval = 0 })
	s := h.create(params(1, 1))
	if u := h.lastUseAfter(s, sessionstore.DefaultLastUseInterval-time.Second); u != nil {
		t.Fatalf("a use recorded before the interval: %v", u)
	}
	at := s.CreatedAt.Add(sessionstore.DefaultLastUseInterval)
	if u := h.lastUseAfter(s, sessionstore.DefaultLastUseInterval); u == nil || !u.Equal(at) {
		t.Fatalf("LastUsedAt after the interval = %v, want %v", u, at)
	}
	// Within the interval of the last recorded use, lookups are reads.
	if u := h.lastUseAfter(s, 2*sessionstore.DefaultLastUseInterval-time.Second); u == nil || !u.Equal(at) {
		t.Fatalf("LastUsedAt within the interval = %v, want %v still", u, at)
	}
	got, err := h.s.Get(h.ctx, s.ID)
	if err != nil || got.LastUsedAt == nil || !got.LastUsedAt.Equal(at) {
		t.Fatalf("Get: LastUsedAt %v, %v; want %v", got, err, at)
	}
	e := h.extendOK(s, 0)
	if e.LastUsedAt == nil || !e.LastUsedAt.Equal(utcMicro(h.clock.Now())) {
		t.Fatalf("Extend: LastUsedAt %v, want now", e.LastUsedAt)
	}
	d := h.exchange(s, sessionstore.ExchangeParams{})
	if d.LastUsedAt != nil {
		t.Fatalf("a new device session has a recorded use")
	}
}

func testLastUseNever(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore, func(o *sessionstore.Options) { o.LastUseInterval = -1 })
	s := h.create(params(1, 1))
	if u := h.lastUseAfter(s, 50*time.Minute); u != nil {
		t.Fatalf("a use recorded with LastUseInterval -1: %v", u)
	}
}

func testLastUseIdleBound(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore, func(o *sessionstore.Options) {
		o.LastUseInterval, o.IdleTimeout = time.Hour, 20*time.Minute
	})
	s := h.create(params(1, 1))
	if u := h.lastUseAfter(s, 2*time.Minute); u == nil {
		t.Fatalf("no use recorded after IdleTimeout/10")
	}
}
