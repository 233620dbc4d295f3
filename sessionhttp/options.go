package sessionhttp

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/memberkit/sessionstore"
)

// Options configures New and Middleware. A nil *Options means all defaults;
// a zero field means that field's default. The options also apply to
// RequireRole, Logout and LogoutEverywhere when they run behind the
// middleware.
type Options struct {
	// Cookie sets every attribute of the session cookie. The zero value is
	// a Secure, host-only, HttpOnly, SameSite=Lax cookie named
	// "__Host-member_session"; see Cookie.
	Cookie Cookie

	// CookieName is the cookie's name.
	//
	// Deprecated: use Cookie.Name. Setting both to different names is an
	// error.
	CookieName string

	// Insecure leaves out the cookie's Secure attribute.
	//
	// Deprecated: use Cookie.Insecure.
	Insecure bool

	// Optional makes Middleware let a request without a token through,
	// unauthenticated: FromContext then reports false. A stale session
	// cookie (expired, revoked or malformed) is then also let through and
	// cleared. A bad bearer token or portal link is still refused, and a
	// store failure is still 503. Only Middleware reads it: with New, pick
	// the mode per route with Auth.Required and Auth.Optional.
	Optional bool

	// OneTimeLinks makes a portal link work once: its first exchange
	// revokes the link's session in the same atomic step, so a copy of the
	// link left in an email signs nobody in. Default false: as in Polar, a link can be exchanged
	// any number of times until it expires, each time for a new session.
	OneTimeLinks bool

	// OnSignIn, when set, is called after a portal-link exchange or SignIn
	// created a session for a browser, before the response is written.
	// s has no token; its DeviceLabel is already stored with it. Use it
	// for an audit log or a notification; it cannot refuse the sign-in.
	OnSignIn func(r *http.Request, s *sessionstore.MemberSession)

	// ConfirmSwitch, when set, writes the page a browser gets when it opens
	// a portal link from another site while signed in as another member
	// (see "Cross-site requests" in the package documentation): it must
	// offer a form that POSTs to the request's own URL (a <form
	// method="post"> without an action does) to continue as the link's
	// member. current is the browser's session, link the link's; neither
	// has a token. Nil means a plain built-in page. The route that portal
	// links lead to must therefore let that POST reach the middleware
	// (which exchanges the link after its cross-origin check and redirects,
	// before the handler runs).
	ConfirmSwitch func(w http.ResponseWriter, r *http.Request, current, link *sessionstore.MemberSession)

	// AllowCaching leaves caching to the handlers. By default every
	// response through the middleware carries "Vary: Cookie", and every
	// authenticated one "Cache-Control: private, no-store" (set before the
	// handler runs, so a handler may still replace it), so that no cache
	// stores or shares a member's page.
	AllowCaching bool

	// ErrorHandler, when set, replaces WriteError as the responder for
	// every failure, except those of Introspect and PortalUser, which
	// always answer JSON in the shape of Polar's errors. err is an *Error: use Code or errors.As to tell the
	// cases apart. Headers the middleware has set (the cookie being cleared,
	// Cache-Control, Referrer-Policy, Allow) are already in w.Header().
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)

	// SignInURL is where a browser without a live session is sent (303
	// See Other) instead of the 401 a page would otherwise answer: a
	// request whose Accept header prefers HTML, with no token or with a
	// cookie whose session is gone, and one refused by RequireRecentSignIn.
	// Bearer requests, portal links, Introspect and PortalUser are answered
	// as without it. "" means every such request gets the error
	// handler's answer.
	SignInURL string

	// SignedOutURL is where Logout (and LogoutEverywhere, unless
	// SignedOutEverywhereURL is set) send a browser (303 See Other) when its
	// Accept header prefers HTML. "" means they answer 204 No Content,
	// which is also the answer for API clients.
	SignedOutURL string

	// SignedOutEverywhereURL is where LogoutEverywhere sends a browser; ""
	// means SignedOutURL.
	SignedOutEverywhereURL string

	// CrossOriginProtection is the check Logout and LogoutEverywhere run on
	// every request, so that another site cannot sign a member out. nil
	// means a new http.CrossOriginProtection (same origin only); pass your
	// own to trust more origins. A refused request goes to the error
	// handler with CodeCrossOrigin (403); a deny handler set on it is not
	// used.
	CrossOriginProtection *http.CrossOriginProtection

	// Now is the clock that tells a portal link's remaining life at its
	// exchange. Default time.Now; pass the store's Options.Now. (A cookie's
	// Max-Age needs no clock: it counts from the session's own created_at
	// or modified_at.)
	Now func() time.Time

	// Logger, when set, receives one record at level Error for each store
	// failure (the 503 cases). Records never contain a token or the query
	// string. nil means no logging.
	Logger *slog.Logger

	// Observer, when set, receives the middleware's outcomes as
	// sessionstore events: EventSignedIn for a link exchange (Source
	// "link") or SignIn (Source "sign_in"), EventSignedOut and
	// EventSignedOutEverywhere for Logout and LogoutEverywhere, and
	// EventRefused for every failure answered by the error handler (Code,
	// Status, Source, Err). Pass the store's Options.Observer, so that one
	// audit log or metrics observer covers both. nil means no events.
	Observer sessionstore.Observer
}
