package sessionhttp

import (
	"net/http"
	"strings"

	"github.com/memberkit/sessionstore"
)

// Polar's customer-portal session endpoints, for API clients such as
// Polar's own SDK (its customerPortal.customerSession calls): Introspect
// and PortalUser answer them for the session of the request's bearer
// token. Mount them at these paths.
const (
	// IntrospectPath is where Polar serves Introspect's answer.
	IntrospectPath = "/v1/customer-portal/customer-session/introspect"
	// PortalUserPath is where Polar serves PortalUser's answer.
	PortalUserPath = "/v1/customer-portal/customer-session/user"
)

// customerSessionJSON is Polar's CustomerCustomerSession.
type customerSessionJSON struct {
	ExpiresAt string  `json:"expires_at"`
	ReturnURL *string `json:"return_url"`
}

// portalUserJSON is Polar's PortalAuthenticatedUser of a member.
type portalUserJSON struct {
	Type       string                  `json:"type"`
	Name       *string                 `json:"name"`
	Email      string                  `json:"email"`
	CustomerID string                  `json:"customer_id"`
	MemberID   string                  `json:"member_id"`
	Role       sessionstore.MemberRole `json:"role"`
}

// Introspect returns the handler of Polar's GET
// /v1/customer-portal/customer-session/introspect (IntrospectPath): it
// answers 200 with the JSON of Polar's CustomerCustomerSession for the
// session of the request's "Authorization: Bearer" token,
//
//	{"expires_at": "2026-01-20T11:00:00Z", "return_url": "https://example.com/account"}
//
// where expires_at is the session's (in the wire form of
// sessionstore.FormatTime) and return_url exactly the URL the session was
// created with, or null. See PortalUser for the rest of the contract.
func (a *Auth) Introspect() http.Handler {
	return a.api(func(s *sessionstore.MemberSession) any {
		return customerSessionJSON{ExpiresAt: sessionstore.FormatTime(s.ExpiresAt), ReturnURL: s.ReturnURL}
	})
}

// PortalUser returns the handler of Polar's GET
// /v1/customer-portal/customer-session/user (PortalUserPath): it answers
// 200 with the JSON of Polar's PortalAuthenticatedUser for the member of
// the session of the request's "Authorization: Bearer" token,
//
//	{"type": "member", "name": "Jane Doe", "email": "jane@example.com",
//	 "customer_id": "...", "member_id": "...", "role": "owner"}
//
// where name is the member's, or null when it has none (or an empty one).
//
// Both handlers are API endpoints, always JSON. They read the token from
// the Authorization header only, as Polar does: a portal link's
// member_session_token parameter is not exchanged there, and the session
// cookie is not read. Every kind of session authenticates: a portal link's
// token (what Polar's own portal holds and sends), and a device or sign-in
// session's token when an API client holds one. They take GET and HEAD;
// another method is 405 with an Allow header. Answers carry
// "Cache-Control: no-store".
//
// A missing, malformed, unknown, revoked or expired token is 401 with the
// WWW-Authenticate challenge of WriteError and a body in the shape of
// Polar's errors, {"error": "Unauthorized", "detail": "...", "code": ...},
// where code is the package's (CodeMissingToken, CodeExpired, ...); a
// store failure is 503, error "ServiceUnavailable". Options.ErrorHandler
// and Options.SignInURL do not apply: a browser preferring HTML gets the
// same JSON. Options.Observer still hears every refusal.
func (a *Auth) PortalUser() http.Handler {
	return a.api(func(s *sessionstore.MemberSession) any {
		name := s.Member.Name
		if name != nil && *name == "" {
			name = nil
		}
		return portalUserJSON{Type: "member", Name: name, Email: s.Member.Email,
			CustomerID: s.CustomerID, MemberID: s.MemberID, Role: s.Member.Role}
	})
}

// api returns a GET and HEAD endpoint, behind modeAPI authentication, that
// answers 200 with the JSON of view(session).
func (a *Auth) api(view func(*sessionstore.MemberSession) any) http.Handler {
	h := a.serve(modeAPI, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := FromContext(r.Context())
		writeJSON(w, http.StatusOK, view(s))
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			a.failAPI(w, r, &Error{Code: CodeMethodNotAllowed, Err: ErrMethodNotAllowed})
			return
		}
		h.ServeHTTP(w, r)
	})
}

// apiError is the body of an API endpoint's error, in the shape of
// Polar's: error names the HTTP status as Polar's error classes do
// ("Unauthorized"), detail says what happened, code is the package's code.
type apiError struct {
	Error  string `json:"error"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
}

// apiDetails are the detail texts of apiError by code.
var apiDetails = map[string]string{
	CodeMissingToken:     "Send the member session token as Authorization: Bearer.",
	CodeMalformedToken:   "The session token is malformed.",
	CodeInvalidToken:     "The session token is not valid: it is unknown or was revoked.",
	CodeExpired:          "The session has expired.",
	CodeMethodNotAllowed: "Method not allowed: use GET.",
}

// writeAPIError writes e as an API endpoint's error (see apiError), with
// e's status and, for a 401, the challenge of RFC 6750.
func writeAPIError(w http.ResponseWriter, e *Error) {
	status := e.StatusCode()
	detail, ok := apiDetails[e.Code]
	if !ok {
		detail = "The session store is unavailable; try again."
	}
	challenge(w.Header(), e.Code)
	writeJSON(w, status, apiError{Error: strings.ReplaceAll(http.StatusText(status), " ", ""), Detail: detail, Code: e.Code})
}
