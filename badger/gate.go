package badger

import (
	"hash/maphash"
	"sync"
)

// customerGates orders the Inserts into a customer with the Edits of that
// customer, in place of a shared key that every Insert would write.
//
// Badger detects a conflict only on keys a transaction read: an Edit that
// scanned a customer's index does not conflict with an Insert that adds a
// new key to that index after the scan (a phantom), so without an order
// the Edit could miss a Create that returned before the Edit did. Writing
// a per-customer key in every Insert would order them, but it makes every
// two Creates of one customer conflict and retry. Instead, an Insert holds
// its customer's gate shared for its whole transaction, retries included,
// and an Edit of a customer's index holds it exclusively: Inserts into one
// customer run side by side and never conflict with each other, and an
// Edit of that customer runs while none is in flight, so its scan sees
// every Insert that committed before it began and no Insert commits
// until it has committed. This only orders callers of one Store, which is
// all that may use a DB (see New).
//
// Edits of a member's index are ordered with Inserts by the member's
// counter instead, which Inserts keep for the session cap. Other writes
// (Rehash, DeleteExpired, evictions, edits by ID) change only keys that
// already exist, which Badger's conflict detection orders on its own.
type customerGates struct {
	seed  maphash.Seed
	gates [gateCount]sync.RWMutex
}

// gateCount is how many gates the customers share: two customers on one
// gate only make an Edit of one wait for the Inserts of the other.
const gateCount = 256

func newCustomerGates() *customerGates {
	return &customerGates{seed: maphash.MakeSeed()}
}

// of returns the gate of customer.
func (g *customerGates) of(customer string) *sync.RWMutex {
	return &g.gates[maphash.String(g.seed, customer)%gateCount]
}
