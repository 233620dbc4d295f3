package storetest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/internal/fixture"
	"github.com/memberkit/sessionstore/token"
)

// PortalURL is the Options.PortalURL the suite and Bench configure unless
// a test says otherwise: https://polar.sh/acme/portal.
const PortalURL = fixture.PortalURL

// Run runs the whole conformance suite against the stores newStore makes,
// one named subtest per rule. Each subtest builds its own Options (a fake
// Clock in Options.Now, SweepInterval -1 unless it tests the sweeper) and
// calls newStore once or more; newStore must return a working store for
// those options or fail t itself. The suite closes every store it makes;
// newStore may also register its own cleanup, since Close is idempotent.
//
// The clock is the store's only clock: some subtests move it backward to
// look at an expired session as it was before it expired, so a backend must
// not let its storage expire records by wall time on its own.
func Run(t *testing.T, newStore func(t *testing.T, opts *sessionstore.Options) sessionstore.Store) {
	t.Helper()
	groups := []struct {
		name  string
		tests []subtest
	}{
		{"Create", createTests},
		{"Options", optionTests},
		{"Lookup", lookupTests},
		{"Get", getTests},
		{"List", listTests},
		{"Extend", extendTests},
		{"Revoke", revokeTests},
		{"RevokeMember", revokeMemberTests},
		{"RevokeCustomer", revokeCustomerTests},
		{"UpdateMember", updateMemberTests},
		{"UpdateCustomer", updateCustomerTests},
		{"DeleteExpired", deleteExpiredTests},
		{"Validation", validationTests},
		{"Copies", copyTests},
		{"Context", contextTests},
		{"Close", closeTests},
		{"Sweeper", sweeperTests},
		{"ExpiredRetention", retentionTests},
		{"IdleTimeout", idleTests},
		{"MaxSessionsPerMember", capTests},
		{"AbsoluteLifetime", lifetimeTests},
		{"Exchange", exchangeTests},
		{"ExchangeRaces", exchangeRaceTests},
		{"Devices", deviceTests},
		{"LastUse", lastUseTests},
		{"Formatting", formattingTests},
		{"Concurrency", concurrencyTests},
		{"Corrupt", corruptTests},
		{"Observe", observeTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, st := range g.tests {
				t.Run(st.name, func(t *testing.T) { st.fn(t, newStore) })
			}
		})
	}
}

// newStoreFunc is the type of Run's newStore argument.
type newStoreFunc = func(t *testing.T, opts *sessionstore.Options) sessionstore.Store

// subtest is one named rule of the suite.
type subtest struct {
	name string
	fn   func(t *testing.T, newStore newStoreFunc)
}

// harness is one store under test with its fake clock and the effective
// values of its options.
type harness struct {
	t      *testing.T
	ctx    context.Context
	clock  *Clock
	opts   *sessionstore.Options
	s      sessionstore.Store
	prefix string
	ttl    time.Duration
	maxTTL time.Duration
	portal string
	keep   time.Duration // how long expired sessions stay stored
	idle   time.Duration // the idle timeout, 0 for none
	every  time.Duration // how often a use is recorded, 0 for never
}

// defaultOptions is what every store of the suite starts from.
// Recorded uses are off unless a test turns them on (the LastUse group
// covers the default), so that the sessions other tests expect do not
// depend on how far they move the clock.
func defaultOptions(clock *Clock) *sessionstore.Options {
	return &sessionstore.Options{
		Now:             clock.Now,
		SweepInterval:   -1,
		PortalURL:       PortalURL,
		LastUseInterval: -1,
	}
}

// useInterval is how often the contract says Lookup records a use under
// opts: LastUseInterval (DefaultLastUseInterval for 0, never for a
// negative one), at most IdleTimeout/10 with an idle timeout.
func useInterval(opts *sessionstore.Options) time.Duration {
	every := opts.LastUseInterval
	if every == 0 {
		every = sessionstore.DefaultLastUseInterval
	}
	if opts.IdleTimeout > 0 && (every < 0 || every > opts.IdleTimeout/10) {
		every = opts.IdleTimeout / 10
	}
	return max(every, 0)
}

// effectiveOptions fills the defaults the contract documents into a copy
// of opts.
func effectiveOptions(opts *sessionstore.Options) (prefix string, ttl, maxTTL time.Duration, portal string) {
	prefix, ttl, maxTTL, portal = opts.TokenPrefix, opts.TTL, opts.MaxTTL, opts.PortalURL
	if prefix == "" {
		prefix = sessionstore.DefaultTokenPrefix
	}
	if ttl == 0 {
		ttl = sessionstore.DefaultTTL
	}
	if maxTTL == 0 {
		maxTTL = sessionstore.DefaultMaxTTL
	}
	return prefix, ttl, maxTTL, portal
}

// lifecycleOptions returns the effective retention of expired sessions,
// idle timeout and cap on sessions per member (0 for none) of opts.
func lifecycleOptions(opts *sessionstore.Options) (keep, idle time.Duration, limit int) {
	keep, idle, limit = opts.ExpiredRetention, opts.IdleTimeout, opts.MaxSessionsPerMember
	switch {
	case keep == 0:
		keep = sessionstore.DefaultExpiredRetention
	case keep < 0:
		keep = 0
	}
	switch {
	case limit == 0:
		limit = sessionstore.DefaultMaxSessionsPerMember
	case limit < 0:
		limit = 0
	}
	return keep, idle, limit
}

// newHarness makes a store with the suite's default options changed by
// configure, and closes it when t ends.
func newHarness(t *testing.T, newStore newStoreFunc, configure ...func(*sessionstore.Options)) *harness {
	t.Helper()
	clock := NewClock(StartTime())
	opts := defaultOptions(clock)
	for _, f := range configure {
		f(opts)
	}
	h := &harness{t: t, ctx: context.Background(), clock: clock, opts: opts}
	h.prefix, h.ttl, h.maxTTL, h.portal = effectiveOptions(opts)
	h.keep, h.idle, _ = lifecycleOptions(opts)
	h.every = useInterval(opts)
	s := newStore(t, opts)
	if s == nil {
		t.Fatal("newStore returned a nil Store")
	}
	h.s = s
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return h
}

// params returns valid CreateParams for member m of customer c (both
// numbers into the fixtures).
func params(c, m int) sessionstore.CreateParams {
	cust := NewCustomer(c)
	return sessionstore.CreateParams{
		Member:    NewMember(cust.ID, m),
		Customer:  cust,
		ReturnURL: "https://example.com/account?tab=billing",
	}
}

// expectedSession is what Create(p) returns at now, with defaultTTL as
// Options.TTL. The portal URL is built in one canonical form; compare it
// with checkPortalURL, not with ==.
func expectedSession(p sessionstore.CreateParams, now time.Time, defaultTTL time.Duration, portal, id, tok string) *sessionstore.MemberSession {
	ttl := p.TTL
	if ttl == 0 {
		ttl = defaultTTL
	}
	created := utcMicro(now)
	kind := p.Kind
	if kind == "" {
		kind = sessionstore.KindLink
	}
	s := &sessionstore.MemberSession{
		CreatedAt:       created,
		ID:              id,
		Token:           tok,
		ExpiresAt:       utcMicro(now.Add(ttl)),
		Kind:            kind,
		AuthenticatedAt: created,
		DeviceLabel:     p.DeviceLabel,
		MemberID:        p.Member.ID,
		Member:          wantMember(p.Member),
		CustomerID:      p.Customer.ID,
		Customer:        wantCustomer(p.Customer),
	}
	if p.ReturnURL != "" {
		s.ReturnURL = ptr(p.ReturnURL)
	}
	if portal != "" && tok != "" {
		s.MemberPortalURL = portalURLFor(portal, tok, p.Member.Email)
	}
	return s
}

// portalURLFor builds the portal URL in one of its valid forms.
func portalURLFor(base, tok, email string) string {
	return base + "?member_session_token=" + tok + "&email=" + queryEscape(email)
}

func queryEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b = append(b, c)
		case c == ' ':
			b = append(b, '+')
		default:
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}

// checkCreated fails the test unless s is exactly what Create(p) must
// return at the clock's current time.
func (h *harness) checkCreated(p sessionstore.CreateParams, s *sessionstore.MemberSession) {
	h.t.Helper()
	checkCreatedAt(h.t, p, s, h.clock.Now(), h.ttl, h.prefix, h.portal)
}

func checkCreatedAt(t tb, p sessionstore.CreateParams, s *sessionstore.MemberSession, now time.Time, ttl time.Duration, prefix, portal string) {
	t.Helper()
	if s == nil {
		t.Fatalf("Create returned a nil session and no error")
		return
	}
	if !uuid4RE.MatchString(s.ID) {
		t.Fatalf("Create: ID %q is not a lowercase hyphenated UUIDv4", s.ID)
	}
	checkTokenShape(t, s.Token, prefix)
	checkPortalURL(t, s.MemberPortalURL, portal, s.Token, p.Member.Email)
	want := expectedSession(p, now, ttl, portal, s.ID, s.Token)
	want.MemberPortalURL = s.MemberPortalURL // checked above
	checkSession(t, "Create", want, s)
}

// create calls Create and fails the test unless it succeeds with the
// session the contract describes.
func (h *harness) create(p sessionstore.CreateParams) *sessionstore.MemberSession {
	h.t.Helper()
	s, err := h.s.Create(h.ctx, p)
	if err != nil {
		h.t.Fatalf("Create: %v", err)
	}
	h.checkCreated(p, s)
	return s
}

// lookupOK fails the test unless Lookup(tok) returns want (a session as
// Create returned it, possibly changed since).
func (h *harness) lookupOK(want *sessionstore.MemberSession) *sessionstore.MemberSession {
	h.t.Helper()
	got, err := h.s.Lookup(h.ctx, want.Token)
	if err != nil {
		h.t.Fatalf("Lookup of session %s: %v", want.ID, err)
	}
	checkPortalURL(h.t, got.MemberPortalURL, h.portal, want.Token, want.Member.Email)
	w := copySession(want)
	w.MemberPortalURL = got.MemberPortalURL
	checkSession(h.t, "Lookup", w, got)
	return got
}

// lookupErr fails the test unless Lookup(tok) fails with target.
func (h *harness) lookupErr(tok string, target error) {
	h.t.Helper()
	got, err := h.s.Lookup(h.ctx, tok)
	if !errors.Is(err, target) {
		h.t.Fatalf("Lookup(%s): got error %v, want %v", redact(tok), err, target)
	}
	if got != nil {
		h.t.Fatalf("Lookup(%s) returned a session along with error %v", redact(tok), err)
	}
}

// getOK fails the test unless Get(want.ID) returns want without its token.
func (h *harness) getOK(want *sessionstore.MemberSession) *sessionstore.MemberSession {
	h.t.Helper()
	got, err := h.s.Get(h.ctx, want.ID)
	if err != nil {
		h.t.Fatalf("Get(%s): %v", want.ID, err)
	}
	checkSession(h.t, "Get", withoutToken(want), got)
	return got
}

// getErr fails the test unless Get(id) fails with target.
func (h *harness) getErr(id string, target error) {
	h.t.Helper()
	got, err := h.s.Get(h.ctx, id)
	if !errors.Is(err, target) {
		h.t.Fatalf("Get(%s): got error %v, want %v", id, err, target)
	}
	if got != nil {
		h.t.Fatalf("Get(%s) returned a session along with error %v", id, err)
	}
}

// listEqual fails the test unless got is want (without tokens) in the
// order the contract gives: oldest first, ties by ID.
func listEqual(t tb, op string, want, got []*sessionstore.MemberSession) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s returned a nil slice, want a non-nil one", op)
	}
	w := make([]*sessionstore.MemberSession, len(want))
	for i, s := range want {
		w[i] = withoutToken(s)
	}
	sortSessions(w)
	if len(got) != len(w) {
		t.Fatalf("%s returned %d sessions %v, want %d %v", op, len(got), ids(got), len(w), ids(w))
	}
	for i := range w {
		if got[i] == nil {
			t.Fatalf("%s: element %d is nil", op, i)
		}
		if got[i].ID != w[i].ID {
			t.Fatalf("%s returned sessions in order %v, want %v (oldest created_at first, ties by ID)", op, ids(got), ids(w))
		}
		checkSession(t, fmt.Sprintf("%s[%d]", op, i), w[i], got[i])
	}
}

func ids(ss []*sessionstore.MemberSession) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		if s == nil {
			out[i] = "<nil>"
			continue
		}
		out[i] = s.ID
	}
	return out
}

func sortSessions(ss []*sessionstore.MemberSession) {
	sort.SliceStable(ss, func(i, j int) bool {
		if c := ss[i].CreatedAt.Compare(ss[j].CreatedAt); c != 0 {
			return c < 0
		}
		return ss[i].ID < ss[j].ID
	})
}

// listMember fails the test unless ListByMember(id) returns want.
func (h *harness) listMember(id string, want ...*sessionstore.MemberSession) {
	h.t.Helper()
	got, err := h.s.ListByMember(h.ctx, id)
	if err != nil {
		h.t.Fatalf("ListByMember(%s): %v", id, err)
	}
	listEqual(h.t, "ListByMember", want, got)
}

// listCustomer fails the test unless ListByCustomer(id) returns want.
func (h *harness) listCustomer(id string, want ...*sessionstore.MemberSession) {
	h.t.Helper()
	got, err := h.s.ListByCustomer(h.ctx, id)
	if err != nil {
		h.t.Fatalf("ListByCustomer(%s): %v", id, err)
	}
	listEqual(h.t, "ListByCustomer", want, got)
}

// unknownToken returns a well-formed token, with the given prefix, that no
// store has issued.
func unknownToken(t tb, prefix string) string {
	t.Helper()
	tok, err := token.New(prefix)
	if err != nil {
		t.Fatalf("token.New(%q): %v", prefix, err)
	}
	return tok
}

// tokenFrom builds a token from its random part with token.Checksum.
func tokenFrom(prefix, random string) string {
	return prefix + random + token.Checksum(random)
}

// randomUUID returns a fresh UUIDv4 string.
func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// count fails the test unless a counting method returned (want, nil).
func count(t tb, op string, got int, err error, want int) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	if got != want {
		t.Fatalf("%s = %d, want %d", op, got, want)
	}
}
