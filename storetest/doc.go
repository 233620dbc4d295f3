// Package storetest is the conformance suite for sessionstore.Store
// implementations and for the backend.Backend under them. Every backend runs
// it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		newStore := func(t *testing.T, opts *sessionstore.Options) sessionstore.Store {
//			s, err := memory.New(opts)
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		}
//		storetest.Run(t, newStore)
//		storetest.RunProperties(t, newStore)
//		storetest.RunStress(t, newStore)
//	}
//
//	func TestBackend(t *testing.T) {
//		storetest.RunBackend(t, func(t *testing.T) backend.Backend { return newMyBackend(t) })
//	}
//
// Run checks every documented rule of the Store contract in named subtests
// against a fake Clock that the suite owns, so expiry, truncation to the
// microsecond and modified_at are exact. RunProperties drives a store with
// random operations (pgregory.net/rapid) and compares every answer with a
// plain in-memory model. RunStress runs creates, lookups and revocations
// from several goroutines and checks that a revocation is never undone.
// RunBackend checks the backend.Backend promises the engine relies on
// directly, without an engine: what Insert stores, Edit's operations, its
// EditFunc contract and its ordering against a concurrent Insert, the
// purge's cutoff and limit, and ErrClosed. Bench measures a store.
//
// The package also exports the Clock, the NewMember, NewCustomer and
// NewRecord fixture builders, and CheckGoroutines, for a backend's own tests.
package storetest
