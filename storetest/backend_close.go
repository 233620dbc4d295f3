package storetest

import (
	"errors"
	"sync"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
)

var backendCloseTests = []backendTest{
	{"EveryMethodIsErrClosed", testBackendClosed},
	{"CloseTwice", testBackendCloseTwice},
	{"CloseDuringCalls", testBackendCloseDuringCalls},
}

// expectClosed checks that every method fails with ErrClosed and calls no
// EditFunc. r is a record that was stored before Close.
func (h *backendHarness) expectClosed(r *backend.Record) {
	h.t.Helper()
	check := func(what string, err error) {
		h.t.Helper()
		if !errors.Is(err, sessionstore.ErrClosed) {
			h.t.Errorf("%s after Close = %v, want ErrClosed", what, err)
		}
	}
	check("Insert", h.b.Insert(h.ctx, NewRecord(999, 9, 9, StartTime().Add(time.Hour)), nil))
	_, err := h.b.Find(h.ctx, r.TokenHash, routeOf(r))
	check("Find", err)
	_, err = h.b.Find(h.ctx, recordHash(999), routeOf(r))
	check("Find of an unknown hash", err)
	for _, sel := range []backend.Selector{byID(r.ID), byMember(r.MemberID()), byCustomer(r.CustomerID())} {
		_, err = h.b.Select(h.ctx, sel)
		check("Select", err)
		_, err = h.b.Edit(h.ctx, sel, h.failEdit)
		check("Edit", err)
	}
	_, err = h.b.DeleteExpired(h.ctx, StartTime().Add(24*time.Hour), 10)
	check("DeleteExpired", err)
}

func testBackendClosed(h *backendHarness) {
	recs := backendFixture(h)
	if err := h.b.Close(); err != nil {
		h.t.Fatalf("Close: %v", err)
	}
	h.expectClosed(recs[0])
}

func testBackendCloseTwice(h *backendHarness) {
	recs := backendFixture(h)
	for i := range 2 {
		if err := h.b.Close(); err != nil {
			h.t.Fatalf("Close number %d: %v", i+1, err)
		}
	}
	h.expectClosed(recs[0])
}

// testBackendCloseDuringCalls closes the backend while goroutines insert,
// find, select and edit: every call succeeds or fails with ErrClosed, and
// once Close returned every call fails with ErrClosed.
func testBackendCloseDuringCalls(h *backendHarness) {
	recs := backendFixture(h)
	const workers, calls = 3, 50
	var (
		wg      sync.WaitGroup
		started = make(chan struct{}, workers)
	)
	for w := range workers {
		wg.Go(func() {
			ok := func(what string, err error) bool {
				if err != nil && !errors.Is(err, sessionstore.ErrClosed) {
					h.t.Errorf("%s while closing = %v, want success or ErrClosed", what, err)
				}
				return err == nil
			}
			signaled := false
			signal := func() {
				if !signaled {
					signaled = true
					started <- struct{}{}
				}
			}
			defer signal()
			for i := range calls {
				if i == 1 {
					signal()
				}
				r := NewRecord(100+w*calls+i, 5, w, StartTime().Add(time.Hour))
				if !ok("Insert", h.b.Insert(h.ctx, r, nil)) {
					return
				}
				if _, err := h.b.Find(h.ctx, r.TokenHash, routeOf(r)); !ok("Find", err) {
					return
				}
				if _, err := h.b.Select(h.ctx, byMember(r.MemberID())); !ok("Select", err) {
					return
				}
				if _, err := h.b.Edit(h.ctx, byID(r.ID), keepAll); !ok("Edit", err) {
					return
				}
			}
		})
	}
	for range workers {
		<-started
	}
	err := h.b.Close()
	wg.Wait()
	if err != nil {
		h.t.Fatalf("Close: %v", err)
	}
	h.expectClosed(recs[0])
}
