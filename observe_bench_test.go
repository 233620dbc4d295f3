package sessionstore_test

import (
	"context"
	"testing"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/memory"
	"github.com/memberkit/sessionstore/storetest"
)

// BenchmarkLookupObserver looks up stored sessions of a 1k-session memory
// store with no observer (observer=none) and with one that discards every
// event (observer=discard), for benchstat -col /observer: the second is
// what the event itself costs. Compare observer=none with LookupHit of an
// earlier commit for the cost of the Observer option unset.
func BenchmarkLookupObserver(b *testing.B) {
	discard := sessionstore.ObserverFunc(func(context.Context, sessionstore.Event) {})
	for _, c := range []struct {
		name string
		obs  sessionstore.Observer
	}{{"none", nil}, {"discard", discard}} {
		b.Run("observer="+c.name, func(b *testing.B) {
			ctx := context.Background()
			clock := storetest.NewClock(storetest.StartTime())
			s, err := memory.New(&sessionstore.Options{Now: clock.Now, SweepInterval: -1, PortalURL: storetest.PortalURL, Observer: c.obs})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			tokens := make([]string, 1000)
			for i := range tokens {
				cust := storetest.NewCustomer(i/50 + 1)
				made, err := s.Create(ctx, sessionstore.CreateParams{Member: storetest.NewMember(cust.ID, i%10+1), Customer: cust})
				if err != nil {
					b.Fatal(err)
				}
				tokens[i] = made.Token
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := s.Lookup(ctx, tokens[i%len(tokens)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
