package storetest

import (
	"sync"
	"testing"

	"github.com/memberkit/sessionstore"
)

// A "your devices" page: sign out one device (only one's own) or every
// other device, atomically.

var deviceTests = []subtest{
	{"RevokeOwnOnlyOwn", testRevokeOwn},
	{"RevokeOwnLinkEndsItsDevices", testRevokeOwnLink},
	{"RevokeOthersKeepsOne", testRevokeOthers},
	{"RevokeOthersUnknownKeep", testRevokeOthersUnknownKeep},
	{"RevokeOthersRacingCreates", testRevokeOthersRace},
}

// testRevokeOwn is the attack of a member signing out another member's
// session by its ID: ErrNotFound, and the session still works.
func testRevokeOwn(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	a, b := h.create(params(1, 1)), h.create(params(1, 2))
	aDev := h.exchange(a, sessionstore.ExchangeParams{})
	err := h.s.RevokeOwn(h.ctx, b.MemberID, aDev.ID)
	expectErr(t, "RevokeOwn of another member's session", err, sessionstore.ErrNotFound)
	h.lookupOK(aDev)
	expectErr(t, "RevokeOwn of an unknown ID", h.s.RevokeOwn(h.ctx, a.MemberID, "not-an-id"), sessionstore.ErrNotFound)
	_, err = h.s.Get(h.ctx, aDev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.s.RevokeOwn(h.ctx, a.MemberID, aDev.ID); err != nil {
		t.Fatalf("RevokeOwn of one's own device: %v", err)
	}
	h.lookupErr(aDev.Token, sessionstore.ErrNotFound)
	h.lookupOK(a)
	h.lookupOK(b)
	expectErr(t, "RevokeOwn again", h.s.RevokeOwn(h.ctx, a.MemberID, aDev.ID), sessionstore.ErrNotFound)
	expectInvalid(t, "RevokeOwn without a member", h.s.RevokeOwn(h.ctx, "", a.ID), "member_id")
}

func testRevokeOwnLink(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	link := h.create(params(1, 1))
	d := h.exchange(link, sessionstore.ExchangeParams{})
	expectErr(t, "RevokeOwn of another member's link", h.s.RevokeOwn(h.ctx, MemberID(CustomerID(1), 2), link.ID), sessionstore.ErrNotFound)
	h.lookupOK(d)
	if err := h.s.RevokeOwn(h.ctx, link.MemberID, link.ID); err != nil {
		t.Fatal(err)
	}
	h.lookupErr(link.Token, sessionstore.ErrNotFound)
	h.lookupErr(d.Token, sessionstore.ErrNotFound)
}

func testRevokeOthers(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	link := h.create(params(1, 1))
	mine := h.exchange(link, sessionstore.ExchangeParams{})
	other := h.exchange(link, sessionstore.ExchangeParams{})
	p := params(1, 1)
	p.Kind = sessionstore.KindSignIn
	signIn := h.create(p)
	stranger := h.create(params(1, 2))
	n, err := h.s.RevokeOthers(h.ctx, link.MemberID, mine.ID)
	count(t, "RevokeOthers", n, err, 3)
	h.lookupOK(mine)
	for _, s := range []*sessionstore.MemberSession{link, other, signIn} {
		h.lookupErr(s.Token, sessionstore.ErrNotFound)
	}
	h.lookupOK(stranger)
	h.listMember(link.MemberID, withoutToken(mine))
	n, err = h.s.RevokeOthers(h.ctx, link.MemberID, mine.ID)
	count(t, "RevokeOthers again", n, err, 0)
	_, err = h.s.RevokeOthers(h.ctx, "", mine.ID)
	expectInvalid(t, "RevokeOthers without a member", err, "member_id")
}

// testRevokeOthersUnknownKeep: a keepID that is not the member's keeps
// nothing, the safe side.
func testRevokeOthersUnknownKeep(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	a, b := h.create(params(1, 1)), h.create(params(1, 2))
	n, err := h.s.RevokeOthers(h.ctx, a.MemberID, b.ID)
	count(t, "RevokeOthers keeping another member's session", n, err, 1)
	h.lookupErr(a.Token, sessionstore.ErrNotFound)
	h.lookupOK(b)
}

// testRevokeOthersRace races RevokeOthers against creates and exchanges of
// the member: every session whose Create or Exchange returned before the
// call is gone afterwards, except the kept one.
func testRevokeOthersRace(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore, func(o *sessionstore.Options) {
		o.MaxSessionsPerMember, o.MaxDevicesPerLink = -1, -1
	})
	survivors := 0
	for trial := range raceTrials {
		keep := h.create(params(trial+1, 1))
		link := h.create(params(trial+1, 1))
		var (
			mu     sync.Mutex
			before []*sessionstore.MemberSession // returned before RevokeOthers was called
			called bool
			wg     sync.WaitGroup
			first  = make(chan struct{})
			once   sync.Once
		)
		for loop := range raceLoops {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer recovered(t, "create")
				for range 20 {
					var s *sessionstore.MemberSession
					var err error
					if loop%2 == 0 {
						s, err = h.s.Create(h.ctx, params(trial+1, 1))
					} else {
						s, err = h.s.Exchange(h.ctx, link.Token, sessionstore.ExchangeParams{})
					}
					once.Do(func() { close(first) })
					if err != nil {
						return // the link is gone
					}
					mu.Lock()
					if !called {
						before = append(before, s)
					}
					mu.Unlock()
				}
			}()
		}
		<-first
		mu.Lock()
		called = true
		mu.Unlock()
		if _, err := h.s.RevokeOthers(h.ctx, keep.MemberID, keep.ID); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		for _, s := range before {
			if _, err := h.s.Lookup(h.ctx, s.Token); err == nil {
				survivors++
				break
			}
		}
		h.lookupOK(keep)
	}
	if survivors > 0 {
		t.Fatalf("in %d of %d trials a session created before RevokeOthers survives it", survivors, raceTrials)
	}
}
