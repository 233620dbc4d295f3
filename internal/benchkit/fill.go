package benchkit

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/internal/fixture"
)

// The shape of the stored data: every member has PerMember sessions and
// every customer MembersPerCustomer members, so a customer has PerCustomer
// sessions. Session j is session j%5 of member j/5, which is member
// (j/5)%10 of customer j/50.
const (
	PerMember          = 5
	MembersPerCustomer = 10
	PerCustomer        = PerMember * MembersPerCustomer
)

// ReturnURL is the return URL of every benchmark session.
const ReturnURL = "https://acme.example.com/account/billing?tab=seats"

// Fill creates n sessions in s (n a multiple of PerCustomer) shaped as
// storetest.Bench stores them: customers firstCustomer, firstCustomer+1, ...
// (storetest.NewCustomer), MembersPerCustomer members each
// (storetest.NewMember), PerMember sessions per member, every session with
// ReturnURL and lifetime ttl (0: the store's default). It creates from a few
// goroutines, each owning whole customers, and calls each, when not nil,
// with every session Create returned: session j is session j%5 of member
// j/5, which is member (j/5)%10 of customer firstCustomer+j/50. each may be
// called concurrently for different j. It returns the first error.
func Fill(s sessionstore.Store, firstCustomer, n int, ttl time.Duration, each func(j int, s *sessionstore.MemberSession)) error {
	if n < 0 || n%PerCustomer != 0 {
		return fmt.Errorf("benchkit: Fill of %d sessions: not a multiple of %d", n, PerCustomer)
	}
	ctx := context.Background()
	return eachCustomer(n/PerCustomer, func(c int) error {
		cust := fixture.Customer(firstCustomer + c)
		for mn := range MembersPerCustomer {
			m := fixture.Member(cust.ID, mn)
			for i := range PerMember {
				sess, err := s.Create(ctx, sessionstore.CreateParams{
					Member: m, Customer: cust, ReturnURL: ReturnURL, TTL: ttl,
				})
				if err != nil {
					return err
				}
				if each != nil {
					each((c*MembersPerCustomer+mn)*PerMember+i, sess)
				}
			}
		}
		return nil
	})
}

// eachCustomer calls fn for every customer number in [0, n) from a few
// goroutines, each owning whole customers (so that stores which order the
// writes of one customer do not see conflicts), and returns the first
// error.
func eachCustomer(n int, fn func(c int) error) error {
	workers := min(n, 4*runtime.GOMAXPROCS(0))
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
		failed   atomic.Bool
	)
	for range workers {
		wg.Go(func() {
			for !failed.Load() {
				c := int(next.Add(1) - 1)
				if c >= n {
					return
				}
				if err := fn(c); err != nil {
					errOnce.Do(func() { firstErr = err })
					failed.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	return firstErr
}
