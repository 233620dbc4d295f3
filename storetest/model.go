package storetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/token"
)

// RunProperties drives the stores newStore makes with random sequences of
// Create, Lookup, Get, ListByMember, ListByCustomer, Extend, Revoke,
// RevokeMember, RevokeCustomer, UpdateMember, UpdateCustomer, DeleteExpired
// and clock moves (a pgregory.net/rapid state machine), and compares every
// answer exactly with a plain in-memory model: errors, counts, every field
// of every returned session and the order of lists. Lookups also try
// malformed strings, well-formed unknown tokens and tokens of revoked
// sessions. Members and customers come from a pool of 3 customers with 3
// members each, so operations collide. Each rapid iteration makes a fresh
// store with randomly chosen Options and closes it at the end. The
// -rapid.checks and -rapid.steps flags scale the run.
func RunProperties(t *testing.T, newStore func(t *testing.T, opts *sessionstore.Options) sessionstore.Store) {
	t.Helper()
	rapid.Check(t, func(rt *rapid.T) {
		m := newModel(t, rt, newStore)
		defer m.close(rt)
		rt.Repeat(m.actions())
	})
}

// modelSession is what the model knows of one session: exactly what Lookup
// must return for it (Token set, MemberPortalURL left empty: the portal URL
// is checked separately because its parameters may come in either order).
type modelSession struct {
	want *sessionstore.MemberSession
}

type model struct {
	ctx    context.Context
	store  sessionstore.Store
	clock  *Clock
	prefix string
	ttl    time.Duration
	maxTTL time.Duration
	portal string
	keep   time.Duration // retention of expired sessions
	idle   time.Duration // idle timeout, 0 for none
	every  time.Duration // how often a use is recorded, 0 for never
	limit  int           // sessions per member, 0 for no cap
	links  int           // device sessions per link, 0 for no cap
	refuse bool          // CapPolicy is CapRefuse

	stored  map[string]*modelSession // by ID: the sessions still stored, live or expired
	issued  []*modelSession          // every session ever created, in order
	members [poolCustomers][poolMembers]sessionstore.Member
	custs   [poolCustomers]sessionstore.Customer
	version int
}

const (
	poolCustomers = 3
	poolMembers   = 3
)

func newModel(t *testing.T, rt *rapid.T, newStore newStoreFunc) *model {
	clock := NewClock(StartTime())
	opts := &sessionstore.Options{Now: clock.Now, SweepInterval: -1}
	opts.TokenPrefix = rapid.SampledFrom([]string{"", "polar_mst_", "x"}).Draw(rt, "TokenPrefix")
	opts.TTL = rapid.SampledFrom([]time.Duration{0, 45 * time.Minute}).Draw(rt, "TTL")
	opts.MaxTTL = rapid.SampledFrom([]time.Duration{0, 3 * time.Hour}).Draw(rt, "MaxTTL")
	opts.PortalURL = rapid.SampledFrom([]string{PortalURL, ""}).Draw(rt, "PortalURL")
	if rapid.Bool().Draw(rt, "Secret") {
		opts.Secret = []byte("property-test-secret")
	}
	opts.ExpiredRetention = rapid.SampledFrom([]time.Duration{0, -1, 30 * time.Minute}).Draw(rt, "ExpiredRetention")
	opts.IdleTimeout = rapid.SampledFrom([]time.Duration{0, 0, 20 * time.Minute}).Draw(rt, "IdleTimeout")
	opts.LastUseInterval = rapid.SampledFrom([]time.Duration{-1, 0, 7 * time.Minute}).Draw(rt, "LastUseInterval")
	opts.MaxSessionsPerMember = rapid.SampledFrom([]int{0, -1, 2, 4}).Draw(rt, "MaxSessionsPerMember")
	opts.MaxDevicesPerLink = rapid.SampledFrom([]int{0, -1, 1, 2}).Draw(rt, "MaxDevicesPerLink")
	opts.CapPolicy = rapid.SampledFrom([]sessionstore.CapPolicy{sessionstore.CapEvictOldest, sessionstore.CapEvictOldest, sessionstore.CapRefuse}).Draw(rt, "CapPolicy")
	m := &model{ctx: context.Background(), clock: clock, stored: map[string]*modelSession{}}
	m.prefix, m.ttl, m.maxTTL, m.portal = effectiveOptions(opts)
	m.keep, m.idle, m.limit = lifecycleOptions(opts)
	m.every = useInterval(opts)
	m.refuse = opts.CapPolicy == sessionstore.CapRefuse
	switch m.links = opts.MaxDevicesPerLink; {
	case m.links == 0:
		m.links = sessionstore.DefaultMaxDevicesPerLink
	case m.links < 0:
		m.links = 0
	}
	m.store = newStore(t, opts)
	if m.store == nil {
		rt.Fatalf("newStore returned a nil Store")
	}
	for c := range m.custs {
		m.custs[c] = NewCustomer(c)
		for i := range m.members[c] {
			m.members[c][i] = NewMember(m.custs[c].ID, i)
		}
	}
	return m
}

func (m *model) close(rt *rapid.T) {
	if err := m.store.Close(); err != nil {
		rt.Errorf("Close: %v", err)
	}
}

func (m *model) now() time.Time { return m.clock.Now() }

// live is the model's rule: before expires_at and the end of its chain's
// absolute lifetime and, with an idle timeout, used within it.
func (m *model) live(s *modelSession) bool {
	now := m.now()
	if !now.Before(s.want.ExpiresAt) || !now.Before(utcMicro(s.want.AuthenticatedAt.Add(m.maxTTL))) {
		return false
	}
	return m.idle == 0 || now.Before(lastUsed(s.want).Add(m.idle))
}

// lastUsed is the session's last recorded use, or its creation.
func lastUsed(s *sessionstore.MemberSession) time.Time {
	if s.LastUsedAt != nil {
		return *s.LastUsedAt
	}
	return s.CreatedAt
}

// touch records, as Lookup must, a use of the live session s at now when
// its last recorded one is the recording interval old.
func (m *model) touch(s *modelSession) {
	now := utcMicro(m.now())
	if m.every > 0 && now.Sub(lastUsed(s.want)) >= m.every {
		s.want.LastUsedAt = &now
	}
}

// admit removes from the model what a Create for member must evict: the
// oldest live sessions beyond limit-1 and the oldest expired ones beyond
// limit. With CapRefuse at the cap it changes nothing and reports false.
func (m *model) admit(member string) bool {
	if m.limit == 0 {
		return true
	}
	var live, dead []*modelSession
	for _, s := range m.stored {
		if s.want.MemberID != member {
			continue
		}
		if m.live(s) {
			live = append(live, s)
		} else {
			dead = append(dead, s)
		}
	}
	if len(live) >= m.limit {
		if m.refuse {
			return false
		}
		sortOldest(live)
		for _, s := range live[:len(live)-m.limit+1] {
			delete(m.stored, s.want.ID)
		}
	}
	m.trimDead(dead)
	return true
}

// trimDead removes the oldest of a member's stored sessions that are no
// longer live beyond limit.
func (m *model) trimDead(dead []*modelSession) {
	if m.limit > 0 && len(dead) > m.limit {
		sortOldest(dead)
		for _, s := range dead[:len(dead)-m.limit] {
			delete(m.stored, s.want.ID)
		}
	}
}

// sortOldest orders sessions by creation, ties by ID.
func sortOldest(ss []*modelSession) {
	sort.Slice(ss, func(i, j int) bool {
		a, b := ss[i].want, ss[j].want
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.Before(b.CreatedAt)
		}
		return a.ID < b.ID
	})
}

func (m *model) actions() map[string]func(*rapid.T) {
	return map[string]func(*rapid.T){
		"":               m.check,
		"Create":         m.create,
		"Exchange":       m.exchange,
		"Lookup":         m.lookup,
		"Get":            m.get,
		"ListByMember":   m.listByMember,
		"ListByCustomer": m.listByCustomer,
		"Extend":         m.extend,
		"Revoke":         m.revoke,
		"RevokeOwn":      m.revokeOwn,
		"RevokeOthers":   m.revokeOthers,
		"RevokeMember":   m.revokeMember,
		"RevokeCustomer": m.revokeCustomer,
		"UpdateMember":   m.updateMember,
		"UpdateCustomer": m.updateCustomer,
		"DeleteExpired":  m.deleteExpired,
		"AdvanceClock":   m.advance,
	}
}

// check is the invariant run after every action: each customer's live
// sessions are exactly the model's, in order.
func (m *model) check(rt *rapid.T) {
	for c := range m.custs {
		m.checkList(rt, "ListByCustomer", m.custs[c].ID, func(s *modelSession) bool { return s.want.CustomerID == m.custs[c].ID })
	}
}

// liveWhere returns the model's live sessions that match, as the list
// methods must return them.
func (m *model) liveWhere(match func(*modelSession) bool) []*sessionstore.MemberSession {
	var out []*sessionstore.MemberSession
	for _, s := range m.stored {
		if m.live(s) && match(s) {
			out = append(out, s.want)
		}
	}
	return out
}

func (m *model) checkList(rt *rapid.T, op, key string, match func(*modelSession) bool) {
	var got []*sessionstore.MemberSession
	var err error
	if op == "ListByMember" {
		got, err = m.store.ListByMember(m.ctx, key)
	} else {
		got, err = m.store.ListByCustomer(m.ctx, key)
	}
	if err != nil {
		rt.Fatalf("%s(%s): %v", op, key, err)
	}
	listEqual(rt, op+"("+key+")", m.liveWhere(match), got)
}

// pickMember draws a pool member: its customer and member numbers.
func pickMember(rt *rapid.T) (c, i int) {
	return rapid.IntRange(0, poolCustomers-1).Draw(rt, "customer"), rapid.IntRange(0, poolMembers-1).Draw(rt, "member")
}

// pickSession draws a session the model has issued (possibly removed since),
// or returns nil when there is none or when the draw asks for an unknown one.
func (m *model) pickSession(rt *rapid.T) *modelSession {
	if len(m.issued) == 0 || rapid.IntRange(0, 9).Draw(rt, "unknown") == 0 {
		return nil
	}
	return m.issued[rapid.IntRange(0, len(m.issued)-1).Draw(rt, "session")]
}

func drawUUID(rt *rapid.T) string {
	hi, lo := rapid.Uint64().Draw(rt, "uuid hi"), rapid.Uint64().Draw(rt, "uuid lo")
	hi = hi&^0xf000 | 0x4000
	lo = lo&^(0xc<<60) | 0x8<<60
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", hi>>32, (hi>>16)&0xffff, hi&0xffff, lo>>48, lo&0xffffffffffff)
}

func (m *model) create(rt *rapid.T) {
	c, i := pickMember(rt)
	p := sessionstore.CreateParams{
		Member:    m.members[c][i].Clone(),
		Customer:  m.custs[c].Clone(),
		ReturnURL: rapid.SampledFrom([]string{"", "https://example.com/back?x=1"}).Draw(rt, "ReturnURL"),
		TTL:       rapid.SampledFrom([]time.Duration{0, 0, time.Second, time.Minute, 30 * time.Minute, time.Hour, 2*time.Hour + 7*time.Microsecond, m.maxTTL}).Draw(rt, "ttl"),
		Kind:      rapid.SampledFrom([]sessionstore.SessionKind{"", sessionstore.KindLink, sessionstore.KindSignIn}).Draw(rt, "kind"),
	}
	field := ""
	switch rapid.IntRange(0, 9).Draw(rt, "fault") {
	case 0:
		p.Customer = m.custs[(c+1)%poolCustomers].Clone()
		field = "member.customer_id"
	case 1:
		p.TTL = rapid.SampledFrom([]time.Duration{-time.Nanosecond, -time.Hour, time.Microsecond, time.Second - time.Nanosecond, m.maxTTL + time.Microsecond}).Draw(rt, "bad ttl")
		field = "ttl"
	case 2:
		d := m.now().Add(-time.Hour)
		p.Customer.DeletedAt = &d
		field = "customer.deleted_at"
	case 3:
		p.Member.Email = "no-at-sign.example.com"
		field = "member.email"
	}
	if field == "" && !m.admits(p.Member.ID) {
		_, err := m.store.Create(m.ctx, p)
		expectErr(rt, "Create at the cap", err, sessionstore.ErrTooManySessions)
		return
	}
	s, err := m.store.Create(m.ctx, p)
	if field != "" {
		expectInvalid(rt, "Create", err, field)
		if s != nil {
			rt.Fatalf("Create returned a session along with %v", err)
		}
		return
	}
	if err != nil {
		rt.Fatalf("Create: %v", err)
	}
	checkCreatedAt(rt, p, s, m.now(), m.ttl, m.prefix, m.portal)
	for _, o := range m.issued {
		if o.want.ID == s.ID {
			rt.Fatalf("Create returned the ID %s a second time", s.ID)
		}
		if o.want.Token == s.Token {
			rt.Fatalf("Create returned a token a second time")
		}
	}
	m.admit(s.MemberID)
	want := copySession(s)
	want.MemberPortalURL = ""
	ms := &modelSession{want: want}
	m.stored[s.ID] = ms
	m.issued = append(m.issued, ms)
}

// expectLookup checks Lookup(tok) against the model's s (nil: unknown).
func (m *model) expectLookup(rt *rapid.T, tok string, s *modelSession) {
	got, err := m.store.Lookup(m.ctx, tok)
	var want error
	switch {
	case s == nil || m.stored[s.want.ID] == nil:
		want = sessionstore.ErrNotFound
	case !m.live(s):
		want = sessionstore.ErrExpired
	}
	if want != nil {
		if !errors.Is(err, want) || got != nil {
			rt.Fatalf("Lookup(%s): got (%v, %v), want %v", redact(tok), got != nil, err, want)
		}
		return
	}
	if err != nil {
		rt.Fatalf("Lookup of live session %s: %v", s.want.ID, err)
	}
	m.touch(s)
	checkPortalURL(rt, got.MemberPortalURL, m.portal, tok, s.want.Member.Email)
	w := copySession(s.want)
	w.MemberPortalURL = got.MemberPortalURL
	checkSession(rt, "Lookup", w, got)
}

func (m *model) lookup(rt *rapid.T) {
	switch rapid.IntRange(0, 5).Draw(rt, "lookup kind") {
	case 0, 1, 2: // a token the store issued
		s := m.pickSession(rt)
		if s == nil {
			m.expectLookup(rt, unknownToken(rt, m.prefix), nil)
			return
		}
		m.expectLookup(rt, s.want.Token, s)
	case 3: // a well-formed token the store never issued
		random := rapid.StringOfN(rapid.RuneFrom([]rune(base62)), token.RandomLen, token.RandomLen, -1).Draw(rt, "random")
		tok := tokenFrom(m.prefix, random)
		m.expectLookup(rt, tok, m.byToken(tok))
	case 4: // a malformed variant of a real or made-up token
		tok := unknownToken(rt, m.prefix)
		if s := m.pickSession(rt); s != nil {
			tok = s.want.Token
		}
		variants := malformedVariants(tok, m.prefix)
		names := make([]string, 0, len(variants))
		for name := range variants {
			names = append(names, name)
		}
		sort.Strings(names)
		name := rapid.SampledFrom(names).Draw(rt, "variant")
		got, err := m.store.Lookup(m.ctx, variants[name])
		if !errors.Is(err, sessionstore.ErrMalformedToken) || got != nil {
			rt.Fatalf("Lookup of a malformed token (%s): got (%v, %v), want ErrMalformedToken", name, got != nil, err)
		}
	case 5: // any string at all
		str := rapid.OneOf(rapid.String(), rapid.StringN(0, 80, -1), rapid.Map(rapid.SliceOf(rapid.Byte()), func(b []byte) string { return string(b) })).Draw(rt, "string")
		if wellFormed(str, m.prefix) {
			m.expectLookup(rt, str, m.byToken(str))
			return
		}
		got, err := m.store.Lookup(m.ctx, str)
		if !errors.Is(err, sessionstore.ErrMalformedToken) || got != nil {
			rt.Fatalf("Lookup(%q): got (%v, %v), want ErrMalformedToken", str, got != nil, err)
		}
	}
}

// wellFormed reports whether tok has the shape of a token with prefix,
// by the reference's rules.
func wellFormed(tok, prefix string) bool {
	if len(tok) != len(prefix)+token.RandomLen+6 || !strings.HasPrefix(tok, prefix) {
		return false
	}
	body := tok[len(prefix):]
	for i := 0; i < len(body); i++ {
		if strings.IndexByte(base62, body[i]) < 0 {
			return false
		}
	}
	return specChecksum(body[:token.RandomLen]) == body[token.RandomLen:]
}

func (m *model) byToken(tok string) *modelSession {
	for _, s := range m.issued {
		if s.want.Token == tok {
			return s
		}
	}
	return nil
}

func (m *model) get(rt *rapid.T) {
	s := m.pickSession(rt)
	id := ""
	if s == nil {
		id = drawUUID(rt)
	} else {
		id = s.want.ID
	}
	got, err := m.store.Get(m.ctx, id)
	var want error
	switch {
	case s == nil || m.stored[id] == nil:
		want = sessionstore.ErrNotFound
	case !m.live(s):
		want = sessionstore.ErrExpired
	}
	if want != nil {
		if !errors.Is(err, want) || got != nil {
			rt.Fatalf("Get(%s): got (%v, %v), want %v", id, got != nil, err, want)
		}
		return
	}
	if err != nil {
		rt.Fatalf("Get of live session %s: %v", id, err)
	}
	checkSession(rt, "Get", withoutToken(s.want), got)
}

func (m *model) listByMember(rt *rapid.T) {
	id := drawUUID(rt)
	if rapid.IntRange(0, 5).Draw(rt, "unknown member") > 0 {
		c, i := pickMember(rt)
		id = m.members[c][i].ID
	}
	m.checkList(rt, "ListByMember", id, func(s *modelSession) bool { return s.want.MemberID == id })
}

func (m *model) listByCustomer(rt *rapid.T) {
	id := drawUUID(rt)
	if rapid.IntRange(0, 5).Draw(rt, "unknown customer") > 0 {
		id = m.custs[rapid.IntRange(0, poolCustomers-1).Draw(rt, "customer")].ID
	}
	m.checkList(rt, "ListByCustomer", id, func(s *modelSession) bool { return s.want.CustomerID == id })
}

func (m *model) extend(rt *rapid.T) {
	s := m.pickSession(rt)
	id := ""
	if s == nil {
		id = drawUUID(rt)
	} else {
		id = s.want.ID
	}
	ttl := rapid.SampledFrom([]time.Duration{0, time.Microsecond, time.Second, 10 * time.Minute, time.Hour, 2 * time.Hour, m.maxTTL, -time.Nanosecond, m.maxTTL + time.Microsecond}).Draw(rt, "ttl")
	badTTL := ttl < 0 || ttl > m.maxTTL || (ttl > 0 && ttl < time.Second)
	got, err := m.store.Extend(m.ctx, id, ttl)
	var state error
	switch {
	case s == nil || m.stored[id] == nil:
		state = sessionstore.ErrNotFound
	case !m.live(s):
		state = sessionstore.ErrExpired
	}
	switch {
	case badTTL && state == nil:
		expectInvalid(rt, "Extend("+ttl.String()+")", err, "")
	case badTTL:
		// Which check comes first is not specified.
		if !errors.Is(err, sessionstore.ErrInvalid) && !errors.Is(err, state) {
			rt.Fatalf("Extend(%s, %v): got %v, want ErrInvalid or %v", id, ttl, err, state)
		}
	case state != nil:
		expectErr(rt, "Extend("+id+")", err, state)
	}
	if badTTL || state != nil {
		if got != nil {
			rt.Fatalf("Extend returned a session along with %v", err)
		}
		return
	}
	if err != nil {
		rt.Fatalf("Extend(%s, %v): %v", id, ttl, err)
	}
	if ttl == 0 {
		ttl = m.ttl
	}
	s.want = extended(s.want, m.now(), ttl, m.maxTTL, m.every > 0)
	checkSession(rt, "Extend", withoutToken(s.want), got)
}

func (m *model) revoke(rt *rapid.T) {
	s := m.pickSession(rt)
	id := ""
	if s == nil {
		id = drawUUID(rt)
	} else {
		id = s.want.ID
	}
	err := m.store.Revoke(m.ctx, id)
	if m.stored[id] == nil {
		expectErr(rt, "Revoke("+id+")", err, sessionstore.ErrNotFound)
		return
	}
	if err != nil {
		rt.Fatalf("Revoke of stored session %s: %v", id, err)
	}
	if m.stored[id].want.Kind == sessionstore.KindLink {
		m.removeWhere(func(d *modelSession) bool { return d.want.LinkID == id })
	}
	delete(m.stored, id)
}

// removeWhere removes the matching stored sessions from the model and
// returns how many of them were live.
func (m *model) removeWhere(match func(*modelSession) bool) int {
	n := 0
	for id, s := range m.stored {
		if match(s) {
			if m.live(s) {
				n++
			}
			delete(m.stored, id)
		}
	}
	return n
}

func (m *model) revokeMember(rt *rapid.T) {
	id := drawUUID(rt)
	if rapid.IntRange(0, 5).Draw(rt, "unknown member") > 0 {
		c, i := pickMember(rt)
		id = m.members[c][i].ID
	}
	n, err := m.store.RevokeMember(m.ctx, id)
	want := m.removeWhere(func(s *modelSession) bool { return s.want.MemberID == id })
	count(rt, "RevokeMember("+id+")", n, err, want)
}

func (m *model) revokeCustomer(rt *rapid.T) {
	id := drawUUID(rt)
	if rapid.IntRange(0, 5).Draw(rt, "unknown customer") > 0 {
		id = m.custs[rapid.IntRange(0, poolCustomers-1).Draw(rt, "customer")].ID
	}
	n, err := m.store.RevokeCustomer(m.ctx, id)
	want := m.removeWhere(func(s *modelSession) bool { return s.want.CustomerID == id })
	count(rt, "RevokeCustomer("+id+")", n, err, want)
}

func (m *model) updateMember(rt *rapid.T) {
	c, i := pickMember(rt)
	m.version++
	mem := m.members[c][i].Clone()
	mem.Email = fmt.Sprintf("m%d-%d.v%d+%s@example.com", c, i, m.version, rapid.SampledFrom([]string{"a", "b&c=d", "ü"}).Draw(rt, "email tag"))
	mem.Name = rapid.SampledFrom([]*string{nil, ptr(fmt.Sprintf("Member v%d", m.version))}).Draw(rt, "name")
	mem.Role = rapid.SampledFrom([]sessionstore.MemberRole{sessionstore.RoleOwner, sessionstore.RoleBillingManager, sessionstore.RoleMember}).Draw(rt, "role")
	mod := m.now().Add(-time.Duration(rapid.Int64Range(0, int64(time.Hour)).Draw(rt, "modified ago")))
	mem.ModifiedAt = &mod
	field := ""
	switch rapid.IntRange(0, 7).Draw(rt, "fault") {
	case 0:
		mem.CustomerID = m.custs[(c+1)%poolCustomers].ID
		field = "?mismatch"
	case 1:
		mem.Email = "no-at-sign"
		field = "member.email"
	case 2:
		mem.Role = "superuser"
		field = "member.role"
	}
	n, err := m.store.UpdateMember(m.ctx, mem)
	if field != "" && field[0] != '?' {
		expectInvalid(rt, "UpdateMember", err, field)
		if n != 0 {
			rt.Fatalf("UpdateMember returned %d along with an error", n)
		}
		return
	}
	var live []*modelSession
	mismatch := false
	for _, s := range m.stored {
		if s.want.MemberID == mem.ID && m.live(s) {
			live = append(live, s)
			if s.want.CustomerID != mem.CustomerID {
				mismatch = true
			}
		}
	}
	if mismatch {
		expectInvalid(rt, "UpdateMember with another customer's ID", err, "")
		if n != 0 {
			rt.Fatalf("UpdateMember returned %d along with an error", n)
		}
		return
	}
	count(rt, "UpdateMember", n, err, len(live))
	now := utcMicro(m.now())
	for _, s := range live {
		w := copySession(s.want)
		w.Member = wantMember(mem)
		w.ModifiedAt = &now
		s.want = w
	}
	if mem.CustomerID == m.custs[c].ID {
		m.members[c][i] = mem
	}
}

func (m *model) updateCustomer(rt *rapid.T) {
	c := rapid.IntRange(0, poolCustomers-1).Draw(rt, "customer")
	m.version++
	cust := m.custs[c].Clone()
	cust.Name = ptr(fmt.Sprintf("Customer %d v%d", c, m.version))
	cust.Metadata["version"] = sessionstore.IntValue(int64(m.version))
	if rapid.Bool().Draw(rt, "drop beta") {
		delete(cust.Metadata, "beta")
	}
	cust.BillingAddress = rapid.SampledFrom([]*sessionstore.Address{nil, {Country: "FR", City: ptr("Paris")}, cust.BillingAddress}).Draw(rt, "address")
	// Today's Polar fields, each set or null: a team customer may have no
	// email; tax ID elements may be null.
	cust.BillingName = rapid.SampledFrom([]*string{nil, ptr(fmt.Sprintf("Accounts %d v%d", c, m.version))}).Draw(rt, "billing name")
	cust.DefaultPaymentMethodID = rapid.SampledFrom([]*string{nil, ptr(fmt.Sprintf("pm_%d_v%d", c, m.version))}).Draw(rt, "payment method")
	cust.Email = rapid.SampledFrom([]string{"", fmt.Sprintf("billing+%d.v%d@example.com", c, m.version)}).Draw(rt, "email")
	cust.AvatarURL = rapid.SampledFrom([]string{"", "https://example.com/a.png"}).Draw(rt, "avatar")
	cust.TaxID = rapid.SampledFrom([]*sessionstore.TaxID{nil, {Value: "DE123456789"}, {Value: "DE123456789", Format: "eu_vat"}}).Draw(rt, "tax id")
	mod := m.now()
	cust.ModifiedAt = &mod
	deleted := rapid.IntRange(0, 4).Draw(rt, "delete") == 0
	if deleted {
		cust.DeletedAt = &mod
	}
	n, err := m.store.UpdateCustomer(m.ctx, cust)
	var live, expired []*modelSession
	for _, s := range m.stored {
		if s.want.CustomerID == cust.ID {
			if m.live(s) {
				live = append(live, s)
			} else {
				expired = append(expired, s)
			}
		}
	}
	count(rt, "UpdateCustomer", n, err, len(live))
	if deleted {
		for _, s := range live {
			delete(m.stored, s.want.ID)
		}
		// The contract leaves open whether a deleted customer's expired
		// sessions are removed too; learn what the store did.
		for _, s := range expired {
			_, err := m.store.Get(m.ctx, s.want.ID)
			switch {
			case errors.Is(err, sessionstore.ErrNotFound):
				delete(m.stored, s.want.ID)
			case errors.Is(err, sessionstore.ErrExpired):
			default:
				rt.Fatalf("Get of an expired session of a deleted customer: got %v, want ErrExpired or ErrNotFound", err)
			}
		}
		return
	}
	now := utcMicro(m.now())
	for _, s := range live {
		w := copySession(s.want)
		w.Customer = wantCustomer(cust)
		w.ModifiedAt = &now
		s.want = w
	}
	m.custs[c] = cust
}

func (m *model) deleteExpired(rt *rapid.T) {
	n, err := m.store.DeleteExpired(m.ctx)
	want := 0
	for id, s := range m.stored {
		if !s.want.ExpiresAt.Add(m.keep).After(m.now()) {
			want++
			delete(m.stored, id)
		}
	}
	count(rt, "DeleteExpired", n, err, want)
}

func (m *model) advance(rt *rapid.T) {
	switch rapid.IntRange(0, 3).Draw(rt, "advance kind") {
	case 0, 1:
		d := rapid.SampledFrom([]time.Duration{time.Nanosecond, 999 * time.Nanosecond, time.Microsecond, time.Second, time.Minute, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour, 3 * time.Hour, 24 * time.Hour}).Draw(rt, "duration")
		m.clock.Advance(d)
	case 2:
		m.clock.Advance(time.Duration(rapid.Int64Range(1, int64(2*time.Hour)).Draw(rt, "nanoseconds")))
	case 3:
		// To, or just before, the expiry of a stored session still live.
		var ids []string
		for id, s := range m.stored {
			if m.live(s) {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			return
		}
		sort.Strings(ids)
		at := m.stored[rapid.SampledFrom(ids).Draw(rt, "expire")].want.ExpiresAt
		at = at.Add(-rapid.SampledFrom([]time.Duration{0, time.Nanosecond, time.Microsecond}).Draw(rt, "before"))
		if at.After(m.now()) {
			m.clock.Set(at)
		}
	}
}

// admits reports whether a Create for member is admitted: not at the cap
// under CapRefuse.
func (m *model) admits(member string) bool {
	if m.limit == 0 || !m.refuse {
		return true
	}
	live := 0
	for _, s := range m.stored {
		if s.want.MemberID == member && m.live(s) {
			live++
		}
	}
	return live < m.limit
}

// exchange exchanges a token the model issued (or one it did not) and
// checks the outcome against the model's rules: only live links, a device
// session that ends with its link and carries its authentication, and caps
// that evict only the link's own devices.
func (m *model) exchange(rt *rapid.T) {
	s := m.pickSession(rt)
	tok := unknownToken(rt, m.prefix)
	if s != nil {
		tok = s.want.Token
	}
	p := sessionstore.ExchangeParams{
		TTL:     rapid.SampledFrom([]time.Duration{0, 0, time.Minute, 10 * time.Hour, -time.Second}).Draw(rt, "exchange ttl"),
		Consume: rapid.IntRange(0, 3).Draw(rt, "consume") == 0,
	}
	got, err := m.store.Exchange(m.ctx, tok, p)
	now := utcMicro(m.now())
	var want error
	left := time.Duration(0)
	switch {
	case p.TTL < 0:
		want = sessionstore.ErrInvalid
	case s == nil || m.stored[s.want.ID] == nil:
		want = sessionstore.ErrNotFound
	case !m.live(s):
		want = sessionstore.ErrExpired
	case s.want.Kind != sessionstore.KindLink:
		want = sessionstore.ErrNotLink
	default:
		if left = s.want.ExpiresAt.Sub(now).Truncate(time.Second); left < time.Second {
			want = sessionstore.ErrExpired
		}
	}
	var evict []*modelSession
	if want == nil {
		evict, want = m.admitExchange(s, p.Consume)
	}
	if want != nil {
		if !errors.Is(err, want) || got != nil {
			rt.Fatalf("Exchange: got (%v, %v), want %v", got != nil, err, want)
		}
		return
	}
	if err != nil {
		rt.Fatalf("Exchange of live link %s: %v", s.want.ID, err)
	}
	ttl := left
	if p.TTL > 0 {
		ttl = min(p.TTL, left)
	}
	w := copySession(s.want)
	w.ID, w.Token, w.MemberPortalURL = got.ID, got.Token, got.MemberPortalURL
	w.CreatedAt, w.ExpiresAt = now, utcMicro(now.Add(ttl))
	w.ModifiedAt, w.LastUsedAt = nil, nil
	w.Kind, w.LinkID = sessionstore.KindDevice, s.want.ID
	checkSession(rt, "Exchange", w, got)
	for _, e := range evict {
		delete(m.stored, e.want.ID)
	}
	w.MemberPortalURL = ""
	d := &modelSession{want: w}
	m.stored[w.ID] = d
	m.issued = append(m.issued, d)
}

// admitExchange returns what an exchange of link removes (its own oldest
// devices beyond the caps, the member's stored sessions no longer live
// beyond MaxSessionsPerMember, and the link itself when consumed), or
// ErrTooManySessions.
func (m *model) admitExchange(link *modelSession, consume bool) ([]*modelSession, error) {
	var live, mine, dead []*modelSession
	for _, s := range m.stored {
		switch {
		case s.want.MemberID != link.want.MemberID || s == link:
		case !m.live(s):
			dead = append(dead, s)
		default:
			live = append(live, s)
			if s.want.LinkID == link.want.ID {
				mine = append(mine, s)
			}
		}
	}
	sortOldest(mine)
	drop := 0
	if m.links > 0 && len(mine) >= m.links {
		if m.refuse {
			return nil, sessionstore.ErrTooManySessions
		}
		drop = len(mine) - m.links + 1
	}
	if m.limit > 0 {
		held := len(live) + 1 - drop
		if consume {
			held--
		}
		if held >= m.limit {
			if m.refuse || held-m.limit+1 > len(mine)-drop {
				return nil, sessionstore.ErrTooManySessions
			}
			drop += held - m.limit + 1
		}
	}
	evict := append([]*modelSession(nil), mine[:drop]...)
	if m.limit > 0 && len(dead) > m.limit {
		sortOldest(dead)
		evict = append(evict, dead[:len(dead)-m.limit]...)
	}
	if consume {
		evict = append(evict, link)
	}
	return evict, nil
}

// revokeOwn revokes a session as a member who may or may not own it.
func (m *model) revokeOwn(rt *rapid.T) {
	s := m.pickSession(rt)
	id := drawUUID(rt)
	if s != nil {
		id = s.want.ID
	}
	c, i := pickMember(rt)
	member := m.members[c][i].ID
	err := m.store.RevokeOwn(m.ctx, member, id)
	stored := m.stored[id]
	if stored == nil || stored.want.MemberID != member {
		expectErr(rt, "RevokeOwn("+id+")", err, sessionstore.ErrNotFound)
		return
	}
	if err != nil {
		rt.Fatalf("RevokeOwn of the member's session %s: %v", id, err)
	}
	if stored.want.Kind == sessionstore.KindLink {
		m.removeWhere(func(d *modelSession) bool { return d.want.LinkID == id })
	}
	delete(m.stored, id)
}

// revokeOthers revokes every session of a member but one, which may be
// the member's, another's or unknown.
func (m *model) revokeOthers(rt *rapid.T) {
	c, i := pickMember(rt)
	member := m.members[c][i].ID
	keep := drawUUID(rt)
	if s := m.pickSession(rt); s != nil {
		keep = s.want.ID
	}
	n, err := m.store.RevokeOthers(m.ctx, member, keep)
	want := m.removeWhere(func(s *modelSession) bool { return s.want.MemberID == member && s.want.ID != keep })
	count(rt, "RevokeOthers", n, err, want)
}
