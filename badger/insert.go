package badger

import (
	"context"
	"encoding/binary"
	"errors"
	"runtime/debug"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/token"
)

// Insert implements backend.Backend.
func (b *storage) Insert(ctx context.Context, rec *backend.Record, admit *backend.Admission) error {
	member, customer := rec.MemberID(), rec.CustomerID()
	hold := func() (release func()) { return b.gates.insert(member, customer, admit != nil) }
	err := b.writeRecord(ctx, rec, hold, func(txn *badgerdb.Txn, writes [][2][]byte) error {
		if admit != nil {
			if err := evict(ctx, txn, member, admit); err != nil {
				return err
			}
		}
		return setAll(txn, writes)
	})
	var fe fnError
	if errors.As(err, &fe) {
		return fe.err // Evict's error, as it is
	}
	return err
}

// writeRecord stores rec in one transaction, in which fn runs and writes
// the record's keys and values (writes) after whatever else it does. hold,
// when not nil, is called before the transaction and what it returns after
// it. The store must be open and have free space for data.
func (b *storage) writeRecord(ctx context.Context, rec *backend.Record, hold func() (release func()), fn func(txn *badgerdb.Txn, writes [][2][]byte) error) (err error) {
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
	writes := recordWrites(rec, val)
	if hold != nil {
		defer hold()()
	}
	err = b.update(ctx, func(txn *badgerdb.Txn) error { return fn(txn, writes) })
	if err != nil {
		return b.storageErr(err)
	}
	b.floor.note(writes[len(writes)-1][0])
	return nil
}

// countMember returns how many index entries member has, counting up to
// limit at most. It reads keys only.
func countMember(txn *badgerdb.Txn, member string, limit int) (n int, err error) {
	defer recoverClosed(&err)
	it := txn.NewIterator(badgerdb.IteratorOptions{Prefix: groupPrefix(tagMember, member)})
	defer it.Close()
	for it.Rewind(); it.Valid() && n < limit; it.Next() {
		_ = it.Item() // tracks the key for conflicts
		n++
	}
	return n, nil
}

// evict deletes in txn the records of member that admit returns, once the
// member has admit.Limit records. The caller holds the member's gate
// exclusively (see groupGates).
func evict(ctx context.Context, txn *badgerdb.Txn, member string, admit *backend.Admission) error {
	n, err := countMember(txn, member, max(admit.Limit, 0))
	if err != nil || n < admit.Limit {
		return err
	}
	fs, err := selectTxn(ctx, txn, backend.Selector{Index: backend.IndexMember, Key: member})
	if err != nil || (len(fs) == 0 && !admit.Always()) {
		return err
	}
	byRec := make(map[*backend.Record]found, len(fs))
	recs := make([]*backend.Record, len(fs))
	for i, f := range fs {
		byRec[f.rec], recs[i] = f, f.rec
	}
	evicted, err := admit.Evict(recs)
	if err != nil {
		return fnError{err}
	}
	for _, r := range evicted {
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
	// Every key and value but the record's lives in one buffer, sized to
	// hold them all, so that a write costs two allocations, not seven.
	const head = len(keyPrefix) + 1
	size := head + hashLen + // record key
		head + len(id) + hashLen + // ID key and value
		2*(head+binary.MaxVarintLen64+len(id)+hashLen) + len(member) + len(customer) + // group keys and values
		len(expiryPrefix) + 8 + len(id) + hashLen + 2*binary.MaxVarintLen64 + len(member) + len(customer) // expiry
	buf := make([]byte, 0, size)
	var w [5][2][]byte
	next := func(b []byte) []byte { // b, cut from buf, which goes on after it
		buf = b[len(b):]
		return b[:len(b):len(b)]
	}
	hash := next(append(buf, h[:]...))
	w[0] = [2][]byte{next(appendRecordKey(buf, h)), val}
	w[1] = [2][]byte{next(appendIDKey(buf, id)), hash}
	w[2] = [2][]byte{next(append(appendGroupPrefix(buf, tagMember, member), id...)), hash}
	w[3] = [2][]byte{next(append(appendGroupPrefix(buf, tagCustomer, customer), id...)), hash}
	w[4] = [2][]byte{next(appendExpiryKey(buf, rec.ExpiresAt, id)), next(appendExpiryValue(buf, h, member, customer))}
	return w[:]
}

// setAll writes every key and value of writes in txn.
func setAll(txn *badgerdb.Txn, writes [][2][]byte) error {
	for _, w := range writes {
		if err := txn.Set(w[0], w[1]); err != nil {
			return err
		}
	}
	return nil
}

// Rehash implements backend.Backend: one transaction reads the record
// under from and writes it under to, pointing its index entries there. It
// reads and rewrites only keys of the record that exist already, which an
// Edit of its member or customer or an Insert's eviction read, so Badger
// orders it with those on its own: a concurrent commit to the record
// retries the transaction, which then moves the record as that commit
// left it.
func (b *storage) Rehash(ctx context.Context, from, to token.Hash, _ backend.Route) (_ *backend.Record, err error) {
	if err := b.enter(); err != nil {
		return nil, err
	}
	defer b.leave()
	defer recoverFault(&err, debug.SetPanicOnFault(true))
	if err := b.space.allow(true); err != nil {
		return nil, err
	}
	var (
		moved  *backend.Record
		writes [][2][]byte
	)
	err = b.update(ctx, func(txn *badgerdb.Txn) error {
		cur, _, err := getRecord(txn, from)
		if err != nil {
			return err
		}
		if _, _, err := getRecord(txn, to); !errors.Is(err, sessionstore.ErrNotFound) {
			return errHashTaken
		}
		next := *cur
		next.TokenHash = to
		val, err := next.MarshalBinary()
		if err != nil {
			return err
		}
		for _, k := range [][]byte{recordKey(from), expiryKey(cur.ExpiresAt, cur.ID)} {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		writes = recordWrites(&next, val)
		moved = &next
		return setAll(txn, writes)
	})
	if err != nil {
		return nil, b.storageErr(err)
	}
	b.floor.note(writes[len(writes)-1][0])
	return moved, nil
}

// errHashTaken refuses a Rehash onto a hash that already has a record.
var errHashTaken = errors.New("rehash: a record is already stored under the new hash")
