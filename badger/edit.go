package badger

import (
	"context"
	"errors"
	"runtime/debug"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/token"
)

// step is one planned change of an Edit.
type step struct {
	found
	op   backend.Op
	next *backend.Record
}

// decide calls fn for f through backend.Decide and returns the step, or ok
// false for Keep.
func decide(fn backend.EditFunc, f found) (s step, ok bool, err error) {
	op, next, err := backend.Decide(fn, f.rec)
	if err != nil || op == backend.Keep {
		return step{}, false, err
	}
	return step{found: f, op: op, next: next}, true, nil
}

// fnError marks an error returned by an EditFunc, to pass it on unchanged.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

func (e fnError) Unwrap() error { return e.err }

// Edit implements backend.Backend. The whole edit is one transaction,
// retried on conflict, unless it is too big for one: then it commits in
// chunks, each atomic (see editInChunks).
func (b *storage) Edit(ctx context.Context, sel backend.Selector, fn backend.EditFunc) (_ []backend.Change, err error) {
	if err := b.enter(); err != nil {
		return nil, err
	}
	defer b.leave()
	defer recoverFault(&err, debug.SetPanicOnFault(true))
	if tag, ok := groupTag(sel.Index); ok {
		// No Insert into the group is in flight while its gate is held
		// (see groupGates).
		defer b.gates.edit(tag, sel.Key)()
	}
	var (
		plan    []step
		applied int
	)
	err = b.update(ctx, func(txn *badgerdb.Txn) error {
		var err error
		if plan, err = b.plan(ctx, txn, sel, fn); err != nil || len(plan) == 0 {
			return err
		}
		if err := b.space.allow(adds(plan)); err != nil {
			return err
		}
		applied, err = applySteps(txn, sel, plan)
		if errors.Is(err, badgerdb.ErrTxnTooBig) {
			return errSplit
		}
		return err
	})
	switch {
	case errors.Is(err, errSplit):
		b.splits.Add(1)
		return b.editInChunks(ctx, sel, fn, plan, applied)
	case err != nil:
		return nil, b.editErr(err)
	}
	b.notePuts(plan)
	return changesOf(plan), nil
}

// editErr maps an Edit failure: an EditFunc's error as it is, a storage
// error through storageErr.
func (b *storage) editErr(err error) error {
	var fe fnError
	if errors.As(err, &fe) {
		return fe.err
	}
	return b.storageErr(err)
}

// plan selects the records of sel in txn and asks fn about each. Selecting
// an ID that is not stored is ErrNotFound.
func (b *storage) plan(ctx context.Context, txn *badgerdb.Txn, sel backend.Selector, fn backend.EditFunc) ([]step, error) {
	fs, err := selectTxn(ctx, txn, sel)
	if err != nil {
		return nil, err
	}
	if len(fs) == 0 && sel.Index == backend.IndexID {
		return nil, sessionstore.ErrNotFound
	}
	var plan []step
	for _, f := range fs {
		s, ok, err := decide(fn, f)
		if err != nil {
			return nil, fnError{err}
		}
		if ok {
			plan = append(plan, s)
		}
	}
	return plan, nil
}

// applySteps writes plan into txn and returns how many steps it wrote
// whole.
func applySteps(txn *badgerdb.Txn, sel backend.Selector, plan []step) (int, error) {
	for i, s := range plan {
		var err error
		switch {
		case s.op == backend.Delete && s.rec.Corrupt != nil:
			err = deleteStub(txn, s.hash, s.rec)
		case s.op == backend.Delete:
			err = deleteRecord(txn, s.hash, s.rec.ID, s.rec.MemberID(), s.rec.CustomerID(), expiryKey(s.rec.ExpiresAt, s.rec.ID))
		default:
			err = putRecord(txn, s.rec, s.next)
		}
		if err != nil {
			return i, err
		}
	}
	return len(plan), nil
}

// deleteRecord removes a record and its index entries (expiry entry ekey
// included).
func deleteRecord(txn *badgerdb.Txn, h token.Hash, id, member, customer string, ekey []byte) error {
	for _, k := range [][]byte{
		recordKey(h), idKey(id), groupKey(tagMember, member, id), groupKey(tagCustomer, customer, id), ekey,
	} {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// adds reports whether plan writes a record, rather than only deleting:
// only then does it need the whole free-space margin (see spaceGuard).
func adds(plan []step) bool {
	for _, s := range plan {
		if s.op == backend.Put {
			return true
		}
	}
	return false
}

// deleteStub removes a record that cannot be decoded, by key: the record,
// its ID entry and its entries in the groups the stub names. Its expiry entry, and its entry in a group the
// stub does not name, are left to DeleteExpired, which finds them through
// the expiry entry once it expires (see deleteExpiredEntries).
func deleteStub(txn *badgerdb.Txn, h token.Hash, stub *backend.Record) error {
	if err := txn.Delete(recordKey(h)); err != nil {
		return err
	}
	if stub.ID == "" {
		return nil
	}
	if err := txn.Delete(idKey(stub.ID)); err != nil {
		return err
	}
	for _, g := range []struct {
		tag   byte
		group string
	}{{tagMember, stub.Member.ID}, {tagCustomer, stub.Customer.ID}} {
		if g.group == "" {
			continue
		}
		if err := txn.Delete(groupKey(g.tag, g.group, stub.ID)); err != nil {
			return err
		}
	}
	return nil
}

// putRecord replaces cur by next, which has the same keys, moving its
// expiry entry when ExpiresAt changed.
func putRecord(txn *badgerdb.Txn, cur, next *backend.Record) error {
	val, err := next.MarshalBinary()
	if err != nil {
		return err
	}
	if err := txn.Set(recordKey(next.TokenHash), val); err != nil {
		return err
	}
	if expiryTime(cur.ExpiresAt) == expiryTime(next.ExpiresAt) {
		return nil
	}
	if err := txn.Delete(expiryKey(cur.ExpiresAt, cur.ID)); err != nil {
		return err
	}
	return txn.Set(expiryKey(next.ExpiresAt, next.ID), expiryValue(next.TokenHash, next.MemberID(), next.CustomerID()))
}

// notePuts reports the expiry keys a committed plan wrote.
func (b *storage) notePuts(plan []step) {
	for _, s := range plan {
		if s.op == backend.Put && expiryTime(s.rec.ExpiresAt) != expiryTime(s.next.ExpiresAt) {
			b.floor.note(expiryKey(s.next.ExpiresAt, s.next.ID))
		}
	}
}

func changesOf(plan []step) []backend.Change {
	out := make([]backend.Change, len(plan))
	for i, s := range plan {
		out[i] = backend.Change{Old: s.rec, New: s.next}
	}
	return out
}

// editInChunks applies plan, which is too big for one transaction, in
// transactions of at most chunk steps, shrinking chunk whenever Badger
// still finds one too big. Each chunk re-reads its records: one gone since
// the plan is dropped, one changed since is put to fn again. The gate of
// the edited group is held over all the chunks, so inserts stay ordered
// with the whole edit.
// Every chunk is atomic but the edit as a whole is not: when fn or storage
// fails, the chunks already committed stay, and their changes are returned
// with the error.
func (b *storage) editInChunks(ctx context.Context, sel backend.Selector, fn backend.EditFunc, plan []step, chunk int) ([]backend.Change, error) {
	var changes []backend.Change
	for start := 0; start < len(plan); {
		chunk = max(chunk, 1)
		end := min(start+chunk, len(plan))
		var (
			steps   []step
			applied int
		)
		err := b.update(ctx, func(txn *badgerdb.Txn) error {
			var err error
			if steps, err = replan(txn, fn, sel, plan[start:end]); err != nil {
				return err
			}
			if err := b.space.allow(adds(steps)); err != nil {
				return err
			}
			applied, err = applySteps(txn, sel, steps)
			if errors.Is(err, badgerdb.ErrTxnTooBig) && applied < len(steps) && end-start > 1 {
				return errSplit
			}
			return err
		})
		if errors.Is(err, errSplit) {
			b.splits.Add(1)
			chunk = max(1, min(applied, end-start-1))
			continue
		}
		if err != nil {
			return changes, b.editErr(err)
		}
		b.notePuts(steps)
		changes = append(changes, changesOf(steps)...)
		start = end
	}
	return changes, nil
}

// replan re-reads the records of plan in txn and returns the steps to take
// now.
func replan(txn *badgerdb.Txn, fn backend.EditFunc, sel backend.Selector, plan []step) ([]step, error) {
	out := make([]step, 0, len(plan))
	for _, s := range plan {
		f, ok, err := readFound(txn, indexed{hash: s.hash, id: s.rec.ID}, sel)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if f.version == s.version && (f.rec.Corrupt == nil) == (s.rec.Corrupt == nil) {
			out = append(out, s)
			continue
		}
		ns, ok, err := decide(fn, f)
		if err != nil {
			return nil, fnError{err}
		}
		if ok {
			out = append(out, ns)
		}
	}
	return out, nil
}
