package sessionstore_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
)

// A flood of refusals is one summary line per interval, and Flush writes
// what is left; a background failure is an error line.
func TestAuditLogAggregatesRefusals(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 1, 20, 10, 0, 0, 0, time.UTC)
	a := sessionstore.NewAuditLog(slog.New(slog.NewTextHandler(&buf, nil)), &sessionstore.AuditOptions{Now: func() time.Time { return now }, Interval: time.Second})
	ctx := context.Background()
	for range 1000 {
		a.Observe(ctx, sessionstore.Event{Kind: sessionstore.EventLookupFailed, Reason: sessionstore.ReasonUnknown, Err: sessionstore.ErrNotFound})
		a.Observe(ctx, sessionstore.Event{Kind: sessionstore.EventRefused, Code: "invalid_token", Status: 401})
	}
	if buf.Len() != 0 {
		t.Fatalf("refusals logged before the interval ended:\n%s", buf.String())
	}
	now = now.Add(time.Second)
	a.Observe(ctx, sessionstore.Event{Kind: sessionstore.EventLookupFailed, Reason: sessionstore.ReasonExpired})
	a.Observe(ctx, sessionstore.Event{Kind: sessionstore.EventBackgroundFailed, Err: errors.New("disk full")})
	a.Flush(ctx)
	a.Flush(ctx)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 ||
		!strings.Contains(lines[0], "lookups.unknown=1000 requests.invalid_token=1000") ||
		!strings.Contains(lines[1], `level=ERROR msg="background purge failed" event=background_failed error="disk full"`) ||
		!strings.Contains(lines[2], "lookups.expired=1") {
		t.Fatalf("got lines:\n%s", buf.String())
	}
}
