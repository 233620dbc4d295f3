package sessionstore

import (
	"context"
	"errors"
	"time"
)

// Observer receives an Event for everything a store (and the sessionhttp
// middleware, given the same Observer) does to sessions: set it in
// Options.Observer. NewAuditLog and package otelmetrics make Observers;
// Observers combines several.
//
// Observe is called synchronously on the goroutine of the call that caused
// the event, after the change is stored, so it must be fast and safe for
// concurrent use; it must not call back into the store. ctx is the caller's
// context (the sweeper's own for background events). An Event never
// carries a token or a token hash.
type Observer interface {
	Observe(ctx context.Context, e Event)
}

// ObserverFunc adapts a function to an Observer.
type ObserverFunc func(ctx context.Context, e Event)

// Observe calls f(ctx, e).
func (f ObserverFunc) Observe(ctx context.Context, e Event) { f(ctx, e) }

// Observers returns an Observer that hands every event to each of obs in
// turn, skipping nil ones.
func Observers(obs ...Observer) Observer {
	var list []Observer
	for _, o := range obs {
		if o != nil {
			list = append(list, o)
		}
	}
	return ObserverFunc(func(ctx context.Context, e Event) {
		for _, o := range list {
			o.Observe(ctx, e)
		}
	})
}

// EventKind says what happened. Its values are short snake_case words,
// usable as log messages and metric attribute values.
type EventKind string

// The event kinds of a store.
const (
	// EventCreated: Create stored a session (SessionID, MemberID, CustomerID).
	EventCreated EventKind = "created"
	// EventLookup: Lookup returned a live session (IDs; Duration).
	EventLookup EventKind = "lookup"
	// EventLookupFailed: Lookup refused a token (Reason, Err, Duration;
	// the IDs when the session is still stored, as for ReasonExpired).
	EventLookupFailed EventKind = "lookup_failed"
	// EventExtended: Extend moved a session's expiry (IDs).
	EventExtended EventKind = "extended"
	// EventRevoked: Revoke removed one session (IDs).
	EventRevoked EventKind = "revoked"
	// EventMemberRevoked: RevokeMember removed a member's sessions
	// (MemberID; Count is how many were live).
	EventMemberRevoked EventKind = "member_revoked"
	// EventCustomerRevoked: RevokeCustomer, or UpdateCustomer of a deleted
	// customer, removed a customer's sessions (CustomerID; Count live ones).
	EventCustomerRevoked EventKind = "customer_revoked"
	// EventEvicted: Create removed a session of the member to stay within
	// Options.MaxSessionsPerMember (IDs of the evicted session).
	EventEvicted EventKind = "evicted"
	// EventRehashed: Lookup moved a session to the hash of the current
	// Options.Secret from one of PreviousSecrets (IDs).
	EventRehashed EventKind = "rehashed"
	// EventPurged: DeleteExpired, called or run by the sweeper, finished
	// (Count removed, Duration).
	EventPurged EventKind = "purged"
	// EventBackgroundFailed: background work failed and will be retried;
	// today the sweeper's purge (Err).
	EventBackgroundFailed EventKind = "background_failed"
)

// The event kinds of the sessionhttp middleware.
const (
	// EventSignedIn: a browser got a session cookie, from a portal link
	// exchange (Source "link") or SignIn (Source "sign_in") (IDs).
	EventSignedIn EventKind = "signed_in"
	// EventSignedOut: Logout ended the request's session (IDs).
	EventSignedOut EventKind = "signed_out"
	// EventSignedOutEverywhere: LogoutEverywhere ended all of a member's
	// sessions (IDs of the requesting session; Count).
	EventSignedOutEverywhere EventKind = "signed_out_everywhere"
	// EventRefused: the middleware answered with an error (Code is the
	// sessionhttp error code, Status the HTTP status, Source where the
	// token came from, Err the cause).
	EventRefused EventKind = "refused"
)

// Reason says why Lookup refused a token, as far as the store can tell.
type Reason string

// The reasons of EventLookupFailed.
const (
	// ReasonMalformed: the token has the wrong shape (ErrMalformedToken);
	// storage was not touched.
	ReasonMalformed Reason = "malformed"
	// ReasonUnknown: no session has this token (ErrNotFound). The store
	// cannot tell a token never issued from one whose session was revoked
	// or purged: both leave nothing behind.
	ReasonUnknown Reason = "unknown"
	// ReasonExpired: the session is stored but expired (ErrExpired).
	ReasonExpired Reason = "expired"
	// ReasonRevoked: the session is stored but ended, because its customer
	// is deleted (ErrNotFound).
	ReasonRevoked Reason = "revoked"
	// ReasonCorrupt: the stored record cannot be decoded (ErrCorrupt).
	ReasonCorrupt Reason = "corrupt"
	// ReasonError: the store failed (Err), or the context ended.
	ReasonError Reason = "error"
)

// Event is one thing that happened to sessions. Fields that do not apply
// to its Kind are zero. It never holds a token or a token hash.
type Event struct {
	Kind       EventKind
	Reason     Reason // EventLookupFailed only
	SessionID  string
	MemberID   string
	CustomerID string
	// Count is how many sessions the event covers, for the kinds that
	// document it.
	Count int
	// Duration is how long the operation took by Options.Now (so zero
	// under a clock that stands still).
	Duration time.Duration
	// Err is the failure, for EventLookupFailed, EventBackgroundFailed and
	// EventRefused. Its message never contains a token.
	Err error
	// Code, Status and Source are set by sessionhttp: its error code, HTTP
	// status, and where the token came from ("header", "link", "cookie",
	// "sign_in").
	Code   string
	Status int
	Source string
}

// ReasonOf classifies an error returned by Lookup: nil is "", and an error
// that is none of the sentinels is ReasonError. ErrNotFound is
// ReasonUnknown.
func ReasonOf(err error) Reason {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrMalformedToken):
		return ReasonMalformed
	case errors.Is(err, ErrNotFound):
		return ReasonUnknown
	case errors.Is(err, ErrExpired):
		return ReasonExpired
	case errors.Is(err, ErrCorrupt):
		return ReasonCorrupt
	}
	return ReasonError
}
