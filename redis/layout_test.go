package redis

import (
	"errors"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/storetest"
	"github.com/memberkit/sessionstore/token"
)

// newLayoutStore returns a store under prefix on c in the layout routed
// says, whatever the client: the single-tag layout on a cluster is how a
// store kept its sessions before routes.
func newLayoutStore(t *testing.T, c goredis.UniversalClient, prefix string, routed bool, o sessionstore.Options) *Store {
	t.Helper()
	var b *storage
	s, err := backend.NewStore(&o, func(base sessionstore.Options) (backend.Backend, error) {
		b = newStorageLayout(c, prefix, base, routed)
		return b, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return &Store{Store: s, b: b}
}

// TestRoutedConformance runs the conformance suite on the routed layout on
// a standalone server, where every place is on one server.
func TestRoutedConformance(t *testing.T) {
	c := client(t)
	storetest.Run(t, func(t *testing.T, opts *sessionstore.Options) sessionstore.Store {
		var o sessionstore.Options
		if opts != nil {
			o = *opts
		}
		return corruptible{newLayoutStore(t, c, testPrefix(t, c), true, o)}
	})
}

// TestLegacySessionsOnCluster writes sessions as a store did before routes
// (every key under one tag), then serves them with a store in the routed
// layout: they are looked up, got, extended, listed and revoked, by ID, by
// member and by customer, beside new sessions of the same member, and
// purged once expired, after which the store stops looking in the old
// layout.
func TestLegacySessionsOnCluster(t *testing.T) {
	cc := clusterClient(t)
	prefix := testPrefix(t, cc)
	clk := storetest.NewClock(farStart)
	opts := sessionstore.Options{Now: clk.Now, SweepInterval: -1, ExpiredRetention: -1}
	old := newLayoutStore(t, cc, prefix, false, opts)

	p1, p2 := createParams(1, 1), createParams(2, 1)
	s1, err := old.Create(bg, p1)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := old.Create(bg, p2)
	if err != nil {
		t.Fatal(err)
	}
	// A token from before routes may carry no route at all.
	bare, err := token.NewRouted(sessionstore.DefaultTokenPrefix, token.MaxRoute-1)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecord(p2.Member, p2.Customer, clk.Now(), time.Hour)
	rec.TokenHash = token.NewHasher(nil).Sum(bare)
	rec.ID = backend.WithRoute(rec.ID, backend.Route(int(backend.RouteOf(p2.Customer.ID)+1)%backend.RouteCount))
	rec.Kind, rec.AuthenticatedAt = sessionstore.KindLink, rec.CreatedAt
	if err := old.b.Insert(bg, rec, nil); err != nil {
		t.Fatal(err)
	}
	short, err := old.Create(bg, sessionstore.CreateParams{Member: p1.Member, Customer: p1.Customer, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}

	s := newLayoutStore(t, cc, prefix, true, opts)
	for _, tok := range []string{s1.Token, s2.Token, bare} {
		if _, err := s.Lookup(bg, tok); err != nil {
			t.Fatalf("Lookup of an old session: %v", err)
		}
	}
	if _, err := s.Get(bg, rec.ID); err != nil {
		t.Fatalf("Get of an old session by an ID of another route: %v", err)
	}
	if _, err := s.Extend(bg, s1.ID, 2*time.Hour); err != nil {
		t.Fatalf("Extend of an old session: %v", err)
	}
	n1, err := s.Create(bg, p1)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.ListByMember(bg, p1.Member.ID); err != nil || len(got) != 3 {
		t.Fatalf("ListByMember = %d sessions, %v; want the old two and the new one", len(got), err)
	}
	if got, err := s.ListByCustomer(bg, p2.Customer.ID); err != nil || len(got) != 2 {
		t.Fatalf("ListByCustomer = %d sessions, %v; want 2", len(got), err)
	}

	// Expire the short one and purge it: the old layout still holds
	// sessions, so the store keeps looking there.
	clk.Advance(2 * time.Minute)
	if n, err := s.DeleteExpired(bg); err != nil || n != 1 {
		t.Fatalf("DeleteExpired = %d, %v; want 1", n, err)
	}
	if _, err := s.Lookup(bg, short.Token); !errors.Is(err, sessionstore.ErrNotFound) {
		t.Fatalf("Lookup of the purged session: %v", err)
	}
	if s.b.legacy.Load() != legacyPresent {
		t.Fatalf("legacy state %d, want present", s.b.legacy.Load())
	}

	if n, err := s.RevokeMember(bg, p1.Member.ID); err != nil || n != 2 {
		t.Fatalf("RevokeMember = %d, %v; want the old and the new session", n, err)
	}
	for _, tok := range []string{s1.Token, n1.Token} {
		if _, err := s.Lookup(bg, tok); !errors.Is(err, sessionstore.ErrNotFound) {
			t.Fatalf("Lookup after RevokeMember = %v", err)
		}
	}
	if err := s.Revoke(bg, s2.ID); err != nil {
		t.Fatalf("Revoke of an old session: %v", err)
	}
	if n, err := s.RevokeCustomer(bg, p2.Customer.ID); err != nil || n != 1 {
		t.Fatalf("RevokeCustomer = %d, %v; want the session without a route", n, err)
	}
	if _, err := s.Lookup(bg, bare); !errors.Is(err, sessionstore.ErrNotFound) {
		t.Fatalf("Lookup after RevokeCustomer = %v", err)
	}

	// The old layout is empty now: the next purge notices, and lookups
	// stop looking there.
	if _, err := s.DeleteExpired(bg); err != nil {
		t.Fatal(err)
	}
	if s.b.legacy.Load() != legacyAbsent {
		t.Fatalf("legacy state %d, want absent", s.b.legacy.Load())
	}
	if keys := scanKeys(t, bg, cc, prefix); len(keys) != 0 {
		for _, k := range keys {
			if k[:len(s.b.k.tag)] == s.b.k.tag {
				t.Errorf("old layout key left: %s", k)
			}
		}
	}
}

// TestRoutedPurgeWalksPlaces checks DeleteExpired in the routed layout
// with expired sessions in many places: every call removes at most limit,
// a call that removes fewer has left nothing expired, and live sessions
// stay.
func TestRoutedPurgeWalksPlaces(t *testing.T) {
	c := client(t)
	clk := storetest.NewClock(farStart)
	b := newStorageLayout(c, testPrefix(t, c), sessionstore.Options{Now: clk.Now}, true)
	const expired, live, limit = 50, 5, 8
	places := map[string]bool{}
	for i := range expired + live {
		cu := testCustomer(i)
		ttl := time.Minute
		if i >= expired {
			ttl = time.Hour
		}
		r := newRecord(testMember(cu, 0), cu, clk.Now(), ttl)
		if err := b.Insert(bg, r, nil); err != nil {
			t.Fatal(err)
		}
		places[b.placeOf(cu.ID).tag] = true
	}
	if len(places) < expired/2 {
		t.Fatalf("the sessions are in %d places only", len(places))
	}
	clk.Advance(2 * time.Minute)
	total := 0
	for calls := 1; ; calls++ {
		n, err := b.DeleteExpired(bg, clk.Now(), limit)
		if err != nil {
			t.Fatal(err)
		}
		if n > limit {
			t.Fatalf("call %d removed %d, more than the limit %d", calls, n, limit)
		}
		total += n
		if n < limit {
			break
		}
		if calls > expired {
			t.Fatal("DeleteExpired does not end")
		}
	}
	if total != expired {
		t.Fatalf("removed %d, want %d", total, expired)
	}
	checkConsistent(t, b, c, b.k.tag[1:len(b.k.tag)-1])
	if n, err := b.DeleteExpired(bg, clk.Now(), limit); n != 0 || err != nil {
		t.Fatalf("another DeleteExpired = %d, %v", n, err)
	}
}

// TestRoutedMemberOfTwoCustomers checks a member ID found under two
// customers, which the engine allows: member-wide calls see and act on
// its sessions in both customers' places.
func TestRoutedMemberOfTwoCustomers(t *testing.T) {
	c := client(t)
	s := newLayoutStore(t, c, testPrefix(t, c), true, sessionstore.Options{SweepInterval: -1})
	p1, p2 := createParams(1, 0), createParams(2, 0)
	for n := 3; backend.RouteOf(p2.Customer.ID) == backend.RouteOf(p1.Customer.ID); n++ {
		p2 = createParams(n, 0)
	}
	p2.Member.ID = p1.Member.ID
	var toks []string
	for _, p := range []sessionstore.CreateParams{p1, p2} {
		ses, err := s.Create(bg, p)
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, ses.Token)
	}
	if got, err := s.ListByMember(bg, p1.Member.ID); err != nil || len(got) != 2 {
		t.Fatalf("ListByMember = %d sessions, %v; want 2", len(got), err)
	}
	if n, err := s.RevokeMember(bg, p1.Member.ID); err != nil || n != 2 {
		t.Fatalf("RevokeMember = %d, %v; want 2", n, err)
	}
	for _, tok := range toks {
		if _, err := s.Lookup(bg, tok); !errors.Is(err, sessionstore.ErrNotFound) {
			t.Fatalf("Lookup after RevokeMember = %v", err)
		}
	}
}
