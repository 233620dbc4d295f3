package badger

import (
	"context"
	"encoding/binary"
	"errors"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/memberkit/sessionstore/backend"
)

// Insert implements backend.Backend.
func (b *storage) Insert(ctx context.Context, rec *backend.Record) error {
	val, err := rec.MarshalBinary()
	if err != nil {
		return err
	}
	if err := b.enter(); err != nil {
		return err
	}
	defer b.leave()
	h, id, member, customer := rec.TokenHash, rec.ID, rec.MemberID(), rec.CustomerID()
	writes := [][2][]byte{
		{recordKey(h), val},
		{idKey(id), h[:]},
		{groupKey(tagMember, member, id), h[:]},
		{groupKey(tagCustomer, customer, id), h[:]},
		{expiryKey(rec.ExpiresAt, id), expiryValue(h, member, customer)},
	}
	memberCount, customerCount := countKey(tagMember, member), countKey(tagCustomer, customer)
	err = b.update(ctx, func(txn *badgerdb.Txn) error {
		if err := addCount(txn, memberCount, 1); err != nil {
			return err
		}
		if err := addCount(txn, customerCount, 1); err != nil {
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
