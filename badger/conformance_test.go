package badger

import (
	"testing"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/storetest"
)

// newDiskStore is a storetest newStore: a store in a fresh directory.
func newDiskStore(t *testing.T, opts *sessionstore.Options) sessionstore.Store {
	t.Helper()
	return openTestStore(t, t.TempDir(), opts)
}

// newMemStore is a storetest newStore: a store in Badger's in-memory mode.
func newMemStore(t *testing.T, opts *sessionstore.Options) sessionstore.Store {
	t.Helper()
	return openTestStore(t, "", opts)
}

// openTestStore opens a store at path ("" for in-memory) with the shared
// options opts, and closes it when t ends.
func openTestStore(t *testing.T, path string, opts *sessionstore.Options) *Store {
	t.Helper()
	o := &Options{InMemory: path == "", GCInterval: -1}
	if opts != nil {
		o.Options = *opts
	}
	s, err := Open(path, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformanceDisk(t *testing.T)     { storetest.Run(t, newDiskStore) }
func TestConformanceInMemory(t *testing.T) { storetest.Run(t, newMemStore) }

func TestPropertiesDisk(t *testing.T)     { storetest.RunProperties(t, newDiskStore) }
func TestPropertiesInMemory(t *testing.T) { storetest.RunProperties(t, newMemStore) }

func TestStressDisk(t *testing.T)     { storetest.RunStress(t, newDiskStore) }
func TestStressInMemory(t *testing.T) { storetest.RunStress(t, newMemStore) }
