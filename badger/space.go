package badger

import (
	"fmt"
	"sync"
	"syscall"
)

// DefaultMinFreeSpace is the MinFreeSpace of an Options that leaves it
// zero: room for Badger to switch to a new memtable, flush the full one to
// a table file and compact it, with the Open settings (see doc.go).
const DefaultMinFreeSpace = 64 << 20

// spaceGuard refuses writes while the file system holding the DB has
// less free space than the store keeps in reserve. Badger writes through
// memory-mapped files, so a write that meets a full disk does not fail: it
// kills the process with SIGBUS. Writes that store data need min bytes
// free; writes that only delete (revocations, purges) need half of that,
// so that "sign out everywhere" still works after creates are refused.
//
// Checking costs a statfs call. It is made before every write while the
// last check found less than 4*min free, and otherwise once every
// recheckEvery writes, which together cannot fill 3*min (a transaction is
// at most a few MiB).
type spaceGuard struct {
	dir string
	min uint64
	// free reads the free bytes of the file system holding dir.
	free func(dir string) (uint64, error)

	mu     sync.Mutex
	last   uint64 // free bytes at the last check
	writes int    // writes allowed since then
}

// recheckEvery bounds the writes allowed between two checks while the disk
// has room.
const recheckEvery = 64

// newSpaceGuard returns the guard of dir keeping min bytes free, or nil
// (no check) when min is negative or the platform cannot tell free space.
func newSpaceGuard(dir string, min int64) *spaceGuard {
	if min < 0 || freeSpace == nil {
		return nil
	}
	if min == 0 {
		min = DefaultMinFreeSpace
	}
	return &spaceGuard{dir: dir, min: uint64(min), free: freeSpace}
}

// allow returns nil if a write may go ahead: one that stores data (adds)
// needs min bytes free, one that only deletes needs min/2. Otherwise it
// returns an error wrapping syscall.ENOSPC. A nil guard allows everything.
func (g *spaceGuard) allow(adds bool) error {
	if g == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.writes == 0 || g.writes >= recheckEvery || g.last < 4*g.min {
		if err := g.refreshLocked(); err != nil {
			return err
		}
	}
	need := g.min
	if !adds {
		need /= 2
	}
	if g.last < need {
		g.writes = 0 // check again next time: space may have been freed
		return fmt.Errorf("sessionstore/badger: %d bytes free on the file system, fewer than the %d the store keeps free: %w",
			g.last, need, syscall.ENOSPC)
	}
	g.writes++
	return nil
}

// check reads the free space now and returns an error wrapping
// syscall.ENOSPC if it is below min, as Ping reports it.
func (g *spaceGuard) check() error {
	if g == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.refreshLocked(); err != nil {
		return err
	}
	if g.last < g.min {
		return fmt.Errorf("sessionstore/badger: %d bytes free on the file system, fewer than the %d the store keeps free: %w",
			g.last, g.min, syscall.ENOSPC)
	}
	return nil
}

func (g *spaceGuard) refreshLocked() error {
	n, err := g.free(g.dir)
	if err != nil {
		return fmt.Errorf("sessionstore/badger: reading the free space of the DB's file system: %w", err)
	}
	g.last, g.writes = n, 0
	return nil
}
