package storetest

import (
	"context"
	"fmt"
	"sync"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/token"
)

// FaultyBackend wraps a backend whose records cannot be damaged in place
// (the memory backend keeps Go values, not bytes) and damages chosen
// records the way a bad disk damages the bytes of a persistent backend.
// Once Corrupt has marked a session, Find of it fails with ErrCorrupt, and
// Select and Edit hand it out as a backend.CorruptRecord stub that knows
// only what every backend knows without decoding a record: its token hash,
// its ID and the key of the selected index. When an EditFunc deletes the
// stub, the wrapped backend deletes the record. Everything else passes
// through unchanged, so the store above it behaves exactly as it would over
// a persistent backend with a damaged record.
type FaultyBackend struct {
	backend.Backend

	mu  sync.Mutex
	bad map[string]bool // IDs of the damaged sessions
}

// NewFaultyBackend returns b with no record damaged yet.
func NewFaultyBackend(b backend.Backend) *FaultyBackend {
	return &FaultyBackend{Backend: b, bad: map[string]bool{}}
}

// Corrupt damages the stored record of session id.
func (f *FaultyBackend) Corrupt(id string) {
	f.mu.Lock()
	f.bad[id] = true
	f.mu.Unlock()
}

func (f *FaultyBackend) damaged(r *backend.Record) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bad[r.ID]
}

// errDamaged is the decoding error of a damaged record.
var errDamaged = fmt.Errorf("%w: injected by storetest.FaultyBackend", sessionstore.ErrCorrupt)

// stub returns the CorruptRecord stub of r as selected by sel.
func stub(r *backend.Record, sel backend.Selector) *backend.Record {
	var member, customer string
	switch sel.Index {
	case backend.IndexMember:
		member = sel.Key
	case backend.IndexCustomer:
		customer = sel.Key
	}
	return backend.CorruptRecord(r.TokenHash, r.ID, member, customer, errDamaged)
}

// Find implements backend.Backend.
func (f *FaultyBackend) Find(ctx context.Context, h token.Hash, route backend.Route) (*backend.Record, error) {
	r, err := f.Backend.Find(ctx, h, route)
	if err == nil && f.damaged(r) {
		return nil, errDamaged
	}
	return r, err
}

// Select implements backend.Backend.
func (f *FaultyBackend) Select(ctx context.Context, sel backend.Selector) ([]*backend.Record, error) {
	recs, err := f.Backend.Select(ctx, sel)
	if err != nil {
		return nil, err
	}
	out := make([]*backend.Record, len(recs))
	for i, r := range recs {
		out[i] = r
		if f.damaged(r) {
			out[i] = stub(r, sel)
		}
	}
	return out, nil
}

// Edit implements backend.Backend: fn sees a damaged record as its stub.
func (f *FaultyBackend) Edit(ctx context.Context, sel backend.Selector, fn backend.EditFunc) ([]backend.Change, error) {
	changes, err := f.Backend.Edit(ctx, sel, func(cur *backend.Record) (backend.Op, *backend.Record, error) {
		if !f.damaged(cur) {
			return fn(cur)
		}
		op, next, err := backend.Decide(fn, stub(cur, sel))
		return op, next, err
	})
	for i, c := range changes {
		if f.damaged(c.Old) {
			changes[i] = backend.Change{Old: stub(c.Old, sel)}
		}
	}
	return changes, err
}
