package redis

import (
	"context"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
)

// DefaultKeyPrefix is the KeyPrefix of an Options that leaves it empty.
const DefaultKeyPrefix = "mst:"

// Options configures a Redis store: the options every store has, plus where
// in Redis this one keeps its keys.
type Options struct {
	sessionstore.Options

	// KeyPrefix names this store's keys, so that several stores (or other
	// applications) can share one Redis database. On a standalone server
	// every key of the store starts with "{" + KeyPrefix + "}"; through a
	// cluster client with "{" + KeyPrefix + "#" + route + "}", one hash tag
	// per route, so that the store spreads over the cluster's slots (see
	// the package doc). It must not contain '{' or '}'. Default
	// DefaultKeyPrefix.
	KeyPrefix string
}

// Store is a sessionstore.Store kept in Redis. All the Store methods come
// from the embedded sessionstore.Store, the shared engine of package
// backend; see sessionstore.Store for their contract. It is safe for
// concurrent use, also together with other Store values on the same Redis
// and KeyPrefix, in this process or others.
type Store struct {
	sessionstore.Store
	b *storage
}

var _ sessionstore.Store = (*Store)(nil)

// New returns a store that keeps its sessions in Redis through client: a
// *goredis.Client, a failover (Sentinel) client or a *goredis.ClusterClient,
// with which it uses the routed layout that spreads over the cluster.
// The client stays the caller's: Close stops the store's sweeper but leaves
// the client open, and the caller closes it after the store. A nil opts
// means all defaults. Bad options, and a nil client, are a
// *sessionstore.ValidationError.
//
// New does not contact Redis, so a store can be built while Redis is
// starting; its calls return errors until Redis answers.
func New(client goredis.UniversalClient, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if client == nil {
		return nil, &sessionstore.ValidationError{Field: "client", Reason: "must not be nil"}
	}
	if o.KeyPrefix == "" {
		o.KeyPrefix = DefaultKeyPrefix
	}
	if strings.ContainsAny(o.KeyPrefix, "{}") {
		return nil, &sessionstore.ValidationError{Field: "options.key_prefix", Reason: "must not contain '{' or '}'"}
	}
	var b *storage
	s, err := backend.NewStore(&o.Options, func(base sessionstore.Options) (backend.Backend, error) {
		b = newStorage(client, o.KeyPrefix, base)
		return b, nil
	})
	if err != nil {
		return nil, err
	}
	return &Store{Store: s, b: b}, nil
}

// Ping reports whether the store can serve: one round trip to Redis (PING)
// through the store's client. It returns nil when Redis answers, an error
// wrapping the go-redis error when it does not, ErrClosed after Close, and
// ctx's error when ctx is done. Wire it to a readiness probe; it does not
// tell whether Redis persists what it is given (see the package doc on
// durability).
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.b.closed.Load() {
		return sessionstore.ErrClosed
	}
	if err := s.b.c.Ping(ctx).Err(); err != nil {
		return opError("ping", err)
	}
	return nil
}
