package badger

import (
	"bytes"
	"context"
	"errors"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/memberkit/sessionstore/token"
)

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

// expired is one expiry index entry read by DeleteExpired.
type expired struct {
	key, val []byte
}

// DeleteExpired implements backend.Backend. It scans the expiry index
// from its start, which holds the earliest expiries, up to cutoff, and
// removes what it finds in transactions of at most limit records, smaller
// when Badger finds one too big. Each transaction is atomic; none holds a
// lock over the store.
func (b *storage) DeleteExpired(ctx context.Context, cutoff time.Time, limit int) (_ int, err error) {
	if err := b.enter(); err != nil {
		return 0, err
	}
	defer b.leave()
	defer recoverFault(&err, debug.SetPanicOnFault(true))
	if err := b.space.allow(false); err != nil {
		return 0, err
	}
	b.purgeMu.Lock()
	defer b.purgeMu.Unlock()
	if err := b.pace.wait(ctx); err != nil {
		return 0, err
	}
	defer b.pace.done()
	end := expiryTime(cutoff)
	removed, chunk := 0, limit
	for removed < limit {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		want := min(chunk, limit-removed)
		var (
			entries []expired
			applied int
			n       int
		)
		var from []byte
		// The floor is read before the transaction begins (see expiryFloor).
		err := b.updateAfter(ctx, func() { from = b.floor.start() }, func(txn *badgerdb.Txn) error {
			var err error
			if entries, err = scanExpired(txn, from, end, want); err != nil || len(entries) == 0 {
				return err
			}
			applied, n, err = deleteExpiredEntries(txn, entries)
			if errors.Is(err, badgerdb.ErrTxnTooBig) && applied < len(entries) && want > 1 {
				return errSplit
			}
			return err
		})
		if errors.Is(err, errSplit) {
			b.splits.Add(1)
			chunk = max(1, min(applied, want-1))
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
// it removed; a malformed entry is dropped and not counted. An entry whose
// record is gone is dropped with whatever index entries of that record are
// still there (an Edit that removed a record it could not decode leaves
// some, see deleteStub), and not counted either. A record that cannot be
// read is removed all the same: the entry names all its keys.
func deleteExpiredEntries(txn *badgerdb.Txn, entries []expired) (applied, removed int, err error) {
	for i, e := range entries {
		h, member, customer, ok := parseExpiryValue(e.val)
		if !ok || len(e.key) < len(expiryPrefix)+8 {
			if err := txn.Delete(e.key); err != nil {
				return i, removed, err
			}
			continue
		}
		id := string(e.key[len(expiryPrefix)+8:])
		// Read the record so that a concurrent change of it conflicts.
		_, err := txn.Get(recordKey(h))
		switch {
		case errors.Is(err, badgerdb.ErrKeyNotFound):
			if err := deleteLeftovers(txn, h, id, member, customer, e.key); err != nil {
				return i, removed, err
			}
			continue
		case errors.Is(err, badgerdb.ErrDBClosed):
			return i, removed, err
		}
		if err := deleteRecord(txn, h, id, member, customer, e.key); err != nil {
			return i, removed, err
		}
		removed++
	}
	return len(entries), removed, nil
}

// deleteLeftovers removes the expiry entry ekey of a record that is gone,
// and those of its ID and group entries that are still there.
func deleteLeftovers(txn *badgerdb.Txn, h token.Hash, id, member, customer string, ekey []byte) error {
	if err := txn.Delete(ekey); err != nil {
		return err
	}
	if got, ok, err := idEntry(txn, id); err == nil && ok && got == h {
		if err := txn.Delete(idKey(id)); err != nil {
			return err
		}
	}
	for _, g := range []struct {
		tag   byte
		group string
	}{{tagMember, member}, {tagCustomer, customer}} {
		k := groupKey(g.tag, g.group, id)
		if _, err := txn.Get(k); err != nil {
			continue
		}
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// purgeBatch is how many records one DeleteExpired call removes at most,
// in one transaction. Every read transaction Badger starts waits until the
// commits before it are applied, so a lookup that arrives during a purge
// waits for one batch's deletes to reach the write-ahead log and the
// memtable. With batches of 32 instead of the engine's 128 the 99.9th
// percentile of lookups during a purge of 10k of 100k sessions fell from
// 1.6-3.4 ms to 0.4-0.7 ms, and the purge took as long (BenchmarkSweepLatency).
const purgeBatch = 32

// PurgeBatch implements backend.PurgeBatcher.
func (b *storage) PurgeBatch() int { return purgeBatch }

// purgePace spaces the DeleteExpired calls of a purge while the store
// serves reads, so that the purge then takes at most about half of the
// time: a call that follows another by less than the other took waits for
// the rest of that time (at most maxPurgePause), if a Find or Select ran
// since the previous call began. With no reads the purge runs flat out.
//
// A lookup during a purge mostly waits for a CPU rather than for a lock. A
// Badger read transaction hands its timestamp to Badger's watermark
// goroutines over channels, at its start and at its end, and waits for the
// commits before it; each time a lookup blocks there it queues for a P
// again, behind the purge, the memtable flushes and the compactions that
// the purge's tombstones start (a scheduler-latency profile of lookups
// during a purge puts most of their waiting on those channel sends, and
// little on any lock). A purge that pauses between its batches leaves a P
// to the lookups and to those goroutines. Purging 50k of 200k sessions on
// two loaded cores, in turns with the purge unpaced, the 99.9th percentile
// of lookups was lower in every pair of runs; BENCHMARKS.md has the
// numbers.
type purgePace struct {
	reading      atomic.Bool // a read ran since the last call began
	began, ended time.Time   // of the last call; zero before the first
}

// maxPurgePause bounds one pause of the purge.
const maxPurgePause = 20 * time.Millisecond

// read notes that a read runs: one load, and a store only when a purge call
// cleared the flag since.
func (p *purgePace) read() {
	if !p.reading.Load() {
		p.reading.Store(true)
	}
}

// wait pauses, when reads ran since the previous call began, until that
// call is as long ago as it took, or until ctx is done; it notes when this
// call began. The caller holds purgeMu.
func (p *purgePace) wait(ctx context.Context) error {
	if p.reading.Swap(false) && !p.ended.IsZero() {
		took := min(p.ended.Sub(p.began), maxPurgePause)
		if rest := took - time.Since(p.ended); rest > 0 {
			t := time.NewTimer(rest)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
	}
	p.began = time.Now()
	return nil
}

// done notes when the call ended. The caller holds purgeMu.
func (p *purgePace) done() { p.ended = time.Now() }
