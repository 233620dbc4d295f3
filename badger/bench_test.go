package badger

import (
	"sync/atomic"
	"testing"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/internal/benchkit"
	"github.com/memberkit/sessionstore/storetest"
)

// BenchmarkCreateOneCustomer creates sessions for the members of one
// customer (a big team signing in at once) on a store on disk, from one
// goroutine (run=serial) and from 4×GOMAXPROCS goroutines (run=parallel),
// and reports how many transactions Badger made it retry per Create
// (retries/op): Creates of one customer write no key in common, so it
// should be zero, and the parallel run no slower per Create than the
// serial one.
func BenchmarkCreateOneCustomer(b *testing.B) {
	const members = 200
	customer := storetest.NewCustomer(1)
	params := make([]sessionstore.CreateParams, members)
	for i := range params {
		params[i] = sessionstore.CreateParams{Member: storetest.NewMember(customer.ID, i), Customer: customer}
	}
	for _, run := range []string{"serial", "parallel"} {
		b.Run("run="+run, func(b *testing.B) {
			s, err := Open(b.TempDir(), &Options{Options: *benchkit.Options(benchkit.NewClock())})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.ReportAllocs()
			var next atomic.Int64
			create := func() {
				p := params[next.Add(1)%members]
				if _, err := s.Create(b.Context(), p); err != nil {
					b.Error(err)
				}
			}
			b.ResetTimer()
			if run == "serial" {
				for b.Loop() {
					create()
				}
			} else {
				b.SetParallelism(4)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						create()
					}
				})
			}
			b.StopTimer()
			b.ReportMetric(float64(s.b.conflicts.Load())/float64(b.N), "retries/op")
		})
	}
}
