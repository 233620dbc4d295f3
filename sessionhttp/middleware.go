package sessionhttp

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/memberkit/sessionstore"
)

// The query parameters of a portal link (sessionstore's member_portal_url).
// The exchange redirect removes both.
const (
	// TokenParam carries the session token in a portal link.
	TokenParam = "member_session_token"
	// EmailParam carries the member's email in a portal link.
	EmailParam = "email"
)

// maxTokenLen bounds what is passed to Store.Lookup; longer is malformed.
// Real tokens are at most 16+37+6 = 59 bytes.
const maxTokenLen = 256

// Auth authenticates requests with the sessions of one store. One Auth
// guards every route of an application, each in the mode it needs
// (Required, Optional, Role), signs members in (SignIn, and the portal-link
// exchange), refreshes the cookie (Extend) and signs them out (Logout,
// LogoutEverywhere), all with the cookie attributes of its Options.
//
// An Auth is safe for concurrent use.
type Auth struct {
	store                  sessionstore.Store
	cookie                 Cookie
	oneTimeLinks           bool
	onSignIn               func(*http.Request, *sessionstore.MemberSession)
	confirmSwitch          func(http.ResponseWriter, *http.Request, *sessionstore.MemberSession, *sessionstore.MemberSession)
	allowCaching           bool
	errorHandler           func(http.ResponseWriter, *http.Request, error)
	signedOutURL           string
	signInURL              string
	signedOutEverywhereURL string
	crossOrigin            *http.CrossOriginProtection
	now                    func() time.Time
	logger                 *slog.Logger
	observer               sessionstore.Observer
}

// New returns an Auth for store with opts (nil means all defaults), or a
// *sessionstore.ValidationError naming the first bad option, such as
// "options.cookie.domain" for a __Host- cookie with a Domain.
func New(store sessionstore.Store, opts *Options) (*Auth, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	ck := o.Cookie
	if o.CookieName != "" {
		if ck.Name != "" && ck.Name != o.CookieName {
			return nil, &sessionstore.ValidationError{Field: "options.cookie_name", Reason: "conflicts with Cookie.Name; set only Cookie.Name"}
		}
		ck.Name = o.CookieName
	}
	ck.Insecure = ck.Insecure || o.Insecure
	ck, err := ck.resolve()
	if err != nil {
		return nil, err
	}
	a := &Auth{
		store:                  store,
		cookie:                 ck,
		oneTimeLinks:           o.OneTimeLinks,
		onSignIn:               o.OnSignIn,
		confirmSwitch:          o.ConfirmSwitch,
		allowCaching:           o.AllowCaching,
		errorHandler:           o.ErrorHandler,
		signedOutURL:           o.SignedOutURL,
		signInURL:              o.SignInURL,
		signedOutEverywhereURL: o.SignedOutEverywhereURL,
		crossOrigin:            o.CrossOriginProtection,
		now:                    o.Now,
		logger:                 o.Logger,
		observer:               o.Observer,
	}
	if a.errorHandler == nil {
		a.errorHandler = WriteError
	}
	if a.signedOutEverywhereURL == "" {
		a.signedOutEverywhereURL = a.signedOutURL
	}
	if a.crossOrigin == nil {
		a.crossOrigin = http.NewCrossOriginProtection()
	}
	if a.confirmSwitch == nil {
		a.confirmSwitch = writeConfirmSwitch
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a, nil
}

// defaultAuth answers for handlers that run without the middleware.
var defaultAuth, _ = New(nil, nil)

// Middleware authenticates each request with a session of store and passes
// it on with the session in its context; with opts.Optional a request
// without a session is passed on too. It is New followed by Auth.Required
// (or Auth.Optional), kept for applications that need one mode only.
//
// Middleware panics if opts are invalid (see New), as regexp.MustCompile
// does: the options are fixed when the program is written, and a cookie the
// browser would drop must not go unnoticed. Use New to get the error.
func Middleware(store sessionstore.Store, opts *Options) func(http.Handler) http.Handler {
	a, err := New(store, opts)
	if err != nil {
		panic(err)
	}
	if opts != nil && opts.Optional {
		return a.Optional
	}
	return a.Required
}

// Required returns next behind authentication: a request without a live
// session is answered by the error handler (401, or 503 when the store
// fails), one with a session reaches next with it in its context (see
// FromContext). A GET or HEAD request with a portal link is exchanged (see
// the package documentation) and not passed on.
//
// Behind Required, Logout runs as behind Optional, so that signing out with
// a stale cookie still succeeds.
func (a *Auth) Required(next http.Handler) http.Handler {
	if h, ok := next.(*signOut); ok && !h.everywhere {
		return a.serve(modeOptional, next)
	}
	return a.serve(modeRequired, next)
}

// Optional returns next behind optional authentication: as Required, except
// that a request without a token, or with a stale session cookie (which is
// cleared), reaches next unauthenticated (FromContext reports false). A bad
// bearer token or portal link is still refused, and a store failure is
// still 503.
func (a *Auth) Optional(next http.Handler) http.Handler { return a.serve(modeOptional, next) }

// Role returns middleware that lets through, as Required does, only
// members with one of roles (see RequireRole).
func (a *Auth) Role(roles ...sessionstore.MemberRole) func(http.Handler) http.Handler {
	roles = slices.Clone(roles)
	return func(next http.Handler) http.Handler { return a.Required(RequireRole(roles...)(next)) }
}

type ctxKey struct{}

// ctxValue is what the middleware stores in the request context, and is
// that context: its Value answers ctxKey{} with itself and asks the parent
// for every other key, as context.WithValue's would, so that a request
// costs one allocation for both. session is nil on an Optional request
// without a session.
type ctxValue struct {
	context.Context
	session *sessionstore.MemberSession
	auth    *Auth
	token   string // the cookie's token, for Extend; "" unless from the cookie
	cleared bool   // the middleware already cleared a stale cookie

	// hdr backs the values of the Vary and Cache-Control headers the
	// middleware sets, each header a slice of one element with a capacity
	// of one, so that a handler's append copies it and no two headers or
	// requests share an element.
	hdr [2]string
}

// Value returns v for ctxKey{}, else the parent's value for key.
func (v *ctxValue) Value(key any) any {
	if key == (ctxKey{}) {
		return v
	}
	return v.Context.Value(key)
}

// String describes the context as context.WithValue's does, naming the
// value's type only: printing a request's context prints no token.
func (v *ctxValue) String() string {
	parent := "<nil>"
	if s, ok := v.Context.(fmt.Stringer); ok {
		parent = s.String()
	} else if v.Context != nil {
		parent = fmt.Sprintf("%T", v.Context)
	}
	return parent + ".WithValue(sessionhttp.ctxKey, *sessionhttp.ctxValue)"
}

// Format prints String for every verb (%v, %+v, %#v, ...), never the
// fields, the token among them.
func (v *ctxValue) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, v.String()) }

func valueOf(ctx context.Context) *ctxValue {
	if v, _ := ctx.Value(ctxKey{}).(*ctxValue); v != nil {
		return v
	}
	return &ctxValue{auth: defaultAuth}
}

// FromContext returns the session the middleware authenticated the request
// with. The session's Token and MemberPortalURL are empty. The result is
// shared by every handler of the request; treat it as read-only.
func FromContext(ctx context.Context) (*sessionstore.MemberSession, bool) {
	s := valueOf(ctx).session
	return s, s != nil
}

// mode is how serve authenticates a request.
type mode int

const (
	// modeRequired refuses a request without a live session (Required).
	modeRequired mode = iota
	// modeOptional lets a request without a token through (Optional).
	modeOptional
	// modeAPI is modeRequired for a JSON API endpoint: the token comes from
	// the Authorization header only (a portal link or a cookie is not
	// read), and failures are answered by failAPI, never by a redirect or
	// the ErrorHandler.
	modeAPI
)

// serve returns next behind authentication in mode m.
func (a *Auth) serve(m mode, next http.Handler) http.Handler {
	optional := m == modeOptional
	fail := a.fail
	if m == modeAPI {
		fail = a.failAPI
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// v is allocated up front when the Vary header needs its
		// backing, else only for a request that is passed on.
		var v *ctxValue
		if !a.allowCaching && m != modeAPI {
			v = &ctxValue{}
			v.hdr[0] = "Cookie"
			h := w.Header()
			if vary := h["Vary"]; len(vary) > 0 {
				h["Vary"] = append(vary, "Cookie")
			} else {
				h["Vary"] = v.hdr[0:1:1]
			}
		}
		pass := func(s *sessionstore.MemberSession, tok string, cleared bool) {
			if v == nil {
				v = &ctxValue{}
			}
			v.Context = r.Context()
			v.session, v.auth, v.token, v.cleared = s, a, tok, cleared
			next.ServeHTTP(w, r.WithContext(v))
		}
		tok, src := a.token(r, m == modeAPI)
		if src == SourceLink {
			// The URL carries a credential: keep it out of caches and
			// out of the Referer of anything this response loads.
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Referrer-Policy", "no-referrer")
		}
		if src == SourceNone {
			if optional {
				pass(nil, "", false)
				return
			}
			fail(w, r, &Error{Code: CodeMissingToken, Err: ErrMissingToken})
			return
		}

		var s *sessionstore.MemberSession
		var err error
		switch {
		case tok == "" || len(tok) > maxTokenLen:
			err = sessionstore.ErrMalformedToken
		case src == SourceLink:
			a.exchange(w, r, tok)
			return
		default:
			s, err = a.store.Lookup(r.Context(), tok)
		}
		if err != nil {
			e := &Error{Code: codeOf(err), Source: src, Err: err}
			if e.Code == CodeUnavailable {
				a.logFailure(r, "session lookup failed", err)
			} else if src == SourceCookie {
				a.cookie.clear(w)
				if optional {
					pass(nil, "", true)
					return
				}
			}
			fail(w, r, e)
			return
		}

		s.Token = ""
		s.MemberPortalURL = ""
		if !a.allowCaching {
			if v == nil {
				v = &ctxValue{} // an API endpoint adds no Vary
			}
			// As Header().Set, with the value in v.
			v.hdr[1] = "private, no-store"
			w.Header()["Cache-Control"] = v.hdr[1:2:2]
		}
		if src != SourceCookie {
			tok = ""
		}
		pass(s, tok, false)
	})
}

// token returns the request's token and where it came from: a bearer
// header, then (unless bearerOnly) a portal link (on GET and HEAD, and on
// the POST of a confirmed switch, see exchange), then the cookie. A source
// with an empty token is a malformed one (such as "Bearer " alone).
func (a *Auth) token(r *http.Request, bearerOnly bool) (string, Source) {
	if auths := r.Header.Values("Authorization"); len(auths) > 0 {
		scheme, rest, _ := strings.Cut(auths[0], " ")
		if strings.EqualFold(scheme, "Bearer") {
			if len(auths) > 1 {
				return "", SourceHeader
			}
			return strings.TrimSpace(rest), SourceHeader
		}
		// Another scheme (Basic, ...) belongs to someone else: ignore it.
	}
	if bearerOnly {
		return "", SourceNone
	}
	if (r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodPost) && strings.Contains(r.URL.RawQuery, TokenParam) {
		if vals, ok := r.URL.Query()[TokenParam]; ok {
			if len(vals) != 1 {
				return "", SourceLink
			}
			return vals[0], SourceLink
		}
	}
	if tok := a.cookieToken(r); tok != "" {
		return tok, SourceCookie
	}
	return "", SourceNone
}

// cookieToken returns the session cookie's value, or "".
func (a *Auth) cookieToken(r *http.Request) string {
	return cookieValue(r, a.cookie.Name)
}

// fail answers a failed request through the error handler, or with a
// redirect to Options.SignInURL (see toSignIn).
func (a *Auth) fail(w http.ResponseWriter, r *http.Request, e *Error) {
	a.refused(w, r, e)
	if a.toSignIn(r, e) {
		w.Header().Set("Location", a.signInURL)
		w.WriteHeader(http.StatusSeeOther)
		return
	}
	a.errorHandler(w, r, e)
}

// failAPI answers a failed request to an API endpoint (modeAPI) with
// writeAPIError: always JSON, whatever Options.ErrorHandler and
// Options.SignInURL say.
func (a *Auth) failAPI(w http.ResponseWriter, r *http.Request, e *Error) {
	a.refused(w, r, e)
	writeAPIError(w, e)
}

// refused reports a refusal to the observer and keeps the answer out of
// caches and out of the Referer of anything it loads.
func (a *Auth) refused(w http.ResponseWriter, r *http.Request, e *Error) {
	if a.observer != nil {
		a.observer.Observe(r.Context(), sessionstore.Event{Kind: sessionstore.EventRefused,
			Code: e.Code, Status: e.StatusCode(), Source: string(e.Source), Err: e.Err})
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
}

// toSignIn reports whether e, refusing a browser's page, is answered by a
// redirect to Options.SignInURL: a missing or dead session from the
// cookie (or none), or a sign-in too old, for a request preferring HTML.
func (a *Auth) toSignIn(r *http.Request, e *Error) bool {
	if a.signInURL == "" || e.Source == SourceHeader || e.Source == SourceLink {
		return false
	}
	switch e.Code {
	case CodeMissingToken, CodeMalformedToken, CodeInvalidToken, CodeExpired, CodeSignInTooOld:
		return prefersHTML(r.Header.Get("Accept"))
	}
	return false
}

// observe reports an event about session s to the observer, if any.
func (a *Auth) observe(r *http.Request, kind sessionstore.EventKind, s *sessionstore.MemberSession, source string, count int) {
	if a.observer == nil {
		return
	}
	a.observer.Observe(r.Context(), sessionstore.Event{Kind: kind, SessionID: s.ID, MemberID: s.MemberID,
		CustomerID: s.CustomerID, Source: source, Count: count})
}

func (a *Auth) logFailure(r *http.Request, msg string, err error) {
	if a.logger == nil {
		return
	}
	a.logger.LogAttrs(r.Context(), slog.LevelError, "sessionhttp: "+msg,
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("error", err.Error()))
}
