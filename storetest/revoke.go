package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
)

var revokeTests = []subtest{
	{"Live", testRevokeLive},
	{"Expired", testRevokeExpired},
	{"Unknown", testRevokeUnknown},
}

var revokeMemberTests = []subtest{
	{"CountsLiveRemovesAll", testRevokeMember},
	{"OnlyExpired", testRevokeMemberOnlyExpired},
	{"CreateAfterRevoke", testRevokeMemberThenCreate},
}

var revokeCustomerTests = []subtest{
	{"CountsLiveRemovesAll", testRevokeCustomer},
}

var updateMemberTests = []subtest{
	{"ReplacesLiveSnapshots", testUpdateMember},
	{"NoSessions", testUpdateMemberNone},
	{"Invalid", testUpdateMemberInvalid},
	{"CustomerMismatch", testUpdateMemberMismatch},
}

var updateCustomerTests = []subtest{
	{"ReplacesLiveSnapshots", testUpdateCustomer},
	{"Deleted", testUpdateCustomerDeleted},
	{"NoSessions", testUpdateCustomerNone},
}

func testRevokeLive(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	sibling := h.create(params(1, 1))
	if err := h.s.Revoke(h.ctx, s.ID); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	h.lookupErr(s.Token, sessionstore.ErrNotFound)
	h.getErr(s.ID, sessionstore.ErrNotFound)
	_, err := h.s.Extend(h.ctx, s.ID, time.Hour)
	expectErr(t, "Extend after Revoke", err, sessionstore.ErrNotFound)
	expectErr(t, "second Revoke", h.s.Revoke(h.ctx, s.ID), sessionstore.ErrNotFound)
	h.lookupOK(sibling)
	h.listMember(s.MemberID, sibling)
	h.listCustomer(s.CustomerID, sibling)
	n, err := h.s.RevokeMember(h.ctx, s.MemberID)
	count(t, "RevokeMember after Revoke", n, err, 1)
}

func testRevokeExpired(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	h.clock.Set(s.ExpiresAt)
	h.lookupErr(s.Token, sessionstore.ErrExpired)
	if err := h.s.Revoke(h.ctx, s.ID); err != nil {
		t.Fatalf("Revoke of an expired session: %v", err)
	}
	h.lookupErr(s.Token, sessionstore.ErrNotFound)
	n, err := h.s.DeleteExpired(h.ctx)
	count(t, "DeleteExpired after Revoke", n, err, 0)
}

func testRevokeUnknown(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	expectErr(t, "Revoke of an unknown ID", h.s.Revoke(h.ctx, randomUUID()), sessionstore.ErrNotFound)
	expectErr(t, "Revoke of a member ID", h.s.Revoke(h.ctx, s.MemberID), sessionstore.ErrNotFound)
	h.lookupOK(s)
}

// revokeFixture creates, for customer 1: member 1 with a session that
// expires after a minute and two that last an hour, member 2 with one
// session; and for customer 2 one session of member 1. Then it moves the
// clock five minutes on.
type revokeFixture struct {
	a1, a2, a3, b1, other *sessionstore.MemberSession
}

func newRevokeFixture(h *harness) revokeFixture {
	h.t.Helper()
	var f revokeFixture
	short := params(1, 1)
	short.TTL = time.Minute
	f.a1 = h.create(short)
	h.clock.Advance(time.Second)
	f.a2 = h.create(params(1, 1))
	f.a3 = h.create(params(1, 1))
	f.b1 = h.create(params(1, 2))
	f.other = h.create(params(2, 1))
	h.clock.Advance(5 * time.Minute)
	return f
}

func testRevokeMember(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	f := newRevokeFixture(h)
	n, err := h.s.RevokeMember(h.ctx, f.a1.MemberID)
	count(t, "RevokeMember", n, err, 2)
	for _, s := range []*sessionstore.MemberSession{f.a1, f.a2, f.a3} {
		h.lookupErr(s.Token, sessionstore.ErrNotFound)
		h.getErr(s.ID, sessionstore.ErrNotFound)
	}
	h.lookupOK(f.b1)
	h.lookupOK(f.other)
	h.listMember(f.a1.MemberID)
	h.listCustomer(f.a1.CustomerID, f.b1)
	n, err = h.s.RevokeMember(h.ctx, f.a1.MemberID)
	count(t, "second RevokeMember", n, err, 0)
	n, err = h.s.RevokeMember(h.ctx, randomUUID())
	count(t, "RevokeMember of an unknown member", n, err, 0)
	n, err = h.s.DeleteExpired(h.ctx)
	count(t, "DeleteExpired after RevokeMember removed the expired session", n, err, 0)
}

func testRevokeMemberOnlyExpired(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	h.clock.Advance(2 * time.Hour)
	n, err := h.s.RevokeMember(h.ctx, s.MemberID)
	count(t, "RevokeMember of a member with only expired sessions", n, err, 0)
	h.lookupErr(s.Token, sessionstore.ErrNotFound)
}

func testRevokeMemberThenCreate(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	n, err := h.s.RevokeMember(h.ctx, s.MemberID)
	count(t, "RevokeMember", n, err, 1)
	s2 := h.create(params(1, 1))
	h.lookupOK(s2)
	h.lookupErr(s.Token, sessionstore.ErrNotFound)
	h.listMember(s.MemberID, s2)
}

func testRevokeCustomer(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	f := newRevokeFixture(h)
	n, err := h.s.RevokeCustomer(h.ctx, f.a1.CustomerID)
	count(t, "RevokeCustomer", n, err, 3)
	for _, s := range []*sessionstore.MemberSession{f.a1, f.a2, f.a3, f.b1} {
		h.lookupErr(s.Token, sessionstore.ErrNotFound)
		h.getErr(s.ID, sessionstore.ErrNotFound)
	}
	h.lookupOK(f.other)
	h.listCustomer(f.a1.CustomerID)
	h.listMember(f.b1.MemberID)
	h.listCustomer(f.other.CustomerID, f.other)
	n, err = h.s.RevokeCustomer(h.ctx, f.a1.CustomerID)
	count(t, "second RevokeCustomer", n, err, 0)
	n, err = h.s.RevokeCustomer(h.ctx, randomUUID())
	count(t, "RevokeCustomer of an unknown customer", n, err, 0)
	n, err = h.s.DeleteExpired(h.ctx)
	count(t, "DeleteExpired after RevokeCustomer removed the expired session", n, err, 0)
	h.create(params(1, 1))
}

// updatedMember is member 1 of customer 1 with new details.
func updatedMember() sessionstore.Member {
	m := NewMember(CustomerID(1), 1)
	m.Email = "renamed+new@example.org"
	m.Name = ptr("Renamed Member ✓")
	m.ExternalID = nil
	m.Role = sessionstore.RoleBillingManager
	mod := time.Date(2026, time.January, 20, 9, 0, 0, 654321987, time.FixedZone("UTC+1", 3600))
	m.ModifiedAt = &mod
	return m
}

func testUpdateMember(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	f := newRevokeFixture(h)
	h.clock.Advance(333 * time.Nanosecond)
	m := updatedMember()
	n, err := h.s.UpdateMember(h.ctx, m)
	count(t, "UpdateMember", n, err, 2)
	now := utcMicro(h.clock.Now())
	var updated []*sessionstore.MemberSession
	for _, s := range []*sessionstore.MemberSession{f.a2, f.a3} {
		w := copySession(s)
		w.Member = wantMember(m)
		w.ModifiedAt = &now
		h.getOK(w)
		h.lookupOK(w) // the portal URL carries the new email
		updated = append(updated, w)
	}
	h.lookupOK(f.b1)
	h.lookupOK(f.other)
	h.listMember(m.ID, updated...)
	h.listCustomer(CustomerID(1), append(updated, f.b1)...)

	// The expired session was left as it was: seen from before its expiry,
	// it still has the old member and no modified_at.
	h.clock.Set(f.a1.ExpiresAt.Add(-time.Microsecond))
	h.lookupOK(f.a1)

	// A second update moves modified_at again.
	h.clock.Set(f.a2.ExpiresAt.Add(-time.Minute))
	m.Name = nil
	n, err = h.s.UpdateMember(h.ctx, m)
	count(t, "second UpdateMember", n, err, 2)
	now2 := utcMicro(h.clock.Now())
	for _, w := range updated {
		w.Member = wantMember(m)
		w.ModifiedAt = &now2
		h.getOK(w)
	}
}

func testUpdateMemberNone(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	n, err := h.s.UpdateMember(h.ctx, updatedMember())
	count(t, "UpdateMember of a member without sessions", n, err, 0)
	s := h.create(params(1, 1))
	h.clock.Set(s.ExpiresAt)
	n, err = h.s.UpdateMember(h.ctx, updatedMember())
	count(t, "UpdateMember of a member with only expired sessions", n, err, 0)
	h.clock.Set(s.ExpiresAt.Add(-time.Microsecond))
	h.getOK(s)
}

func testUpdateMemberInvalid(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	h.clock.Advance(time.Minute)
	cases := []struct {
		name, field string
		mutate      func(m *sessionstore.Member)
	}{
		{"email without @", "member.email", func(m *sessionstore.Member) { m.Email = "nobody.example.com" }},
		{"email too long", "member.email", func(m *sessionstore.Member) { m.Email = strings.Repeat("a", 309) + "@example.com" }},
		{"unknown role", "member.role", func(m *sessionstore.Member) { m.Role = "admin" }},
		{"name too long", "member.name", func(m *sessionstore.Member) { m.Name = ptr(strings.Repeat("n", 257)) }},
		{"name invalid UTF-8", "member.name", func(m *sessionstore.Member) { m.Name = ptr("bad \xff name") }},
		{"empty id", "member.id", func(m *sessionstore.Member) { m.ID = "" }},
	}
	for _, c := range cases {
		m := updatedMember()
		c.mutate(&m)
		n, err := h.s.UpdateMember(h.ctx, m)
		expectInvalid(t, "UpdateMember with "+c.name, err, c.field)
		if n != 0 {
			t.Fatalf("UpdateMember with %s returned %d along with an error", c.name, n)
		}
		h.getOK(s)
		h.lookupOK(s)
	}
}

func testUpdateMemberMismatch(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	s2 := h.create(params(1, 1))
	h.create(params(2, 0))
	h.clock.Advance(time.Minute)
	m := updatedMember()
	m.CustomerID = CustomerID(2)
	n, err := h.s.UpdateMember(h.ctx, m)
	expectInvalid(t, "UpdateMember with another customer's ID", err, "")
	if n != 0 {
		t.Fatalf("UpdateMember returned %d along with an error", n)
	}
	h.getOK(s)
	h.getOK(s2)
	h.lookupOK(s)
}

// updatedCustomer is customer 1 with new details.
func updatedCustomer() sessionstore.Customer {
	c := NewCustomer(1)
	c.Name = ptr("Acme Renamed GmbH")
	c.Email = "finance+de@acme.example"
	delete(c.Metadata, "beta")
	c.Metadata["seats"] = sessionstore.IntValue(50)
	c.Metadata["region"] = sessionstore.StringValue("eu-central")
	c.Metadata["discount"] = sessionstore.FloatValue(2)
	c.BillingAddress = &sessionstore.Address{Country: "DE", City: ptr("Berlin")}
	c.TaxID = &sessionstore.TaxID{Value: "DE123456789", Format: "eu_vat"}
	c.Locale = nil
	ind := sessionstore.CustomerIndividual
	c.Type = &ind
	mod := time.Date(2026, time.January, 20, 9, 30, 0, 111222333, time.UTC)
	c.ModifiedAt = &mod
	return c
}

func testUpdateCustomer(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	f := newRevokeFixture(h)
	h.clock.Advance(77 * time.Nanosecond)
	c := updatedCustomer()
	n, err := h.s.UpdateCustomer(h.ctx, c)
	count(t, "UpdateCustomer", n, err, 3)
	now := utcMicro(h.clock.Now())
	var updated []*sessionstore.MemberSession
	for _, s := range []*sessionstore.MemberSession{f.a2, f.a3, f.b1} {
		w := copySession(s)
		w.Customer = wantCustomer(c)
		w.ModifiedAt = &now
		h.getOK(w)
		h.lookupOK(w)
		updated = append(updated, w)
	}
	h.lookupOK(f.other)
	h.listCustomer(c.ID, updated...)
	h.listMember(f.b1.MemberID, updated[2])
	h.clock.Set(f.a1.ExpiresAt.Add(-time.Microsecond))
	h.lookupOK(f.a1)
}

func testUpdateCustomerDeleted(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	f := newRevokeFixture(h)
	c := updatedCustomer()
	del := h.clock.Now()
	c.DeletedAt = &del
	n, err := h.s.UpdateCustomer(h.ctx, c)
	count(t, "UpdateCustomer with DeletedAt", n, err, 3)
	for _, s := range []*sessionstore.MemberSession{f.a2, f.a3, f.b1} {
		h.lookupErr(s.Token, sessionstore.ErrNotFound)
		h.getErr(s.ID, sessionstore.ErrNotFound)
	}
	// The expired session may have been removed too, or not.
	if _, err := h.s.Lookup(h.ctx, f.a1.Token); !errors.Is(err, sessionstore.ErrExpired) && !errors.Is(err, sessionstore.ErrNotFound) {
		t.Fatalf("Lookup of an expired session of a deleted customer: got %v, want ErrExpired or ErrNotFound", err)
	}
	h.listCustomer(c.ID)
	h.listMember(f.a2.MemberID)
	h.lookupOK(f.other)
	n, err = h.s.UpdateCustomer(h.ctx, c)
	count(t, "UpdateCustomer with DeletedAt again", n, err, 0)
	// A deleted customer cannot get new sessions.
	p := params(1, 1)
	p.Customer = c
	_, err = h.s.Create(h.ctx, p)
	expectInvalid(t, "Create for a deleted customer", err, "customer.deleted_at")
}

func testUpdateCustomerNone(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	n, err := h.s.UpdateCustomer(h.ctx, updatedCustomer())
	count(t, "UpdateCustomer of a customer without sessions", n, err, 0)
	s := h.create(params(1, 1))
	h.clock.Set(s.ExpiresAt)
	n, err = h.s.UpdateCustomer(h.ctx, updatedCustomer())
	count(t, "UpdateCustomer of a customer with only expired sessions", n, err, 0)
	c := updatedCustomer()
	now := h.clock.Now()
	c.DeletedAt = &now
	n, err = h.s.UpdateCustomer(h.ctx, c)
	count(t, "deleting a customer with only expired sessions", n, err, 0)
}
