package sessionhttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/memberkit/sessionstore"
)

// The error codes written in the "error" member of a JSON error body and
// returned by Code.
const (
	// CodeMissingToken means the request carries no session token.
	CodeMissingToken = "missing_token"
	// CodeMalformedToken means the token has the wrong shape; storage was
	// not touched.
	CodeMalformedToken = "malformed_token"
	// CodeInvalidToken means no live session has this token: it is
	// unknown, revoked or purged, or its customer is deleted.
	CodeInvalidToken = "invalid_token"
	// CodeExpired means the session exists but has expired.
	CodeExpired = "expired"
	// CodeForbidden means the member has none of the roles RequireRole asks for.
	CodeForbidden = "forbidden"
	// CodeCrossOrigin means Logout or LogoutEverywhere refused a request
	// from another origin (see Options.CrossOriginProtection).
	CodeCrossOrigin = "cross_origin"
	// CodeMethodNotAllowed means a handler of this package got a method it
	// does not take (Logout, LogoutEverywhere and the other sign-outs take
	// POST and DELETE; Sessions, Introspect and PortalUser GET and HEAD);
	// the Allow header lists those it takes.
	CodeMethodNotAllowed = "method_not_allowed"
	// CodeSessionNotFound means SignOutSession was asked to end a session
	// that is not one of the signed-in member's.
	CodeSessionNotFound = "session_not_found"
	// CodeSignInTooOld means RequireRecentSignIn refused a session whose
	// member signed in (or opened the portal link) too long ago for the
	// route: sign in again.
	CodeSignInTooOld = "sign_in_too_old"
	// CodeTooManySessions means the store refused a new session because the
	// member (or the portal link) holds as many as it may
	// (sessionstore.ErrTooManySessions).
	CodeTooManySessions = "too_many_sessions"
	// CodeUnavailable means the store failed; the token may well be valid.
	CodeUnavailable = "unavailable"
)

// Sentinel causes for the failures that do not come from the store. They
// are the Err of the *Error the middleware reports.
var (
	// ErrMissingToken reports a request without a session token.
	ErrMissingToken = errors.New("sessionhttp: no session token")
	// ErrForbidden reports a member without any of the required roles.
	ErrForbidden = errors.New("sessionhttp: member lacks the required role")
	// ErrSessionNotFound reports a SignOutSession of a session that is not
	// the member's (or no longer exists).
	ErrSessionNotFound = errors.New("sessionhttp: no such session of this member")
	// ErrSignInTooOld reports a session refused by RequireRecentSignIn.
	ErrSignInTooOld = errors.New("sessionhttp: sign-in too old for this page")
	// ErrCrossOrigin reports a sign-out request from another origin.
	ErrCrossOrigin = errors.New("sessionhttp: cross-origin request")
	// ErrMethodNotAllowed reports a request with a method the handler does
	// not take (see CodeMethodNotAllowed).
	ErrMethodNotAllowed = errors.New("sessionhttp: method not allowed")
)

// Source tells where the middleware found a token.
type Source string

// The token sources, in the order the middleware looks at them.
const (
	// SourceNone means the request carried no token.
	SourceNone Source = ""
	// SourceHeader is an "Authorization: Bearer" header.
	SourceHeader Source = "header"
	// SourceLink is the member_session_token query parameter of a portal link.
	SourceLink Source = "link"
	// SourceCookie is the session cookie.
	SourceCookie Source = "cookie"
)

// Error is the error the middleware, RequireRole, Logout and
// LogoutEverywhere hand to the error handler. Its message never contains a
// token.
type Error struct {
	// Code is one of the Code constants.
	Code string
	// Source is where the rejected token came from; SourceNone when there
	// was none, or for CodeForbidden.
	Source Source
	// Err is the cause: a sessionstore sentinel (ErrExpired, ErrNotFound,
	// ErrMalformedToken), ErrMissingToken, ErrForbidden, ErrCrossOrigin,
	// ErrMethodNotAllowed, or the store's error for CodeUnavailable.
	Err error
}

// Error returns "sessionhttp: <code>: <cause>".
func (e *Error) Error() string {
	if e.Err == nil {
		return "sessionhttp: " + e.Code
	}
	return "sessionhttp: " + e.Code + ": " + e.Err.Error()
}

// Unwrap returns the cause, so that errors.Is matches the sessionstore
// sentinels.
func (e *Error) Unwrap() error { return e.Err }

// StatusCode returns the HTTP status for the error's code: 401 for the token
// codes, 403 for CodeForbidden and CodeCrossOrigin, 405 for
// CodeMethodNotAllowed, 503 for CodeUnavailable and anything else.
func (e *Error) StatusCode() int { return statusOf(e.Code) }

func statusOf(code string) int {
	switch code {
	case CodeMissingToken, CodeMalformedToken, CodeInvalidToken, CodeExpired:
		return http.StatusUnauthorized
	case CodeForbidden, CodeCrossOrigin, CodeTooManySessions, CodeSignInTooOld:
		return http.StatusForbidden
	case CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case CodeSessionNotFound:
		return http.StatusNotFound
	default:
		return http.StatusServiceUnavailable
	}
}

// Code returns the error code for err: the Code of an *Error in its chain,
// else the code a Store error maps to (sessionstore.ErrExpired is
// CodeExpired, ErrMalformedToken CodeMalformedToken, ErrNotFound
// CodeInvalidToken, ErrMissingToken CodeMissingToken, ErrForbidden
// CodeForbidden, ErrCrossOrigin CodeCrossOrigin, ErrMethodNotAllowed
// CodeMethodNotAllowed, anything else CodeUnavailable). Code(nil) is "".
func Code(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return codeOf(err)
}

// codeOf classifies an error returned by Store.Lookup and friends.
func codeOf(err error) string {
	switch {
	case errors.Is(err, sessionstore.ErrExpired):
		return CodeExpired
	case errors.Is(err, sessionstore.ErrMalformedToken):
		return CodeMalformedToken
	case errors.Is(err, sessionstore.ErrNotFound), errors.Is(err, sessionstore.ErrNotLink):
		return CodeInvalidToken
	case errors.Is(err, sessionstore.ErrTooManySessions):
		return CodeTooManySessions
	case errors.Is(err, ErrMissingToken):
		return CodeMissingToken
	case errors.Is(err, ErrForbidden):
		return CodeForbidden
	case errors.Is(err, ErrSessionNotFound):
		return CodeSessionNotFound
	case errors.Is(err, ErrSignInTooOld):
		return CodeSignInTooOld
	case errors.Is(err, ErrCrossOrigin):
		return CodeCrossOrigin
	case errors.Is(err, ErrMethodNotAllowed):
		return CodeMethodNotAllowed
	default:
		return CodeUnavailable
	}
}

// WriteError is the default error responder. It writes err's status (see
// Error.StatusCode), a JSON body {"error": code}, and for a 401 the
// WWW-Authenticate challenge of RFC 6750: "Bearer" when the token was
// missing, `Bearer error="invalid_token"` otherwise. The response is marked
// "Cache-Control: no-store". A custom ErrorHandler may call it for the cases
// it does not handle itself.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	code := Code(err)
	if code == "" {
		code = CodeUnavailable
	}
	challenge(w.Header(), code)
	writeJSON(w, statusOf(code), map[string]string{"error": code})
}

// challenge sets the WWW-Authenticate header of RFC 6750 for a 401 code:
// "Bearer" when the token was missing, `Bearer error="invalid_token"`
// otherwise. Other codes get none.
func challenge(h http.Header, code string) {
	if statusOf(code) != http.StatusUnauthorized {
		return
	}
	if code == CodeMissingToken {
		h.Set("WWW-Authenticate", "Bearer")
	} else {
		h.Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
}

// writeJSON writes v as a JSON response with status, uncacheable. "&", "<"
// and ">" are written as they are (a return URL keeps its "&"), which is
// safe with the Content-Type and nosniff headers it sets.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // the package's values always encode
		body.Reset()
		body.WriteString(`{"error":"unavailable"}` + "\n")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body.Bytes())
}
