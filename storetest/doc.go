// Package storetest is the conformance suite for sessionstore.Store
// implementations. Every backend runs it from its own tests:
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
// Run checks every documented rule of the Store contract in named subtests
// against a fake Clock that the suite owns, so expiry, truncation to the
// microsecond and modified_at are exact. RunProperties drives a store with
// random operations (pgregory.net/rapid) and compares every answer with a
// plain in-memory model. RunStress runs creates, lookups and revocations
// from several goroutines and checks that a revocation is never undone.
//
// The package also exports the Clock and the NewMember and NewCustomer
// fixture builders for other tests of the module.
package storetest
