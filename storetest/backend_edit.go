package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
)

var backendEditTests = []backendTest{
	{"UnknownIDIsNotFound", testEditUnknownID},
	{"EmptyGroupChangesNothing", testEditEmptyGroup},
	{"ErrorAbortsEverything", testEditError},
	{"KeepChangesNothing", testEditKeep},
	{"PutReplaces", testEditPut},
	{"DeleteRemoves", testEditDelete},
	{"MixedOps", testEditMixed},
	{"ContractViolations", testEditContract},
}

func testEditUnknownID(h *backendHarness) {
	recs := backendFixture(h)
	for _, op := range []backend.EditFunc{h.failEdit, deleteAll} {
		if _, err := h.b.Edit(h.ctx, byID(recordID(99)), op); !errors.Is(err, sessionstore.ErrNotFound) {
			h.t.Errorf("Edit(unknown ID) = %v, want ErrNotFound", err)
		}
	}
	h.expectStored(recs, nil)
}

func testEditEmptyGroup(h *backendHarness) {
	recs := backendFixture(h)
	for _, sel := range []backend.Selector{byMember(MemberID(CustomerID(9), 0)), byCustomer(CustomerID(9))} {
		changes, err := h.b.Edit(h.ctx, sel, h.failEdit)
		if err != nil || len(changes) != 0 {
			h.t.Errorf("Edit(%v) of no records = %d changes, %v; want none, no error", sel, len(changes), err)
		}
	}
	h.expectStored(recs, nil)
}

// editError is the error the EditFunc of ErrorAbortsEverything returns.
type editError struct{}

func (*editError) Error() string { return "the EditFunc failed" }

func testEditError(h *backendHarness) {
	recs := backendFixture(h)
	boom := &editError{}
	for _, sel := range []backend.Selector{byCustomer(recs[0].CustomerID()), byID(recs[3].ID)} {
		calls := 0
		_, err := h.b.Edit(h.ctx, sel, func(cur *backend.Record) (backend.Op, *backend.Record, error) {
			// Decide to write twice before failing, where there is more
			// than one record.
			calls++
			switch {
			case calls == 1 && sel.Index != backend.IndexID:
				return backend.Delete, nil, nil
			case calls == 2:
				next := *cur
				next.ReturnURL = "https://acme.example.com/changed"
				return backend.Put, &next, nil
			}
			return backend.Keep, nil, boom
		})
		if err != boom { //nolint:errorlint // the very error, not wrapped
			h.t.Errorf("Edit(%v) = %v, want the EditFunc's error as it is", sel, err)
		}
	}
	h.expectStored(recs, nil)
}

func testEditKeep(h *backendHarness) {
	recs := backendFixture(h)
	for _, sel := range []backend.Selector{byCustomer(recs[0].CustomerID()), byMember(recs[0].MemberID()), byID(recs[3].ID)} {
		changes, err := h.b.Edit(h.ctx, sel, keepAll)
		if err != nil || len(changes) != 0 {
			h.t.Errorf("Edit(%v) keeping all = %d changes, %v; want none", sel, len(changes), err)
		}
	}
	h.expectStored(recs, nil)
}

// checkChanges checks that changes has one change for every record of
// before that want maps (to its new version, nil when deleted), with Old as
// the record was.
func (h *backendHarness) checkChanges(changes []backend.Change, before []*backend.Record, want map[string]*backend.Record) {
	h.t.Helper()
	if len(changes) != len(want) {
		h.t.Errorf("Edit returned %d changes, want %d", len(changes), len(want))
	}
	old := map[string]*backend.Record{}
	for _, r := range before {
		old[r.ID] = r
	}
	seen := map[string]bool{}
	for _, c := range changes {
		if c.Old == nil {
			h.t.Errorf("a change without Old")
			continue
		}
		id := c.Old.ID
		next, ok := want[id]
		if !ok || seen[id] {
			h.t.Errorf("unexpected change of record %s", id)
			continue
		}
		seen[id] = true
		if d := recordDiff(c.Old, old[id]); d != "" {
			h.t.Errorf("the change of record %s has an Old whose %s differs", id, d)
		}
		if d := recordDiff(c.New, next); d != "" {
			h.t.Errorf("the change of record %s has a New whose %s differs", id, d)
		}
	}
}

// edited returns a replacement for r: a longer life, a modification time,
// a return URL and a changed member email and customer name.
func edited(r *backend.Record, n int) *backend.Record {
	next := *r
	next.ExpiresAt = r.ExpiresAt.Add(time.Duration(n) * time.Hour)
	next.ModifiedAt = utcMicro(StartTime().Add(time.Duration(n) * time.Minute))
	next.ReturnURL = fmt.Sprintf("https://acme.example.com/edited/%d", n)
	m := *r.Member
	m.Email = fmt.Sprintf("edited+%d@example.com", n)
	next.Member = &m
	c := *r.Customer
	name := fmt.Sprintf("Edited %d", n)
	c.Name = &name
	next.Customer = &c
	return &next
}

// putAll returns an EditFunc that puts edited(cur, n) for every record.
func putAll(n int) backend.EditFunc {
	return func(cur *backend.Record) (backend.Op, *backend.Record, error) {
		return backend.Put, edited(cur, n), nil
	}
}

func testEditPut(h *backendHarness) {
	recs := backendFixture(h)
	stored := append([]*backend.Record(nil), recs...)
	for i, sel := range []backend.Selector{byMember(recs[0].MemberID()), byCustomer(recs[0].CustomerID()), byID(recs[3].ID)} {
		before := append([]*backend.Record(nil), stored...)
		want := map[string]*backend.Record{}
		for j, r := range stored {
			if matches(r, sel) {
				stored[j] = edited(r, i+1)
				want[r.ID] = stored[j]
			}
		}
		changes, err := h.b.Edit(h.ctx, sel, putAll(i+1))
		if err != nil {
			h.t.Fatalf("Edit(%v) putting all: %v", sel, err)
		}
		h.checkChanges(changes, before, want)
		h.expectStored(stored, nil)
	}
}

// matches reports whether sel selects r.
func matches(r *backend.Record, sel backend.Selector) bool {
	switch sel.Index {
	case backend.IndexID:
		return r.ID == sel.Key
	case backend.IndexMember:
		return r.MemberID() == sel.Key
	case backend.IndexCustomer:
		return r.CustomerID() == sel.Key
	}
	return false
}

func testEditDelete(h *backendHarness) {
	recs := backendFixture(h)
	stored := recs
	var gone []*backend.Record
	for _, sel := range []backend.Selector{byMember(recs[0].MemberID()), byCustomer(recs[0].CustomerID()), byID(recs[3].ID)} {
		before := stored
		stored = nil
		want := map[string]*backend.Record{}
		for _, r := range before {
			if matches(r, sel) {
				want[r.ID] = nil
				gone = append(gone, r)
			} else {
				stored = append(stored, r)
			}
		}
		changes, err := h.b.Edit(h.ctx, sel, deleteAll)
		if err != nil {
			h.t.Fatalf("Edit(%v) deleting all: %v", sel, err)
		}
		h.checkChanges(changes, before, want)
		h.expectStored(stored, gone)
	}
	for _, r := range recs {
		if _, err := h.b.Edit(h.ctx, byID(r.ID), h.failEdit); !errors.Is(err, sessionstore.ErrNotFound) {
			h.t.Errorf("Edit(ID of deleted record %s) = %v, want ErrNotFound", r.ID, err)
		}
	}
}

func testEditMixed(h *backendHarness) {
	recs := backendFixture(h)
	// Customer 1 has records 0, 1 (member 0) and 2 (member 1): delete the
	// first, put the second, keep the third.
	put := edited(recs[1], 1)
	changes, err := h.b.Edit(h.ctx, byCustomer(recs[0].CustomerID()), func(cur *backend.Record) (backend.Op, *backend.Record, error) {
		switch cur.ID {
		case recs[0].ID:
			return backend.Delete, nil, nil
		case recs[1].ID:
			return backend.Put, edited(cur, 1), nil
		}
		return backend.Keep, nil, nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.checkChanges(changes, recs, map[string]*backend.Record{recs[0].ID: nil, recs[1].ID: put})
	h.expectStored([]*backend.Record{put, recs[2], recs[3]}, recs[:1])
}

// testEditContract: an EditFunc that breaks its contract fails the edit with
// ErrEditContract and changes nothing, even after other records were
// decided.
func testEditContract(h *backendHarness) {
	recs := backendFixture(h)
	breaks := []struct {
		name string
		put  func(cur *backend.Record) (backend.Op, *backend.Record)
	}{
		{"PutChangesID", func(cur *backend.Record) (backend.Op, *backend.Record) {
			next := *cur
			next.ID = recordID(99)
			return backend.Put, &next
		}},
		{"PutChangesTokenHash", func(cur *backend.Record) (backend.Op, *backend.Record) {
			next := *cur
			next.TokenHash = recordHash(99)
			return backend.Put, &next
		}},
		{"PutChangesMemberID", func(cur *backend.Record) (backend.Op, *backend.Record) {
			next := *cur
			m := *cur.Member
			m.ID = MemberID(cur.CustomerID(), 99)
			next.Member = &m
			return backend.Put, &next
		}},
		{"PutChangesCustomerID", func(cur *backend.Record) (backend.Op, *backend.Record) {
			next := *cur
			c := *cur.Customer
			c.ID = CustomerID(99)
			next.Customer = &c
			return backend.Put, &next
		}},
		{"PutNil", func(*backend.Record) (backend.Op, *backend.Record) { return backend.Put, nil }},
		{"PutWithoutMember", func(cur *backend.Record) (backend.Op, *backend.Record) {
			next := *cur
			next.Member = nil
			return backend.Put, &next
		}},
		{"PutWithoutCustomer", func(cur *backend.Record) (backend.Op, *backend.Record) {
			next := *cur
			next.Customer = nil
			return backend.Put, &next
		}},
		{"UnknownOp", func(cur *backend.Record) (backend.Op, *backend.Record) { return backend.Op(99), nil }},
	}
	for _, br := range breaks {
		h.t.Run(br.name, func(t *testing.T) {
			sub := *h
			sub.t = t
			for _, sel := range []backend.Selector{byCustomer(recs[0].CustomerID()), byID(recs[3].ID)} {
				calls := 0
				_, err := sub.b.Edit(sub.ctx, sel, func(cur *backend.Record) (backend.Op, *backend.Record, error) {
					// Where there are several records, the first is deleted
					// and the next breaks the contract.
					if calls++; calls == 1 && sel.Index != backend.IndexID {
						return backend.Delete, nil, nil
					}
					op, next := br.put(cur)
					return op, next, nil
				})
				if !errors.Is(err, backend.ErrEditContract) {
					t.Errorf("Edit(%v) = %v, want an error matching backend.ErrEditContract", sel, err)
				}
			}
			sub.expectStored(recs, nil)
		})
	}
}
