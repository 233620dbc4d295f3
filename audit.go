package sessionstore

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"
)

// AuditOptions configures NewAuditLog. A nil *AuditOptions means all
// defaults; a zero field means its default.
type AuditOptions struct {
	// Interval is how long refused lookups and requests are counted before
	// they are written as one summary line. Default 1m.
	Interval time.Duration
	// Now is the clock of the intervals. Default time.Now; pass the
	// store's Options.Now.
	Now func() time.Time
}

// AuditLog is an Observer that writes the security-relevant events to a
// *slog.Logger, one structured line each at level Info: a session created,
// revoked, evicted or rehashed, a member's or customer's sessions revoked,
// a sign-in, sign-out or sign-out everywhere through sessionhttp. A failed
// background purge is a line at level Error.
//
// Refused lookups and refused requests are not written one by one, so that
// guessing tokens cannot flood the log: they are counted by reason (and by
// sessionhttp error code), and the counts are written as one line,
// "refused summary", by the first event of any kind that arrives after
// AuditOptions.Interval has passed since counting started, or by Flush.
// A store's sweeper reports a purge each Options.SweepInterval, so with it
// running a summary is never held back much longer than Interval.
//
// Successful lookups, extensions and purges are not audited. No line
// holds a token or a token hash. It is safe for concurrent use.
type AuditLog struct {
	logger   *slog.Logger
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	since   time.Time // start of the counting interval; zero when nothing is counted
	reasons map[Reason]int
	codes   map[string]int
}

// NewAuditLog returns an AuditLog writing to logger. Use it as
// Options.Observer, and as the sessionhttp Options.Observer too.
func NewAuditLog(logger *slog.Logger, opts *AuditOptions) *AuditLog {
	a := &AuditLog{logger: logger, interval: time.Minute, now: time.Now,
		reasons: make(map[Reason]int), codes: make(map[string]int)}
	if opts != nil && opts.Interval > 0 {
		a.interval = opts.Interval
	}
	if opts != nil && opts.Now != nil {
		a.now = opts.Now
	}
	return a
}

// Observe implements Observer.
func (a *AuditLog) Observe(ctx context.Context, e Event) {
	switch e.Kind {
	case EventLookupFailed:
		a.count(ctx, e.Reason, "")
		return
	case EventRefused:
		a.count(ctx, "", e.Code)
		return
	}
	a.flushDue(ctx)
	msg, level := "", slog.LevelInfo
	switch e.Kind {
	case EventCreated:
		msg = "session created"
	case EventRevoked:
		msg = "session revoked"
	case EventEvicted:
		msg = "session evicted by the member cap"
	case EventRehashed:
		msg = "session rehashed under the current secret"
	case EventMemberRevoked:
		msg = "member sessions revoked"
	case EventCustomerRevoked:
		msg = "customer sessions revoked"
	case EventSignedIn:
		msg = "signed in"
	case EventSignedOut:
		msg = "signed out"
	case EventSignedOutEverywhere:
		msg = "signed out everywhere"
	case EventBackgroundFailed:
		msg, level = "background purge failed", slog.LevelError
	default:
		return
	}
	attrs := make([]slog.Attr, 0, 6)
	attrs = append(attrs, slog.String("event", string(e.Kind)))
	for _, f := range []struct{ k, v string }{
		{"session_id", e.SessionID}, {"member_id", e.MemberID}, {"customer_id", e.CustomerID}, {"source", e.Source},
	} {
		if f.v != "" {
			attrs = append(attrs, slog.String(f.k, f.v))
		}
	}
	switch e.Kind {
	case EventMemberRevoked, EventCustomerRevoked, EventSignedOutEverywhere:
		attrs = append(attrs, slog.Int("count", e.Count))
	case EventBackgroundFailed:
		attrs = append(attrs, slog.String("error", e.Err.Error()))
	}
	a.logger.LogAttrs(ctx, level, msg, attrs...)
}

// count adds one refusal, by store reason or sessionhttp code.
func (a *AuditLog) count(ctx context.Context, reason Reason, code string) {
	a.flushDue(ctx)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.since.IsZero() {
		a.since = a.now()
	}
	if code != "" {
		a.codes[code]++
	} else {
		a.reasons[reason]++
	}
}

// flushDue writes the summary once the interval has passed.
func (a *AuditLog) flushDue(ctx context.Context) {
	a.mu.Lock()
	due := !a.since.IsZero() && !a.now().Before(a.since.Add(a.interval))
	a.mu.Unlock()
	if due {
		a.Flush(ctx)
	}
}

// Flush writes the refusals counted so far as one "refused summary" line,
// if there are any, and starts counting anew. Call it at shutdown so the
// last interval is not lost.
func (a *AuditLog) Flush(ctx context.Context) {
	a.mu.Lock()
	if a.since.IsZero() {
		a.mu.Unlock()
		return
	}
	since, reasons, codes := a.since, a.reasons, a.codes
	a.since, a.reasons, a.codes = time.Time{}, make(map[Reason]int), make(map[string]int)
	a.mu.Unlock()
	attrs := []slog.Attr{slog.Time("since", since)}
	if len(reasons) > 0 {
		attrs = append(attrs, slog.Any("lookups", countAttrs(reasons)))
	}
	if len(codes) > 0 {
		attrs = append(attrs, slog.Any("requests", countAttrs(codes)))
	}
	a.logger.LogAttrs(ctx, slog.LevelWarn, "refused summary", attrs...)
}

// countAttrs returns counts as a slog group, keys sorted.
func countAttrs[K ~string](counts map[K]int) slog.Value {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	attrs := make([]slog.Attr, len(keys))
	for i, k := range keys {
		attrs[i] = slog.Int(k, counts[K(k)])
	}
	return slog.GroupValue(attrs...)
}
