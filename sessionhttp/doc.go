// Package sessionhttp authenticates HTTP requests with member sessions from a
// sessionstore.Store, using net/http only.
//
// New returns an Auth, one value for a whole application: Required,
// Optional and Role guard routes in those modes, SignIn signs in a member
// the application authenticated itself, Extend keeps a session (and its
// cookie) alive longer, and Logout and LogoutEverywhere sign out. Middleware
// is the older one-mode shortcut, New followed by Required or Optional.
// Sessions, SignOutSession and SignOutOthers serve a devices page, and
// Introspect and PortalUser serve Polar's customer-session API (see
// "Polar's customer-session endpoints").
//
// # Tokens
//
// The middleware finds the session token, in this order:
//
//  1. an "Authorization: Bearer <token>" header, which wins over everything
//     else (API clients);
//  2. on a GET or HEAD request, the member_session_token query parameter of a
//     portal link (sessionstore's member_portal_url);
//  3. the session cookie (Options.Cookie.Name, see Cookie).
//
// The customer-session endpoints (Introspect, PortalUser) read the
// Authorization header only: see below.
//
// # One session per device
//
// A portal link is exchanged rather than served: Store.Exchange trades the
// link for a new device session for this browser, with the link's member,
// customer and return URL, its own token in an HttpOnly cookie, and the
// browser's DeviceLabel. The exchange is one atomic step with the
// revocations: once "Sign out everywhere", the customer's deletion or the
// link's revocation has returned, no exchange, however it raced them,
// leaves a session that signs anyone in. Only a link's token is exchanged;
// a device cookie's token presented as member_session_token is refused.
// The browser is redirected (303 See Other) to the same URL without the
// member_session_token and email parameters, so that no token stays in the
// address bar, the back/forward list or a later Referer header. The
// redirect and every error response carry "Cache-Control: no-store" and
// "Referrer-Policy: no-referrer"; the link's token is never in a response.
//
// Lifetime rule: a device session ends when its link does. Its TTL is the
// link's remaining life, in whole seconds, so it never outlives the link;
// a link with less than a second left is answered as expired. The
// application may lengthen a device session with Extend, but never past
// the store's MaxTTL counted from the link's creation (the session's
// AuthenticatedAt): no chain of exchanges and extensions outlives the
// sign-in it came from.
//
// So "Sign out" (Logout) ends one browser's session and nothing else, and
// "Sign out everywhere" (LogoutEverywhere) revokes every session of the
// member, the links included. A link may be exchanged any number of times
// until it expires, as in Polar, for at most the store's MaxDevicesPerLink
// browsers at once (its own oldest makes way, never the member's other
// sessions); Options.OneTimeLinks makes the first exchange consume it, in
// the same atomic step. When a browser signs in again (another link, or
// SignIn), the session its cookie held is revoked: one browser, one
// session. Options.OnSignIn is called for each new browser session.
//
// Give Options.Observer the store's sessionstore.Options.Observer (such as
// sessionstore.NewAuditLog or an otelmetrics.Metrics), and the sign-ins,
// sign-outs and refusals of the middleware reach the same audit log and
// metrics as the store's own events.
//
// On success the session is in the request context; FromContext returns it.
// Its Token and MemberPortalURL are cleared, so a handler that writes the
// session out cannot leak the token.
//
// # Polar's customer-session endpoints
//
// Introspect and PortalUser answer Polar's customer-portal session API, so
// that a client written for Polar (its TypeScript SDK's
// customerPortal.customerSession.introspect and getAuthenticatedUser, with
// serverURL set to the application) works against this store:
//
//	path                                                 answer: Polar's schema
//	GET /v1/customer-portal/customer-session/introspect  {"expires_at", "return_url"}: CustomerCustomerSession
//	GET /v1/customer-portal/customer-session/user        {"type": "member", "name", "email", "customer_id",
//	                                                     "member_id", "role"}: PortalAuthenticatedUser
//
// They authenticate the "Authorization: Bearer" token only, of any kind of
// session (a portal link's token is what Polar's portal sends), and answer
// every failure with JSON in the shape of Polar's errors, such as
// {"error": "Unauthorized", "detail": "The session has expired.", "code":
// "expired"}, whatever Options.ErrorHandler and Options.SignInURL say.
// GET and HEAD only; "Cache-Control: no-store".
//
// # Caching
//
// Every response through the middleware carries "Vary: Cookie", and every
// authenticated one "Cache-Control: private, no-store" (a handler may
// replace it; Options.AllowCaching turns both off). Responses that set or
// clear the cookie carry "Cache-Control: no-store".
//
// # Errors
//
// A request that does not authenticate is answered by Options.ErrorHandler,
// or by WriteError, which writes a JSON body {"error": code} with:
//
//	code                status  meaning
//	missing_token       401     no token in the request
//	malformed_token     401     a token of the wrong shape (never reached storage)
//	invalid_token       401     unknown or revoked token, or deleted customer
//	expired             401     the session has expired
//	forbidden           403     Role, RequireRole: the member lacks the role
//	cross_origin        403     Logout, LogoutEverywhere: a cross-origin request
//	sign_in_too_old     403     RequireRecentSignIn: signed in too long ago
//	too_many_sessions   403     the store's cap refused a new session
//	session_not_found   404     SignOutSession: not a session of this member
//	method_not_allowed  405     the sign-outs: not POST or DELETE; Sessions,
//	                            Introspect, PortalUser: not GET or HEAD
//	unavailable         503     the store failed (backend error, store closed)
//
// The customer-session endpoints (Introspect, PortalUser) answer with the
// same codes and statuses, but never through the ErrorHandler: always with
// a body in the shape of Polar's errors that carries the code in its
// "code" member (see PortalUser).
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
// header written by this package, except the Set-Cookie header that hands a
// browser its own session's token. Tokens are never compared here: the
// store looks them up by hash.
//
// # Cross-site requests
//
// The cookie is SameSite=Lax by default, so browsers do not send it on
// cross-site POST requests. Logout and LogoutEverywhere also run
// net/http's CrossOriginProtection themselves (Options.CrossOriginProtection).
// Wrap your own state-changing handlers in it too.
//
// Login CSRF is defended where it hurts: a portal link opened from another
// site or a sibling subdomain (Sec-Fetch-Site "cross-site" or "same-site")
// never ends the browser's live session. If that session is of the link's
// member, the browser is sent on with it; if it is another member's, the
// browser gets a page (Options.ConfirmSwitch) asking whether to continue as
// the link's member, and only a same-origin POST of that page to the same
// URL switches; a cross-origin POST is 403 cross_origin.
//
// Not defended: a browser with no live session that follows someone else's
// link from another site is signed in as that link's member in one click,
// which is what makes an emailed link work (show who is signed in on every
// page, as the portal does, so a member notices). Browsers that predate the
// Sec-Fetch-Site header (before 2023) are taken as same-origin.
package sessionhttp
