package badger

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
)

// storage implements backend.Backend on a Badger DB (see keys.go for
// the layout).
//
// Ordering. Badger detects conflicts between a transaction's reads and the
// writes committed since it started, per key; a prefix scan does not see a
// key inserted into its range later (a phantom). So an Edit of a member or
// customer excludes the Inserts into that group while it runs (see
// groupGates); every other pair of writers touches keys that exist, and of
// two that do, the one that commits second has read a key the first wrote,
// and is retried. DeleteExpired reads every expiry entry and record it
// removes, so it is ordered with Extend (which moves the expiry entry) and
// with the rest.
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
	// scans of the expiry index start (see expiryFloor), and pace spaces
	// them (see purgePace).
	purgeMu sync.Mutex
	floor   expiryFloor
	pace    purgePace

	// splits counts the transactions found too big and split, and
	// conflicts the attempts that lost a conflict and were retried, for
	// tests and benchmarks.
	splits    atomic.Int64
	conflicts atomic.Int64

	// space refuses writes when the disk is nearly full.
	space *spaceGuard

	// gates orders Inserts with the Edits of their member and customer.
	gates *groupGates
}

func newStorage(db *badgerdb.DB, owned bool, gcInterval time.Duration, space *spaceGuard) *storage {
	b := &storage{db: db, owned: owned, space: space, gates: newGroupGates()}
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

// ping reads a key that does not exist, so that a DB that cannot serve
// reads shows, and checks the free space.
func (b *storage) ping() (err error) {
	if err := b.enter(); err != nil {
		return err
	}
	defer b.leave()
	defer recoverFault(&err, debug.SetPanicOnFault(true))
	txn := b.db.NewTransaction(false)
	defer txn.Discard()
	if _, err := txn.Get([]byte(keyPrefix)); err != nil && !errors.Is(err, badgerdb.ErrKeyNotFound) {
		return b.storageErr(err)
	}
	return b.space.check()
}

// PrivateRecords implements backend.PrivateRecords: every record this
// backend returns is decoded anew from stored bytes, and it keeps none it is
// given, so the engine hands records out without another copy.
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
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, syscall.ENOSPC):
		return err
	}
	return fmt.Errorf("sessionstore/badger: %w", err)
}

// recoverFault is deferred by every method of the backend, with the
// setting debug.SetPanicOnFault(true) replaced, so that neither damaged
// data nor a fault reading a memory-mapped file takes the process down:
// it restores that setting and turns a panic raised inside Badger into
// an error wrapping ErrCorrupt (ErrClosed for the panic of an iterator on
// a closed DB).
func recoverFault(err *error, panicOnFault bool) {
	debug.SetPanicOnFault(panicOnFault)
	if r := recover(); r != nil {
		if e, ok := r.(error); ok && errors.Is(e, badgerdb.ErrDBClosed) {
			*err = sessionstore.ErrClosed
			return
		}
		*err = fmt.Errorf("%w: Badger failed on damaged data: %v", sessionstore.ErrCorrupt, r)
	}
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

var _ backend.Backend = (*storage)(nil)
