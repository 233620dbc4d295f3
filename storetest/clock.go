package storetest

import (
	"sync"
	"time"

	"github.com/memberkit/sessionstore/internal/fixture"
)

// StartTime returns the instant every suite clock starts at:
// 2026-01-20T10:00:00.123456789Z. Its nanoseconds below the microsecond
// make any store that forgets to truncate times visible.
func StartTime() time.Time { return fixture.StartTime() }

// Clock is a fake clock for Options.Now. It stands still until Advance or
// Set moves it. It is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock that reads start until moved.
func NewClock(start time.Time) *Clock {
	return &Clock{now: start}
}

// Now returns the clock's current time. Its signature fits Options.Now.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d (backward when d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t, forward or backward.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}
