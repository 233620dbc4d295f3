package sessionstore_test

import (
	"testing"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/memory"
	"github.com/memberkit/sessionstore/storetest"
)

// backends lists every backend the conformance suite, the rapid state
// machine and the stress test run on. Backends that need a server or a
// directory add themselves in their own files.
var backends = []struct {
	name string
	new  func(t *testing.T, opts *sessionstore.Options) sessionstore.Store
}{
	{"memory", newMemory},
}

func newMemory(t *testing.T, opts *sessionstore.Options) sessionstore.Store {
	s, err := memory.New(opts)
	if err != nil {
		t.Fatalf("memory.New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { storetest.Run(t, b.new) })
	}
}

func TestProperties(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { storetest.RunProperties(t, b.new) })
	}
}

func TestStress(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { storetest.RunStress(t, b.new) })
	}
}
