package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/internal/testkit"
)

// RunBackend runs the backend-level suite against the backends newBackend
// makes, one named subtest per promise of the backend.Backend contract:
//
//	Insert        what Insert stores, Find and Select return it, field by field
//	Edit          fn's error aborts, Keep, Put and Delete, the EditFunc
//	              contract (backend.ErrEditContract), ErrNotFound, the changes
//	EditOrdering  an Insert into the edited member or customer that returned
//	              before Edit began is seen by fn; one that is not seen is
//	              stored whole, with every index entry, after the edit
//	DeleteExpired the inclusive cutoff, the limit, the count, index entries
//	Close         ErrClosed from every method after Close, a second Close,
//	              Close while calls are in flight
//	Lifecycle     Insert's Admission evicts in the same step, Rehash moves a
//	              record to a new hash, and a store built on the backend
//	              rotates its secret (Options.PreviousSecrets)
//
// Each subtest calls newBackend once for a new empty backend, and closes it
// when it ends, after any Close of its own, so Close must be safe to call
// more than once. newBackend must return a working backend or fail t itself;
// it may register cleanups on t for what it opened. The records the suite
// stores are NewRecord records, with times in UTC to the microsecond near
// StartTime.
//
// Run, RunProperties and RunStress check a store made from the backend
// through the engine; RunBackend checks what the engine relies on, with no
// engine in between.
func RunBackend(t *testing.T, newBackend func(t *testing.T) backend.Backend) {
	t.Helper()
	groups := []struct {
		name  string
		tests []backendTest
	}{
		{"Insert", backendInsertTests},
		{"Edit", backendEditTests},
		{"EditOrdering", backendOrderingTests},
		{"DeleteExpired", backendPurgeTests},
		{"Close", backendCloseTests},
		{"Lifecycle", backendLifecycleTests},
		{"Observe", backendObserveTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, bt := range g.tests {
				t.Run(bt.name, func(t *testing.T) { bt.fn(newBackendHarness(t, newBackend)) })
			}
		})
	}
}

// backendTest is one named promise of the backend suite.
type backendTest struct {
	name string
	fn   func(h *backendHarness)
}

// backendHarness is one backend under test.
type backendHarness struct {
	t   *testing.T
	ctx context.Context
	b   backend.Backend
}

func newBackendHarness(t *testing.T, newBackend func(t *testing.T) backend.Backend) *backendHarness {
	t.Helper()
	b := newBackend(t)
	if b == nil {
		t.Fatal("storetest: newBackend returned nil")
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &backendHarness{t: t, ctx: context.Background(), b: b}
}

func byID(id string) backend.Selector { return backend.Selector{Index: backend.IndexID, Key: id} }

func byMember(id string) backend.Selector {
	return backend.Selector{Index: backend.IndexMember, Key: id}
}

func byCustomer(id string) backend.Selector {
	return backend.Selector{Index: backend.IndexCustomer, Key: id}
}

// keepAll, deleteAll and failEdit are EditFuncs.
func keepAll(*backend.Record) (backend.Op, *backend.Record, error) { return backend.Keep, nil, nil }

func deleteAll(*backend.Record) (backend.Op, *backend.Record, error) {
	return backend.Delete, nil, nil
}

func (h *backendHarness) failEdit(*backend.Record) (backend.Op, *backend.Record, error) {
	h.t.Error("the EditFunc was called")
	return backend.Keep, nil, nil
}

// insert inserts recs, failing the test on an error.
func (h *backendHarness) insert(recs ...*backend.Record) {
	h.t.Helper()
	testkit.MustInsert(h.t, h.b, recs...)
}

// selectIDs returns the sorted IDs of the records of sel, and checks that
// Select returns a slice even when it is empty.
func (h *backendHarness) selectIDs(sel backend.Selector) []string {
	h.t.Helper()
	recs, err := h.b.Select(h.ctx, sel)
	if err != nil {
		h.t.Fatalf("Select(%v): %v", sel, err)
	}
	if recs == nil {
		h.t.Errorf("Select(%v) = nil, want an empty slice", sel)
	}
	return testkit.IDs(recs)
}

// expectRecord checks that got has every field of want.
func (h *backendHarness) expectRecord(what string, got, want *backend.Record) {
	h.t.Helper()
	if d := recordDiff(got, want); d != "" {
		h.t.Errorf("%s: its %s differs", what, d)
	}
}

// expectStored checks that the backend holds exactly the records stored
// among those of the members and customers of stored and gone: each of
// stored is found by its hash and selected by its ID with every field as
// given; each of gone is neither; and selecting any of their members or
// customers returns exactly the IDs of stored with that member or customer.
func (h *backendHarness) expectStored(stored, gone []*backend.Record) {
	h.t.Helper()
	members, customers := map[string][]string{}, map[string][]string{}
	for _, r := range slices.Concat(stored, gone) {
		members[r.MemberID()] = []string{}
		customers[r.CustomerID()] = []string{}
	}
	for _, want := range stored {
		members[want.MemberID()] = append(members[want.MemberID()], want.ID)
		customers[want.CustomerID()] = append(customers[want.CustomerID()], want.ID)
		got, err := h.b.Find(h.ctx, want.TokenHash, routeOf(want))
		if err != nil {
			h.t.Errorf("Find(record %s) = %v", want.ID, err)
		} else if d := recordDiff(got, want); d != "" {
			h.t.Errorf("Find(record %s) returned a record whose %s differs", want.ID, d)
		}
		recs, err := h.b.Select(h.ctx, byID(want.ID))
		switch {
		case err != nil:
			h.t.Errorf("Select(ID %s) = %v", want.ID, err)
		case len(recs) != 1:
			h.t.Errorf("Select(ID %s) returned %d records, want 1", want.ID, len(recs))
		default:
			if d := recordDiff(recs[0], want); d != "" {
				h.t.Errorf("Select(ID %s) returned a record whose %s differs", want.ID, d)
			}
		}
	}
	for _, r := range gone {
		if _, err := h.b.Find(h.ctx, r.TokenHash, routeOf(r)); !errors.Is(err, sessionstore.ErrNotFound) {
			h.t.Errorf("Find(removed record %s) = %v, want ErrNotFound", r.ID, err)
		}
		if got := h.selectIDs(byID(r.ID)); len(got) != 0 {
			h.t.Errorf("Select(ID of removed record %s) = %v, want none", r.ID, got)
		}
	}
	for _, g := range []struct {
		sel  func(string) backend.Selector
		want map[string][]string
	}{{byMember, members}, {byCustomer, customers}} {
		for key, want := range g.want {
			slices.Sort(want)
			if got := h.selectIDs(g.sel(key)); !slices.Equal(got, want) {
				h.t.Errorf("Select(%v) = %v, want %v", g.sel(key), got, want)
			}
		}
	}
}
