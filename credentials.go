package sessionstore

import (
	"fmt"
	"log/slog"
)

// Credentials is a session whose JSON carries its token and portal URL:
// the whole of Polar's create response. A MemberSession's own JSON writes
// both as "" (see MemberSession.MarshalJSON), so that a session never
// leaks its token through a JSON encoder by accident; Credentials is the
// explicit way to send them, to whoever asked for the session, once.
//
// Make one with WithCredentials right where the response is written, and
// do not keep it or pass it on: its JSON is a secret wherever it goes. Its
// fmt and log/slog forms are the session's, without the token, but a
// log/slog JSON handler that meets a Credentials inside a slice, map or
// struct writes its JSON, token included.
type Credentials struct {
	// s is a pointer, so that fmt, which prints a struct's fields by
	// reflection in the cases where it calls no method (%p, an unexported
	// field), shows an address and never the token.
	s *MemberSession
}

// WithCredentials returns s wrapped for the one JSON document that must
// carry its token and member_portal_url: the response to whoever created
// the session. The result refers to s, so it encodes s as it is when
// encoded. A nil s encodes as JSON null.
func WithCredentials(s *MemberSession) Credentials { return Credentials{s: s} }

// MarshalJSON writes the session in Polar's wire format, token and
// member_portal_url included as the session holds them (empty for a
// session that Get or a list method returned, which have none). It is
// MemberSession.MarshalJSON otherwise, byte for byte, and
// MemberSession.UnmarshalJSON reads it back whole.
func (c Credentials) MarshalJSON() ([]byte, error) {
	if c.s == nil {
		return []byte("null"), nil
	}
	return c.s.marshal(true)
}

// Format prints the session as MemberSession.Format does, without its
// token, for every verb; a nil session prints as <nil>.
func (c Credentials) Format(f fmt.State, verb rune) {
	if c.s == nil {
		_, _ = f.Write([]byte("<nil>"))
		return
	}
	c.s.Format(f, verb)
}

// LogValue is the session's LogValue, without its token; a nil session is
// logged as nil.
func (c Credentials) LogValue() slog.Value {
	if c.s == nil {
		return slog.AnyValue(nil)
	}
	return c.s.LogValue()
}
