package storetest

import (
	"sync"
	"time"

	"github.com/memberkit/sessionstore/backend"
)

var backendOrderingTests = []backendTest{
	{"DeleteMember", func(h *backendHarness) { testEditOrdering(h, backend.IndexMember, false) }},
	{"DeleteCustomer", func(h *backendHarness) { testEditOrdering(h, backend.IndexCustomer, false) }},
	{"PutMember", func(h *backendHarness) { testEditOrdering(h, backend.IndexMember, true) }},
	{"PutCustomer", func(h *backendHarness) { testEditOrdering(h, backend.IndexCustomer, true) }},
}

// The size of testEditOrdering: rounds of orderingInserters goroutines
// inserting at most orderingPerInserter records each.
const (
	orderingRounds      = 12
	orderingInserters   = 3
	orderingPerInserter = 40
)

// testEditOrdering checks Edit's promise that a concurrent Insert into the
// edited member or customer is either seen by fn or ordered after the edit.
// In each round, goroutines insert records of two members of a fresh
// customer while one Edit deletes (or puts) every record of the first
// member, or of the customer. Once everything returned:
//
//   - every record whose Insert returned before Edit began is in the
//     changes Edit returned;
//   - every record in the changes is gone (or replaced);
//   - every other record is stored as inserted, found by its hash and
//     selected by its ID, its member and its customer.
//
// An edit that loses an Insert landing between its read and its write (an
// index entry overwritten or dropped with the group, a counter reset) fails
// the last check, an edit that reads a stale group the first.
func testEditOrdering(h *backendHarness, index backend.Index, put bool) {
	for round := range orderingRounds {
		customer := 1000 + round
		n0 := round * orderingInserters * orderingPerInserter
		var (
			mu       sync.Mutex
			returned []*backend.Record // every record whose Insert returned
			wg       sync.WaitGroup
			stop     = make(chan struct{})
			ready    = make(chan struct{}) // closed once a few inserts returned
			done     = make(chan struct{}) // closed once every inserter ended
		)
		for w := range orderingInserters {
			wg.Go(func() {
				for i := range orderingPerInserter {
					select {
					case <-stop:
						return
					default:
					}
					// Inserters 0 and 2 insert into member 0, inserter 1
					// into member 1.
					r := NewRecord(n0+w*orderingPerInserter+i, customer, w%2, StartTime().Add(time.Hour))
					if err := h.b.Insert(h.ctx, r, nil); err != nil {
						h.t.Errorf("Insert: %v", err)
						return
					}
					mu.Lock()
					if returned = append(returned, r); len(returned) == 2*orderingInserters {
						close(ready)
					}
					mu.Unlock()
				}
			})
		}
		go func() { wg.Wait(); close(done) }()
		select {
		case <-ready:
		case <-done:
		}
		mu.Lock()
		before := append([]*backend.Record(nil), returned...)
		mu.Unlock()

		sel := byCustomer(CustomerID(customer))
		if index == backend.IndexMember {
			sel = byMember(MemberID(CustomerID(customer), 0))
		}
		fn := deleteAll
		if put {
			fn = putAll(round + 1)
		}
		changes, err := h.b.Edit(h.ctx, sel, fn)
		close(stop)
		<-done
		if err != nil {
			h.t.Fatalf("round %d: Edit(%v): %v", round, sel, err)
		}
		if h.t.Failed() {
			return
		}
		h.checkOrdering(round, sel, put, before, returned, changes)
	}
}

// checkOrdering checks one round of testEditOrdering.
func (h *backendHarness) checkOrdering(round int, sel backend.Selector, put bool, before, inserted []*backend.Record, changes []backend.Change) {
	h.t.Helper()
	changed := map[string]*backend.Record{}
	for _, c := range changes {
		switch {
		case c.Old == nil || !matches(c.Old, sel):
			h.t.Fatalf("round %d: Edit(%v) returned a change of a record it does not select", round, sel)
		case put != (c.New != nil):
			h.t.Fatalf("round %d: Edit(%v) returned a change of the wrong kind", round, sel)
		}
		changed[c.Old.ID] = c.New
	}
	for _, r := range before {
		if _, ok := changed[r.ID]; matches(r, sel) && !ok {
			h.t.Fatalf("round %d: record %s, inserted before Edit(%v) began, was not seen by the edit", round, r.ID, sel)
		}
	}
	var stored, gone []*backend.Record
	for _, r := range inserted {
		next, ok := changed[r.ID]
		switch {
		case !ok:
			stored = append(stored, r)
		case put:
			if d := recordDiff(next, edited(r, round+1)); d != "" {
				h.t.Errorf("round %d: the change of record %s has a New whose %s differs", round, r.ID, d)
			}
			stored = append(stored, edited(r, round+1))
		default:
			gone = append(gone, r)
		}
	}
	h.expectStored(stored, gone)
	if h.t.Failed() {
		h.t.Fatalf("round %d: the records inserted while Edit(%v) ran are not as it left them", round, sel)
	}
}
