package memory

import (
	"github.com/memberkit/sessionstore"
)

// Store is an in-memory sessionstore.Store. All the Store methods come from
// the embedded Engine; see sessionstore.Store for their contract. It is safe
// for concurrent use.
type Store struct {
	*sessionstore.Engine
}

// New returns an empty in-memory store. A nil opts means all defaults; bad
// options are a *sessionstore.ValidationError. Close stops its sweeper and
// drops every session.
func New(opts *sessionstore.Options) (*Store, error) {
	e, err := sessionstore.NewEngine(newBackend(), opts)
	if err != nil {
		return nil, err
	}
	return &Store{Engine: e}, nil
}

var _ sessionstore.Store = (*Store)(nil)
