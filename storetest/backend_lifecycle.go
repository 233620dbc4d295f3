package storetest

import (
	"errors"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
)

var backendLifecycleTests = []backendTest{
	{"AdmissionEvictsAtomically", testBackendAdmission},
	{"Rehash", testBackendRehash},
	{"SecretRotation", testRotation},
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
		return &backend.Admission{Limit: 2, Evict: func(stored []*backend.Record) []*backend.Record {
			*seen = len(stored)
			for _, r := range stored {
				if r.MemberID() != a.MemberID() {
					h.t.Errorf("Evict saw a record of member %s", r.MemberID())
				}
				if r.ID == a.ID {
					return []*backend.Record{r}
				}
			}
			return nil
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
	limit := &backend.Admission{Limit: 5, Evict: func([]*backend.Record) []*backend.Record {
		return []*backend.Record{}
	}}
	if err := h.b.Insert(h.ctx, d, limit); err != nil {
		h.t.Fatalf("Insert below the limit: %v", err)
	}
	h.expectStored([]*backend.Record{b, other, c, d}, []*backend.Record{a})
}

// testBackendRehash moves a record to a new token hash with its index
// entries; a missing one is ErrNotFound and a changed identity
// ErrEditContract, with nothing changed.
func testBackendRehash(h *backendHarness) {
	exp := StartTime().Add(time.Hour)
	r, sibling := NewRecord(1, 1, 1, exp), NewRecord(2, 1, 1, exp)
	h.insert(r, sibling)
	moved := *r
	moved.TokenHash = recordHash(100)
	moved.ExpiresAt = utcMicro(exp.Add(time.Hour))
	if err := h.b.Rehash(h.ctx, r.TokenHash, &moved); err != nil {
		h.t.Fatalf("Rehash: %v", err)
	}
	if _, err := h.b.Find(h.ctx, r.TokenHash); !errors.Is(err, sessionstore.ErrNotFound) {
		h.t.Fatalf("Find of the old hash after Rehash: %v, want ErrNotFound", err)
	}
	h.expectStored([]*backend.Record{&moved, sibling}, nil)
	if err := h.b.Rehash(h.ctx, r.TokenHash, &moved); !errors.Is(err, sessionstore.ErrNotFound) {
		h.t.Fatalf("Rehash of a hash no longer stored: %v, want ErrNotFound", err)
	}
	stolen := *sibling
	stolen.TokenHash = recordHash(101)
	stolen.ID = recordID(101)
	if err := h.b.Rehash(h.ctx, sibling.TokenHash, &stolen); !errors.Is(err, backend.ErrEditContract) {
		h.t.Fatalf("Rehash changing the ID: %v, want ErrEditContract", err)
	}
	h.expectStored([]*backend.Record{&moved, sibling}, nil)
	// A purge finds the record at its new place.
	n, err := h.b.DeleteExpired(h.ctx, moved.ExpiresAt, 10)
	count(h.t, "DeleteExpired after Rehash", n, err, 2)
	h.expectStored(nil, []*backend.Record{&moved, sibling})
}
