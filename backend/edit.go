package backend

import (
	"errors"
	"fmt"
)

// ErrEditContract reports an EditFunc that broke its contract (an unknown
// Op, a Put whose replacement is missing or changes the record's ID,
// token hash, member ID or customer ID, or a Put over a record that cannot
// be decoded) or a Rehash whose record is not the stored one under a new
// hash. A backend returns it (wrapped) with nothing written.
var ErrEditContract = errors.New("sessionstore/backend: EditFunc broke its contract")

// Decide calls fn for cur and checks what it returns, so that every backend
// enforces the EditFunc contract the same way: Keep and Delete come back as
// they are, a Put only with a replacement that keeps cur's identity (and
// never for a CorruptRecord stub), and anything else is ErrEditContract. An error from fn itself is returned
// unchanged. Backends call Decide in Edit instead of calling fn directly.
func Decide(fn EditFunc, cur *Record) (Op, *Record, error) {
	op, next, err := fn(cur)
	if err != nil {
		return Keep, nil, err
	}
	switch op {
	case Keep, Delete:
		return op, nil, nil
	case Put:
		if cur.Corrupt != nil {
			return Keep, nil, fmt.Errorf("%w: Put over a corrupt record", ErrEditContract)
		}
		if !sameOwner(cur, next) || next.TokenHash != cur.TokenHash {
			return Keep, nil, fmt.Errorf("%w: Put changes the record's identity", ErrEditContract)
		}
		return Put, next, nil
	}
	return Keep, nil, fmt.Errorf("%w: unknown op %d", ErrEditContract, op)
}

// sameOwner reports whether next is a whole record with cur's ID, member
// and customer.
func sameOwner(cur, next *Record) bool {
	return next != nil && next.Member != nil && next.Customer != nil &&
		next.ID == cur.ID && next.MemberID() == cur.MemberID() && next.CustomerID() == cur.CustomerID()
}
