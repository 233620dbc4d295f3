package storetest

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
)

// Corrupter is implemented by the stores that Run's newStore returns when
// the test can damage a stored record on purpose, as a bad disk or a
// foreign write would: the Badger test overwrites a record's bytes, the
// Redis test a record hash's field, and the memory test wraps its backend
// in a FaultyBackend. Run's Corrupt group needs it to prove that a damaged
// record never authenticates and never stops a revocation; with a store
// that does not implement it, those subtests are skipped with a logged
// reason.
type Corrupter interface {
	// CorruptSession damages the stored record of the session with this
	// ID so that it can no longer be decoded, leaving its keys and index
	// entries as they are. It fails t if it cannot.
	CorruptSession(t testing.TB, id string)
}

var corruptTests = []subtest{
	{"LookupGetExtend", testCorruptLookup},
	{"ListsSkipAndReport", testCorruptLists},
	{"RevokeMemberRemovesIt", testCorruptRevokeMember},
	{"RevokeCustomerRemovesIt", testCorruptRevokeCustomer},
	{"DeletedCustomerRemovesIt", testCorruptDeletedCustomer},
	{"UpdateMemberRemovesIt", testCorruptUpdateMember},
	{"UpdateCustomerRemovesIt", testCorruptUpdateCustomer},
	{"RevokeRemovesIt", testCorruptRevoke},
	{"DeleteExpiredRemovesIt", testCorruptDeleteExpired},
}

// corruptGroup is a customer with two members, one of whose sessions is
// damaged, and a session of another customer.
type corruptGroup struct {
	h        *harness
	log      *logRecorder
	a1, a2   *sessionstore.MemberSession // member A's sound sessions
	bad      *sessionstore.MemberSession // member A's damaged session
	b1       *sessionstore.MemberSession // member B, same customer
	other    *sessionstore.MemberSession // another customer
	memberA  string
	customer string
}

func newCorruptGroup(t *testing.T, newStore newStoreFunc) *corruptGroup {
	t.Helper()
	rec := &logRecorder{}
	h := newHarness(t, newStore, func(o *sessionstore.Options) { o.Logger = slog.New(rec) })
	c, ok := h.s.(Corrupter)
	if !ok {
		t.Skipf("the store (%T) does not implement storetest.Corrupter: the rules for damaged records are not proven for it", h.s)
	}
	g := &corruptGroup{h: h, log: rec}
	g.a1 = h.create(params(1, 1))
	h.clock.Advance(time.Millisecond)
	g.bad = h.create(params(1, 1))
	h.clock.Advance(time.Millisecond)
	g.a2 = h.create(params(1, 1))
	g.b1 = h.create(params(1, 2))
	g.other = h.create(params(2, 1))
	g.memberA, g.customer = g.a1.MemberID, g.a1.CustomerID
	c.CorruptSession(t, g.bad.ID)
	return g
}

// noneAuthenticate fails the test unless every session given is gone:
// Lookup is ErrNotFound, the damaged one included (removed, not merely
// unreadable).
func (g *corruptGroup) noneAuthenticate(ss ...*sessionstore.MemberSession) {
	g.h.t.Helper()
	for _, s := range ss {
		g.h.lookupErr(s.Token, sessionstore.ErrNotFound)
	}
}

func testCorruptLookup(t *testing.T, newStore newStoreFunc) {
	g := newCorruptGroup(t, newStore)
	h := g.h
	h.lookupErr(g.bad.Token, sessionstore.ErrCorrupt)
	h.getErr(g.bad.ID, sessionstore.ErrCorrupt)
	got, err := h.s.Extend(h.ctx, g.bad.ID, time.Hour)
	expectErr(t, "Extend of a damaged session", err, sessionstore.ErrCorrupt)
	if got != nil {
		t.Fatalf("Extend of a damaged session returned a session")
	}
	// Only that token: the member's other sessions are unaffected.
	h.lookupOK(g.a1)
	h.lookupOK(g.a2)
	h.getOK(g.a2)
	if _, err := h.s.Extend(h.ctx, g.a1.ID, time.Hour); err != nil {
		t.Fatalf("Extend of a sound session: %v", err)
	}
}

func testCorruptLists(t *testing.T, newStore newStoreFunc) {
	g := newCorruptGroup(t, newStore)
	g.h.listMember(g.memberA, g.a1, g.a2)
	g.h.listCustomer(g.customer, g.a1, g.a2, g.b1)
	if n := g.log.count("corrupt"); n < 2 {
		t.Fatalf("Options.Logger got %d reports of a damaged record after two lists, want 2 or more; log:\n%s", n, g.log)
	}
	if strings.Contains(g.log.String(), g.bad.Token) {
		t.Fatalf("the log holds a token")
	}
}

func testCorruptRevokeMember(t *testing.T, newStore newStoreFunc) {
	g := newCorruptGroup(t, newStore)
	h := g.h
	n, err := h.s.RevokeMember(h.ctx, g.memberA)
	count(t, "RevokeMember over a damaged record", n, err, 2)
	g.noneAuthenticate(g.a1, g.a2, g.bad)
	h.lookupOK(g.b1)
	h.lookupOK(g.other)
	h.listCustomer(g.customer, g.b1)
	if g.log.count("corrupt") == 0 {
		t.Fatalf("Options.Logger got no report of the damaged record RevokeMember removed")
	}
	n, err = h.s.RevokeCustomer(h.ctx, g.customer)
	count(t, "RevokeCustomer afterwards", n, err, 1)
}

func testCorruptRevokeCustomer(t *testing.T, newStore newStoreFunc) {
	g := newCorruptGroup(t, newStore)
	h := g.h
	n, err := h.s.RevokeCustomer(h.ctx, g.customer)
	count(t, "RevokeCustomer over a damaged record", n, err, 3)
	g.noneAuthenticate(g.a1, g.a2, g.b1, g.bad)
	h.lookupOK(g.other)
	h.listMember(g.memberA)
	n, err = h.s.RevokeMember(h.ctx, g.memberA)
	count(t, "RevokeMember afterwards", n, err, 0)
}

func testCorruptDeletedCustomer(t *testing.T, newStore newStoreFunc) {
	g := newCorruptGroup(t, newStore)
	h := g.h
	c := NewCustomer(1)
	c.DeletedAt = ptr(h.clock.Now())
	n, err := h.s.UpdateCustomer(h.ctx, c)
	count(t, "UpdateCustomer with DeletedAt over a damaged record", n, err, 3)
	g.noneAuthenticate(g.a1, g.a2, g.b1, g.bad)
	h.lookupOK(g.other)
}

func testCorruptUpdateMember(t *testing.T, newStore newStoreFunc) {
	g := newCorruptGroup(t, newStore)
	h := g.h
	m := NewMember(g.customer, 1)
	m.Role = sessionstore.RoleBillingManager
	n, err := h.s.UpdateMember(h.ctx, m)
	count(t, "UpdateMember over a damaged record", n, err, 2)
	g.noneAuthenticate(g.bad)
	for _, s := range []*sessionstore.MemberSession{g.a1, g.a2} {
		got, err := h.s.Lookup(h.ctx, s.Token)
		if err != nil || got.Member.Role != sessionstore.RoleBillingManager {
			t.Fatalf("Lookup after UpdateMember = %v, %v; want the new role", got, err)
		}
	}
}

func testCorruptUpdateCustomer(t *testing.T, newStore newStoreFunc) {
	g := newCorruptGroup(t, newStore)
	h := g.h
	c := NewCustomer(1)
	c.Email = "renamed@example.com"
	n, err := h.s.UpdateCustomer(h.ctx, c)
	count(t, "UpdateCustomer over a damaged record", n, err, 3)
	g.noneAuthenticate(g.bad)
	for _, s := range []*sessionstore.MemberSession{g.a1, g.a2, g.b1} {
		got, err := h.s.Lookup(h.ctx, s.Token)
		if err != nil || got.Customer.Email != c.Email {
			t.Fatalf("Lookup after UpdateCustomer = %v, %v; want the new email", got, err)
		}
	}
}

func testCorruptRevoke(t *testing.T, newStore newStoreFunc) {
	g := newCorruptGroup(t, newStore)
	h := g.h
	if err := h.s.Revoke(h.ctx, g.bad.ID); err != nil {
		t.Fatalf("Revoke of a damaged session: %v", err)
	}
	g.noneAuthenticate(g.bad)
	h.getErr(g.bad.ID, sessionstore.ErrNotFound)
	h.listMember(g.memberA, g.a1, g.a2)
	n, err := h.s.RevokeMember(h.ctx, g.memberA)
	count(t, "RevokeMember afterwards", n, err, 2)
}

func testCorruptDeleteExpired(t *testing.T, newStore newStoreFunc) {
	g := newCorruptGroup(t, newStore)
	h := g.h
	h.clock.Advance(h.ttl + sessionstore.DefaultExpiredRetention + time.Second)
	if _, err := h.s.DeleteExpired(h.ctx); err != nil {
		t.Fatalf("DeleteExpired over a damaged record: %v", err)
	}
	h.clock.Set(StartTime())
	g.noneAuthenticate(g.a1, g.a2, g.b1, g.other, g.bad)
	h.listCustomer(g.customer)
}

// logRecorder is a slog.Handler that keeps every record's message and
// attributes as text.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(rec.Level.String() + " " + rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	r.mu.Lock()
	r.lines = append(r.lines, b.String())
	r.mu.Unlock()
	return nil
}

func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *logRecorder) WithGroup(string) slog.Handler      { return r }

// count returns how many lines mention word.
func (r *logRecorder) count(word string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, l := range r.lines {
		if strings.Contains(l, word) {
			n++
		}
	}
	return n
}

func (r *logRecorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}
