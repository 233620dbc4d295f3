package main

import (
	"crypto/sha256"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/sessionhttp"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Limits on request bodies.
const (
	maxAPIBody  = 64 << 10 // POST /v1/member-sessions/
	maxFormBody = 16 << 10 // the portal's forms
)

// config is what newServer needs. The caller owns Store and closes it.
type config struct {
	// Store keeps the sessions. Its Options.PortalURL should be
	// BaseURL + "/portal" so that member_portal_url points here.
	Store sessionstore.Store
	// BaseURL is the portal's public origin, such as
	// "http://127.0.0.1:8080". With an http URL the session cookie is set
	// without Secure, for plain-HTTP development.
	BaseURL string
	// AdminKey is the bearer key of the create endpoint. Required.
	AdminKey string
	// Now is the clock: pass the store's Options.Now. nil means time.Now.
	Now func() time.Time
	// Logger receives the access log and failures; never a token or a
	// query string. nil discards.
	Logger *slog.Logger
	// Directory holds the customers and members; nil means the demo set.
	Directory *directory
	// OneTimeLinks makes a portal link work once (sessionhttp's
	// Options.OneTimeLinks).
	OneTimeLinks bool
	// Observer receives the middleware's events; pass the store's
	// Options.Observer. nil means none.
	Observer sessionstore.Observer
	// Metrics, when set, answers GET /metrics. It carries no IDs or
	// tokens, only counts by outcome.
	Metrics http.Handler
}

// server is the portal: an http.Handler with the admin API and the member
// pages.
type server struct {
	store    sessionstore.Store
	base     *url.URL
	adminKey [sha256.Size]byte
	now      func() time.Time
	log      *slog.Logger
	dir      *directory
	oneTime  bool
	observer sessionstore.Observer
	metrics  http.Handler
	pages    map[string]*template.Template
	handler  http.Handler
}

// newServer checks cfg and builds the portal's handler.
func newServer(cfg config) (*server, error) {
	if cfg.Store == nil {
		return nil, errors.New("portal: no store")
	}
	if cfg.AdminKey == "" {
		return nil, errors.New("portal: empty admin key")
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("portal: base URL %q must be an absolute http or https URL", cfg.BaseURL)
	}
	s := &server{
		store:    cfg.Store,
		base:     base,
		adminKey: sha256.Sum256([]byte(cfg.AdminKey)),
		now:      cfg.Now,
		log:      cfg.Logger,
		dir:      cfg.Directory,
		oneTime:  cfg.OneTimeLinks,
		observer: cfg.Observer,
		metrics:  cfg.Metrics,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.dir == nil {
		s.dir = demoDirectory()
	}
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	if s.handler, err = s.routes(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// recentSignIn is how recent a sign-in must be to revoke a teammate's
// session.
const recentSignIn = 30 * time.Minute

// routes wires the endpoints.
//
// CSRF: the portal's state-changing forms are POSTs authenticated by a
// SameSite=Lax cookie, which browsers do not send on cross-site POSTs, and
// they are also checked by net/http.CrossOriginProtection (sessionhttp's
// sign-out handlers run it themselves; the team revoke form is wrapped in
// it), which refuses a POST whose Sec-Fetch-Site header says cross-site
// (or, from browsers too old to send it, whose Origin does not match the
// Host). No CSRF token is needed on top of the two. The admin API is not
// wrapped: it is authenticated by a bearer key that a browser never sends
// on its own.
func (s *server) routes() (http.Handler, error) {
	csrf := http.NewCrossOriginProtection()
	auth, err := sessionhttp.New(s.store, &sessionhttp.Options{
		Cookie:                 sessionhttp.Cookie{Insecure: s.base.Scheme == "http"},
		OneTimeLinks:           s.oneTime,
		ErrorHandler:           s.authError,
		SignedOutURL:           "/portal/signed-out",
		SignedOutEverywhereURL: "/portal/signed-out?everywhere=1",
		CrossOriginProtection:  csrf,
		Now:                    s.now,
		Logger:                 s.log,
		Observer:               s.observer,
	})
	if err != nil {
		return nil, err
	}
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.authError(w, r, &sessionhttp.Error{Code: sessionhttp.CodeCrossOrigin, Err: sessionhttp.ErrCrossOrigin})
	}))
	owner := auth.Role(sessionstore.RoleOwner)

	mux := http.NewServeMux()
	mux.Handle("/v1/member-sessions/", s.only(http.MethodPost, http.HandlerFunc(s.createSession)))
	mux.Handle("/v1/member-sessions", s.only(http.MethodPost, http.HandlerFunc(s.createSession)))
	mux.Handle("/{$}", s.only(http.MethodGet, http.HandlerFunc(s.homePage)))
	portal := auth.Required(http.HandlerFunc(s.portalPage))
	getPortal := s.only(http.MethodGet, portal)
	mux.Handle("/portal", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Query().Has(sessionhttp.TokenParam) {
			// The confirmed switch to a link's member (see
			// sessionhttp.Options.ConfirmSwitch): the middleware exchanges
			// the link, after its cross-origin check, and redirects.
			portal.ServeHTTP(w, r)
			return
		}
		getPortal.ServeHTTP(w, r)
	}))
	mux.Handle("/portal/team", s.only(http.MethodGet, owner(http.HandlerFunc(s.teamPage))))
	// Revoking a teammate's session asks for a sign-in of the last half
	// hour: a browser left signed in for days cannot do it.
	recentOwner := func(h http.Handler) http.Handler {
		return auth.RequireRecentSignIn(recentSignIn)(sessionhttp.RequireRole(sessionstore.RoleOwner)(h))
	}
	mux.Handle("/portal/team/revoke", s.only(http.MethodPost, csrf.Handler(recentOwner(http.HandlerFunc(s.revokeSession)))))
	mux.Handle("/portal/sessions", auth.Sessions())
	mux.Handle("/portal/sessions/end", auth.SignOutSession())
	mux.Handle("/portal/sessions/others", auth.SignOutOthers())
	// The sign-out handlers answer other methods themselves (405 through
	// authError, with Allow).
	mux.Handle("/portal/logout", auth.Logout())
	mux.Handle("/portal/logout-everywhere", auth.LogoutEverywhere())
	// Polar's customer-session API, for API clients such as Polar's SDK:
	// the member session token as a bearer token, JSON answers and errors
	// (the handlers answer other methods themselves, 405 in JSON).
	mux.Handle(sessionhttp.IntrospectPath, auth.Introspect())
	mux.Handle(sessionhttp.PortalUserPath, auth.PortalUser())
	mux.Handle("/portal/signed-out", s.only(http.MethodGet, http.HandlerFunc(s.signedOutPage)))
	if s.metrics != nil {
		mux.Handle("/metrics", s.only(http.MethodGet, s.metrics))
	}
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("/static/", s.only(http.MethodGet, http.StripPrefix("/static/", http.FileServerFS(static))))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.render(w, http.StatusNotFound, "message", "Page not found", message{
			Heading: "Page not found", Text: "There is no page at this address.",
			LinkURL: "/", LinkText: "Go to the portal home",
		})
	})
	return s.accessLog(securityHeaders(mux)), nil
}

// only lets through requests with method (and HEAD for GET); others get
// an HTML 405 page with an Allow header.
func (s *server) only(method string, next http.Handler) http.Handler {
	allow := method
	if method == http.MethodGet {
		allow = "GET, HEAD"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == method || (method == http.MethodGet && r.Method == http.MethodHead) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Allow", allow)
		s.methodNotAllowed(w, r)
	})
}

func (s *server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/v1/") {
		apiError(w, http.StatusMethodNotAllowed, "method not allowed", "")
		return
	}
	s.render(w, http.StatusMethodNotAllowed, "message", "Not available", message{
		Heading: "This address does not open as a page",
		Text:    "It only takes the portal's buttons and forms.",
		LinkURL: "/portal", LinkText: "Go to your account",
	})
}

// securityHeaders sets the headers every response gets. Referrer-Policy
// no-referrer keeps a portal link's token out of Referer headers, and
// no-store keeps member data out of shared caches.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status a handler wrote, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// accessLog logs one line per request: method, path, status and duration.
// Never the query string, which carries the token of a portal link.
func (s *server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Duration("duration", time.Since(start)))
	})
}

// ---- admin API ----
