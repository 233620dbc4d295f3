package sessionstore

import (
	"errors"
	"strings"
)

// Sentinel errors. Callers test for them with errors.Is; the returned errors
// may wrap them with more detail. Every message starts with "sessionstore:".
var (
	// ErrNotFound reports that no session matches: the token or ID is
	// unknown, the session was revoked, or it was purged after expiry.
	ErrNotFound = errors.New("sessionstore: session not found")

	// ErrExpired reports that the session exists but its expires_at has
	// passed. Lookup returns it so a portal can say "this link has expired"
	// instead of a generic failure.
	ErrExpired = errors.New("sessionstore: session expired")

	// ErrMalformedToken reports a token with the wrong prefix, length,
	// alphabet or checksum. It is returned before any storage is touched.
	ErrMalformedToken = errors.New("sessionstore: malformed token")

	// ErrInvalid reports bad input. The concrete error is a
	// *ValidationError naming the field; nothing was stored or changed.
	ErrInvalid = errors.New("sessionstore: invalid input")

	// ErrClosed reports a call on a store after Close.
	ErrClosed = errors.New("sessionstore: store closed")

	// ErrCorrupt reports stored bytes that cannot be decoded as a session
	// record, or whose checksum does not match. Lookup, Get and Extend of
	// that session return it, and it never authenticates. Other sessions
	// are unaffected: ListByMember and ListByCustomer leave it out,
	// reporting it to Options.Logger, and Revoke, RevokeMember,
	// RevokeCustomer, UpdateMember and UpdateCustomer remove it along with
	// the sound sessions they act on.
	ErrCorrupt = errors.New("sessionstore: corrupt record")

	// ErrNotLink reports a token given to Store.Exchange that belongs to a
	// live session which is not a portal link (a device or sign-in
	// session): only links are exchangeable.
	ErrNotLink = errors.New("sessionstore: not a portal link")

	// ErrTooManySessions reports a Create or Exchange refused because the
	// member, or the link, already holds as many live sessions as allowed
	// (Options.MaxSessionsPerMember, Options.MaxDevicesPerLink) and the
	// cap policy is CapRefuse, or because an exchange would have to evict
	// a session its link did not make. Nothing was stored.
	ErrTooManySessions = errors.New("sessionstore: too many sessions")
)

// ValidationError describes one bad input field. It matches ErrInvalid
// under errors.Is.
type ValidationError struct {
	// Field is the JSON path of the offending field, such as
	// "member.email", "return_url" or "customer.metadata".
	Field string
	// Reason says what is wrong, in plain words. It never contains a token.
	Reason string
}

// Error returns "sessionstore: invalid <field>: <reason>".
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("sessionstore: invalid ")
	b.WriteString(e.Field)
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// Is reports whether target is ErrInvalid.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, reason string) error {
	return &ValidationError{Field: field, Reason: reason}
}
