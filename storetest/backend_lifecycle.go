package storetest

import (
	"errors"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
)

var backendLifecycleTests = []backendTest{
	{"AdmissionEvictsAtomically", testBackendAdmission},
	{"AdmissionAlways", testBackendAdmissionAlways},
	{"Rehash", testBackendRehash},
	{"SecretRotation", testRotation},
	{"SecretRotationConcurrentLookups", testRotationConcurrentLookups},
	{"SecretRotationKeepsWrites", testRotationKeepsWrites},
}

// testBackendAdmission inserts with an Admission: Evict sees the member's
// stored records (and only that member's) once the member has Limit of
// them, and what it returns is gone when Insert returns, with the new
// record stored.
func testBackendAdmission(h *backendHarness) {
	exp := StartTime().Add(time.Hour)
	a, b, other := NewRecord(1, 1, 1, exp), NewRecord(2, 1, 1, exp), NewRecord(3, 1, 2, exp)
	h.insert(a, b, other)
	evictOldest := func(seen *int) *backend.Admission {
		return &backend.Admission{Limit: 2, Evict: func(stored []*backend.Record) ([]*backend.Record, error) {
			*seen = len(stored)
			for _, r := range stored {
				if r.MemberID() != a.MemberID() {
					h.t.Errorf("Evict saw a record of member %s", r.MemberID())
				}
				if r.ID == a.ID {
					return []*backend.Record{r}, nil
				}
			}
			return nil, nil
		}}
	}
	seen := 0
	c := NewRecord(4, 1, 1, exp)
	if err := h.b.Insert(h.ctx, c, evictOldest(&seen)); err != nil {
		h.t.Fatalf("Insert with an Admission: %v", err)
	}
	if seen != 2 {
		h.t.Fatalf("Evict saw %d records, want the member's 2", seen)
	}
	h.expectStored([]*backend.Record{b, other, c}, []*backend.Record{a})

	// Below the limit, nothing is evicted.
	d := NewRecord(5, 1, 2, exp)
	limit := &backend.Admission{Limit: 5, Evict: func([]*backend.Record) ([]*backend.Record, error) {
		return []*backend.Record{}, nil
	}}
	if err := h.b.Insert(h.ctx, d, limit); err != nil {
		h.t.Fatalf("Insert below the limit: %v", err)
	}
	h.expectStored([]*backend.Record{b, other, c, d}, []*backend.Record{a})

	// An error from Evict aborts the Insert: nothing is evicted or stored.
	refused := errors.New("refused by Evict")
	e := NewRecord(6, 1, 1, exp)
	abort := &backend.Admission{Limit: 1, Evict: func(stored []*backend.Record) ([]*backend.Record, error) {
		return stored, refused
	}}
	if err := h.b.Insert(h.ctx, e, abort); !errors.Is(err, refused) {
		h.t.Fatalf("Insert whose Evict fails: %v, want Evict's error", err)
	}
	h.expectStored([]*backend.Record{b, other, c, d}, []*backend.Record{a, e})
}

// testBackendAdmissionAlways inserts with an Admission whose Limit is 0:
// Evict runs on every Insert, even into a member with nothing stored, and
// sees every record of the member as stored when the Insert commits.
func testBackendAdmissionAlways(h *backendHarness) {
	exp := StartTime().Add(time.Hour)
	calls, seen := 0, -1
	always := &backend.Admission{Limit: 0, Evict: func(stored []*backend.Record) ([]*backend.Record, error) {
		calls++
		seen = len(stored)
		return nil, nil
	}}
	a := NewRecord(1, 1, 1, exp)
	if err := h.b.Insert(h.ctx, a, always); err != nil {
		h.t.Fatalf("Insert into an empty member: %v", err)
	}
	if calls == 0 || seen != 0 {
		h.t.Fatalf("Evict on an empty member: %d calls, saw %d records; want a call with none", calls, seen)
	}
	b := NewRecord(2, 1, 1, exp)
	if err := h.b.Insert(h.ctx, b, always); err != nil {
		h.t.Fatalf("Insert: %v", err)
	}
	if seen != 1 {
		h.t.Fatalf("Evict saw %d records, want 1", seen)
	}
	// A record removed by ID is gone from Evict's view.
	if _, err := h.b.Edit(h.ctx, backend.Selector{Index: backend.IndexID, Key: a.ID}, func(*backend.Record) (backend.Op, *backend.Record, error) {
		return backend.Delete, nil, nil
	}); err != nil {
		h.t.Fatalf("Edit: %v", err)
	}
	c := NewRecord(3, 1, 1, exp)
	if err := h.b.Insert(h.ctx, c, always); err != nil {
		h.t.Fatalf("Insert: %v", err)
	}
	if seen != 1 {
		h.t.Fatalf("Evict saw %d records after a delete, want 1", seen)
	}
	h.expectStored([]*backend.Record{b, c}, []*backend.Record{a})
}

// testBackendRehash moves a record to a new token hash with its index
// entries and returns it as stored, including what an Edit changed after
// the caller last read it; a missing one is ErrNotFound, and a hash that
// is taken an error, with nothing changed.
func testBackendRehash(h *backendHarness) {
	exp := StartTime().Add(time.Hour)
	r, sibling := NewRecord(1, 1, 1, exp), NewRecord(2, 1, 1, exp)
	h.insert(r, sibling)
	// An Edit after the caller's read: Rehash must keep it.
	edited := *r
	edited.ExpiresAt = utcMicro(exp.Add(time.Hour))
	edited.ModifiedAt = utcMicro(StartTime().Add(time.Minute))
	if _, err := h.b.Edit(h.ctx, backend.Selector{Index: backend.IndexID, Key: r.ID}, func(*backend.Record) (backend.Op, *backend.Record, error) {
		return backend.Put, &edited, nil
	}); err != nil {
		h.t.Fatalf("Edit: %v", err)
	}
	moved := edited
	moved.TokenHash = recordHash(100)
	got, err := h.b.Rehash(h.ctx, r.TokenHash, moved.TokenHash, routeOf(r))
	if err != nil {
		h.t.Fatalf("Rehash: %v", err)
	}
	h.expectRecord("Rehash's result", got, &moved)
	if _, err := h.b.Find(h.ctx, r.TokenHash, routeOf(r)); !errors.Is(err, sessionstore.ErrNotFound) {
		h.t.Fatalf("Find of the old hash after Rehash: %v, want ErrNotFound", err)
	}
	h.expectStored([]*backend.Record{&moved, sibling}, nil)
	if _, err := h.b.Rehash(h.ctx, r.TokenHash, recordHash(102), routeOf(r)); !errors.Is(err, sessionstore.ErrNotFound) {
		h.t.Fatalf("Rehash of a hash no longer stored: %v, want ErrNotFound", err)
	}
	if _, err := h.b.Rehash(h.ctx, sibling.TokenHash, moved.TokenHash, routeOf(sibling)); err == nil {
		h.t.Fatalf("Rehash onto a hash already stored succeeded")
	}
	h.expectStored([]*backend.Record{&moved, sibling}, nil)
	// A purge finds the record at its new place.
	n, err := h.b.DeleteExpired(h.ctx, moved.ExpiresAt, 10)
	count(h.t, "DeleteExpired after Rehash", n, err, 2)
	h.expectStored(nil, []*backend.Record{&moved, sibling})
}
