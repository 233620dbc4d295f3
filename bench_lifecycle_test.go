package sessionstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/storetest"
)

// BenchmarkLifecycle measures what the lifecycle options cost, side by side
// on one backend: Lookup with and without an idle timeout (steady state: a
// use is written at most once per tenth of the timeout, so these lookups
// are reads), and Create into a member below the cap, at the cap (each
// Create evicts the oldest session) and with no cap at all.
func BenchmarkLifecycle(b *testing.B) {
	backends := []struct {
		name string
		new  func(b *testing.B, opts *sessionstore.Options) sessionstore.Store
	}{
		{"memory", newMemoryBench},
		{"badger-inmemory", newBadgerInMemoryBench},
	}
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			b.Run("Lookup", func(b *testing.B) { benchLookup(b, be.new, 0) })
			b.Run("LookupIdleTimeout", func(b *testing.B) { benchLookup(b, be.new, time.Hour) })
			b.Run("CreateBelowCap", func(b *testing.B) { benchCreate(b, be.new, 0, 1000, 1) })
			b.Run("CreateNoCap", func(b *testing.B) { benchCreate(b, be.new, -1, 1000, 1) })
			b.Run("CreateAtCap", func(b *testing.B) {
				benchCreate(b, be.new, 0, 1, sessionstore.DefaultMaxSessionsPerMember)
			})
		})
	}
}

// lifecycleOptions are the options of a lifecycle benchmark's store.
func lifecycleOptions(clock *storetest.Clock) *sessionstore.Options {
	return &sessionstore.Options{Now: clock.Now, SweepInterval: -1, PortalURL: storetest.PortalURL}
}

func benchLookup(b *testing.B, newStore func(*testing.B, *sessionstore.Options) sessionstore.Store, idle time.Duration) {
	clock := storetest.NewClock(storetest.StartTime())
	opts := lifecycleOptions(clock)
	opts.IdleTimeout = idle
	s := newStore(b, opts)
	ctx := context.Background()
	const n = 1000
	toks := make([]string, 0, n)
	for i := range n {
		c := storetest.NewCustomer(i / 4)
		ss, err := s.Create(ctx, sessionstore.CreateParams{Member: storetest.NewMember(c.ID, i%4), Customer: c})
		if err != nil {
			b.Fatal(err)
		}
		toks = append(toks, ss.Token)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Lookup(ctx, toks[i%n]); err != nil {
			b.Fatal(err)
		}
	}
}

// benchCreate creates sessions round-robin for members that each already
// hold held sessions, with Options.MaxSessionsPerMember set to limit.
func benchCreate(b *testing.B, newStore func(*testing.B, *sessionstore.Options) sessionstore.Store, limit, members, held int) {
	clock := storetest.NewClock(storetest.StartTime())
	opts := lifecycleOptions(clock)
	opts.MaxSessionsPerMember = limit
	s := newStore(b, opts)
	ctx := context.Background()
	ps := make([]sessionstore.CreateParams, members)
	for i := range ps {
		c := storetest.NewCustomer(i / 4)
		ps[i] = sessionstore.CreateParams{Member: storetest.NewMember(c.ID, i%4), Customer: c}
		for range held {
			if _, err := s.Create(ctx, ps[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Create(ctx, ps[i%members]); err != nil {
			b.Fatal(err)
		}
	}
}
