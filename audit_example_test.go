package sessionstore_test

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/memory"
)

// Wire an audit log in one line: Observer: sessionstore.NewAuditLog(logger, nil).
// Here the handler drops the time and masks the random session IDs so the
// output can be checked; refused lookups come out as one summary line.
func ExampleNewAuditLog() {
	ctx := context.Background()
	now := time.Date(2026, 1, 20, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			switch {
			case a.Key == slog.TimeKey && len(groups) == 0:
				return slog.Attr{}
			case a.Key == "session_id":
				a.Value = slog.StringValue("…")
			}
			return a
		},
	}))
	audit := sessionstore.NewAuditLog(logger, &sessionstore.AuditOptions{Now: clock})
	store, err := memory.New(&sessionstore.Options{Observer: audit, Now: clock, SweepInterval: -1})
	if err != nil {
		panic(err)
	}
	defer store.Close()

	s, _ := store.Create(ctx, exampleParams())
	_, _ = store.Lookup(ctx, s.Token) // a successful lookup is not audited
	for range 3 {
		_, _ = store.Lookup(ctx, "mst_guessing") // counted, not logged one by one
	}
	_, _ = store.RevokeMember(ctx, "mem_1")
	_, _ = store.Lookup(ctx, s.Token)
	now = now.Add(time.Minute)
	_, _ = store.Create(ctx, exampleParams()) // the interval is over: the summary comes first
	// Output:
	// level=INFO msg="session created" event=created session_id=… member_id=mem_1 customer_id=cus_1
	// level=INFO msg="member sessions revoked" event=member_revoked member_id=mem_1 count=1
	// level=WARN msg="refused summary" since=2026-01-20T10:00:00.000Z lookups.malformed=3 lookups.unknown=1
	// level=INFO msg="session created" event=created session_id=… member_id=mem_1 customer_id=cus_1
}
