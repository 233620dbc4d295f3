package badger

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"time"

	badgerdb "github.com/dgraph-io/badger/v4"
)

// maxAttempts bounds how often one call retries a transaction that lost a
// conflict to a concurrent one.
const maxAttempts = 100

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

// errSplit is returned by an update's fn that found its writes too big for
// one transaction: update returns it without committing, and the caller
// splits the work.
var errSplit = errors.New("sessionstore/badger: transaction too big")

// update runs fn in a new read-write transaction and commits it. When the
// commit loses a conflict it runs fn again in a new transaction, after a
// backoff, up to maxAttempts times, alone once it has lost exclusiveAfter
// times (see attempt), and not once ctx is done. Any other error from fn or
// the commit (errSplit included) ends it and is returned as it is; so is
// ctx's error. This is the one retry loop of the backend: every write goes
// through it.
func (b *storage) update(ctx context.Context, fn func(txn *badgerdb.Txn) error) error {
	return b.updateAfter(ctx, nil, fn)
}

// updateAfter is update calling before, when it is not nil, ahead of every
// transaction it begins.
func (b *storage) updateAfter(ctx context.Context, before func(), fn func(txn *badgerdb.Txn) error) error {
	for i := 0; ; i++ {
		err := b.attempt(i, func() error {
			if before != nil {
				before()
			}
			txn := b.db.NewTransaction(true)
			defer txn.Discard()
			if err := fn(txn); err != nil {
				return err
			}
			return txn.Commit()
		})
		if !errors.Is(err, badgerdb.ErrConflict) {
			return err
		}
		b.conflicts.Add(1)
		if i+1 == maxAttempts {
			return conflictErr(err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		backoff(i)
	}
}
