package memory

import (
	"context"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
)

// Store is an in-memory sessionstore.Store. All the Store methods come from
// the embedded sessionstore.Store, the shared engine of package backend; see
// sessionstore.Store for their contract. It is safe for concurrent use.
type Store struct {
	sessionstore.Store
	b *storage
}

// New returns an empty in-memory store. A nil opts means all defaults; bad
// options are a *sessionstore.ValidationError. Close stops its sweeper and
// drops every session.
func New(opts *sessionstore.Options) (*Store, error) {
	b := newStorage()
	s, err := backend.NewStore(opts, func(sessionstore.Options) (backend.Backend, error) {
		return b, nil
	})
	if err != nil {
		return nil, err
	}
	return &Store{Store: s, b: b}, nil
}

// Ping reports whether the store can serve: nil until Close, ErrClosed
// after it, and ctx's error when ctx is done. A memory store has nothing
// else that can fail.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.b.mu.RLock()
	defer s.b.mu.RUnlock()
	if s.b.closed {
		return sessionstore.ErrClosed
	}
	return nil
}

// Stored returns how many sessions the store holds, expired ones kept for
// Options.ExpiredRetention included; 0 after Close. It takes a read lock
// and no scan, so a metrics gauge may call it at every collection (see
// package otelmetrics). ctx is unused; the signature fits
// otelmetrics.Options.Stored.
func (s *Store) Stored(context.Context) (int64, error) {
	return s.b.len(), nil
}

var _ sessionstore.Store = (*Store)(nil)
