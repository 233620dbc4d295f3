package benchkit

import (
	"sync/atomic"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/internal/fixture"
)

// Clock is the fake clock of benchmark stores. Unlike storetest.Clock it
// takes no lock, so that parallel lookups measure the store and not the
// clock's mutex. It is safe for concurrent use.
type Clock struct{ ns atomic.Int64 }

// NewClock returns a Clock that reads storetest.StartTime until moved.
func NewClock() *Clock {
	c := &Clock{}
	c.Set(fixture.StartTime())
	return c
}

// Now returns the clock's current time. Its signature fits Options.Now.
func (c *Clock) Now() time.Time { return time.Unix(0, c.ns.Load()).UTC() }

// Set moves the clock to t, forward or backward.
func (c *Clock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// Options returns the options of every benchmark store: clock's Now, the
// sweeper off and fixture.PortalURL, so that a lookup builds the portal
// URL as an application would have it. Expired sessions are purged as soon
// as they expire and members have no cap, so that the purge benchmarks
// measure a purge and the numbers compare with those before the lifecycle
// options; BenchmarkLifecycle measures those options.
func Options(clock *Clock) *sessionstore.Options {
	return &sessionstore.Options{
		PortalURL:            fixture.PortalURL,
		Now:                  clock.Now,
		SweepInterval:        -1,
		ExpiredRetention:     -1,
		MaxSessionsPerMember: -1,
	}
}
