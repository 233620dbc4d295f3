package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
)

// The attack of someone holding a portal link who keeps exchanging it
// while the member signs out everywhere (or the customer is deleted, or
// the link revoked): once the revocation returns, no device session from
// any exchange, whenever it started, may authenticate.

var exchangeRaceTests = []subtest{
	{"RevokeMember", func(t *testing.T, n newStoreFunc) { raceExchanges(t, n, raceRevokeMember) }},
	{"RevokeCustomer", func(t *testing.T, n newStoreFunc) { raceExchanges(t, n, raceRevokeCustomer) }},
	{"DeleteCustomer", func(t *testing.T, n newStoreFunc) { raceExchanges(t, n, raceDeleteCustomer) }},
	{"RevokeLink", func(t *testing.T, n newStoreFunc) { raceExchanges(t, n, raceRevokeLink) }},
	{"UpdateMember", testExchangeRaceUpdate},
}

// Each race runs raceTrials trials of raceLoops goroutines exchanging one
// link: enough that exchanging by a lookup followed by a separate create
// left a working session behind in most trials on every backend.
const (
	raceTrials = 40
	raceLoops  = 4
)

func raceRevokeMember(h *harness, link *sessionstore.MemberSession) error {
	_, err := h.s.RevokeMember(h.ctx, link.MemberID)
	return err
}

func raceRevokeCustomer(h *harness, link *sessionstore.MemberSession) error {
	_, err := h.s.RevokeCustomer(h.ctx, link.CustomerID)
	return err
}

func raceDeleteCustomer(h *harness, link *sessionstore.MemberSession) error {
	c := link.Customer
	c.DeletedAt = ptr(h.clock.Now())
	_, err := h.s.UpdateCustomer(h.ctx, c)
	return err
}

func raceRevokeLink(h *harness, link *sessionstore.MemberSession) error {
	return h.s.Revoke(h.ctx, link.ID)
}

// raceExchanges races exchanges of a link against revoke, and counts the
// device sessions that still authenticate afterwards: there must be none.
func raceExchanges(t *testing.T, newStore newStoreFunc, revoke func(*harness, *sessionstore.MemberSession) error) {
	h := newHarness(t, newStore)
	survivors := 0
	for trial := range raceTrials {
		link := h.create(params(trial+1, 1))
		var (
			mu     sync.Mutex
			tokens []string
			first  = make(chan struct{})
			once   sync.Once
			wg     sync.WaitGroup
		)
		for range raceLoops {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer recovered(t, "exchange")
				for range 200 { // bounded, should the revocation never land
					d, err := h.s.Exchange(h.ctx, link.Token, sessionstore.ExchangeParams{})
					if err != nil {
						once.Do(func() { close(first) })
						return
					}
					mu.Lock()
					tokens = append(tokens, d.Token)
					mu.Unlock()
					once.Do(func() { close(first) })
				}
			}()
		}
		<-first
		if err := revoke(h, link); err != nil {
			t.Fatalf("trial %d: revocation: %v", trial, err)
		}
		wg.Wait()
		for _, tok := range tokens {
			if _, err := h.s.Lookup(h.ctx, tok); err == nil {
				survivors++
				break
			}
		}
	}
	if survivors > 0 {
		t.Fatalf("in %d of %d trials a device session exchanged from the link authenticates after the revocation returned", survivors, raceTrials)
	}
}

// testExchangeRaceUpdate races exchanges against UpdateMember: a device
// session made after the update returned never carries the old snapshot,
// so once the exchanges end every live session has the new role.
func testExchangeRaceUpdate(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore, func(o *sessionstore.Options) { o.MaxDevicesPerLink = -1 })
	stale := 0
	for trial := range raceTrials / 2 {
		p := params(trial+1, 1)
		p.Member.Role = sessionstore.RoleOwner
		link := h.create(p)
		var wg sync.WaitGroup
		started := make(chan struct{}, raceLoops)
		for range raceLoops {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer recovered(t, "exchange")
				for i := range 6 {
					if _, err := h.s.Exchange(h.ctx, link.Token, sessionstore.ExchangeParams{}); err != nil {
						t.Errorf("Exchange: %v", err)
						return
					}
					if i == 0 {
						started <- struct{}{}
					}
				}
			}()
		}
		<-started
		m := p.Member
		m.Role = sessionstore.RoleMember
		m.ModifiedAt = ptr(utcMicro(h.clock.Now()))
		if _, err := h.s.UpdateMember(h.ctx, m); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		list, err := h.s.ListByMember(h.ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range list {
			if s.Member.Role != sessionstore.RoleMember {
				stale++
				break
			}
		}
		h.clock.Advance(time.Millisecond)
	}
	if stale > 0 {
		t.Fatalf("in %d of %d trials a session made from the link keeps the member's role from before UpdateMember returned", stale, raceTrials/2)
	}
}
