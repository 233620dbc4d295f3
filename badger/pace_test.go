package badger

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestPurgePace checks when a purge call pauses, through a done context:
// a pause returns the context's error, no pause returns nil.
func TestPurgePace(t *testing.T) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	var p purgePace
	if err := p.wait(done); err != nil {
		t.Fatalf("first call: %v, want no pause", err)
	}
	// The previous call took the longest pause and ends in the future, so
	// that its pause is due however long this test itself is held up.
	long := func() { p.began, p.ended = time.Now().Add(-time.Hour), time.Now().Add(time.Hour) }
	long()
	if err := p.wait(done); err != nil {
		t.Fatalf("no read since the previous call: %v, want no pause", err)
	}
	long()
	p.read()
	if err := p.wait(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("a read since the previous call: %v, want a pause ended by the context", err)
	}
	// The read was taken into account once.
	long()
	if err := p.wait(done); err != nil {
		t.Fatalf("no read since the previous call: %v, want no pause", err)
	}
	// A previous call long ago leaves nothing to wait for.
	p.read()
	p.began, p.ended = time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour)
	if err := p.wait(done); err != nil {
		t.Fatalf("previous call an hour ago: %v, want no pause", err)
	}
}
