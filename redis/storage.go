package redis

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
)

// ttlMargin is how long Redis keeps a record after its ExpiresAt before it
// reclaims the key by itself. Redis key expiry only reclaims space: whether
// a session is live is decided by the engine from ExpiresAt, and expired
// records are normally purged by DeleteExpired long before.
const ttlMargin = time.Hour

// storage implements backend.Backend on a Redis client.
type storage struct {
	c goredis.UniversalClient
	// k names the keys of the single-tag layout: the whole store on a
	// standalone server, the sessions written before routes on a cluster.
	k keys
	// routes names the keys of each route in the routed layout, which a
	// store on a cluster client uses (see placement.go); nil in the
	// single-tag layout.
	routes []keys
	now    func() time.Time
	keep   time.Duration // Options.ExpiredRetention, when positive
	maxTTL time.Duration // Options.MaxTTL
	closed atomic.Bool
	// legacy caches whether the single-tag layout still holds sessions
	// beside the routed one (see legacyState).
	legacy atomic.Int32
	// purgeFrom is where the next DeleteExpired starts its walk over the
	// routes.
	purgeFrom atomic.Int64
}

var _ backend.Backend = (*storage)(nil)

// newStorage returns the backend of a store under prefix on c, in the
// routed layout when c is a cluster client.
func newStorage(c goredis.UniversalClient, prefix string, o sessionstore.Options) *storage {
	_, cluster := c.(*goredis.ClusterClient)
	return newStorageLayout(c, prefix, o, cluster)
}

// newStorageLayout is newStorage with the layout chosen by routed; tests
// run the routed layout on a standalone server through it.
func newStorageLayout(c goredis.UniversalClient, prefix string, o sessionstore.Options, routed bool) *storage {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	maxTTL := o.MaxTTL
	if maxTTL <= 0 {
		maxTTL = sessionstore.DefaultMaxTTL
	}
	b := &storage{c: c, k: newKeys(prefix), now: now, keep: max(o.ExpiredRetention, 0), maxTTL: maxTTL}
	if routed {
		b.routes = make([]keys, backend.RouteCount)
		for r := range b.routes {
			b.routes[r] = routeKeys(prefix, backend.Route(r))
		}
	}
	return b
}

// opError wraps a failure of operation op with the package's prefix.
func opError(op string, err error) error {
	return fmt.Errorf("sessionstore/redis: %s: %w", op, err)
}

// isLocked reports insertScript's reply while an Edit holds a lock.
func isLocked(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "LOCKED ")
}

// isFull reports insertScript's reply for a member at the cap.
func isFull(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "FULL ")
}

// isWrongType reports a WRONGTYPE reply: a key of ours holds a value of
// another type, which only a foreign write can cause.
func isWrongType(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "WRONGTYPE")
}

// corrupt wraps a WRONGTYPE reply or a bad record so that it matches both
// sessionstore.ErrCorrupt and the cause.
func corrupt(op string, err error) error {
	if errors.Is(err, sessionstore.ErrCorrupt) {
		return opError(op, err)
	}
	return opError(op, fmt.Errorf("%w: %w", sessionstore.ErrCorrupt, err))
}

// ttl is how long Redis keeps a record expiring at exp (and kept for
// Options.ExpiredRetention after that): relative to the
// store's clock, so that a fake clock far from wall time still gives a
// sensible TTL, plus ttlMargin.
func (b *storage) ttl(exp time.Time) int64 {
	d := exp.Add(b.keep).Sub(b.now())
	if d < 0 {
		d = 0
	}
	return (d + ttlMargin).Milliseconds()
}

// score is a record's score in the expiry zset.
func score(t time.Time) int64 { return t.UnixMicro() }

// decode decodes the data of the record stored under hexHash, and checks
// that it is the record the key names.
func decode(data []byte, hexHash string) (*backend.Record, error) {
	r, err := backend.DecodeRecord(data)
	if err != nil {
		return nil, err
	}
	if r.TokenHash.String() != hexHash {
		return nil, fmt.Errorf("%w: record stored under another token hash", sessionstore.ErrCorrupt)
	}
	return r, nil
}

// PrivateRecords implements backend.PrivateRecords: every record this
// backend returns is decoded anew from stored bytes, and it keeps none it is
// given, so the engine hands records out without another copy.
func (b *storage) PrivateRecords() {}

// Close implements backend.Backend. The client is the caller's and
// stays open.
func (b *storage) Close() error {
	b.closed.Store(true)
	return nil
}
