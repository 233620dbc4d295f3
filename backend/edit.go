package backend

import (
	"errors"
	"fmt"
)

// ErrEditContract reports an EditFunc that broke its contract: an unknown
// Op, or a Put whose replacement is missing or changes the record's ID,
// token hash, member ID or customer ID. A backend's Edit returns it (wrapped)
// with nothing written.
var ErrEditContract = errors.New("sessionstore/backend: EditFunc broke its contract")

// Decide calls fn for cur and checks what it returns, so that every backend
// enforces the EditFunc contract the same way: Keep and Delete come back as
// they are, a Put only with a replacement that keeps cur's identity, and
// anything else is ErrEditContract. An error from fn itself is returned
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
		if next == nil || next.Member == nil || next.Customer == nil ||
			next.ID != cur.ID || next.TokenHash != cur.TokenHash ||
			next.MemberID() != cur.MemberID() || next.CustomerID() != cur.CustomerID() {
			return Keep, nil, fmt.Errorf("%w: Put changes the record's identity", ErrEditContract)
		}
		return Put, next, nil
	}
	return Keep, nil, fmt.Errorf("%w: unknown op %d", ErrEditContract, op)
}
