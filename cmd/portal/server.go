package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
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
	// Devices keeps the device label of each browser session; nil keeps
	// them in memory.
	Devices *devices
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
	devices  *devices
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
		devices:  cfg.Devices,
		oneTime:  cfg.OneTimeLinks,
		observer: cfg.Observer,
		metrics:  cfg.Metrics,
	}
	if s.devices == nil {
		s.devices, _ = openDevices("")
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
		OnSignIn:               s.recordDevice,
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
	mux.Handle("/portal", s.only(http.MethodGet, auth.Required(http.HandlerFunc(s.portalPage))))
	mux.Handle("/portal/team", s.only(http.MethodGet, owner(http.HandlerFunc(s.teamPage))))
	mux.Handle("/portal/team/revoke", s.only(http.MethodPost, csrf.Handler(owner(http.HandlerFunc(s.revokeSession)))))
	// The sign-out handlers answer other methods themselves (405 through
	// authError, with Allow).
	mux.Handle("/portal/logout", auth.Logout())
	mux.Handle("/portal/logout-everywhere", auth.LogoutEverywhere())
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

// recordDevice is sessionhttp's OnSignIn: it remembers the browser's label
// for the sessions pages.
func (s *server) recordDevice(r *http.Request, sess *sessionstore.MemberSession) {
	if err := s.devices.add(sess.ID, sessionhttp.DeviceLabel(r.UserAgent()), sess.ExpiresAt, s.now()); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "record device failed", slog.String("error", err.Error()))
	}
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

// createRequest is the body of POST /v1/member-sessions/, as Polar's API
// takes it.
type createRequest struct {
	MemberID  string  `json:"member_id"`
	ReturnURL *string `json:"return_url"`
}

// apiError writes {"error": msg} and, when field is set, "field". Messages
// are fixed texts or validation reasons, never client input.
func apiError(w http.ResponseWriter, status int, msg, field string) {
	body := map[string]string{"error": msg}
	if field != "" {
		body["field"] = field
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// adminAuthorized compares the bearer key in constant time (over hashes,
// so the key's length does not leak either).
func (s *server) adminAuthorized(r *http.Request) bool {
	scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(key)))
	return subtle.ConstantTimeCompare(got[:], s.adminKey[:]) == 1
}

// createSession is POST /v1/member-sessions/: it creates a session for a
// member of the directory and answers 201 with it in Polar's JSON shape.
// This is the only response that carries a token. The body is read as JSON
// whatever its Content-Type (the endpoint needs the admin key, which no
// browser sends by itself, so a form post cannot reach it).
func (s *server) createSession(w http.ResponseWriter, r *http.Request) {
	if !s.adminAuthorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="admin"`)
		apiError(w, http.StatusUnauthorized, "unauthorized", "")
		return
	}
	var req createRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAPIBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			apiError(w, http.StatusRequestEntityTooLarge, "the body is too large", "")
			return
		}
		apiError(w, http.StatusBadRequest, "the body is not a valid JSON object with member_id and return_url", "")
		return
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		apiError(w, http.StatusBadRequest, "the body has data after the JSON object", "")
		return
	}
	if req.MemberID == "" {
		apiError(w, http.StatusUnprocessableEntity, "member_id is required", "member_id")
		return
	}
	m, c, ok := s.dir.member(req.MemberID)
	if !ok {
		apiError(w, http.StatusUnprocessableEntity, "no member with this id", "member_id")
		return
	}
	p := sessionstore.CreateParams{Member: m, Customer: c}
	if req.ReturnURL != nil {
		p.ReturnURL = *req.ReturnURL
	}
	sess, err := s.store.Create(r.Context(), p)
	if err != nil {
		var ve *sessionstore.ValidationError
		if errors.As(err, &ve) {
			apiError(w, http.StatusUnprocessableEntity, ve.Reason, ve.Field)
			return
		}
		s.log.LogAttrs(r.Context(), slog.LevelError, "create session failed", slog.String("error", err.Error()))
		apiError(w, http.StatusServiceUnavailable, "unavailable", "")
		return
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "session created",
		slog.String("session_id", sess.ID), slog.String("member_id", sess.MemberID))
	// Polar's exact bytes: no HTML escaping of "&" in member_portal_url.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(sess); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "encode session failed", slog.String("error", err.Error()))
		apiError(w, http.StatusInternalServerError, "internal error", "")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(b.Bytes())
}

// ---- pages ----

// page is what every template gets.
type page struct {
	Title string
	Body  any
}

func parsePages() (map[string]*template.Template, error) {
	pages := make(map[string]*template.Template)
	for _, name := range []string{"home", "portal", "team", "message"} {
		t, err := template.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("portal: template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// render writes a page. The template runs into a buffer first, so a failing
// template is a clean 500 and not half a page.
func (s *server) render(w http.ResponseWriter, status int, name, title string, body any) {
	var b strings.Builder
	if err := s.pages[name].ExecuteTemplate(&b, "layout", page{Title: title, Body: body}); err != nil {
		s.log.Error("template failed", slog.String("page", name), slog.String("error", err.Error()))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, b.String())
}

// message is the body of the message page: a heading, a paragraph, and
// optionally a link.
type message struct {
	Heading, Text string
	LinkURL       string
	LinkText      string
}

// errorPage is a message page that links to the portal's home page, which
// says how to sign in.
func (s *server) errorPage(w http.ResponseWriter, status int, heading, text string) {
	s.render(w, status, "message", heading, message{Heading: heading, Text: text, LinkURL: "/", LinkText: "How to sign in"})
}

// authError is the middleware's ErrorHandler: an HTML page per error code,
// never JSON and never a stack trace, and never the token.
func (s *server) authError(w http.ResponseWriter, r *http.Request, err error) {
	var he *sessionhttp.Error
	errors.As(err, &he)
	link := he != nil && he.Source == sessionhttp.SourceLink
	code := sessionhttp.Code(err)
	if code == sessionhttp.CodeMissingToken {
		w.Header().Set("WWW-Authenticate", "Bearer")
	} else if code != sessionhttp.CodeForbidden && code != sessionhttp.CodeUnavailable {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	switch {
	case code == sessionhttp.CodeExpired && link:
		s.errorPage(w, http.StatusUnauthorized, "This link has expired",
			"Portal links work for one hour. Ask for a new link to sign in again.")
	case code == sessionhttp.CodeExpired:
		s.errorPage(w, http.StatusUnauthorized, "Your session has expired",
			"Open a new portal link to sign in again.")
	case (code == sessionhttp.CodeInvalidToken || code == sessionhttp.CodeMalformedToken) && link:
		s.errorPage(w, http.StatusUnauthorized, "This link is not valid",
			"It may have been used to sign out, or copied incompletely. Ask for a new link.")
	case code == sessionhttp.CodeInvalidToken || code == sessionhttp.CodeMalformedToken:
		s.errorPage(w, http.StatusUnauthorized, "You have been signed out",
			"Your session has ended, perhaps from another device. Open a new portal link to sign in.")
	case code == sessionhttp.CodeMissingToken:
		s.errorPage(w, http.StatusUnauthorized, "You are not signed in",
			"Open the portal link you received to sign in.")
	case code == sessionhttp.CodeForbidden:
		s.render(w, http.StatusForbidden, "message", "Owners only", message{
			Heading: "Only the owner can see this page", Text: "Ask your team's owner to manage the team's sessions.",
			LinkURL: "/portal", LinkText: "Back to your account",
		})
	case code == sessionhttp.CodeCrossOrigin:
		s.render(w, http.StatusForbidden, "message", "This request was refused", message{
			Heading: "This request was refused", Text: "The form was sent from another site. Go back to the portal and try again.",
			LinkURL: "/portal", LinkText: "Go to your account",
		})
	case code == sessionhttp.CodeMethodNotAllowed:
		s.methodNotAllowed(w, r)
	default:
		s.unavailable(w)
	}
}

func (s *server) unavailable(w http.ResponseWriter) {
	s.render(w, http.StatusServiceUnavailable, "message", "Unavailable", message{
		Heading: "The portal is unavailable", Text: "Something went wrong on our side. Please try again in a moment.",
		LinkURL: "/portal", LinkText: "Try again",
	})
}

func (s *server) homePage(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "home", "Customer portal", nil)
}

func (s *server) signedOutPage(w http.ResponseWriter, r *http.Request) {
	text := "You have signed out of the customer portal."
	if r.URL.Query().Has("everywhere") {
		text = "You have signed out of the customer portal on every device."
	}
	s.render(w, http.StatusOK, "message", "Signed out", message{
		Heading: "You have signed out", Text: text,
		LinkURL: "/", LinkText: "Sign in again",
	})
}

// memberView and customerView are what the pages show of a session's
// member and customer.
type memberView struct {
	Name, Email, Role string
}

type customerView struct {
	Name, Email, Type string
	Address           []string
	TaxID             string
}

type sessionView struct {
	ID               string
	Member           memberView
	Device           string // the browser's label; "" for a portal link
	Created, Expires string
	ExpiresIn        string
	LastCaption      string // "Updated", later "Last used"; "" when unknown
	Last             string
	Current          bool
}

type portalBody struct {
	Member    memberView
	Customer  customerView
	Sessions  []sessionView
	ReturnURL string
	ShowTeam  bool // owners of team customers
}

type teamBody struct {
	Customer customerView
	Sessions []sessionView
	Revoked  bool
}

func (s *server) portalPage(w http.ResponseWriter, r *http.Request) {
	sess, _ := sessionhttp.FromContext(r.Context())
	list, err := s.store.ListByMember(r.Context(), sess.MemberID)
	if err != nil {
		s.storeFailed(w, r, "list member sessions", err)
		return
	}
	body := portalBody{
		Member:   viewMember(sess.Member),
		Customer: viewCustomer(sess.Customer),
		Sessions: s.viewSessions(list, sess.ID),
		ShowTeam: sess.Member.Role == sessionstore.RoleOwner && isTeam(sess.Customer),
	}
	if sess.ReturnURL != nil {
		body.ReturnURL = *sess.ReturnURL
	}
	s.render(w, http.StatusOK, "portal", "Your account", body)
}

func isTeam(c sessionstore.Customer) bool {
	return c.Type != nil && *c.Type == sessionstore.CustomerTeam
}

func (s *server) teamPage(w http.ResponseWriter, r *http.Request) {
	sess, _ := sessionhttp.FromContext(r.Context())
	if !isTeam(sess.Customer) {
		s.render(w, http.StatusNotFound, "message", "No team", message{
			Heading: "Your account has no team", Text: "Only team accounts have a team page. Your own sessions are on your account page.",
			LinkURL: "/portal", LinkText: "Back to your account",
		})
		return
	}
	list, err := s.store.ListByCustomer(r.Context(), sess.CustomerID)
	if err != nil {
		s.storeFailed(w, r, "list customer sessions", err)
		return
	}
	s.render(w, http.StatusOK, "team", "Team sessions", teamBody{
		Customer: viewCustomer(sess.Customer),
		Sessions: s.viewSessions(list, sess.ID),
		Revoked:  r.URL.Query().Get("revoked") == "1",
	})
}

// revokeSession is POST /portal/team/revoke (owners only): it revokes one
// session of the owner's own customer. A session of another customer is
// answered as if it did not exist. Revoking one's own session signs out.
func (s *server) revokeSession(w http.ResponseWriter, r *http.Request) {
	sess, _ := sessionhttp.FromContext(r.Context())
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, "This request was not understood", "Go back to the team page and try again.")
		return
	}
	id := r.PostForm.Get("session_id")
	if id == sess.ID {
		sessionhttp.Logout(s.store).ServeHTTP(w, r)
		return
	}
	target, err := s.store.Get(r.Context(), id)
	switch {
	case err == nil && target.CustomerID == sess.CustomerID:
	case err == nil, errors.Is(err, sessionstore.ErrNotFound), errors.Is(err, sessionstore.ErrExpired):
		s.render(w, http.StatusNotFound, "message", "Session not found", message{
			Heading: "Session not found", Text: "That session has already ended or is not one of your team's.",
			LinkURL: "/portal/team", LinkText: "Back to the team",
		})
		return
	default:
		s.storeFailed(w, r, "get session", err)
		return
	}
	if err := s.store.Revoke(r.Context(), target.ID); err != nil && !errors.Is(err, sessionstore.ErrNotFound) {
		s.storeFailed(w, r, "revoke session", err)
		return
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "session revoked by owner",
		slog.String("session_id", target.ID), slog.String("by_member_id", sess.MemberID))
	http.Redirect(w, r, "/portal/team?revoked=1", http.StatusSeeOther)
}

func (s *server) storeFailed(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.LogAttrs(r.Context(), slog.LevelError, what+" failed", slog.String("error", err.Error()))
	s.unavailable(w)
}

// ---- views ----

var roleLabels = map[sessionstore.MemberRole]string{
	sessionstore.RoleOwner:          "Owner",
	sessionstore.RoleBillingManager: "Billing manager",
	sessionstore.RoleMember:         "Member",
}

func viewMember(m sessionstore.Member) memberView {
	v := memberView{Email: m.Email, Role: roleLabels[m.Role]}
	if m.Name != nil {
		v.Name = *m.Name
	} else {
		v.Name = m.Email
	}
	return v
}

func viewCustomer(c sessionstore.Customer) customerView {
	v := customerView{Email: c.Email, Type: "Individual"}
	if c.Name != nil {
		v.Name = *c.Name
	} else {
		v.Name = c.Email
	}
	if c.Type != nil && *c.Type == sessionstore.CustomerTeam {
		v.Type = "Team"
	}
	if a := c.BillingAddress; a != nil {
		add := func(p *string) {
			if p != nil && *p != "" {
				v.Address = append(v.Address, *p)
			}
		}
		add(a.Line1)
		add(a.Line2)
		var city []string
		for _, p := range []*string{a.City, a.State, a.PostalCode} {
			if p != nil && *p != "" {
				city = append(city, *p)
			}
		}
		if len(city) > 0 {
			v.Address = append(v.Address, strings.Join(city, " "))
		}
		v.Address = append(v.Address, countryName(a.Country))
	}
	if t := c.TaxID; t != nil {
		v.TaxID = t.Value + " (" + strings.ToUpper(strings.ReplaceAll(t.Format, "_", " ")) + ")"
	}
	return v
}

func countryName(code string) string {
	switch code {
	case "US":
		return "United States"
	case "GB":
		return "United Kingdom"
	}
	return code
}

func (s *server) viewSessions(list []*sessionstore.MemberSession, current string) []sessionView {
	now := s.now()
	out := make([]sessionView, 0, len(list))
	for _, x := range list {
		v := sessionView{
			ID:        x.ID,
			Member:    viewMember(x.Member),
			Created:   formatTime(x.CreatedAt),
			Expires:   formatTime(x.ExpiresAt),
			ExpiresIn: formatLeft(x.ExpiresAt.Sub(now)),
			Current:   x.ID == current,
		}
		v.Device, _ = s.devices.label(x.ID)
		if caption, at, ok := lastActivity(x); ok {
			v.LastCaption, v.Last = caption, formatTime(at)
		}
		out = append(out, v)
	}
	return out
}

func formatTime(t time.Time) string { return t.UTC().Format("Jan 2, 2006 15:04 UTC") }

// formatLeft says how long a session has left, roughly.
func formatLeft(d time.Duration) string {
	switch {
	case d <= 0:
		return "expired"
	case d < time.Minute:
		return "less than a minute left"
	case d < 2*time.Hour:
		return fmt.Sprintf("%d min left", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h left", int(d/time.Hour))
	default:
		return fmt.Sprintf("%d days left", int(d/(24*time.Hour)))
	}
}

// demoLink is one member's portal link, printed at start.
type demoLink struct {
	Member   sessionstore.Member
	Customer sessionstore.Customer
	URL      string
}

// createDemoSessions creates a portal link for every member of the
// directory and returns them. A member's earlier links (live sessions no
// browser has exchanged, such as those printed by the last start) are
// revoked first, so restarts do not pile links up; browsers stay signed in.
func (s *server) createDemoSessions(ctx context.Context) ([]demoLink, error) {
	var links []demoLink
	for _, id := range s.dir.order {
		m, c, _ := s.dir.member(id)
		old, err := s.store.ListByMember(ctx, m.ID)
		if err != nil {
			return nil, fmt.Errorf("portal: listing the sessions of %s: %w", m.Email, err)
		}
		for _, x := range old {
			if _, device := s.devices.label(x.ID); device {
				continue
			}
			if err := s.store.Revoke(ctx, x.ID); err != nil && !errors.Is(err, sessionstore.ErrNotFound) {
				return nil, fmt.Errorf("portal: revoking an old link of %s: %w", m.Email, err)
			}
		}
		sess, err := s.store.Create(ctx, sessionstore.CreateParams{Member: m, Customer: c})
		if err != nil {
			return nil, fmt.Errorf("portal: creating a session for %s: %w", m.Email, err)
		}
		links = append(links, demoLink{Member: m, Customer: c, URL: sess.MemberPortalURL})
	}
	return links, nil
}
