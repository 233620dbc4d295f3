package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/token"
)

var lookupTests = []subtest{
	{"Live", testLookupLive},
	{"Malformed", testLookupMalformed},
	{"UnknownWellFormed", testLookupUnknown},
	{"ExpiryBoundary", testLookupExpiryBoundary},
	{"Purged", testLookupPurged},
	{"IDIsNotAToken", testLookupID},
}

var getTests = []subtest{
	{"Live", testGetLive},
	{"Unknown", testGetUnknown},
	{"Expired", testGetExpired},
	{"TokenIsNotAnID", testGetToken},
}

var listTests = []subtest{
	{"OrderAndFilter", testListOrder},
	{"TiesByID", testListTies},
	{"EmptyIsNotNil", testListEmpty},
}

func testLookupLive(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	other := h.create(params(2, 1))
	h.lookupOK(s)
	h.lookupOK(other)
	h.clock.Advance(59*time.Minute + 59*time.Second)
	h.lookupOK(s)
}

// malformedVariants returns strings that are not well-formed tokens for
// prefix, each derived from the valid token tok (of a live session) where
// possible, so that a store which checks too little finds the session.
func malformedVariants(tok, prefix string) map[string]string {
	body := tok[len(prefix):]
	random, sum := body[:token.RandomLen], body[token.RandomLen:]
	swap := func(c byte) byte {
		if c == 'a' {
			return 'b'
		}
		return 'a'
	}
	withRandom := func(i int, repl string) string {
		r := random[:i] + repl + random[i+1:]
		return prefix + r + token.Checksum(r)
	}
	v := map[string]string{
		"empty":                     "",
		"garbage":                   "garbage",
		"prefix only":               prefix,
		"no prefix":                 body,
		"truncated":                 tok[:len(tok)-1],
		"extra character":           tok + "0",
		"trailing newline":          tok + "\n",
		"leading space":             " " + tok,
		"upper-case prefix":         strings.ToUpper(prefix) + body,
		"other prefix same length":  otherPrefix(prefix) + body,
		"customer session prefix":   "polar_cst_" + body,
		"wrong checksum":            tok[:len(tok)-1] + string(swap(tok[len(tok)-1])),
		"checksum not alphanumeric": tok[:len(tok)-1] + "!",
		"random changed":            prefix + random[:5] + string(swap(random[5])) + random[6:] + sum,
		"random has hyphen":         withRandom(10, "-"),
		"random has underscore":     withRandom(0, "_"),
		"random has NUL":            withRandom(36, "\x00"),
		"random invalid UTF-8":      withRandom(20, "\xff"),
		"invalid UTF-8":             "\xff\xfe\xfd",
		"invalid UTF-8 prefix":      "\xff" + tok[1:],
		"percent-encoded":           strings.Replace(tok, "_", "%5F", 1),
		"huge":                      strings.Repeat(tok, 200),
		"doubled":                   tok + tok,
	}
	// Swap the case of a letter of the checksum: base 62 is case sensitive.
	for i := len(sum) - 1; i >= 0; i-- {
		c := sum[i]
		var d byte
		switch {
		case 'a' <= c && c <= 'z':
			d = c - 'a' + 'A'
		case 'A' <= c && c <= 'Z':
			d = c - 'A' + 'a'
		default:
			continue
		}
		v["checksum case swapped"] = prefix + random + sum[:i] + string(d) + sum[i+1:]
		break
	}
	// Guard against a variant that happens to be a valid token (say, for a
	// prefix without letters or underscores).
	for name, s := range v {
		if s == tok || wellFormed(s, prefix) {
			delete(v, name)
		}
	}
	return v
}

// otherPrefix returns a prefix of the same length that differs from p in
// every character.
func otherPrefix(p string) string {
	b := []byte(p)
	for i := range b {
		if b[i] == 'z' {
			b[i] = 'y'
		} else {
			b[i] = 'z'
		}
	}
	return string(b)
}

func testLookupMalformed(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	for name, bad := range malformedVariants(s.Token, h.prefix) {
		t.Run(name, func(t *testing.T) {
			got, err := h.s.Lookup(h.ctx, bad)
			expectErr(t, "Lookup of a malformed token ("+name+")", err, sessionstore.ErrMalformedToken)
			if got != nil {
				t.Fatalf("Lookup returned a session along with %v", err)
			}
			if strings.Contains(err.Error(), s.Token[len(h.prefix):len(h.prefix)+token.RandomLen]) {
				t.Fatalf("error message %q contains the token", err.Error())
			}
		})
	}
	h.lookupOK(s)
}

func testLookupUnknown(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	h.lookupErr(unknownToken(t, h.prefix), sessionstore.ErrNotFound)
	// A near miss: one random character changed, checksum recomputed.
	random := s.Token[len(h.prefix) : len(h.prefix)+token.RandomLen]
	c := byte('Q')
	if random[0] == c {
		c = 'R'
	}
	h.lookupErr(tokenFrom(h.prefix, string(c)+random[1:]), sessionstore.ErrNotFound)
	h.lookupErr(tokenFrom(h.prefix, strings.Repeat("0", token.RandomLen)), sessionstore.ErrNotFound)
	h.lookupOK(s)
}

func testLookupExpiryBoundary(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	p := params(1, 1)
	p.TTL = 10 * time.Minute
	s := h.create(p)
	h.clock.Set(s.ExpiresAt.Add(-time.Nanosecond))
	h.lookupOK(s)
	h.getOK(s)
	h.clock.Set(s.ExpiresAt)
	h.lookupErr(s.Token, sessionstore.ErrExpired)
	h.getErr(s.ID, sessionstore.ErrExpired)
	h.clock.Advance(24 * time.Hour)
	h.lookupErr(s.Token, sessionstore.ErrExpired)
	h.getErr(s.ID, sessionstore.ErrExpired)
	// The same instant in another location is the same instant.
	h.clock.Set(s.ExpiresAt.Add(-time.Microsecond).In(time.FixedZone("UTC-8", -8*3600)))
	h.lookupOK(s)
	h.clock.Set(s.ExpiresAt.In(time.FixedZone("UTC+14", 14*3600)))
	h.lookupErr(s.Token, sessionstore.ErrExpired)
}

func testLookupPurged(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	h.clock.Advance(time.Hour)
	h.lookupErr(s.Token, sessionstore.ErrExpired)
	n, err := h.s.DeleteExpired(h.ctx)
	count(t, "DeleteExpired within the retention", n, err, 0)
	h.lookupErr(s.Token, sessionstore.ErrExpired)
	h.clock.Advance(h.keep)
	n, err = h.s.DeleteExpired(h.ctx)
	count(t, "DeleteExpired", n, err, 1)
	h.lookupErr(s.Token, sessionstore.ErrNotFound)
	h.getErr(s.ID, sessionstore.ErrNotFound)
}

func testLookupID(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	h.lookupErr(s.ID, sessionstore.ErrMalformedToken)
}

func testGetLive(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	got := h.getOK(s)
	if got.Token != "" || got.MemberPortalURL != "" {
		t.Fatalf("Get returned Token/MemberPortalURL; both must be empty")
	}
	h.clock.Advance(30 * time.Minute)
	h.getOK(s)
}

func testGetUnknown(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	h.getErr(randomUUID(), sessionstore.ErrNotFound)
	h.getErr(strings.ToUpper(s.ID), sessionstore.ErrNotFound)
	h.getErr("not-a-session-id", sessionstore.ErrNotFound)
	h.getErr(s.MemberID, sessionstore.ErrNotFound)
	h.getErr(s.CustomerID, sessionstore.ErrNotFound)
}

func testGetExpired(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	p := params(1, 1)
	p.TTL = time.Minute
	s := h.create(p)
	h.clock.Advance(time.Minute)
	h.getErr(s.ID, sessionstore.ErrExpired)
}

func testGetToken(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	h.getErr(s.Token, sessionstore.ErrNotFound)
}

func testListOrder(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	c := NewCustomer(1)
	pa := sessionstore.CreateParams{Member: NewMember(c.ID, 0), Customer: c}
	pb := sessionstore.CreateParams{Member: NewMember(c.ID, 1), Customer: NewCustomer(1)}

	a1 := h.create(pa)
	h.clock.Advance(time.Second)
	b1 := h.create(pb)
	h.clock.Advance(time.Second)
	short := pa
	short.TTL = time.Minute
	a2 := h.create(short)
	h.clock.Advance(time.Second)
	a3 := h.create(pa)
	other := h.create(params(2, 0))

	h.listMember(pa.Member.ID, a1, a2, a3)
	h.listMember(pb.Member.ID, b1)
	h.listCustomer(c.ID, a1, b1, a2, a3)
	h.listCustomer(other.CustomerID, other)

	// a2 expires; lists hold live sessions only.
	h.clock.Set(a2.ExpiresAt)
	h.listMember(pa.Member.ID, a1, a3)
	h.listCustomer(c.ID, a1, b1, a3)
	// Everything created at the start expires after an hour.
	h.clock.Set(a1.ExpiresAt)
	h.listMember(pa.Member.ID, a3)
	h.listCustomer(c.ID, b1, a3)
	h.clock.Advance(time.Hour)
	h.listMember(pa.Member.ID)
	h.listCustomer(c.ID)
}

func testListTies(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	base := time.Date(2026, time.January, 20, 10, 0, 0, 500000000, time.UTC)
	var all []*sessionstore.MemberSession
	for i := 0; i < 12; i++ {
		// Different clock readings within one microsecond: the same
		// created_at after truncation, so the order falls to the ID.
		h.clock.Set(base.Add(time.Duration(100+i*70) * time.Nanosecond))
		all = append(all, h.create(params(1, i%2)))
	}
	h.clock.Set(base.Add(-time.Nanosecond)) // an earlier microsecond
	early := h.create(params(1, 0))
	all = append(all, early)
	h.clock.Set(base.Add(time.Minute))
	var m0 []*sessionstore.MemberSession
	for _, s := range all {
		if s.MemberID == MemberID(CustomerID(1), 0) {
			m0 = append(m0, s)
		}
	}
	h.listMember(MemberID(CustomerID(1), 0), m0...)
	h.listCustomer(CustomerID(1), all...)
}

func testListEmpty(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	h.listMember(MemberID(CustomerID(1), 0))
	h.listCustomer(CustomerID(1))
	s := h.create(params(1, 0))
	h.listMember(MemberID(CustomerID(1), 1))
	h.listCustomer(CustomerID(2))
	h.listMember(s.CustomerID) // a customer ID is not a member ID
	h.listCustomer(s.MemberID)
}
