package badger

import (
	"context"
	"errors"
	"fmt"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/token"
)

// Find implements backend.Backend with one point read.
func (b *storage) Find(ctx context.Context, h token.Hash) (*backend.Record, error) {
	if err := b.enter(); err != nil {
		return nil, err
	}
	defer b.leave()
	txn := b.db.NewTransaction(false)
	defer txn.Discard()
	rec, _, err := getRecord(txn, h)
	if err != nil {
		return nil, b.storageErr(err)
	}
	return rec, nil
}

// getRecord reads and decodes the record of h, returning its Badger version
// too. A missing record is ErrNotFound.
func getRecord(txn *badgerdb.Txn, h token.Hash) (*backend.Record, uint64, error) {
	item, err := txn.Get(recordKey(h))
	if errors.Is(err, badgerdb.ErrKeyNotFound) {
		return nil, 0, sessionstore.ErrNotFound
	}
	if err != nil {
		return nil, 0, err
	}
	rec := new(backend.Record)
	// UnmarshalBinary copies what it keeps, so Badger's buffer is not
	// retained past the callback.
	if err := item.Value(rec.UnmarshalBinary); err != nil {
		return nil, 0, err
	}
	return rec, item.Version(), nil
}

// found is one selected record.
type found struct {
	hash    token.Hash
	version uint64
	rec     *backend.Record
}

// groupTag returns the key tag of a member or customer index.
func groupTag(ix backend.Index) (byte, bool) {
	switch ix {
	case backend.IndexMember:
		return tagMember, true
	case backend.IndexCustomer:
		return tagCustomer, true
	}
	return 0, false
}

// selectTxn returns the records of sel as txn sees them. In an update
// transaction every key it reads is tracked for conflicts.
func selectTxn(ctx context.Context, txn *badgerdb.Txn, sel backend.Selector) ([]found, error) {
	var hashes []token.Hash
	if sel.Index == backend.IndexID {
		item, err := txn.Get(idKey(sel.Key))
		if errors.Is(err, badgerdb.ErrKeyNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		var h token.Hash
		var ok bool
		if err := item.Value(func(v []byte) error { h, ok = hashValue(v); return nil }); err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%w: bad ID index entry", sessionstore.ErrCorrupt)
		}
		hashes = append(hashes, h)
	} else {
		tag, ok := groupTag(sel.Index)
		if !ok {
			return nil, fmt.Errorf("sessionstore/badger: unknown index %d", sel.Index)
		}
		var err error
		if hashes, err = scanGroup(ctx, txn, groupPrefix(tag, sel.Key)); err != nil {
			return nil, err
		}
	}
	out := make([]found, 0, len(hashes))
	for i, h := range hashes {
		if i%256 == 255 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		rec, version, err := getRecord(txn, h)
		if errors.Is(err, sessionstore.ErrNotFound) {
			continue // an index entry without its record: never written so
		}
		if err != nil {
			return nil, err
		}
		out = append(out, found{hash: h, version: version, rec: rec})
	}
	return out, nil
}

// scanGroup returns the hashes in the index entries under prefix.
func scanGroup(ctx context.Context, txn *badgerdb.Txn, prefix []byte) (hashes []token.Hash, err error) {
	defer recoverClosed(&err)
	it := txn.NewIterator(badgerdb.IteratorOptions{Prefix: prefix})
	defer it.Close()
	n := 0
	for it.Rewind(); it.Valid(); it.Next() {
		if n++; n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		var h token.Hash
		var ok bool
		if err := it.Item().Value(func(v []byte) error { h, ok = hashValue(v); return nil }); err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%w: bad group index entry", sessionstore.ErrCorrupt)
		}
		hashes = append(hashes, h)
	}
	return hashes, nil
}

// Select implements backend.Backend: a point read by ID, or a prefix
// scan of one member's or customer's index, then a point read per record.
func (b *storage) Select(ctx context.Context, sel backend.Selector) ([]*backend.Record, error) {
	if err := b.enter(); err != nil {
		return nil, err
	}
	defer b.leave()
	txn := b.db.NewTransaction(false)
	defer txn.Discard()
	fs, err := selectTxn(ctx, txn, sel)
	if err != nil {
		return nil, b.storageErr(err)
	}
	out := make([]*backend.Record, len(fs))
	for i, f := range fs {
		out[i] = f.rec
	}
	return out, nil
}
