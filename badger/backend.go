package badger

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/token"
)

// maxAttempts bounds how often one call retries a transaction that lost a
// conflict to a concurrent one.
const maxAttempts = 100

// backend implements backend.Backend on a Badger DB (see keys.go for
// the layout).
//
// Ordering. Badger detects conflicts between a transaction's reads and the
// writes committed since it started, per key; a prefix scan does not see a
// key inserted into its range later (a phantom). So Insert reads and writes
// the counter key of its member and of its customer, and Edit reads the
// counter of the group it selects before scanning it and writes it when it
// writes anything: of two such transactions, the one that commits second has
// read a key the first wrote, and is retried. DeleteExpired reads every
// expiry entry and record it removes and updates the counters, so it is
// ordered with Extend (which moves the expiry entry) and with the rest.
type storage struct {
	db    *badgerdb.DB
	owned bool // opened by Open: Close closes it

	// mu is held shared by every call and exclusively by Close, so that the
	// DB is never used after Close has closed it.
	mu     sync.RWMutex
	closed bool

	gcStop chan struct{} // nil when value-log GC is off
	gcDone chan struct{}

	// serial is held shared by every write attempt, and exclusively by an
	// attempt that follows exclusiveAfter conflicts: that one then runs
	// alone and cannot lose again, so a large Edit is not starved by a
	// stream of small Inserts into its group.
	serial sync.RWMutex

	// purgeMu makes DeleteExpired calls take turns; floor is where their
	// scans of the expiry index start (see expiryFloor).
	purgeMu sync.Mutex
	floor   expiryFloor

	// splits counts the transactions found too big and split, for tests.
	splits atomic.Int64
}

// exclusiveAfter is how many conflicts a call suffers before it retries
// alone.
const exclusiveAfter = 4

// attempt runs one attempt of a write transaction: shared with the others
// before the exclusiveAfter-th retry, alone from then on.
func (b *storage) attempt(i int, f func() error) error {
	if i >= exclusiveAfter {
		b.serial.Lock()
		defer b.serial.Unlock()
	} else {
		b.serial.RLock()
		defer b.serial.RUnlock()
	}
	return f()
}

// expiryFloor spares DeleteExpired from walking again over the expiry
// entries it deleted before: Badger keeps a deleted key as a tombstone
// that iterators step over until compaction drops it, so a purge that
// always scanned from the start of the index would be quadratic.
//
// key is a key of the expiry index below which no entry exists, except
// entries written since the running purge chunk began, which are
// tracked in written. Insert and Edit report every expiry key they
// commit (after the commit) to note; a purge chunk reads key and resets
// written before it starts its transaction, and afterwards moves key to
// the last entry it deleted, or to the lowest key written meanwhile if
// that is lower. A key committed before the chunk's transaction began is
// either seen by its scan or was noted before the reset and is then not
// below key. The floor lives in memory: a new backend starts from the
// beginning of the index; a second Store on the same DB would not see
// the first one's keys (see New).
type expiryFloor struct {
	mu      sync.Mutex
	key     []byte // nil: the start of the index
	written []byte // lowest expiry key noted since the reset; nil if none
}

// note records that an expiry key was committed.
func (f *expiryFloor) note(k []byte) {
	f.mu.Lock()
	if f.key != nil && bytes.Compare(k, f.key) < 0 {
		f.key = k
	}
	if f.written == nil || bytes.Compare(k, f.written) < 0 {
		f.written = k
	}
	f.mu.Unlock()
}

// start returns where a purge chunk scans from, and starts tracking the
// keys written during the chunk.
func (f *expiryFloor) start() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.written = nil
	if f.key == nil {
		return expiryPrefix
	}
	return f.key
}

// advance moves the floor to last, the last key a committed chunk
// deleted, unless a lower key was written during the chunk.
func (f *expiryFloor) advance(last []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.written != nil && bytes.Compare(f.written, last) < 0 {
		last = f.written
	}
	if f.key == nil || bytes.Compare(last, f.key) > 0 {
		f.key = last
	}
}

func newStorage(db *badgerdb.DB, owned bool, gcInterval time.Duration) *storage {
	b := &storage{db: db, owned: owned}
	if gcInterval > 0 && !db.Opts().InMemory {
		b.gcStop = make(chan struct{})
		b.gcDone = make(chan struct{})
		go b.runGC(gcInterval)
	}
	return b
}

// gcDiscardRatio is the share of a value-log file that must be garbage for
// GC to rewrite it.
const gcDiscardRatio = 0.5

// runGC runs Badger's value-log GC every interval until Close.
func (b *storage) runGC(interval time.Duration) {
	defer close(b.gcDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-b.gcStop:
			return
		case <-t.C:
		}
		// One rewrite per call: go on while it finds files worth it.
		for range 16 {
			select {
			case <-b.gcStop:
				return
			default:
			}
			if b.db.IsClosed() || b.db.RunValueLogGC(gcDiscardRatio) != nil {
				break
			}
		}
	}
}

// enter starts a call: it fails with ErrClosed after Close. Every enter is
// paired with a leave.
func (b *storage) enter() error {
	b.mu.RLock()
	if b.closed || b.db.IsClosed() {
		b.mu.RUnlock()
		return sessionstore.ErrClosed
	}
	return nil
}

func (b *storage) leave() { b.mu.RUnlock() }

// PrivateRecords implements backend.PrivateRecords: every record this
// backend returns is decoded anew from stored bytes, and it keeps none it is
// given, so the Engine hands records out without another copy.
func (b *storage) PrivateRecords() {}

// Close implements backend.Backend: it waits for the calls in
// progress, stops the value-log GC and closes the DB if Open opened it.
func (b *storage) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	if b.gcStop != nil {
		close(b.gcStop)
		<-b.gcDone
	}
	if b.owned {
		if err := b.db.Close(); err != nil {
			return fmt.Errorf("sessionstore/badger: closing the DB: %w", err)
		}
	}
	return nil
}

// storageErr maps an error from Badger: ErrClosed once the DB is closed,
// else the error wrapped. Errors of the sessionstore package pass as they
// are.
func (b *storage) storageErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, badgerdb.ErrDBClosed) || b.db.IsClosed():
		return sessionstore.ErrClosed
	case errors.Is(err, sessionstore.ErrNotFound), errors.Is(err, sessionstore.ErrCorrupt),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return fmt.Errorf("sessionstore/badger: %w", err)
}

// backoff waits a little before retry number i+1 of a conflicting
// transaction.
func backoff(i int) {
	if i < 2 {
		runtime.Gosched()
		return
	}
	d := time.Duration(min(i, 20)) * 50 * time.Microsecond
	time.Sleep(d/2 + rand.N(d/2))
}

// conflictErr is the error of a call that lost every attempt.
func conflictErr(err error) error {
	return fmt.Errorf("sessionstore/badger: gave up after %d conflicting attempts: %w", maxAttempts, err)
}

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
	for i := 0; ; i++ {
		err := b.attempt(i, func() error {
			txn := b.db.NewTransaction(true)
			defer txn.Discard()
			err := addCount(txn, memberCount, 1)
			if err == nil {
				err = addCount(txn, customerCount, 1)
			}
			for _, w := range writes {
				if err == nil {
					err = txn.Set(w[0], w[1])
				}
			}
			if err == nil {
				err = txn.Commit()
			}
			return err
		})
		if err == nil {
			b.floor.note(writes[4][0])
			return nil
		}
		if !errors.Is(err, badgerdb.ErrConflict) {
			return b.storageErr(err)
		}
		if i+1 == maxAttempts {
			return conflictErr(err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		backoff(i)
	}
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

// recoverClosed turns the panic of a Badger iterator on a closed DB into
// ErrClosed. That happens only when the caller of New closes its DB while a
// call is in progress.
func recoverClosed(err *error) {
	if r := recover(); r != nil {
		if e, ok := r.(error); ok && errors.Is(e, badgerdb.ErrDBClosed) {
			*err = sessionstore.ErrClosed
			return
		}
		panic(r)
	}
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
func (b *storage) Edit(ctx context.Context, sel backend.Selector, fn backend.EditFunc) ([]backend.Change, error) {
	if err := b.enter(); err != nil {
		return nil, err
	}
	defer b.leave()
	for i := 0; ; i++ {
		var (
			plan    []step
			applied int
			tooBig  bool
		)
		err := b.attempt(i, func() error {
			txn := b.db.NewTransaction(true)
			defer txn.Discard()
			var err error
			if plan, err = b.plan(ctx, txn, sel, fn); err != nil || len(plan) == 0 {
				return err
			}
			applied, err = applySteps(txn, sel, plan)
			if errors.Is(err, badgerdb.ErrTxnTooBig) {
				tooBig = true
				return nil
			}
			if err != nil {
				return err
			}
			return txn.Commit()
		})
		if err == nil && tooBig {
			b.splits.Add(1)
			return b.editInChunks(ctx, sel, fn, plan, applied, i)
		}
		if err == nil {
			b.notePuts(plan)
			return changesOf(plan), nil
		}
		if !errors.Is(err, badgerdb.ErrConflict) {
			return nil, b.editErr(err)
		}
		if i+1 == maxAttempts {
			return nil, conflictErr(err)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		backoff(i)
	}
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
	if tag, ok := groupTag(sel.Index); ok {
		// Read the counter before the scan: an Insert into the group that
		// commits after this read makes the commit of this edit conflict.
		if _, err := getCount(txn, countKey(tag, sel.Key)); err != nil {
			return nil, err
		}
	}
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
// whole. It first writes the counter of the selected group, so that the
// edit is ordered with the inserts into it.
func applySteps(txn *badgerdb.Txn, sel backend.Selector, plan []step) (int, error) {
	if tag, ok := groupTag(sel.Index); ok {
		if err := addCount(txn, countKey(tag, sel.Key), 0); err != nil {
			return 0, err
		}
	}
	for i, s := range plan {
		var err error
		if s.op == backend.Delete {
			err = deleteRecord(txn, s.hash, s.rec.ID, s.rec.MemberID(), s.rec.CustomerID(), expiryKey(s.rec.ExpiresAt, s.rec.ID))
		} else {
			err = putRecord(txn, s.rec, s.next)
		}
		if err != nil {
			return i, err
		}
	}
	return len(plan), nil
}

// deleteRecord removes a record, its index entries (expiry entry ekey
// included) and its share of the group counters.
func deleteRecord(txn *badgerdb.Txn, h token.Hash, id, member, customer string, ekey []byte) error {
	for _, k := range [][]byte{
		recordKey(h), idKey(id), groupKey(tagMember, member, id), groupKey(tagCustomer, customer, id), ekey,
	} {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	if err := addCount(txn, countKey(tagMember, member), -1); err != nil {
		return err
	}
	return addCount(txn, countKey(tagCustomer, customer), -1)
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
// the plan is dropped, one changed since is put to fn again. Each chunk
// touches the selected group's counter, so inserts stay ordered with it.
// Every chunk is atomic but the edit as a whole is not: when fn or storage
// fails, the chunks already committed stay, and their changes are returned
// with the error.
func (b *storage) editInChunks(ctx context.Context, sel backend.Selector, fn backend.EditFunc, plan []step, chunk, conflicts int) ([]backend.Change, error) {
	var changes []backend.Change
	for start := 0; start < len(plan); {
		chunk = max(chunk, 1)
		end := min(start+chunk, len(plan))
		var (
			steps   []step
			applied int
			tooBig  bool
		)
		err := b.attempt(conflicts, func() error {
			txn := b.db.NewTransaction(true)
			defer txn.Discard()
			var err error
			if steps, err = replan(txn, fn, plan[start:end]); err != nil {
				return err
			}
			applied, err = applySteps(txn, sel, steps)
			if errors.Is(err, badgerdb.ErrTxnTooBig) && applied < len(steps) && end-start > 1 {
				tooBig = true
				return nil
			}
			if err != nil {
				return err
			}
			return txn.Commit()
		})
		if err == nil && tooBig {
			b.splits.Add(1)
			chunk = max(1, min(applied, end-start-1))
			continue
		}
		if errors.Is(err, badgerdb.ErrConflict) {
			if conflicts++; conflicts == maxAttempts {
				return changes, conflictErr(err)
			}
			if err := ctx.Err(); err != nil {
				return changes, err
			}
			backoff(conflicts)
			continue
		}
		if err != nil {
			return changes, b.editErr(err)
		}
		b.notePuts(steps)
		changes = append(changes, changesOf(steps)...)
		start, conflicts = end, 0
	}
	return changes, nil
}

// replan re-reads the records of plan in txn and returns the steps to take
// now.
func replan(txn *badgerdb.Txn, fn backend.EditFunc, plan []step) ([]step, error) {
	out := make([]step, 0, len(plan))
	for _, s := range plan {
		rec, version, err := getRecord(txn, s.hash)
		if errors.Is(err, sessionstore.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if version == s.version {
			out = append(out, s)
			continue
		}
		ns, ok, err := decide(fn, found{hash: s.hash, version: version, rec: rec})
		if err != nil {
			return nil, fnError{err}
		}
		if ok {
			out = append(out, ns)
		}
	}
	return out, nil
}

// expired is one expiry index entry read by DeleteExpired.
type expired struct {
	key, val []byte
}

// DeleteExpired implements backend.Backend. It scans the expiry index
// from its start, which holds the earliest expiries, up to cutoff, and
// removes what it finds in transactions of at most limit records, smaller
// when Badger finds one too big. Each transaction is atomic; none holds a
// lock over the store.
func (b *storage) DeleteExpired(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	if err := b.enter(); err != nil {
		return 0, err
	}
	defer b.leave()
	b.purgeMu.Lock()
	defer b.purgeMu.Unlock()
	end := expiryTime(cutoff)
	removed, chunk, conflicts := 0, limit, 0
	for removed < limit {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		want := min(chunk, limit-removed)
		var (
			entries []expired
			applied int
			n       int
			tooBig  bool
		)
		err := b.attempt(conflicts, func() error {
			from := b.floor.start()
			txn := b.db.NewTransaction(true)
			defer txn.Discard()
			var err error
			if entries, err = scanExpired(txn, from, end, want); err != nil || len(entries) == 0 {
				return err
			}
			applied, n, err = deleteExpiredEntries(txn, entries)
			if errors.Is(err, badgerdb.ErrTxnTooBig) && applied < len(entries) && want > 1 {
				tooBig = true
				return nil
			}
			if err != nil {
				return err
			}
			return txn.Commit()
		})
		if err == nil && tooBig {
			b.splits.Add(1)
			chunk = max(1, min(applied, want-1))
			continue
		}
		if errors.Is(err, badgerdb.ErrConflict) {
			if conflicts++; conflicts == maxAttempts {
				return removed, conflictErr(err)
			}
			backoff(conflicts)
			continue
		}
		if err != nil {
			return removed, b.storageErr(err)
		}
		if len(entries) == 0 {
			break
		}
		b.floor.advance(entries[len(entries)-1].key)
		removed += n
		conflicts = 0
		if len(entries) < want {
			break
		}
	}
	return removed, nil
}

// scanExpired returns up to limit expiry entries from the key from on,
// at or before end (a sortable time), earliest first.
func scanExpired(txn *badgerdb.Txn, from []byte, end uint64, limit int) (out []expired, err error) {
	defer recoverClosed(&err)
	it := txn.NewIterator(badgerdb.IteratorOptions{Prefix: expiryPrefix})
	defer it.Close()
	for it.Seek(from); it.Valid() && len(out) < limit; it.Next() {
		item := it.Item()
		t, ok := expiryKeyTime(item.Key())
		if ok && t > end {
			break
		}
		val, err := item.ValueCopy(nil)
		if err != nil {
			return nil, err
		}
		out = append(out, expired{key: item.KeyCopy(nil), val: val})
	}
	return out, nil
}

// deleteExpiredEntries removes the records of entries with their index
// entries. It returns how many entries it wrote whole and how many records
// it removed; a malformed entry, or one whose record is gone, is dropped
// and not counted.
func deleteExpiredEntries(txn *badgerdb.Txn, entries []expired) (applied, removed int, err error) {
	for i, e := range entries {
		h, member, customer, ok := parseExpiryValue(e.val)
		if !ok || len(e.key) < len(expiryPrefix)+8 {
			if err := txn.Delete(e.key); err != nil {
				return i, removed, err
			}
			continue
		}
		// Read the record so that a concurrent change of it conflicts.
		if _, err := txn.Get(recordKey(h)); errors.Is(err, badgerdb.ErrKeyNotFound) {
			if err := txn.Delete(e.key); err != nil {
				return i, removed, err
			}
			continue
		} else if err != nil {
			return i, removed, err
		}
		id := string(e.key[len(expiryPrefix)+8:])
		if err := deleteRecord(txn, h, id, member, customer, e.key); err != nil {
			return i, removed, err
		}
		removed++
	}
	return len(entries), removed, nil
}

var _ backend.Backend = (*storage)(nil)
