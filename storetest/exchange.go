package storetest

import (
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
)

// The portal-link exchange: kinds, the chain's absolute lifetime, one-time
// links, and the caps that keep a link from pushing out what it did not
// make.

var exchangeTests = []subtest{
	{"MakesDeviceSession", testExchangeDevice},
	{"OnlyLinks", testExchangeOnlyLinks},
	{"ChainLifetime", testExchangeChainLifetime},
	{"SignInLifetime", testSignInLifetime},
	{"Consume", testExchangeConsume},
	{"RevokeLinkEndsItsDevices", testExchangeRevokeLink},
	{"DevicesPerLink", testExchangeDeviceCap},
	{"NeverEvictsOthers", testExchangeNeverEvictsOthers},
	{"CapRefuse", testCapRefuse},
	{"Validation", testExchangeValidation},
}

// exchange exchanges link, failing the test on an error.
func (h *harness) exchange(link *sessionstore.MemberSession, p sessionstore.ExchangeParams) *sessionstore.MemberSession {
	h.t.Helper()
	d, err := h.s.Exchange(h.ctx, link.Token, p)
	if err != nil {
		h.t.Fatalf("Exchange: %v", err)
	}
	return d
}

// exchangeErr checks that exchanging tok fails with target.
func (h *harness) exchangeErr(tok string, target error) {
	h.t.Helper()
	d, err := h.s.Exchange(h.ctx, tok, sessionstore.ExchangeParams{})
	expectErr(h.t, "Exchange", err, target)
	if d != nil {
		h.t.Errorf("Exchange returned a session with an error")
	}
}

func testExchangeDevice(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	link := h.create(params(1, 1))
	h.clock.Advance(10*time.Minute + 300*time.Millisecond)
	d := h.exchange(link, sessionstore.ExchangeParams{DeviceLabel: "Firefox on Linux"})
	checkTokenShape(t, d.Token, h.prefix)
	if d.Token == link.Token || d.ID == link.ID {
		t.Fatalf("the device session shares the link's token or ID")
	}
	now := utcMicro(h.clock.Now())
	want := withoutToken(link)
	want.ID, want.Token, want.MemberPortalURL = d.ID, d.Token, d.MemberPortalURL
	want.CreatedAt = now
	want.ExpiresAt = utcMicro(now.Add(49*time.Minute + 59*time.Second)) // what the link has left, in whole seconds
	want.Kind, want.LinkID, want.DeviceLabel = sessionstore.KindDevice, link.ID, "Firefox on Linux"
	want.AuthenticatedAt = link.CreatedAt
	checkSession(t, "Exchange", want, d)
	checkPortalURL(t, d.MemberPortalURL, h.portal, d.Token, d.Member.Email)
	h.lookupOK(d)
	h.listMember(link.MemberID, withoutToken(link), withoutToken(d))

	// A shorter TTL is kept; a longer one is cut to the link's end.
	short := h.exchange(link, sessionstore.ExchangeParams{TTL: time.Minute})
	if !short.ExpiresAt.Equal(utcMicro(now.Add(time.Minute))) {
		t.Errorf("Exchange with TTL 1m: expires_at %v, want %v", short.ExpiresAt, now.Add(time.Minute))
	}
	long := h.exchange(link, sessionstore.ExchangeParams{TTL: 10 * time.Hour})
	if long.ExpiresAt.After(link.ExpiresAt) {
		t.Errorf("Exchange with TTL 10h outlives its link: %v > %v", long.ExpiresAt, link.ExpiresAt)
	}
}

func testExchangeOnlyLinks(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	link := h.create(params(1, 1))
	d := h.exchange(link, sessionstore.ExchangeParams{})
	signIn := params(1, 1)
	signIn.Kind = sessionstore.KindSignIn
	s := h.create(signIn)
	if s.Kind != sessionstore.KindSignIn {
		t.Fatalf("Create with KindSignIn made a %q session", s.Kind)
	}
	// A device or sign-in token is no link, and exchanging it changes nothing.
	h.exchangeErr(d.Token, sessionstore.ErrNotLink)
	h.exchangeErr(s.Token, sessionstore.ErrNotLink)
	h.listMember(link.MemberID, withoutToken(link), withoutToken(d), withoutToken(s))
	h.exchangeErr("not a token", sessionstore.ErrMalformedToken)
	h.exchangeErr(unknownToken(t, h.prefix), sessionstore.ErrNotFound)
	device := params(1, 1)
	device.Kind = sessionstore.KindDevice
	_, err := h.s.Create(h.ctx, device)
	expectInvalid(t, "Create of a device session", err, "kind")

	h.clock.Set(link.ExpiresAt.Add(-999 * time.Millisecond))
	h.exchangeErr(link.Token, sessionstore.ErrExpired) // less than a second left
	h.clock.Set(link.ExpiresAt)
	h.exchangeErr(link.Token, sessionstore.ErrExpired)
	h.clock.Set(link.CreatedAt)
	if err := h.s.Revoke(h.ctx, link.ID); err != nil {
		t.Fatal(err)
	}
	h.exchangeErr(link.Token, sessionstore.ErrNotFound)
}

// testExchangeChainLifetime is the attack of a member who keeps a session
// alive forever: exchange a link, extend the device session every day,
// exchange the device token as if it were a link. Nothing authenticates
// once MaxTTL has passed since the link was made.
func testExchangeChainLifetime(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore, func(o *sessionstore.Options) {
		o.TTL, o.MaxTTL = time.Hour, 24*time.Hour
	})
	link := h.create(params(1, 1))
	end := link.CreatedAt.Add(24 * time.Hour)
	d := h.exchange(link, sessionstore.ExchangeParams{})
	var tokens []string
	for h.clock.Now().Before(end.Add(48 * time.Hour)) {
		e, err := h.s.Extend(h.ctx, d.ID, 24*time.Hour)
		if err == nil {
			if e.ExpiresAt.After(end) {
				t.Fatalf("Extend moved expires_at to %v, past the chain's end %v", e.ExpiresAt, end)
			}
			if e.AuthenticatedAt != link.CreatedAt {
				t.Fatalf("Extend changed authenticated_at")
			}
		}
		if again, err := h.s.Exchange(h.ctx, d.Token, sessionstore.ExchangeParams{}); err == nil {
			tokens = append(tokens, again.Token)
		}
		if l, err := h.s.Exchange(h.ctx, link.Token, sessionstore.ExchangeParams{}); err == nil {
			tokens = append(tokens, l.Token)
			if l.ExpiresAt.After(end) {
				t.Fatalf("an exchange at %v expires at %v, past the chain's end %v", h.clock.Now(), l.ExpiresAt, end)
			}
		}
		h.clock.Advance(50 * time.Minute)
	}
	h.clock.Set(end)
	for _, tok := range append(tokens, d.Token, link.Token) {
		if s, err := h.s.Lookup(h.ctx, tok); err == nil {
			t.Fatalf("a session of the chain authenticates at the chain's end (expires %v)", s.ExpiresAt)
		}
	}
}

// testSignInLifetime: a sign-in's Extend stops at its own
// authentication plus MaxTTL, stored to the microsecond.
func testSignInLifetime(t *testing.T, newStore newStoreFunc) {
	maxTTL := 2*time.Hour + 1500*time.Nanosecond
	h := newHarness(t, newStore, func(o *sessionstore.Options) { o.MaxTTL = maxTTL })
	p := params(1, 1)
	p.Kind = sessionstore.KindSignIn
	s := h.create(p)
	h.clock.Advance(30*time.Minute + 700*time.Nanosecond)
	e := h.extendOK(s, maxTTL)
	want := utcMicro(s.AuthenticatedAt.Add(maxTTL))
	if !e.ExpiresAt.Equal(want) || e.ExpiresAt.Nanosecond()%1000 != 0 {
		t.Fatalf("Extend past MaxTTL: expires_at %v, want %v (to the microsecond)", e.ExpiresAt, want)
	}
	h.getOK(e)
}

func testExchangeConsume(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	link := h.create(params(1, 1))
	d := h.exchange(link, sessionstore.ExchangeParams{Consume: true})
	h.lookupErr(link.Token, sessionstore.ErrNotFound)
	h.exchangeErr(link.Token, sessionstore.ErrNotFound)
	h.lookupOK(d)
	h.listMember(link.MemberID, withoutToken(d))
}

func testExchangeRevokeLink(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	link, other := h.create(params(1, 1)), h.create(params(1, 1))
	d1 := h.exchange(link, sessionstore.ExchangeParams{})
	d2 := h.exchange(link, sessionstore.ExchangeParams{})
	od := h.exchange(other, sessionstore.ExchangeParams{})
	// Revoking a device session ends it alone.
	if err := h.s.Revoke(h.ctx, d1.ID); err != nil {
		t.Fatal(err)
	}
	h.lookupOK(link)
	h.lookupOK(d2)
	// Revoking the link ends the link and what it opened.
	if err := h.s.Revoke(h.ctx, link.ID); err != nil {
		t.Fatal(err)
	}
	h.lookupErr(link.Token, sessionstore.ErrNotFound)
	h.lookupErr(d2.Token, sessionstore.ErrNotFound)
	h.listMember(link.MemberID, withoutToken(other), withoutToken(od))
	if err := h.s.Revoke(h.ctx, link.ID); err == nil {
		t.Fatal("Revoke of a revoked link succeeded")
	}
}

// testExchangeDeviceCap: past MaxDevicesPerLink an exchange evicts the
// link's own oldest device, and nothing else.
func testExchangeDeviceCap(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore, func(o *sessionstore.Options) { o.MaxDevicesPerLink = 3 })
	link, other := h.create(params(1, 1)), h.create(params(1, 1))
	mine := h.exchange(other, sessionstore.ExchangeParams{})
	var ds []*sessionstore.MemberSession
	for range 5 {
		ds = append(ds, h.exchange(link, sessionstore.ExchangeParams{}))
		h.clock.Advance(time.Second)
	}
	h.lookupErr(ds[0].Token, sessionstore.ErrNotFound)
	h.lookupErr(ds[1].Token, sessionstore.ErrNotFound)
	h.listMember(link.MemberID, withoutToken(link), withoutToken(other), withoutToken(mine),
		withoutToken(ds[2]), withoutToken(ds[3]), withoutToken(ds[4]))
}

// testExchangeNeverEvictsOthers is the attack of one link pushing the
// member's own sessions out with the default caps, and then with a member
// cap its devices alone cannot make room under.
func testExchangeNeverEvictsOthers(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	var own []*sessionstore.MemberSession
	for range 5 {
		own = append(own, h.create(params(1, 1)))
	}
	link := h.create(params(1, 1))
	for range sessionstore.DefaultMaxSessionsPerMember {
		h.clock.Advance(time.Second)
		h.exchange(link, sessionstore.ExchangeParams{})
	}
	for _, s := range own {
		h.lookupOK(s)
	}

	h = newHarness(t, newStore, func(o *sessionstore.Options) { o.MaxSessionsPerMember = 4 })
	own = own[:0]
	for range 3 {
		own = append(own, h.create(params(1, 1)))
	}
	link = h.create(params(1, 1))
	h.exchangeErr(link.Token, sessionstore.ErrTooManySessions)
	for _, s := range append(own, link) {
		h.lookupOK(s)
	}
	// With room freed, the link's own device makes way for the next.
	if err := h.s.Revoke(h.ctx, own[0].ID); err != nil {
		t.Fatal(err)
	}
	d := h.exchange(link, sessionstore.ExchangeParams{})
	h.clock.Advance(time.Second)
	d2 := h.exchange(link, sessionstore.ExchangeParams{})
	h.lookupErr(d.Token, sessionstore.ErrNotFound)
	h.listMember(link.MemberID, withoutToken(own[1]), withoutToken(own[2]), withoutToken(link), withoutToken(d2))
}

// testCapRefuse: with CapRefuse, a Create at MaxSessionsPerMember and an
// Exchange at MaxDevicesPerLink are ErrTooManySessions and change nothing.
func testCapRefuse(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore, func(o *sessionstore.Options) {
		o.MaxSessionsPerMember, o.MaxDevicesPerLink, o.CapPolicy = 4, 2, sessionstore.CapRefuse
	})
	link := h.create(params(1, 1))
	d1 := h.exchange(link, sessionstore.ExchangeParams{})
	d2 := h.exchange(link, sessionstore.ExchangeParams{})
	h.exchangeErr(link.Token, sessionstore.ErrTooManySessions)
	s := h.create(params(1, 1))
	_, err := h.s.Create(h.ctx, params(1, 1))
	expectErr(t, "Create at the cap", err, sessionstore.ErrTooManySessions)
	h.listMember(link.MemberID, withoutToken(link), withoutToken(d1), withoutToken(d2), withoutToken(s))
	if _, err := h.s.Create(h.ctx, params(1, 2)); err != nil {
		t.Fatalf("Create for another member: %v", err)
	}
}

func testExchangeValidation(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	link := h.create(params(1, 1))
	for field, p := range map[string]sessionstore.ExchangeParams{
		"ttl":          {TTL: -time.Second},
		"device_label": {DeviceLabel: "bad\x00label"},
	} {
		_, err := h.s.Exchange(h.ctx, link.Token, p)
		expectInvalid(t, "Exchange", err, field)
	}
	h.listMember(link.MemberID, withoutToken(link))
}
