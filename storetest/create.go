package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/token"
)

var createTests = []subtest{
	{"Fields", testCreateFields},
	{"NoReturnURL", testCreateNoReturnURL},
	{"ExplicitTTL", testCreateExplicitTTL},
	{"TruncatesTimesToUTCMicroseconds", testCreateTruncates},
	{"MinimalMemberAndCustomer", testCreateMinimal},
	{"UniqueIDsAndTokens", testCreateUnique},
	{"PortalURLEncodesEmail", testCreatePortalURLEncoding},
	{"LookupAndGetAgree", testCreateLookupGetAgree},
}

var optionTests = []subtest{
	{"Defaults", testOptionsDefaults},
	{"TokenPrefix", testOptionsTokenPrefix},
	{"TTL", testOptionsTTL},
	{"MaxTTL", testOptionsMaxTTL},
	{"NoPortalURL", testOptionsNoPortalURL},
	{"Secret", testOptionsSecret},
}

func testCreateFields(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	p := params(1, 1)
	s := h.create(p)
	if s.ModifiedAt != nil {
		t.Fatalf("ModifiedAt = %v, want nil", *s.ModifiedAt)
	}
	if s.ReturnURL == nil || *s.ReturnURL != p.ReturnURL {
		t.Fatalf("ReturnURL = %v, want %q", s.ReturnURL, p.ReturnURL)
	}
	if want := utcMicro(StartTime()); !s.CreatedAt.Equal(want) {
		t.Fatalf("CreatedAt = %v, want %v", s.CreatedAt, want)
	}
	if want := utcMicro(StartTime()).Add(time.Hour); !s.ExpiresAt.Equal(want) {
		t.Fatalf("ExpiresAt = %v, want %v (CreatedAt + default TTL 1h)", s.ExpiresAt, want)
	}
}

func testCreateNoReturnURL(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	p := params(1, 1)
	p.ReturnURL = ""
	s := h.create(p)
	if s.ReturnURL != nil {
		t.Fatalf("ReturnURL = %q, want nil for \"\"", *s.ReturnURL)
	}
	h.getOK(s)
	h.lookupOK(s)
}

func testCreateExplicitTTL(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	for _, ttl := range []time.Duration{time.Second, time.Minute, 90 * time.Minute, 7*24*time.Hour + 3*time.Microsecond, h.maxTTL} {
		p := params(1, 1)
		p.TTL = ttl
		s := h.create(p)
		if want := utcMicro(h.clock.Now()).Add(ttl); !s.ExpiresAt.Equal(want) {
			t.Fatalf("TTL %v: ExpiresAt = %v, want %v", ttl, s.ExpiresAt, want)
		}
		h.getOK(s)
	}
}

func testCreateTruncates(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	east := time.FixedZone("UTC+5:30", 5*3600+1800)
	west := time.FixedZone("UTC-8", -8*3600)
	h.clock.Set(time.Date(2026, time.March, 8, 1, 59, 59, 999999999, west))
	p := params(2, 1)
	p.Member.CreatedAt = time.Date(2025, time.June, 1, 23, 59, 59, 999999999, east)
	mod := time.Date(2025, time.July, 4, 0, 0, 0, 1, west)
	p.Member.ModifiedAt = &mod
	p.Customer.CreatedAt = time.Date(2024, time.February, 29, 12, 0, 0, 500, east)
	cmod := time.Date(2025, time.December, 31, 23, 59, 59, 999999001, west)
	p.Customer.ModifiedAt = &cmod
	s := h.create(p)
	if s.CreatedAt.Nanosecond() != 999999000 {
		t.Fatalf("CreatedAt = %s, want the clock truncated (not rounded) to the microsecond", s.CreatedAt.Format(time.RFC3339Nano))
	}
	h.getOK(s)
	h.lookupOK(s)
}

func testCreateMinimal(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	c := sessionstore.Customer{
		ID:             CustomerID(7),
		CreatedAt:      StartTime().Add(-48 * time.Hour),
		Email:          "solo@example.com",
		OrganizationID: OrganizationID,
	}
	m := sessionstore.Member{
		ID:         MemberID(c.ID, 0),
		CreatedAt:  StartTime().Add(-47 * time.Hour),
		CustomerID: c.ID,
		Email:      "solo@example.com",
		Role:       sessionstore.RoleOwner,
	}
	p := sessionstore.CreateParams{Member: m, Customer: c}
	s := h.create(p)
	h.getOK(s)
	h.lookupOK(s)
}

func testCreateUnique(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	seenID := map[string]bool{}
	seenRandom := map[string]bool{}
	for i := 0; i < 32; i++ {
		s := h.create(params(i%3, i%4))
		random := s.Token[len(h.prefix) : len(h.prefix)+token.RandomLen]
		if seenID[s.ID] {
			t.Fatalf("Create returned ID %s twice", s.ID)
		}
		if seenRandom[random] {
			t.Fatalf("Create returned the same token twice")
		}
		seenID[s.ID], seenRandom[random] = true, true
	}
}

func testCreatePortalURLEncoding(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	for _, email := range []string{
		"member+tag@example.com",
		"o'neil&co=1@example.com",
		"ünï.cödé@exämple.com",
		"a%41b@example.com",
	} {
		p := params(1, 2)
		p.Member.Email = email
		s := h.create(p)
		h.lookupOK(s)
	}
}

func testCreateLookupGetAgree(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(3, 0))
	h.clock.Advance(17*time.Minute + 891*time.Nanosecond)
	h.lookupOK(s)
	h.getOK(s)
	h.listMember(s.MemberID, s)
	h.listCustomer(s.CustomerID, s)
}

func testOptionsDefaults(t *testing.T, newStore newStoreFunc) {
	// Only the clock and the disabled sweeper are set.
	h := newHarness(t, newStore, func(o *sessionstore.Options) { o.PortalURL = "" })
	s := h.create(params(1, 1))
	if !strings.HasPrefix(s.Token, sessionstore.DefaultTokenPrefix) {
		t.Fatalf("token does not start with the default prefix %q", sessionstore.DefaultTokenPrefix)
	}
	if want := utcMicro(StartTime()).Add(sessionstore.DefaultTTL); !s.ExpiresAt.Equal(want) {
		t.Fatalf("ExpiresAt = %v, want %v (default TTL)", s.ExpiresAt, want)
	}
	if s.MemberPortalURL != "" {
		t.Fatalf("MemberPortalURL = %s, want \"\" without Options.PortalURL", redact(s.MemberPortalURL))
	}
	h.lookupOK(s)
	p := params(1, 1)
	p.TTL = sessionstore.DefaultMaxTTL
	h.create(p)
	p.TTL = sessionstore.DefaultMaxTTL + time.Microsecond
	_, err := h.s.Create(h.ctx, p)
	expectInvalid(t, "Create with TTL above the default MaxTTL", err, "ttl")
}

func testOptionsTokenPrefix(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore, func(o *sessionstore.Options) { o.TokenPrefix = "polar_mst_" })
	s := h.create(params(1, 1))
	if len(s.Token) != 53 {
		t.Fatalf("token with prefix polar_mst_ is %d bytes, want 53", len(s.Token))
	}
	h.lookupOK(s)
	// The same token under the default prefix is well formed for a default
	// store but malformed for this one.
	random := s.Token[len("polar_mst_"):]
	h.lookupErr("mst_"+random, sessionstore.ErrMalformedToken)
	h.lookupErr(unknownToken(t, sessionstore.DefaultTokenPrefix), sessionstore.ErrMalformedToken)
	h.lookupErr(unknownToken(t, "polar_cst_"), sessionstore.ErrMalformedToken)
	h.lookupErr(unknownToken(t, "polar_mst_"), sessionstore.ErrNotFound)
}

func testOptionsTTL(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore, func(o *sessionstore.Options) { o.TTL = 45 * time.Minute })
	s := h.create(params(1, 1))
	if want := utcMicro(StartTime()).Add(45 * time.Minute); !s.ExpiresAt.Equal(want) {
		t.Fatalf("ExpiresAt = %v, want %v (Options.TTL 45m)", s.ExpiresAt, want)
	}
	h.clock.Advance(10 * time.Minute)
	e, err := h.s.Extend(h.ctx, s.ID, 0)
	if err != nil {
		t.Fatalf("Extend(0): %v", err)
	}
	if want := utcMicro(h.clock.Now()).Add(45 * time.Minute); !e.ExpiresAt.Equal(want) {
		t.Fatalf("Extend(0): ExpiresAt = %v, want now + Options.TTL = %v", e.ExpiresAt, want)
	}
}

func testOptionsMaxTTL(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore, func(o *sessionstore.Options) { o.MaxTTL = 2 * time.Hour })
	p := params(1, 1)
	p.TTL = 2 * time.Hour
	s := h.create(p)
	p.TTL = 2*time.Hour + time.Microsecond
	got, err := h.s.Create(h.ctx, p)
	expectInvalid(t, "Create with TTL above Options.MaxTTL", err, "ttl")
	if got != nil {
		t.Fatalf("Create returned a session along with %v", err)
	}
	h.listMember(p.Member.ID, s)
	_, err = h.s.Extend(h.ctx, s.ID, 2*time.Hour+time.Nanosecond)
	expectInvalid(t, "Extend above Options.MaxTTL", err, "")
	h.getOK(s)
	if _, err := h.s.Extend(h.ctx, s.ID, 2*time.Hour); err != nil {
		t.Fatalf("Extend by exactly MaxTTL: %v", err)
	}
}

func testOptionsNoPortalURL(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore, func(o *sessionstore.Options) { o.PortalURL = "" })
	s := h.create(params(1, 1))
	if s.MemberPortalURL != "" {
		t.Fatalf("Create: MemberPortalURL = %s, want \"\"", redact(s.MemberPortalURL))
	}
	got := h.lookupOK(s)
	if got.MemberPortalURL != "" {
		t.Fatalf("Lookup: MemberPortalURL = %s, want \"\"", redact(got.MemberPortalURL))
	}
}

func testOptionsSecret(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore, func(o *sessionstore.Options) {
		o.Secret = []byte("0123456789abcdef0123456789abcdef")
	})
	a := h.create(params(1, 1))
	b := h.create(params(1, 2))
	h.lookupOK(a)
	h.lookupOK(b)
	h.lookupErr(unknownToken(t, h.prefix), sessionstore.ErrNotFound)
	if err := h.s.Revoke(h.ctx, a.ID); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	h.lookupErr(a.Token, sessionstore.ErrNotFound)
	h.lookupOK(b)
	h.clock.Advance(time.Hour)
	h.lookupErr(b.Token, sessionstore.ErrExpired)
}
