package memory

import (
	"container/heap"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/token"
)

// entry is one stored record with its positions in the indexes, so that
// removal from each is O(1) (O(log n) for the expiry heap).
type entry struct {
	rec         *backend.Record
	heapIdx     int
	memberIdx   int
	customerIdx int
}

// storage implements backend.Backend with maps under one RWMutex.
type storage struct {
	mu        sync.RWMutex
	closed    bool
	byHash    map[token.Hash]*entry
	byID      map[string]*entry
	members   map[string][]*entry
	customers map[string][]*entry
	expiry    expiryHeap
}

func newStorage() *storage {
	return &storage{
		byHash:    make(map[token.Hash]*entry),
		byID:      make(map[string]*entry),
		members:   make(map[string][]*entry),
		customers: make(map[string][]*entry),
	}
}

// Insert implements backend.Backend. The record's member and customer
// snapshots are shared with the newest session of the same member or
// customer when they are equal.
func (b *storage) Insert(ctx context.Context, rec *backend.Record, admit *backend.Admission) error {
	r := *rec
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return sessionstore.ErrClosed
	}
	if admit != nil {
		if err := b.admitLocked(r.Member.ID, admit); err != nil {
			return err
		}
	}
	if g := b.members[r.Member.ID]; len(g) > 0 {
		if m := g[len(g)-1].rec.Member; m.Equal(*r.Member) {
			r.Member = m
		}
	}
	if g := b.customers[r.Customer.ID]; len(g) > 0 {
		if c := g[len(g)-1].rec.Customer; c.Equal(*r.Customer) {
			r.Customer = c
		}
	}
	e := &entry{rec: &r}
	b.byHash[r.TokenHash] = e
	b.byID[r.ID] = e
	e.memberIdx = len(b.members[r.Member.ID])
	b.members[r.Member.ID] = append(b.members[r.Member.ID], e)
	e.customerIdx = len(b.customers[r.Customer.ID])
	b.customers[r.Customer.ID] = append(b.customers[r.Customer.ID], e)
	heap.Push(&b.expiry, e)
	return nil
}

// admitLocked removes the records of the member that admit evicts, or
// nothing when it fails.
func (b *storage) admitLocked(member string, admit *backend.Admission) error {
	g := b.members[member]
	if !admit.Always() && (len(g) == 0 || len(g) < admit.Limit) {
		return nil
	}
	byRec := make(map[*backend.Record]*entry, len(g))
	recs := make([]*backend.Record, len(g))
	for i, e := range g {
		byRec[e.rec], recs[i] = e, e.rec
	}
	evict, err := admit.Evict(recs)
	if err != nil {
		return err
	}
	for _, r := range evict {
		if e := byRec[r]; e != nil {
			delete(byRec, r)
			b.removeLocked(e)
		}
	}
	return nil
}

// Rehash implements backend.Backend: it moves the entry to its new hash.
func (b *storage) Rehash(ctx context.Context, from, to token.Hash, _ backend.Route) (*backend.Record, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, sessionstore.ErrClosed
	}
	e := b.byHash[from]
	if e == nil {
		return nil, sessionstore.ErrNotFound
	}
	if _, taken := b.byHash[to]; taken {
		return nil, fmt.Errorf("sessionstore/memory: rehash: a record is already stored under the new hash")
	}
	r := *e.rec
	r.TokenHash = to
	delete(b.byHash, from)
	e.rec = &r
	b.byHash[to] = e
	return e.rec, nil
}

// Find implements backend.Backend. It reads the entry's record under the
// lock: an Edit or a Rehash replaces that pointer under the write lock.
func (b *storage) Find(ctx context.Context, h token.Hash, _ backend.Route) (*backend.Record, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return nil, sessionstore.ErrClosed
	}
	e := b.byHash[h]
	if e == nil {
		return nil, sessionstore.ErrNotFound
	}
	return e.rec, nil
}

// Select implements backend.Backend.
func (b *storage) Select(ctx context.Context, sel backend.Selector) ([]*backend.Record, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return nil, sessionstore.ErrClosed
	}
	entries := b.selectLocked(sel)
	out := make([]*backend.Record, len(entries))
	for i, e := range entries {
		out[i] = e.rec
	}
	return out, nil
}

// selectLocked returns the entries of sel; the caller holds mu and must not
// keep the slice past it.
func (b *storage) selectLocked(sel backend.Selector) []*entry {
	switch sel.Index {
	case backend.IndexID:
		if e := b.byID[sel.Key]; e != nil {
			return []*entry{e}
		}
	case backend.IndexMember:
		return b.members[sel.Key]
	case backend.IndexCustomer:
		return b.customers[sel.Key]
	}
	return nil
}

// Edit implements backend.Backend under the write lock, so it is
// atomic with every other call.
func (b *storage) Edit(ctx context.Context, sel backend.Selector, fn backend.EditFunc) ([]backend.Change, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, sessionstore.ErrClosed
	}
	entries := b.selectLocked(sel)
	if len(entries) == 0 && sel.Index == backend.IndexID {
		return nil, sessionstore.ErrNotFound
	}
	type planned struct {
		e  *entry
		op backend.Op
		to *backend.Record
	}
	var plan []planned
	for _, e := range entries {
		op, next, err := backend.Decide(fn, e.rec)
		if err != nil {
			return nil, err
		}
		if op != backend.Keep {
			plan = append(plan, planned{e, op, next})
		}
	}
	changes := make([]backend.Change, 0, len(plan))
	for _, p := range plan {
		changes = append(changes, backend.Change{Old: p.e.rec, New: p.to})
		if p.op == backend.Delete {
			b.removeLocked(p.e)
			continue
		}
		moved := !p.to.ExpiresAt.Equal(p.e.rec.ExpiresAt)
		p.e.rec = p.to
		if moved {
			heap.Fix(&b.expiry, p.e.heapIdx)
		}
	}
	return changes, nil
}

// DeleteExpired implements backend.Backend: it pops the heap, so it
// never looks at a live record, and holds the lock for one batch only.
func (b *storage) DeleteExpired(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, sessionstore.ErrClosed
	}
	n := 0
	for n < limit && len(b.expiry) > 0 && !b.expiry[0].rec.ExpiresAt.After(cutoff) {
		b.removeLocked(b.expiry[0])
		n++
	}
	return n, nil
}

// purgeBatch is how many records one DeleteExpired call removes at most
// under the write lock: some tens of microseconds, even with a million
// sessions in the heap.
const purgeBatch = 64

// PurgeBatch implements backend.PurgeBatcher.
func (b *storage) PurgeBatch() int { return purgeBatch }

// Close implements backend.Backend: it drops every record.
func (b *storage) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.byHash, b.byID, b.members, b.customers, b.expiry = nil, nil, nil, nil, nil
	return nil
}

// removeLocked takes e out of every index.
func (b *storage) removeLocked(e *entry) {
	delete(b.byHash, e.rec.TokenHash)
	delete(b.byID, e.rec.ID)
	removeFromGroup(b.members, e.rec.Member.ID, e.memberIdx, func(x *entry) *int { return &x.memberIdx })
	removeFromGroup(b.customers, e.rec.Customer.ID, e.customerIdx, func(x *entry) *int { return &x.customerIdx })
	heap.Remove(&b.expiry, e.heapIdx)
}

// removeFromGroup removes the entry at i from groups[key] by moving the last
// entry into its place; pos gives an entry's stored position in this group.
func removeFromGroup(groups map[string][]*entry, key string, i int, pos func(*entry) *int) {
	g := groups[key]
	last := len(g) - 1
	if i != last {
		g[i] = g[last]
		*pos(g[i]) = i
	}
	g[last] = nil
	if last == 0 {
		delete(groups, key)
		return
	}
	groups[key] = g[:last]
}

// len returns how many records are stored (0 after Close).
func (b *storage) len() int64 {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return int64(len(b.byID))
}
