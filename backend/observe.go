package backend

import (
	"context"
	"time"

	"github.com/memberkit/sessionstore"
)

// recordEvent returns an event of kind about r: its IDs, never its hash.
func recordEvent(kind sessionstore.EventKind, r *Record) sessionstore.Event {
	return sessionstore.Event{Kind: kind, SessionID: r.ID, MemberID: r.MemberID(), CustomerID: r.CustomerID()}
}

// created reports a Create of rec and the sessions it evicted.
func (e *engine) created(ctx context.Context, rec *Record, evicted []*Record) {
	e.obs.Observe(ctx, recordEvent(sessionstore.EventCreated, rec))
	for _, r := range evicted {
		e.obs.Observe(ctx, recordEvent(sessionstore.EventEvicted, r))
	}
}

// looked reports a Lookup that started at start, found rec (nil when
// none) and returned err. A stored record that is refused as not found
// ended with its customer: that is ReasonRevoked.
func (e *engine) looked(ctx context.Context, start time.Time, rec *Record, err error) {
	ev := sessionstore.Event{Kind: sessionstore.EventLookup, Duration: e.opts.Now().Sub(start)}
	if rec != nil {
		ev.SessionID, ev.MemberID, ev.CustomerID = rec.ID, rec.MemberID(), rec.CustomerID()
	}
	if err != nil {
		ev.Kind, ev.Err, ev.Reason = sessionstore.EventLookupFailed, err, sessionstore.ReasonOf(err)
		if ev.Reason == sessionstore.ReasonUnknown && rec != nil {
			ev.Reason = sessionstore.ReasonRevoked
		}
	}
	e.obs.Observe(ctx, ev)
}

// backgroundFailed reports a failure of the sweeper, unless Close caused it.
func (e *engine) backgroundFailed(err error) {
	if e.obs == nil || e.closed.Load() || e.sweepCtx.Err() != nil {
		return
	}
	e.obs.Observe(e.sweepCtx, sessionstore.Event{Kind: sessionstore.EventBackgroundFailed, Err: err})
}
