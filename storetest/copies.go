package storetest

import (
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
)

var copyTests = []subtest{
	{"CreateParamsMutatedAfterCreate", testCopiesParams},
	{"ReturnedSessionsMutated", testCopiesReturned},
	{"SharedSnapshots", testCopiesShared},
	{"UpdateInputsMutated", testCopiesUpdates},
}

// scribble changes everything reachable from a session's member and
// customer in place, through every pointer and the metadata map.
func scribble(m *sessionstore.Member, c *sessionstore.Customer) {
	m.ID, m.Email, m.Role, m.CustomerID = "scribbled", "scribbled@example.com", "scribbled", "scribbled"
	if m.Name != nil {
		*m.Name = "scribbled"
	}
	if m.ExternalID != nil {
		*m.ExternalID = "scribbled"
	}
	if m.ModifiedAt != nil {
		*m.ModifiedAt = time.Unix(0, 0)
	}
	c.Email = "scribbled@example.com"
	if c.Metadata != nil {
		c.Metadata["plan"] = sessionstore.StringValue("scribbled")
		c.Metadata["added"] = sessionstore.BoolValue(true)
		delete(c.Metadata, "seats")
	}
	for _, p := range []*string{c.Name, c.ExternalID, c.Locale} {
		if p != nil {
			*p = "scribbled"
		}
	}
	if c.Type != nil {
		*c.Type = "scribbled"
	}
	if c.ModifiedAt != nil {
		*c.ModifiedAt = time.Unix(0, 0)
	}
	if a := c.BillingAddress; a != nil {
		a.Country = "ZZ"
		for _, p := range []*string{a.Line1, a.Line2, a.City, a.PostalCode, a.State} {
			if p != nil {
				*p = "scribbled"
			}
		}
	}
	if c.TaxID != nil {
		c.TaxID.Value, c.TaxID.Format = "scribbled", "scribbled"
	}
}

func scribbleSession(s *sessionstore.MemberSession) {
	scribble(&s.Member, &s.Customer)
	if s.ReturnURL != nil {
		*s.ReturnURL = "https://scribbled.example.com/"
	}
	if s.ModifiedAt != nil {
		*s.ModifiedAt = time.Unix(0, 0)
	}
}

func testCopiesParams(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	p := params(1, 1)
	s, err := h.s.Create(h.ctx, p)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	scribble(&p.Member, &p.Customer)
	// Judge the session against pristine parameters.
	pristine := params(1, 1)
	h.checkCreated(pristine, s)
	h.getOK(s)
	h.lookupOK(s)
}

func testCopiesReturned(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	want := copySession(s)

	scribbleSession(s)
	h.getOK(want)

	got, err := h.s.Get(h.ctx, want.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	scribbleSession(got)
	h.lookupOK(want)

	got, err = h.s.Lookup(h.ctx, want.Token)
	if err != nil {
		t.Fatalf("Lookup: %v", err)
	}
	scribbleSession(got)
	h.getOK(want)

	list, err := h.s.ListByMember(h.ctx, want.MemberID)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListByMember: %d sessions, %v", len(list), err)
	}
	scribbleSession(list[0])
	list, err = h.s.ListByCustomer(h.ctx, want.CustomerID)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListByCustomer: %d sessions, %v", len(list), err)
	}
	scribbleSession(list[0])
	h.getOK(want)

	h.clock.Advance(time.Minute)
	e := h.extendOK(want, time.Hour)
	got, err = h.s.Extend(h.ctx, want.ID, time.Hour)
	if err != nil {
		t.Fatalf("Extend: %v", err)
	}
	scribbleSession(got)
	h.getOK(e)
}

func testCopiesShared(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	// Sessions of the same member and customer; a backend may share one
	// snapshot between them, but never with the caller.
	a := h.create(params(1, 1))
	b := h.create(params(1, 1))
	c := h.create(params(1, 2))
	wantB, wantC := copySession(b), copySession(c)
	scribbleSession(a)
	got, err := h.s.Get(h.ctx, a.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	scribbleSession(got)
	h.getOK(wantB)
	h.getOK(wantC)
	h.lookupOK(wantB)
	h.lookupOK(wantC)
}

func testCopiesUpdates(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	h.clock.Advance(time.Minute)
	m := updatedMember()
	n, err := h.s.UpdateMember(h.ctx, m)
	count(t, "UpdateMember", n, err, 1)
	want := copySession(s)
	want.Member = wantMember(m)
	mod := utcMicro(h.clock.Now())
	want.ModifiedAt = &mod
	scribble(&m, &sessionstore.Customer{})
	h.getOK(want)

	h.clock.Advance(time.Minute)
	c := updatedCustomer()
	n, err = h.s.UpdateCustomer(h.ctx, c)
	count(t, "UpdateCustomer", n, err, 1)
	want.Customer = wantCustomer(c)
	mod = utcMicro(h.clock.Now())
	want.ModifiedAt = &mod
	scribble(&sessionstore.Member{}, &c)
	h.getOK(want)
	h.lookupOK(want)
}
