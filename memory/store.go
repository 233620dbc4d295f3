package memory

import (
	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
)

// Store is an in-memory sessionstore.Store. All the Store methods come from
// the embedded sessionstore.Store, the shared engine of package backend; see
// sessionstore.Store for their contract. It is safe for concurrent use.
type Store struct {
	sessionstore.Store
}

// New returns an empty in-memory store. A nil opts means all defaults; bad
// options are a *sessionstore.ValidationError. Close stops its sweeper and
// drops every session.
func New(opts *sessionstore.Options) (*Store, error) {
	s, err := backend.NewStore(opts, func(sessionstore.Options) (backend.Backend, error) {
		return newStorage(), nil
	})
	if err != nil {
		return nil, err
	}
	return &Store{Store: s}, nil
}

var _ sessionstore.Store = (*Store)(nil)
