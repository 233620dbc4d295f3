package storetest

import (
	"errors"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/token"
)

var backendInsertTests = []backendTest{
	{"FindReturnsRecord", testBackendFind},
	{"SelectByID", testBackendSelectByID},
	{"SelectByMemberAndCustomer", testBackendSelectGroups},
	{"SelectNothingIsEmpty", testBackendSelectNothing},
	{"FindUnknownHashIsNotFound", testBackendFindUnknown},
}

// backendFixture inserts four records: two of member 0 and one of member 1
// of customer 1, and one of member 0 of customer 2. The first has a return
// URL and a modification time.
func backendFixture(h *backendHarness) []*backend.Record {
	h.t.Helper()
	exp := StartTime().Add(time.Hour)
	recs := []*backend.Record{
		NewRecord(1, 1, 0, exp), NewRecord(2, 1, 0, exp.Add(time.Minute)),
		NewRecord(3, 1, 1, exp), NewRecord(4, 2, 0, exp),
	}
	recs[0].ReturnURL = "https://acme.example.com/account?tab=seats"
	recs[0].ModifiedAt = utcMicro(StartTime().Add(time.Minute))
	h.insert(recs...)
	return recs
}

func testBackendFind(h *backendHarness) {
	recs := backendFixture(h)
	for _, want := range recs {
		got, err := h.b.Find(h.ctx, want.TokenHash, routeOf(want))
		if err != nil {
			h.t.Fatalf("Find(record %s): %v", want.ID, err)
		}
		if d := recordDiff(got, want); d != "" {
			h.t.Errorf("Find(record %s) returned a record whose %s differs", want.ID, d)
		}
	}
}

func testBackendSelectByID(h *backendHarness) {
	recs := backendFixture(h)
	for _, want := range recs {
		got, err := h.b.Select(h.ctx, byID(want.ID))
		if err != nil || len(got) != 1 {
			h.t.Fatalf("Select(ID %s) = %d records, %v; want 1", want.ID, len(got), err)
		}
		if d := recordDiff(got[0], want); d != "" {
			h.t.Errorf("Select(ID %s) returned a record whose %s differs", want.ID, d)
		}
	}
}

func testBackendSelectGroups(h *backendHarness) {
	recs := backendFixture(h)
	// expectStored compares every record of every member and customer.
	h.expectStored(recs, nil)
	if got := h.selectIDs(byCustomer(recs[0].CustomerID())); len(got) != 3 {
		h.t.Errorf("Select(customer 1) = %v, want 3 records", got)
	}
}

func testBackendSelectNothing(h *backendHarness) {
	recs := backendFixture(h)
	for _, sel := range []backend.Selector{
		byID(recordID(99)),
		byMember(MemberID(CustomerID(9), 0)),
		byCustomer(CustomerID(9)),
		// A key's prefix, or the empty key, selects nothing.
		byID(recs[0].ID[:10]),
		byMember(recs[0].MemberID()[:10]),
		byCustomer(recs[0].CustomerID()[:10]),
		byMember(""),
		byCustomer(""),
	} {
		if got := h.selectIDs(sel); len(got) != 0 {
			h.t.Errorf("Select(%v) = %v, want none", sel, got)
		}
	}
}

func testBackendFindUnknown(h *backendHarness) {
	recs := backendFixture(h)
	other := recs[0].TokenHash
	other[len(other)-1] ^= 1
	for _, hsh := range []token.Hash{other, recordHash(99)} {
		if _, err := h.b.Find(h.ctx, hsh, routeOf(recs[0])); !errors.Is(err, sessionstore.ErrNotFound) {
			h.t.Errorf("Find(unknown hash) = %v, want ErrNotFound", err)
		}
	}
}
