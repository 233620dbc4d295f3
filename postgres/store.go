package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
)

// newTimeout bounds the schema check New makes.
const newTimeout = 15 * time.Second

// Store is a sessionstore.Store kept in a PostgreSQL table. All the Store
// methods come from the embedded engine; see sessionstore.Store for their
// contract. It is safe for concurrent use, also together with other Store
// values on the same table, in this process or others.
type Store struct {
	sessionstore.Store
	b *storage
}

var _ sessionstore.Store = (*Store)(nil)

// New returns a store that keeps its sessions in opts.Table of the
// database of pool. The pool stays the caller's: Close stops the store's
// sweeper but leaves the pool open, and the caller closes it after the
// store. A nil opts means all defaults.
//
// New checks, with one query of at most 15 seconds, that Migrate has
// created the table at this package's schema version: a missing or older
// schema is ErrNotMigrated, and a database New cannot reach is a wrapped
// error. Bad options, and a nil pool, are a *sessionstore.ValidationError.
func New(pool *pgxpool.Pool, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	t, err := parseTable(o.Table)
	if err != nil {
		return nil, err
	}
	if pool == nil {
		return nil, &sessionstore.ValidationError{Field: "pool", Reason: "must not be nil"}
	}
	var b *storage
	s, err := backend.NewStore(&o.Options, func(sessionstore.Options) (backend.Backend, error) {
		ctx, cancel := context.WithTimeout(context.Background(), newTimeout)
		defer cancel()
		oid, err := checkSchema(ctx, pool, t)
		if err != nil {
			return nil, err
		}
		b = &storage{pool: pool, t: t, oid: oid, q: newQueries(t)}
		return b, nil
	})
	if err != nil {
		return nil, err
	}
	return &Store{Store: s, b: b}, nil
}

// Ping reports whether the store can serve: one round trip to the database
// on a connection of the store's pool. It returns nil when the database
// answers, an error wrapping the pgx error when it does not, ErrClosed
// after Close, and ctx's error when ctx is done. Wire it to a readiness
// probe; it does not check the schema, which New did.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.b.closed.Load() {
		return sessionstore.ErrClosed
	}
	if err := s.b.pool.Ping(ctx); err != nil {
		return opError("ping", err)
	}
	return nil
}
