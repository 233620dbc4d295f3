package sessionhttp

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/memberkit/sessionstore"
)

// DefaultCookieName is the session cookie's name unless Options.CookieName
// sets another.
const DefaultCookieName = "member_session"

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

// Options configures Middleware. A nil *Options means all defaults; a zero
// field means that field's default. The options also apply to RequireRole,
// Logout and LogoutEverywhere when they run behind the middleware.
type Options struct {
	// CookieName is the session cookie's name. Default "member_session".
	CookieName string

	// Insecure sets the cookie without the Secure attribute, so that a
	// browser sends it over plain HTTP. Only for development on
	// http://localhost-style origins; never in production.
	Insecure bool

	// Optional lets a request without a token through, unauthenticated:
	// FromContext then reports false. A stale session cookie (expired,
	// revoked or malformed) is then also let through and cleared. A bad
	// bearer token or portal link is still refused, and a store failure is
	// still 503.
	Optional bool

	// ErrorHandler, when set, replaces WriteError as the responder for
	// every failure. err is an *Error: use Code or errors.As to tell the
	// cases apart. Headers the middleware has set (the cookie being cleared,
	// Cache-Control, Referrer-Policy) are already in w.Header().
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)

	// SignedOutURL is where Logout and LogoutEverywhere send a browser
	// (303 See Other) when its Accept header prefers HTML. "" means they
	// always answer 204 No Content, which is also the answer for API
	// clients.
	SignedOutURL string

	// Now is the clock used to compute the cookie's Max-Age. Default
	// time.Now; pass the store's Options.Now.
	Now func() time.Time

	// Logger, when set, receives one record at level Error for each store
	// failure (the 503 cases). Records never contain a token or the query
	// string. nil means no logging.
	Logger *slog.Logger
}

// config is Options with defaults applied; the middleware puts it in the
// request context for RequireRole and the logout handlers.
type config struct {
	cookieName   string
	insecure     bool
	optional     bool
	errorHandler func(http.ResponseWriter, *http.Request, error)
	signedOutURL string
	now          func() time.Time
	logger       *slog.Logger
}

func newConfig(o *Options) *config {
	c := &config{cookieName: DefaultCookieName, errorHandler: WriteError, now: time.Now}
	if o == nil {
		return c
	}
	if o.CookieName != "" {
		c.cookieName = o.CookieName
	}
	c.insecure = o.Insecure
	c.optional = o.Optional
	if o.ErrorHandler != nil {
		c.errorHandler = o.ErrorHandler
	}
	c.signedOutURL = o.SignedOutURL
	if o.Now != nil {
		c.now = o.Now
	}
	c.logger = o.Logger
	return c
}

var defaultConfig = newConfig(nil)

type ctxKey struct{}

// ctxValue is what the middleware stores in the request context. session is
// nil on an Optional request without a session.
type ctxValue struct {
	session *sessionstore.MemberSession
	cfg     *config
	cleared bool // the middleware already cleared a stale cookie
}

func fromCtx(ctx context.Context) (*sessionstore.MemberSession, *config) {
	v := valueOf(ctx)
	return v.session, v.cfg
}

func valueOf(ctx context.Context) *ctxValue {
	if v, _ := ctx.Value(ctxKey{}).(*ctxValue); v != nil {
		return v
	}
	return &ctxValue{cfg: defaultConfig}
}

// FromContext returns the session Middleware authenticated the request
// with. The session's Token and MemberPortalURL are empty. The result is
// shared by every handler of the request; treat it as read-only.
func FromContext(ctx context.Context) (*sessionstore.MemberSession, bool) {
	s, _ := fromCtx(ctx)
	return s, s != nil
}

// Middleware authenticates each request with a session of store (see the
// package documentation for where the token is taken from and how failures
// are answered) and passes it on with the session in its context. A GET or
// HEAD request with a portal-link token is answered with the cookie and a
// 303 redirect to the URL without the token, and is not passed on.
func Middleware(store sessionstore.Store, opts *Options) func(http.Handler) http.Handler {
	cfg := newConfig(opts)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok, src := cfg.token(r)
			if src == SourceLink {
				// The URL carries a credential: keep it out of caches and
				// out of the Referer of anything this response loads.
				w.Header().Set("Cache-Control", "no-store")
				w.Header().Set("Referrer-Policy", "no-referrer")
			}
			if src == SourceNone {
				if cfg.optional {
					next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, &ctxValue{cfg: cfg})))
					return
				}
				cfg.fail(w, r, &Error{Code: CodeMissingToken, Err: ErrMissingToken})
				return
			}

			var s *sessionstore.MemberSession
			var err error
			if tok == "" || len(tok) > maxTokenLen {
				err = sessionstore.ErrMalformedToken
			} else {
				s, err = store.Lookup(r.Context(), tok)
			}
			if err != nil {
				e := &Error{Code: codeOf(err), Source: src, Err: err}
				if e.Code == CodeUnavailable {
					cfg.logFailure(r, "session lookup failed", err)
				} else if src == SourceCookie {
					cfg.clearCookie(w)
					if cfg.optional {
						next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, &ctxValue{cfg: cfg, cleared: true})))
						return
					}
				}
				cfg.fail(w, r, e)
				return
			}

			if src == SourceLink {
				cfg.setCookie(w, tok, s.ExpiresAt)
				w.Header().Set("Location", strippedURL(r.URL, tok))
				w.WriteHeader(http.StatusSeeOther)
				return
			}
			s.Token = ""
			s.MemberPortalURL = ""
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, &ctxValue{session: s, cfg: cfg})))
		})
	}
}

// token returns the request's token and where it came from: a bearer
// header, then (GET and HEAD only) a portal link, then the cookie. A source
// with an empty token is a malformed one (such as "Bearer " alone).
func (c *config) token(r *http.Request) (string, Source) {
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
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && strings.Contains(r.URL.RawQuery, TokenParam) {
		if vals, ok := r.URL.Query()[TokenParam]; ok {
			if len(vals) != 1 {
				return "", SourceLink
			}
			return vals[0], SourceLink
		}
	}
	if ck, err := r.Cookie(c.cookieName); err == nil && ck.Value != "" {
		return ck.Value, SourceCookie
	}
	return "", SourceNone
}

// fail answers a failed request through the error handler.
func (c *config) fail(w http.ResponseWriter, r *http.Request, e *Error) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	c.errorHandler(w, r, e)
}

func (c *config) logFailure(r *http.Request, msg string, err error) {
	if c.logger == nil {
		return
	}
	c.logger.LogAttrs(r.Context(), slog.LevelError, "sessionhttp: "+msg,
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("error", err.Error()))
}

// setCookie sets the session cookie, expiring with the session.
func (c *config) setCookie(w http.ResponseWriter, tok string, expires time.Time) {
	maxAge := int(expires.Sub(c.now()) / time.Second)
	if maxAge < 1 {
		maxAge = 1 // the session is live, so at least a moment
	}
	http.SetCookie(w, &http.Cookie{
		Name:     c.cookieName,
		Value:    tok,
		Path:     "/",
		Expires:  expires.UTC(),
		MaxAge:   maxAge,
		Secure:   !c.insecure,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

// clearCookie tells the browser to drop the session cookie.
func (c *config) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name:     c.cookieName,
		Value:    "",
		Path:     "/",
		Expires:  time.Unix(0, 0),
		MaxAge:   -1,
		Secure:   !c.insecure,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

// strippedURL returns u as a local reference (path and query) without the
// portal-link parameters, for the exchange redirect. The order and encoding
// of the other parameters are kept. It never contains tok.
func strippedURL(u *url.URL, tok string) string {
	path := u.EscapedPath()
	// Keep it a path on this host: "//evil.example/x" in Location would be
	// read as another host.
	path = "/" + strings.TrimLeft(path, "/\\")
	var kept []string
	for part := range strings.SplitSeq(u.RawQuery, "&") {
		if part == "" || strings.Contains(part, ";") {
			continue // Go's query parser refuses ';' too
		}
		key, _, _ := strings.Cut(part, "=")
		if k, err := url.QueryUnescape(key); err == nil {
			key = k
		}
		if key == TokenParam || key == EmailParam {
			continue
		}
		kept = append(kept, part)
	}
	loc := path
	if len(kept) > 0 {
		loc += "?" + strings.Join(kept, "&")
	}
	if strings.Contains(loc, tok) {
		// The token hid elsewhere in the URL: send the browser to the path
		// alone, or to the root if even the path holds it.
		loc = path
		if strings.Contains(loc, tok) {
			loc = "/"
		}
	}
	return loc
}
