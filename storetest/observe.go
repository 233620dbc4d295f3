package storetest

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/token"
)

// Recorder is a sessionstore.Observer that keeps every event it is given.
// It is safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	events []sessionstore.Event
}

// Observe implements sessionstore.Observer.
func (r *Recorder) Observe(_ context.Context, e sessionstore.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// Events returns a copy of the events recorded so far, in order.
func (r *Recorder) Events() []sessionstore.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sessionstore.Event(nil), r.events...)
}

// CheckNoSecrets fails t if any event mentions one of tokens, or its
// SHA-256 or HMAC hash under one of secrets (nil for plain SHA-256), in
// hex or base64, anywhere in its printed form.
func CheckNoSecrets(t testing.TB, events []sessionstore.Event, tokens []string, secrets ...[]byte) {
	t.Helper()
	if len(secrets) == 0 {
		secrets = [][]byte{nil}
	}
	var banned []string
	for _, tok := range tokens {
		banned = append(banned, tok)
		for _, s := range secrets {
			h := token.NewHasher(s).Sum(tok)
			banned = append(banned, h.String(), base64.StdEncoding.EncodeToString(h[:]), base64.RawURLEncoding.EncodeToString(h[:]), fmt.Sprint(h[:]))
		}
	}
	for _, e := range events {
		text := fmt.Sprintf("%+v %v", e, e)
		for _, b := range banned {
			if strings.Contains(text, b) {
				t.Fatalf("event %s carries a token or its hash", e.Kind)
			}
		}
	}
}

var observeTests = []subtest{
	{"EveryKind", testObserveEveryKind},
	{"NoObserver", testNoObserver},
	{"Corrupt", testObserveCorrupt},
}

// testObserveCorrupt: a Lookup of a damaged record is EventLookupFailed
// with ReasonCorrupt, on the stores that can damage one (Corrupter).
func testObserveCorrupt(t *testing.T, newStore newStoreFunc) {
	rec := &Recorder{}
	h := newHarness(t, newStore, func(o *sessionstore.Options) { o.Observer = rec })
	c, ok := h.s.(Corrupter)
	if !ok {
		t.Skipf("the store (%T) does not implement storetest.Corrupter", h.s)
	}
	s := h.create(params(1, 1))
	c.CorruptSession(t, s.ID)
	h.lookupErr(s.Token, sessionstore.ErrCorrupt)
	events := rec.Events()
	CheckNoSecrets(t, events, []string{s.Token}, h.opts.Secret)
	last := events[len(events)-1]
	if last.Kind != sessionstore.EventLookupFailed || last.Reason != sessionstore.ReasonCorrupt || last.Err == nil {
		t.Fatalf("last event %+v, want lookup_failed with reason corrupt", last)
	}
}

// testObserveEveryKind drives a store through every operation and checks
// that each reports its event, with the right IDs and counts, and that no
// event carries a token or a token hash.
func testObserveEveryKind(t *testing.T, newStore newStoreFunc) {
	rec := &Recorder{}
	h := newHarness(t, newStore, func(o *sessionstore.Options) {
		o.Observer = rec
		o.MaxSessionsPerMember = 2
		o.ExpiredRetention = -1
	})
	ctx := h.ctx
	var tokens []string
	create := func(p sessionstore.CreateParams) *sessionstore.MemberSession {
		h.clock.Advance(time.Second) // creation order decides eviction
		s := h.create(p)
		tokens = append(tokens, s.Token)
		return s
	}
	a1 := create(params(1, 1))
	a2 := create(params(1, 1))
	a3 := create(params(1, 1)) // evicts a1
	h.lookupOK(a2)
	h.lookupErr("not a token", sessionstore.ErrMalformedToken)
	unknown := unknownToken(t, h.prefix)
	tokens = append(tokens, unknown)
	h.lookupErr(unknown, sessionstore.ErrNotFound)
	h.lookupErr(a1.Token, sessionstore.ErrNotFound)
	if _, err := h.s.Extend(ctx, a2.ID, 0); err != nil {
		t.Fatalf("Extend: %v", err)
	}
	if err := h.s.Revoke(ctx, a2.ID); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	b := create(params(1, 2))
	n, err := h.s.RevokeMember(ctx, b.MemberID)
	count(t, "RevokeMember", n, err, 1)
	c := create(params(2, 1))
	n, err = h.s.RevokeCustomer(ctx, c.CustomerID)
	count(t, "RevokeCustomer", n, err, 1)
	d := create(params(3, 1))
	deleted := NewCustomer(3)
	deleted.DeletedAt = ptr(h.clock.Now())
	n, err = h.s.UpdateCustomer(ctx, deleted)
	count(t, "UpdateCustomer of a deleted customer", n, err, 1)
	short := params(4, 1)
	short.TTL = time.Second
	e := create(short)
	h.clock.Advance(2 * time.Second)
	h.lookupErr(e.Token, sessionstore.ErrExpired)
	n, err = h.s.DeleteExpired(ctx)
	count(t, "DeleteExpired", n, err, 1)

	events := rec.Events()
	CheckNoSecrets(t, events, tokens, h.opts.Secret)
	type key struct {
		kind   sessionstore.EventKind
		reason sessionstore.Reason
		id     string
	}
	got := map[key]sessionstore.Event{}
	for _, ev := range events {
		got[key{ev.Kind, ev.Reason, ev.SessionID}] = ev
	}
	about := func(s *sessionstore.MemberSession) sessionstore.Event {
		return sessionstore.Event{SessionID: s.ID, MemberID: s.MemberID, CustomerID: s.CustomerID}
	}
	want := []struct {
		key
		ev sessionstore.Event
	}{
		{key{sessionstore.EventCreated, "", a1.ID}, about(a1)},
		{key{sessionstore.EventCreated, "", a3.ID}, about(a3)},
		{key{sessionstore.EventEvicted, "", a1.ID}, about(a1)},
		{key{sessionstore.EventLookup, "", a2.ID}, about(a2)},
		{key{sessionstore.EventLookupFailed, sessionstore.ReasonMalformed, ""}, sessionstore.Event{}},
		{key{sessionstore.EventLookupFailed, sessionstore.ReasonUnknown, ""}, sessionstore.Event{}},
		{key{sessionstore.EventLookupFailed, sessionstore.ReasonExpired, e.ID}, about(e)},
		{key{sessionstore.EventExtended, "", a2.ID}, about(a2)},
		{key{sessionstore.EventRevoked, "", a2.ID}, about(a2)},
		{key{sessionstore.EventMemberRevoked, "", ""}, sessionstore.Event{MemberID: b.MemberID, Count: 1}},
		{key{sessionstore.EventPurged, "", ""}, sessionstore.Event{Count: 1}},
	}
	for _, w := range want {
		ev, ok := got[w.key]
		if !ok {
			t.Errorf("no %s event (reason %q, session %q) among %d events", w.kind, w.reason, w.id, len(events))
			continue
		}
		w.ev.Kind, w.ev.Reason = ev.Kind, ev.Reason
		ev.Err, ev.Duration = nil, 0
		if ev != w.ev {
			t.Errorf("%s event: got %+v, want %+v", w.kind, ev, w.ev)
		}
	}
	var customers []string
	for _, ev := range events {
		if ev.Kind == sessionstore.EventCustomerRevoked {
			if ev.Count != 1 {
				t.Errorf("customer_revoked of %s: count %d, want 1", ev.CustomerID, ev.Count)
			}
			customers = append(customers, ev.CustomerID)
		}
		if ev.Kind == sessionstore.EventLookupFailed && ev.Err == nil {
			t.Errorf("lookup_failed (%s) without its error", ev.Reason)
		}
	}
	if want := []string{c.CustomerID, d.CustomerID}; fmt.Sprint(customers) != fmt.Sprint(want) {
		t.Errorf("customer_revoked events for %v, want %v", customers, want)
	}
}

// testNoObserver: a store without an observer works as ever (the rest of
// the suite runs without one).
func testNoObserver(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	h.lookupOK(s)
}

var backendObserveTests = []backendTest{
	{"Rehashed", testObserveRehash},
}

// testObserveRehash: a Lookup through a previous secret reports
// EventRehashed with the session's IDs, and no event carries the token or
// either hash.
func testObserveRehash(bh *backendHarness) {
	t, b := bh.t, bh.b
	clock := NewClock(StartTime())
	rec := &Recorder{}
	open := func(secret []byte, previous ...[]byte) sessionstore.Store {
		t.Helper()
		return openShared(t, b, clock, rec, secret, previous...)
	}
	ctx := context.Background()
	oldKey, newKey := []byte("old secret"), []byte("new secret")
	s := open(oldKey)
	made, err := s.Create(ctx, params(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	s = open(newKey, oldKey)
	defer func() { _ = s.Close() }()
	if _, err := s.Lookup(ctx, made.Token); err != nil {
		t.Fatalf("Lookup through the previous secret: %v", err)
	}
	events := rec.Events()
	CheckNoSecrets(t, events, []string{made.Token}, oldKey, newKey)
	for _, ev := range events {
		if ev.Kind == sessionstore.EventRehashed {
			if ev.SessionID != made.ID || ev.MemberID != made.MemberID || ev.CustomerID != made.CustomerID {
				t.Fatalf("rehashed event %+v, want the IDs of session %s", ev, made.ID)
			}
			return
		}
	}
	t.Fatalf("no rehashed event among %d events", len(events))
}
