package redis

import (
	"fmt"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/memberkit/sessionstore"
)

// roundTrips returns how many round trips each store call takes in the
// layout routed says, on a standalone server (where a pipeline is one round
// trip, as a ClusterClient's pipeline split over nodes is one in time).
// Each call runs twice and the second is counted, so that the scripts are
// cached and the store has checked its old layout.
func roundTrips(t *testing.T, routed bool) map[string]int64 {
	t.Helper()
	addr := requireServer(t)
	trips := newNodeCounter()
	c := goredis.NewClient(&goredis.Options{Addr: addr})
	c.AddHook(trips.hook(addr))
	count := func() int64 {
		trips.mu.Lock()
		defer trips.mu.Unlock()
		return int64(trips.trips[addr])
	}
	t.Cleanup(func() { _ = c.Close() })
	prefix := testPrefix(t, c)
	s := newLayoutStore(t, c, prefix, routed, sessionstore.Options{SweepInterval: -1})
	out := map[string]int64{}
	for pass := range 2 {
		p := createParams(pass, 0)
		var tok, id, other string
		ops := []struct {
			name string
			fn   func() error
		}{
			{"Create", func() error {
				s1, err := s.Create(bg, p)
				if err != nil {
					return err
				}
				s2, err := s.Create(bg, p)
				tok, id, other = s1.Token, s1.ID, s2.ID
				return err
			}},
			{"Lookup", func() error { _, err := s.Lookup(bg, tok); return err }},
			{"Get", func() error { _, err := s.Get(bg, id); return err }},
			{"Extend", func() error { _, err := s.Extend(bg, id, time.Hour); return err }},
			{"ListByMember", func() error { _, err := s.ListByMember(bg, p.Member.ID); return err }},
			{"ListByCustomer", func() error { _, err := s.ListByCustomer(bg, p.Customer.ID); return err }},
			{"UpdateMember", func() error { _, err := s.UpdateMember(bg, p.Member); return err }},
			{"UpdateCustomer", func() error { _, err := s.UpdateCustomer(bg, p.Customer); return err }},
			{"Revoke", func() error { return s.Revoke(bg, other) }},
			{"RevokeMember", func() error { _, err := s.RevokeMember(bg, p.Member.ID); return err }},
			{"RevokeCustomer", func() error { _, err := s.RevokeCustomer(bg, p.Customer.ID); return err }},
		}
		for _, op := range ops {
			before := count()
			if err := op.fn(); err != nil {
				t.Fatalf("%s: %v", op.name, err)
			}
			n := count() - before
			if op.name == "Create" {
				n /= 2 // two Creates, to have a second session
			}
			out[op.name] = n
		}
	}
	return out
}

// TestRoundTrips compares the round trips of each call in the routed
// layout with the single-tag layout's, today's count on a standalone
// server. A ClusterClient splits a pipeline by node and sends the parts in
// parallel, so the routed layout takes as many round trips in time on a
// cluster; the single-tag layout took one more there for every call that
// is an optimistic transaction (a ClusterClient's Watch sent WATCH in a
// round trip of its own), which the store no longer pays (storage.watch).
func TestRoundTrips(t *testing.T) {
	single, routed := roundTrips(t, false), roundTrips(t, true)
	// More in the routed layout, and why: Get's record key is known only
	// once its ID key is read, and a script must declare its keys; a
	// member-wide call reads the member's owner set first, which on a
	// cluster costs the round trip the Watch no longer does (Revoke of a
	// link, as here, is an edit by ID and then one of its member).
	extra := map[string]int64{"Get": 1, "ListByMember": 1, "UpdateMember": 1, "RevokeMember": 1, "Revoke": 1}
	for _, name := range []string{"Create", "Lookup", "Get", "Extend", "ListByMember", "ListByCustomer",
		"UpdateMember", "UpdateCustomer", "Revoke", "RevokeMember", "RevokeCustomer"} {
		t.Logf("%-15s single-tag %d, routed %d", name, single[name], routed[name])
		if routed[name] > single[name]+extra[name] {
			t.Errorf("%s takes %d round trips in the routed layout, want at most %d", name, routed[name], single[name]+extra[name])
		}
	}
	if fmt.Sprint(single["Lookup"], routed["Lookup"], routed["Create"]) != "1 1 1" {
		t.Errorf("Lookup %d and %d, Create %d round trips; want 1", single["Lookup"], routed["Lookup"], routed["Create"])
	}
}
