package badger

import (
	"context"
	"encoding/binary"
	"errors"
	"runtime/debug"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/token"
)

// Insert implements backend.Backend.
func (b *storage) Insert(ctx context.Context, rec *backend.Record, admit *backend.Admission) (err error) {
	val, err := rec.MarshalBinary()
	if err != nil {
		return err
	}
	if err := b.enter(); err != nil {
		return err
	}
	defer b.leave()
	defer recoverFault(&err, debug.SetPanicOnFault(true))
	if err := b.space.allow(true); err != nil {
		return err
	}
	member, customer := rec.MemberID(), rec.CustomerID()
	writes := recordWrites(rec, val)
	memberCount := countKey(tagMember, member)
	gate := b.customers.of(customer)
	gate.RLock()
	defer gate.RUnlock()
	err = b.update(ctx, func(txn *badgerdb.Txn) error {
		if admit != nil {
			if err := evict(ctx, txn, member, admit); err != nil {
				return err
			}
		}
		if err := addCount(txn, memberCount, 1); err != nil {
			return err
		}
		for _, w := range writes {
			if err := txn.Set(w[0], w[1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return b.storageErr(err)
	}
	b.floor.note(writes[4][0])
	return nil
}

// getCount returns a group counter; a missing key is zero. The read is
// tracked for conflicts.
func getCount(txn *badgerdb.Txn, key []byte) (uint64, error) {
	item, err := txn.Get(key)
	if errors.Is(err, badgerdb.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var n uint64
	err = item.Value(func(v []byte) error {
		if len(v) == 8 {
			n = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	return n, err
}

// addCount reads a group counter and writes it back changed by delta,
// deleting it at zero. With delta 0 it only makes the transaction read and
// write the key, which orders it with every other writer of the group.
func addCount(txn *badgerdb.Txn, key []byte, delta int) error {
	n, err := getCount(txn, key)
	if err != nil {
		return err
	}
	next := int64(n) + int64(delta)
	if next <= 0 {
		return txn.Delete(key)
	}
	return txn.Set(key, counterValue(uint64(next)))
}

// evict deletes in txn the records of member that admit returns. Reading
// the member's counter first orders the insert with every other writer of
// the group, as an Edit is.
func evict(ctx context.Context, txn *badgerdb.Txn, member string, admit *backend.Admission) error {
	n, err := getCount(txn, countKey(tagMember, member))
	if err != nil || n < uint64(max(admit.Limit, 0)) {
		return err
	}
	fs, err := selectTxn(ctx, txn, backend.Selector{Index: backend.IndexMember, Key: member})
	if err != nil || len(fs) == 0 {
		return err
	}
	byRec := make(map[*backend.Record]found, len(fs))
	recs := make([]*backend.Record, len(fs))
	for i, f := range fs {
		byRec[f.rec], recs[i] = f, f.rec
	}
	for _, r := range admit.Evict(recs) {
		f, ok := byRec[r]
		if !ok {
			continue
		}
		delete(byRec, r)
		var err error
		if r.Corrupt != nil {
			err = deleteStub(txn, f.hash, r)
		} else {
			err = deleteRecord(txn, f.hash, r.ID, r.MemberID(), r.CustomerID(), expiryKey(r.ExpiresAt, r.ID))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// recordWrites returns the keys and values that store rec, encoded as val:
// the record, its ID entry, its member and customer index entries and, last,
// its expiry entry.
func recordWrites(rec *backend.Record, val []byte) [][2][]byte {
	h, id, member, customer := rec.TokenHash, rec.ID, rec.MemberID(), rec.CustomerID()
	return [][2][]byte{
		{recordKey(h), val},
		{idKey(id), h[:]},
		{groupKey(tagMember, member, id), h[:]},
		{groupKey(tagCustomer, customer, id), h[:]},
		{expiryKey(rec.ExpiresAt, id), expiryValue(h, member, customer)},
	}
}

// Rehash implements backend.Backend: one transaction moves the record to
// its new hash and points its index entries there. It touches the member's
// counter, so it is ordered with the Inserts and Edits of its member; an
// Edit of its customer read the customer index entry Rehash rewrites, so
// Badger orders those two on its own.
func (b *storage) Rehash(ctx context.Context, from token.Hash, rec *backend.Record) (err error) {
	val, err := rec.MarshalBinary()
	if err != nil {
		return err
	}
	if err := b.enter(); err != nil {
		return err
	}
	defer b.leave()
	defer recoverFault(&err, debug.SetPanicOnFault(true))
	if err := b.space.allow(true); err != nil {
		return err
	}
	id, member := rec.ID, rec.MemberID()
	writes := recordWrites(rec, val)
	err = b.update(ctx, func(txn *badgerdb.Txn) error {
		cur, _, err := getRecord(txn, from)
		if err != nil {
			return err
		}
		if err := backend.CheckRehash(cur, rec); err != nil {
			return err
		}
		if err := addCount(txn, countKey(tagMember, member), 0); err != nil {
			return err
		}
		for _, k := range [][]byte{recordKey(from), expiryKey(cur.ExpiresAt, id)} {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		for _, w := range writes {
			if err := txn.Set(w[0], w[1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return b.storageErr(err)
	}
	b.floor.note(writes[len(writes)-1][0])
	return nil
}
