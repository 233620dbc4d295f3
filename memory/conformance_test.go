package memory

import (
	"testing"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/storetest"
)

// faultyStore is a memory store over a storetest.FaultyBackend, so that
// the conformance suite can damage its records: the memory backend keeps
// Go values, which no disk can damage, but the engine's rules for damaged
// records hold on it as on every backend.
type faultyStore struct {
	sessionstore.Store
	f *storetest.FaultyBackend
}

// CorruptSession implements storetest.Corrupter.
func (s faultyStore) CorruptSession(_ testing.TB, id string) { s.f.Corrupt(id) }

func newFaultyStore(t *testing.T, opts *sessionstore.Options) sessionstore.Store {
	t.Helper()
	var f *storetest.FaultyBackend
	s, err := backend.NewStore(opts, func(sessionstore.Options) (backend.Backend, error) {
		f = storetest.NewFaultyBackend(newStorage())
		return f, nil
	})
	if err != nil {
		t.Fatalf("NewStore: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return faultyStore{Store: s, f: f}
}

// TestConformanceFaulty runs the conformance suite on a memory backend
// whose records the suite can damage.
func TestConformanceFaulty(t *testing.T) { storetest.Run(t, newFaultyStore) }
