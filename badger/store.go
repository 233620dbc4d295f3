package badger

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"runtime/debug"
	"time"

	badgerdb "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
)

// DefaultGCInterval is the GCInterval of an Options that leaves it zero.
const DefaultGCInterval = 5 * time.Minute

// The Badger settings Open uses; the package doc explains them.
const (
	memTableSize     = 8 << 20
	numMemtables     = 2
	blockCacheSize   = 0
	indexCacheSize   = 4 << 20
	valueThreshold   = 1 << 20
	valueLogFileSize = 64 << 20
	numCompactors    = 2
)

// Options configures a Badger store: the options every store has, plus
// Badger's own.
type Options struct {
	sessionstore.Options

	// InMemory keeps everything in memory, in Badger's in-memory mode:
	// nothing survives Close. Open's path must then be "". Ignored by New.
	InMemory bool

	// SyncWrites makes every change (Create, Revoke, Extend, ...) wait for
	// an fsync before it returns, so it survives a crash of the machine.
	// Without it a change survives a crash of the process but may be lost
	// when the machine fails. Ignored by New: the DB's own setting applies.
	SyncWrites bool

	// GCInterval is how often Badger's value-log garbage collection runs.
	// Zero means DefaultGCInterval; negative disables it. It never runs in
	// in-memory mode.
	GCInterval time.Duration

	// Logger receives Badger's own log lines, with the attribute
	// component=badger (ignored by New), and the store's own reports (see
	// sessionstore.Options.Logger) unless the embedded Options.Logger is
	// set. Nil discards them.
	Logger *slog.Logger

	// MinFreeSpace is how many bytes the file system holding the DB must
	// keep free. Below it, writes that store data (Create, Extend,
	// UpdateMember, UpdateCustomer) fail with an error wrapping
	// syscall.ENOSPC while reads go on; writes that only delete (Revoke,
	// RevokeMember, RevokeCustomer, DeleteExpired) go on down to half of
	// it; Open refuses to open the DB; Ping reports it. Zero means
	// DefaultMinFreeSpace; negative disables the check. It does not apply
	// in InMemory mode, nor on platforms other than Linux, macOS and
	// FreeBSD. See the package doc.
	MinFreeSpace int64
}

// Store is a sessionstore.Store kept in a Badger database. All the Store
// methods come from the embedded sessionstore.Store, the shared engine of
// package backend; see sessionstore.Store for their contract. Close stops the sweeper and the value-log GC, waits for them
// and for the calls in progress, and closes the DB if Open opened it; later
// calls return ErrClosed. It is safe for concurrent use by the goroutines of
// one process; Badger lets one process at a time open a directory.
type Store struct {
	sessionstore.Store
	b *storage
}

var _ sessionstore.Store = (*Store)(nil)

// Ping reports whether the store can serve: nil when its DB is open and
// answers a read and, on disk, its file system has MinFreeSpace free; an
// error wrapping syscall.ENOSPC when it has less (reads still work);
// ErrClosed after Close; ctx's error when ctx is done. It is cheap enough
// for a readiness probe: one point read and one statfs call.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.b.ping()
}

// Open opens (creating it if needed) the Badger database in the directory
// path and returns a store on it; with opts.InMemory, path must be "". The
// store owns the DB: Close closes it. A nil opts means all defaults. Bad
// options, and a path that does not fit InMemory, are a
// *sessionstore.ValidationError.
func Open(path string, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.InMemory && path != "" {
		return nil, &sessionstore.ValidationError{Field: "path", Reason: "must be empty with InMemory"}
	}
	if !o.InMemory && path == "" {
		return nil, &sessionstore.ValidationError{Field: "path", Reason: "must name a directory (or set InMemory)"}
	}
	return newStore(&o, func() (*badgerdb.DB, bool, error) {
		if !o.InMemory {
			if err := newSpaceGuard(path, o.MinFreeSpace).check(); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, false, fmt.Errorf("sessionstore/badger: opening %q: %w", path, err)
			}
		}
		db, err := openDB(badgerOptions(path, &o))
		if err != nil {
			return nil, false, fmt.Errorf("sessionstore/badger: opening %q: %w", path, err)
		}
		return db, true, nil
	})
}

// openDB opens a Badger DB and verifies the checksum of every block of its
// table files, returning an error wrapping ErrCorrupt, with the DB closed,
// when one does not match. It verifies them itself, rather than letting
// Badger do it while opening each table (options.OnTableRead): Badger does
// that in goroutines of its own, where a damaged block makes its
// verification code panic out of reach of any recover. A panic raised in
// this goroutine is recovered into ErrCorrupt too.
func openDB(opts badgerdb.Options) (db *badgerdb.DB, err error) {
	defer recoverFault(&err, debug.SetPanicOnFault(true))
	db, err = badgerdb.Open(opts)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = db.Close()
			db = nil
		}
	}()
	defer recoverFault(&err, debug.SetPanicOnFault(true))
	if err := db.VerifyChecksum(); err != nil {
		return nil, fmt.Errorf("%w: %w", sessionstore.ErrCorrupt, err)
	}
	return db, nil
}

// badgerOptions returns the Badger options Open uses for o.
func badgerOptions(path string, o *Options) badgerdb.Options {
	return badgerdb.DefaultOptions(path).
		WithInMemory(o.InMemory).
		WithSyncWrites(o.SyncWrites).
		WithLogger(newLogger(o.Logger)).
		WithMemTableSize(memTableSize).
		WithNumMemtables(numMemtables).
		WithBlockCacheSize(blockCacheSize).
		WithIndexCacheSize(indexCacheSize).
		WithValueThreshold(valueThreshold).
		WithValueLogFileSize(valueLogFileSize).
		WithNumCompactors(numCompactors).
		WithCompression(options.None).
		WithMetricsEnabled(false).
		WithDetectConflicts(true).
		WithChecksumVerificationMode(options.OnBlockRead)
}

// New returns a store on db, a Badger database the caller opened and keeps:
// Close stops the store's background work but leaves db open, and the
// caller closes db after the store. The store's keys all start with
// "mst\x00", so db may hold other data too; db must detect conflicts (the
// Badger default) and be writable. A nil opts means all defaults; opts'
// InMemory, SyncWrites and Logger are ignored, since db is already open.
// Bad options, and an unsuitable db, are a *sessionstore.ValidationError.
func New(db *badgerdb.DB, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if db == nil {
		return nil, &sessionstore.ValidationError{Field: "db", Reason: "must not be nil"}
	}
	if bo := db.Opts(); !bo.DetectConflicts || bo.ReadOnly {
		return nil, &sessionstore.ValidationError{Field: "db", Reason: "must be writable and detect conflicts"}
	}
	if db.IsClosed() {
		return nil, sessionstore.ErrClosed
	}
	return newStore(&o, func() (*badgerdb.DB, bool, error) { return db, false, nil })
}

// newStore builds a store on the DB that open returns, once the store's
// options are known to be good; owned tells whether the store closes it.
func newStore(o *Options, open func() (db *badgerdb.DB, owned bool, err error)) (*Store, error) {
	gc := o.GCInterval
	if gc == 0 {
		gc = DefaultGCInterval
	}
	if o.Options.Logger == nil {
		o.Options.Logger = o.Logger
	}
	var b *storage
	s, err := backend.NewStore(&o.Options, func(sessionstore.Options) (backend.Backend, error) {
		db, owned, err := open()
		if err != nil {
			return nil, err
		}
		var space *spaceGuard
		if bo := db.Opts(); !bo.InMemory {
			space = newSpaceGuard(bo.Dir, o.MinFreeSpace)
		}
		b = newStorage(db, owned, gc, space)
		return b, nil
	})
	if err != nil {
		return nil, err
	}
	return &Store{Store: s, b: b}, nil
}
