package sessionhttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/memory"
	"github.com/memberkit/sessionstore/sessionhttp"
	"github.com/memberkit/sessionstore/storetest"
)

// start is the fake clock's starting instant.
var start = time.Date(2026, time.January, 20, 10, 0, 0, 0, time.UTC)

// failingStore is a Store whose lookups, exchanges and revocations fail with err, a
// backend failure that is none of the sentinels.
type failingStore struct {
	sessionstore.Store
	err error
}

func (f failingStore) Lookup(context.Context, string) (*sessionstore.MemberSession, error) {
	return nil, f.err
}

func (f failingStore) Exchange(context.Context, string, sessionstore.ExchangeParams) (*sessionstore.MemberSession, error) {
	return nil, f.err
}

func (f failingStore) Revoke(context.Context, string) error { return f.err }

func (f failingStore) RevokeMember(context.Context, string) (int, error) { return 0, f.err }

// env is a store, a fake clock, one Auth, and a test server with these
// routes:
//
//	/whoami             Required -> JSON {member_id, session_id, role}
//	/owner              Role(owner) -> "ok"
//	/optional           Optional -> JSON {"signed_in": bool}
//	/extend             Required -> Extend(2h) -> JSON {expires_at}
//	/sensitive          RequireRecentSignIn(10m) -> "ok"
//	/sessions           Sessions
//	/sessions/end       SignOutSession
//	/sessions/others    SignOutOthers
//	/signin             POST member_id: SignIn -> 204
//	/logout             Logout
//	/logout-everywhere  LogoutEverywhere
//	IntrospectPath      Introspect
//	PortalUserPath      PortalUser
//
// Every response is checked by do: no token outside a Set-Cookie header,
// every Set-Cookie with the expected attributes, and every authenticated
// response with the cache headers.
type env struct {
	t      *testing.T
	clock  *storetest.Clock
	store  *memory.Store
	auth   *sessionhttp.Auth
	cookie sessionhttp.Cookie // the expected attributes
	srv    *httptest.Server
	mu     sync.Mutex
	tokens []string // every token created, none of which may leak
	issued []string // tokens handed out in Set-Cookie headers
}

func newEnv(t *testing.T, opts *sessionhttp.Options) *env {
	t.Helper()
	e := &env{t: t, clock: storetest.NewClock(start)}
	st, err := memory.New(&sessionstore.Options{
		Now:           e.clock.Now,
		SweepInterval: -1,
		PortalURL:     "https://portal.example.com/portal",
	})
	if err != nil {
		t.Fatal(err)
	}
	e.store = st
	t.Cleanup(func() { _ = st.Close() })
	e.srv = httptest.NewServer(e.handler(st, opts))
	t.Cleanup(e.srv.Close)
	return e
}

// handler builds the routes on one Auth for st.
func (e *env) handler(st sessionstore.Store, opts *sessionhttp.Options) http.Handler {
	var o sessionhttp.Options
	if opts != nil {
		o = *opts
	}
	if o.Now == nil {
		o.Now = e.clock.Now
	}
	auth, err := sessionhttp.New(st, &o)
	if err != nil {
		e.t.Fatal(err)
	}
	e.auth = auth
	e.cookie = o.Cookie
	if e.cookie.Name == "" {
		e.cookie.Name = sessionhttp.DefaultSecureCookieName
		if e.cookie.Insecure {
			e.cookie.Name = sessionhttp.DefaultCookieName
		}
	}

	mux := http.NewServeMux()
	mux.Handle("/whoami", auth.Required(http.HandlerFunc(whoami)))
	mux.Handle("/owner", auth.Role(sessionstore.RoleOwner)(okHandler()))
	mux.Handle("/sensitive", auth.RequireRecentSignIn(10*time.Minute)(okHandler()))
	mux.Handle("/sessions", auth.Sessions())
	mux.Handle("/sessions/end", auth.SignOutSession())
	mux.Handle("/sessions/others", auth.SignOutOthers())
	mux.Handle("/optional", auth.Optional(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, ok := sessionhttp.FromContext(r.Context())
		markAuthenticated(w, r)
		writeJSONT(w, map[string]any{"signed_in": ok})
	})))
	mux.Handle("/extend", auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := auth.Extend(w, r, 2*time.Hour)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		if now, _ := sessionhttp.FromContext(r.Context()); now != s {
			http.Error(w, "FromContext does not return the extended session", http.StatusInternalServerError)
			return
		}
		markAuthenticated(w, r)
		writeJSONT(w, map[string]any{"expires_at": s.ExpiresAt})
	})))
	mux.HandleFunc("POST /signin", func(w http.ResponseWriter, r *http.Request) {
		p := params(r.FormValue("member_id"), "cus_1", sessionstore.RoleOwner)
		if r.FormValue("bad") != "" {
			p.Member.Email = "not an email"
		}
		if _, err := auth.SignIn(w, r, p); err != nil {
			http.Error(w, err.Error(), http.StatusUnprocessableEntity)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.Handle("/logout", auth.Logout())
	mux.Handle("/logout-everywhere", auth.LogoutEverywhere())
	mux.Handle(sessionhttp.IntrospectPath, auth.Introspect())
	mux.Handle(sessionhttp.PortalUserPath, auth.PortalUser())
	return mux
}

// markAuthenticated tells do that this response was written for a session:
// do then checks its cache headers.
func markAuthenticated(w http.ResponseWriter, r *http.Request) {
	if _, ok := sessionhttp.FromContext(r.Context()); ok {
		w.Header().Set("X-Test-Authenticated", "1")
	}
}

func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		markAuthenticated(w, r)
		_, _ = io.WriteString(w, "ok")
	})
}

func whoami(w http.ResponseWriter, r *http.Request) {
	s, ok := sessionhttp.FromContext(r.Context())
	if !ok {
		http.Error(w, "no session in context", http.StatusInternalServerError)
		return
	}
	markAuthenticated(w, r)
	writeJSONT(w, map[string]any{
		"member_id":  s.MemberID,
		"session_id": s.ID,
		"role":       s.Member.Role,
		"has_token":  s.Token != "" || s.MemberPortalURL != "",
	})
}

func writeJSONT(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func params(memberID, customerID string, role sessionstore.MemberRole) sessionstore.CreateParams {
	name := "Member " + memberID
	cname := "Customer " + customerID
	return sessionstore.CreateParams{
		Member: sessionstore.Member{
			ID: memberID, CustomerID: customerID, Email: memberID + "+test@example.com",
			Name: &name, Role: role,
		},
		Customer: sessionstore.Customer{ID: customerID, Email: "billing@" + customerID + ".example", Name: &cname},
	}
}

// create makes a session and remembers its token.
func (e *env) create(memberID, customerID string, role sessionstore.MemberRole) *sessionstore.MemberSession {
	e.t.Helper()
	s, err := e.store.Create(context.Background(), params(memberID, customerID, role))
	if err != nil {
		e.t.Fatal(err)
	}
	e.remember(s.Token)
	return s
}

func (e *env) remember(tok string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tokens = append(e.tokens, tok)
}

// response is a read response.
type response struct {
	*http.Response
	body string
}

// errorCode decodes a JSON error body.
func (r *response) errorCode(t *testing.T) string {
	t.Helper()
	var v struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("body %q is not a JSON error: %v", r.body, err)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	return v.Error
}

func (r *response) cookie(name string) *http.Cookie {
	for _, c := range r.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// req describes one request.
type req struct {
	method, path string
	bearer       string
	cookie       string // value of the member_session cookie
	cookieName   string
	accept       string
	auth         string            // a raw Authorization header
	header       map[string]string // more request headers
	form         url.Values        // a form body
}

// do sends r without following redirects and checks that no token appears
// in the response, except in the Set-Cookie header of a link exchange.
func (e *env) do(r req) *response {
	e.t.Helper()
	method := r.method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if r.form != nil {
		body = strings.NewReader(r.form.Encode())
	}
	hr, err := http.NewRequest(method, e.srv.URL+r.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if r.form != nil {
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	if r.bearer != "" {
		hr.Header.Set("Authorization", "Bearer "+r.bearer)
	}
	if r.auth != "" {
		hr.Header.Set("Authorization", r.auth)
	}
	if r.cookie != "" {
		name := r.cookieName
		if name == "" {
			name = e.cookie.Name
		}
		hr.AddCookie(&http.Cookie{Name: name, Value: r.cookie})
	}
	if r.accept != "" {
		hr.Header.Set("Accept", r.accept)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	out := &response{Response: resp, body: string(b)}
	e.checkCookies(out)
	e.checkNoToken(out)
	e.checkCacheHeaders(out)
	return out
}

// checkCookies checks every Set-Cookie header for the attributes of
// e.cookie, and remembers the tokens handed out.
func (e *env) checkCookies(r *response) {
	e.t.Helper()
	want := e.cookie
	if want.Path == "" {
		want.Path = "/"
	}
	sameSite := map[http.SameSite]string{0: "Lax", http.SameSiteLaxMode: "Lax", http.SameSiteStrictMode: "Strict", http.SameSiteNoneMode: "None"}[want.SameSite]
	for _, raw := range r.Header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(raw)
		if err != nil {
			e.t.Errorf("%s %s: Set-Cookie %q: %v", r.Request.Method, r.Request.URL.Path, raw, err)
			continue
		}
		bad := func(what string) {
			e.t.Errorf("%s %s: Set-Cookie %s: %s", r.Request.Method, r.Request.URL.Path, strings.ReplaceAll(raw, c.Value, "<token>"), what)
		}
		if c.Name != want.Name {
			bad("name, want " + want.Name)
		}
		if !c.HttpOnly {
			bad("not HttpOnly")
		}
		if c.Secure == want.Insecure {
			bad(fmt.Sprintf("Secure=%v", c.Secure))
		}
		if c.Path != want.Path || c.Domain != want.Domain {
			bad("Path or Domain, want " + want.Path + " " + want.Domain)
		}
		if !strings.Contains(raw, "SameSite="+sameSite) {
			bad("SameSite, want " + sameSite)
		}
		if got := r.Header.Get("Cache-Control"); got != "no-store" {
			bad("response Cache-Control " + got + ", want no-store")
		}
		switch {
		case c.Value == "":
			if c.MaxAge >= 0 || !strings.Contains(raw, "Max-Age=0") {
				bad("clears without Max-Age=0")
			}
		case want.BrowserSession:
			if c.MaxAge != 0 || !c.Expires.IsZero() {
				bad("a browser-session cookie with an expiry")
			}
		default:
			if c.MaxAge <= 0 || c.Expires.IsZero() {
				bad("a persistent cookie without Max-Age and Expires")
			}
			e.mu.Lock()
			e.issued = append(e.issued, c.Value)
			e.mu.Unlock()
		}
	}
}

// checkCacheHeaders checks the headers of every authenticated response.
func (e *env) checkCacheHeaders(r *response) {
	e.t.Helper()
	if r.Header.Get("X-Test-Authenticated") == "" {
		return
	}
	cc := r.Header.Get("Cache-Control")
	if cc != "private, no-store" && cc != "no-store" {
		e.t.Errorf("%s %s: authenticated response with Cache-Control %q", r.Request.Method, r.Request.URL.Path, cc)
	}
	if !slices.Contains(r.Header.Values("Vary"), "Cookie") {
		e.t.Errorf("%s %s: authenticated response without Vary: Cookie", r.Request.Method, r.Request.URL.Path)
	}
}

// checkNoToken fails the test if any known token is in the response's body
// or headers. The one exception: a browser's own token in the Set-Cookie
// header that hands it out. A portal link's token is never in a response,
// not even in a cookie: the browser gets a session of its own.
func (e *env) checkNoToken(r *response) {
	e.t.Helper()
	e.mu.Lock()
	links := append([]string(nil), e.tokens...)
	issued := append([]string(nil), e.issued...)
	e.mu.Unlock()
	for _, tok := range append(links, issued...) {
		if strings.Contains(r.body, tok) {
			e.t.Errorf("%s %s: token in response body", r.Request.Method, r.Request.URL.Path)
		}
		for k, vs := range r.Header {
			for _, v := range vs {
				if !strings.Contains(v, tok) {
					continue
				}
				if k == "Set-Cookie" && slices.Contains(issued, tok) && !slices.Contains(links, tok) {
					continue
				}
				e.t.Errorf("%s %s: token in response header %s", r.Request.Method, r.Request.URL.Path, k)
			}
		}
	}
}

// noLeak fails if b contains any known token.
func (e *env) noLeak(what string, b []byte) {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, tok := range e.tokens {
		if bytes.Contains(b, []byte(tok)) {
			e.t.Errorf("token in %s", what)
		}
	}
}

// newRecorder serves a GET with a bearer token through h.
func newRecorder(h http.Handler, tok string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	hr := httptest.NewRequest(http.MethodGet, "/", nil)
	hr.Header.Set("Authorization", "Bearer "+tok)
	h.ServeHTTP(rec, hr)
	return rec
}
