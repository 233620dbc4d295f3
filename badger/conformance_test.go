package badger

import (
	"fmt"
	"testing"

	badgerdb "github.com/dgraph-io/badger/v4"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/storetest"
)

// newDiskStore is a storetest newStore: a store in a fresh directory.
func newDiskStore(t *testing.T, opts *sessionstore.Options) sessionstore.Store {
	t.Helper()
	return corruptible{openTestStore(t, t.TempDir(), opts)}
}

// newMemStore is a storetest newStore: a store in Badger's in-memory mode.
func newMemStore(t *testing.T, opts *sessionstore.Options) sessionstore.Store {
	t.Helper()
	return corruptible{openTestStore(t, "", opts)}
}

// corruptible is a store whose records the conformance suite can damage.
type corruptible struct{ *Store }

// CorruptSession implements storetest.Corrupter: it overwrites the stored
// record of session id with three bytes, keeping its index entries.
func (s corruptible) CorruptSession(t testing.TB, id string) {
	t.Helper()
	err := s.b.db.Update(func(txn *badgerdb.Txn) error {
		h, ok, err := idEntry(txn, id)
		if err != nil || !ok {
			return fmt.Errorf("no ID entry for %s: %v", id, err)
		}
		return txn.Set(recordKey(h), []byte{0x81, 0x00, 0x07})
	})
	if err != nil {
		t.Fatalf("damaging session %s: %v", id, err)
	}
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
