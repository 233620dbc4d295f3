// Package sessionhttp authenticates HTTP requests with member sessions from a
// sessionstore.Store, using net/http only.
//
// # Tokens
//
// Middleware finds the session token, in this order:
//
//  1. an "Authorization: Bearer <token>" header, which wins over everything
//     else (API clients);
//  2. on a GET or HEAD request, the member_session_token query parameter of a
//     portal link (sessionstore's member_portal_url);
//  3. the session cookie (Options.CookieName, default "member_session").
//
// A portal link is exchanged rather than served: the token is looked up, an
// HttpOnly, Secure, SameSite=Lax cookie with Path=/ that expires with the
// session is set, and the browser is redirected (303 See Other) to the same
// URL without the member_session_token and email parameters, so that the
// token leaves the address bar, the back/forward list and any later Referer
// header. The redirect and every error response carry
// "Cache-Control: no-store" and "Referrer-Policy: no-referrer".
//
// On success the session is in the request context; FromContext returns it.
// Its Token and MemberPortalURL are cleared, so a handler that writes the
// session out cannot leak the token.
//
// # Errors
//
// A request that does not authenticate is answered by Options.ErrorHandler,
// or by WriteError, which writes a JSON body {"error": code} with:
//
//	code              status  meaning
//	missing_token     401     no token in the request
//	malformed_token   401     a token of the wrong shape (never reached storage)
//	invalid_token     401     unknown or revoked token, or deleted customer
//	expired           401     the session has expired
//	forbidden         403     RequireRole: the member lacks the role
//	unavailable       503     the store failed (backend error, store closed)
//
// 401 responses carry "WWW-Authenticate: Bearer" for a missing token and
// `Bearer error="invalid_token"` for the other three codes (RFC 6750). A
// store failure is never reported as 401: the client's token may be fine.
// The error handed to a custom ErrorHandler is an *Error; Code tells the
// codes apart, and errors.Is still matches the sessionstore sentinels
// (sessionstore.ErrExpired, ...).
//
// # Secrecy
//
// The raw token appears in no log line, error message or response body or
// header written by this package, except the Set-Cookie header of the
// portal-link exchange, which is how the browser receives its credential.
// Tokens are never compared here: the store looks them up by hash.
//
// # Cross-site requests
//
// The cookie is SameSite=Lax, so browsers do not send it on cross-site POST
// requests. Handlers that change state on a cookie-authenticated request
// (Logout, LogoutEverywhere, your own forms) should still be wrapped in a
// cross-origin check such as net/http.CrossOriginProtection.
package sessionhttp
