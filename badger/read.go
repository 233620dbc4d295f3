package badger

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/token"
)

// Find implements backend.Backend with one point read.
func (b *storage) Find(ctx context.Context, h token.Hash, _ backend.Route) (_ *backend.Record, err error) {
	if err := b.enter(); err != nil {
		return nil, err
	}
	defer b.leave()
	defer recoverFault(&err, debug.SetPanicOnFault(true))
	b.pace.read()
	txn := b.db.NewTransaction(false)
	defer txn.Discard()
	rec, _, err := getRecord(txn, h)
	if err != nil {
		return nil, b.storageErr(err)
	}
	return rec, nil
}

// getRecord reads and decodes the record of h, returning its Badger version
// too. A missing record is ErrNotFound; one that cannot be read or decoded
// is an error wrapping ErrCorrupt (Badger reports damaged table blocks as
// plain errors).
func getRecord(txn *badgerdb.Txn, h token.Hash) (*backend.Record, uint64, error) {
	item, err := txn.Get(recordKey(h))
	if errors.Is(err, badgerdb.ErrKeyNotFound) {
		return nil, 0, sessionstore.ErrNotFound
	}
	if err != nil {
		return nil, 0, readErr(err)
	}
	var rec *backend.Record
	// DecodeRecord copies what it keeps, so Badger's buffer is not
	// retained past the callback.
	err = item.Value(func(v []byte) (err error) {
		rec, err = backend.DecodeRecord(v)
		return err
	})
	if err != nil {
		return nil, item.Version(), readErr(err)
	}
	return rec, item.Version(), nil
}

// readErr marks a failure to read a record as ErrCorrupt, except when the
// DB is closed.
func readErr(err error) error {
	if errors.Is(err, badgerdb.ErrDBClosed) || errors.Is(err, sessionstore.ErrCorrupt) {
		return err
	}
	return fmt.Errorf("%w: reading a record: %w", sessionstore.ErrCorrupt, err)
}

// found is one selected record; rec is a backend.CorruptRecord stub when
// it could not be read or decoded.
type found struct {
	hash    token.Hash
	version uint64
	rec     *backend.Record
}

// indexed is one index entry: the hash of a record and its session ID.
type indexed struct {
	hash token.Hash
	id   string
}

// readFound reads the record of e as selected by sel; ok is false when it
// is gone. A record that cannot be decoded comes back as its stub, with
// the keys the index entry and sel name.
func readFound(txn *badgerdb.Txn, e indexed, sel backend.Selector) (f found, ok bool, err error) {
	rec, version, err := getRecord(txn, e.hash)
	switch {
	case errors.Is(err, sessionstore.ErrNotFound):
		return found{}, false, nil // an index entry without its record
	case errors.Is(err, sessionstore.ErrCorrupt):
		var member, customer string
		switch sel.Index {
		case backend.IndexMember:
			member = sel.Key
		case backend.IndexCustomer:
			customer = sel.Key
		}
		rec = backend.CorruptRecord(e.hash, e.id, member, customer, err)
	case err != nil:
		return found{}, false, err
	}
	return found{hash: e.hash, version: version, rec: rec}, true, nil
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

// selectTxn returns the records of sel as txn sees them, damaged ones as
// stubs. In an update transaction every key it reads is tracked for
// conflicts.
func selectTxn(ctx context.Context, txn *badgerdb.Txn, sel backend.Selector) ([]found, error) {
	var entries []indexed
	if sel.Index == backend.IndexID {
		h, ok, err := idEntry(txn, sel.Key)
		if err != nil || !ok {
			return nil, err
		}
		entries = append(entries, indexed{hash: h, id: sel.Key})
	} else {
		tag, ok := groupTag(sel.Index)
		if !ok {
			return nil, fmt.Errorf("sessionstore/badger: unknown index %d", sel.Index)
		}
		var err error
		if entries, err = scanGroup(ctx, txn, groupPrefix(tag, sel.Key)); err != nil {
			return nil, err
		}
	}
	out := make([]found, 0, len(entries))
	for i, e := range entries {
		if i%256 == 255 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		f, ok, err := readFound(txn, e, sel)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, f)
		}
	}
	return out, nil
}

// idEntry reads the ID index entry of id: the hash of its record, or ok
// false when there is none. An entry that does not hold a hash is
// ErrCorrupt.
func idEntry(txn *badgerdb.Txn, id string) (h token.Hash, ok bool, err error) {
	item, err := txn.Get(idKey(id))
	if errors.Is(err, badgerdb.ErrKeyNotFound) {
		return h, false, nil
	}
	if err != nil {
		return h, false, readErr(err)
	}
	if err := item.Value(func(v []byte) error { h, ok = hashValue(v); return nil }); err != nil {
		return h, false, readErr(err)
	}
	if !ok {
		return h, false, fmt.Errorf("%w: bad ID index entry", sessionstore.ErrCorrupt)
	}
	return h, true, nil
}

// scanGroup returns the index entries under prefix. An entry whose value
// is damaged is found again through the ID index; one that is not there
// either is ErrCorrupt.
func scanGroup(ctx context.Context, txn *badgerdb.Txn, prefix []byte) (entries []indexed, err error) {
	defer recoverClosed(&err)
	it := txn.NewIterator(badgerdb.IteratorOptions{Prefix: prefix})
	defer it.Close()
	n := 0
	var damaged []string
	for it.Rewind(); it.Valid(); it.Next() {
		if n++; n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		item := it.Item()
		id := string(item.Key()[len(prefix):])
		var h token.Hash
		var ok bool
		if err := item.Value(func(v []byte) error { h, ok = hashValue(v); return nil }); err != nil || !ok {
			damaged = append(damaged, id)
			continue
		}
		entries = append(entries, indexed{hash: h, id: id})
	}
	it.Close()
	for _, id := range damaged {
		h, ok, err := idEntry(txn, id)
		if err != nil || !ok {
			return nil, fmt.Errorf("%w: bad group index entry of session %q", sessionstore.ErrCorrupt, id)
		}
		entries = append(entries, indexed{hash: h, id: id})
	}
	return entries, nil
}

// Select implements backend.Backend: a point read by ID, or a prefix
// scan of one member's or customer's index, then a point read per record.
func (b *storage) Select(ctx context.Context, sel backend.Selector) (_ []*backend.Record, err error) {
	if err := b.enter(); err != nil {
		return nil, err
	}
	defer b.leave()
	defer recoverFault(&err, debug.SetPanicOnFault(true))
	b.pace.read()
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
