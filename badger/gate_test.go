package badger

import (
	"sync"
	"testing"
	"time"

	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/storetest"
)

// TestCreatesOfOneCustomerDoNotConflict checks that concurrent Inserts into
// one customer, several of them into one member, write no key in common:
// not one of their transactions is retried.
func TestCreatesOfOneCustomerDoNotConflict(t *testing.T) {
	b := newTestBackend(t, 8<<20)
	const workers, each = 4, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				n := w*each + i
				if err := b.Insert(t.Context(), storetest.NewRecord(n, 1, n%3, t0.Add(time.Hour)), nil); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if c := b.conflicts.Load(); c != 0 {
		t.Errorf("%d Inserts into one customer were retried %d times, want 0", workers*each, c)
	}
	recs, err := b.Select(t.Context(), backend.Selector{Index: backend.IndexCustomer, Key: storetest.CustomerID(1)})
	if err != nil || len(recs) != workers*each {
		t.Fatalf("Select(customer) = %d records, %v; want %d", len(recs), err, workers*each)
	}
}
