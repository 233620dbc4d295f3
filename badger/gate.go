package badger

import (
	"hash/maphash"
	"sync"
)

// groupGates orders the Inserts into a member or a customer with the Edits
// of that member or customer, in place of a shared key that every Insert
// would write.
//
// Badger detects a conflict only on keys a transaction read: an Edit that
// scanned a group's index does not conflict with an Insert that adds a new
// key to that index after the scan (a phantom), so without an order the
// Edit could miss a Create that returned before the Edit did. A per-group
// key read and written by every Insert would order them, but it makes
// every two Creates of one customer conflict and retry, and costs each
// Create a read. Instead, an Insert holds the gates of its member and its
// customer shared for its whole transaction, retries included, and an Edit
// of a member's or a customer's index holds that group's gate
// exclusively: Inserts run side by side and never conflict with each
// other, and an Edit runs while no Insert into its group is in flight, so
// its scan sees every Insert that committed before it began, and no Insert
// into the group commits until the Edit has committed. An Insert that
// makes room under the session cap holds its member's gate exclusively
// instead, so that two of them never both count the member below the cap.
// This only orders callers of one Store, which is all that may use a DB
// (see New).
//
// Other writes (Rehash, DeleteExpired, evictions, edits by ID) change only
// keys that already exist, which Badger's conflict detection orders on its
// own: they take no gate.
type groupGates struct {
	seed  maphash.Seed
	gates [gateCount]sync.RWMutex
}

// gateCount is how many gates the groups share: two groups on one gate
// only make an Edit of one wait for the Inserts of the other.
const gateCount = 512

func newGroupGates() *groupGates {
	return &groupGates{seed: maphash.MakeSeed()}
}

// index returns the gate of a member's (tagMember) or customer's
// (tagCustomer) group.
func (g *groupGates) index(tag byte, group string) int {
	var h maphash.Hash
	h.SetSeed(g.seed)
	_ = h.WriteByte(tag)
	_, _ = h.WriteString(group)
	return int(h.Sum64() % gateCount)
}

// edit holds the gate of a group exclusively and returns its release.
func (g *groupGates) edit(tag byte, group string) (release func()) {
	m := &g.gates[g.index(tag, group)]
	m.Lock()
	return m.Unlock
}

// insert holds the gates of an Insert into member and customer: the
// customer's shared, the member's shared or, when exclusive, exclusively;
// in index order, and once when both are the same gate. It returns their
// release.
func (g *groupGates) insert(member, customer string, exclusive bool) (release func()) {
	mi, ci := g.index(tagMember, member), g.index(tagCustomer, customer)
	lock := func(i int, excl bool) func() {
		if excl {
			g.gates[i].Lock()
			return g.gates[i].Unlock
		}
		g.gates[i].RLock()
		return g.gates[i].RUnlock
	}
	switch {
	case mi == ci:
		return lock(mi, exclusive)
	case mi < ci:
		r1 := lock(mi, exclusive)
		r2 := lock(ci, false)
		return func() { r2(); r1() }
	default:
		r1 := lock(ci, false)
		r2 := lock(mi, exclusive)
		return func() { r2(); r1() }
	}
}
