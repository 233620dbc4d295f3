package sessionhttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
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

// failingStore is a Store whose lookups and revocations fail with err, a
// backend failure that is none of the sentinels.
type failingStore struct {
	sessionstore.Store
	err error
}

func (f failingStore) Lookup(context.Context, string) (*sessionstore.MemberSession, error) {
	return nil, f.err
}

func (f failingStore) Revoke(context.Context, string) error { return f.err }

func (f failingStore) RevokeMember(context.Context, string) (int, error) { return 0, f.err }

// env is a store, a fake clock, and a test server with these routes:
//
//	/whoami             Middleware -> JSON {member_id, session_id, role}
//	/owner              Middleware -> RequireRole(owner) -> "ok"
//	/optional           Middleware(Optional) -> JSON {"signed_in": bool}
//	/logout             Middleware(Optional) -> Logout
//	/logout-everywhere  Middleware -> LogoutEverywhere
type env struct {
	t      *testing.T
	clock  *storetest.Clock
	store  *memory.Store
	srv    *httptest.Server
	mu     sync.Mutex
	tokens []string // every token created, none of which may leak
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

func (e *env) handler(st sessionstore.Store, opts *sessionhttp.Options) http.Handler {
	var o sessionhttp.Options
	if opts != nil {
		o = *opts
	}
	if o.Now == nil {
		o.Now = e.clock.Now
	}
	optional := o
	optional.Optional = true
	auth := sessionhttp.Middleware(st, &o)
	opt := sessionhttp.Middleware(st, &optional)

	mux := http.NewServeMux()
	mux.Handle("/whoami", auth(http.HandlerFunc(whoami)))
	mux.Handle("/owner", auth(sessionhttp.RequireRole(sessionstore.RoleOwner)(okHandler())))
	mux.Handle("/optional", opt(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, ok := sessionhttp.FromContext(r.Context())
		writeJSONT(w, map[string]any{"signed_in": ok})
	})))
	mux.Handle("/logout", opt(sessionhttp.Logout(st)))
	mux.Handle("/logout-everywhere", auth(sessionhttp.LogoutEverywhere(st)))
	return mux
}

func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
}

func whoami(w http.ResponseWriter, r *http.Request) {
	s, ok := sessionhttp.FromContext(r.Context())
	if !ok {
		http.Error(w, "no session in context", http.StatusInternalServerError)
		return
	}
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
	auth         string // a raw Authorization header
}

// do sends r without following redirects and checks that no token appears
// in the response, except in the Set-Cookie header of a link exchange.
func (e *env) do(r req) *response {
	e.t.Helper()
	method := r.method
	if method == "" {
		method = http.MethodGet
	}
	hr, err := http.NewRequest(method, e.srv.URL+r.path, nil)
	if err != nil {
		e.t.Fatal(err)
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
			name = sessionhttp.DefaultCookieName
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
	e.checkNoToken(out)
	return out
}

// checkNoToken fails the test if any known token is in the response's body
// or headers. The one exception: the Set-Cookie header of a successful
// portal-link exchange (303), which hands the browser its credential.
func (e *env) checkNoToken(r *response) {
	e.t.Helper()
	e.mu.Lock()
	toks := append([]string(nil), e.tokens...)
	e.mu.Unlock()
	for _, tok := range toks {
		if strings.Contains(r.body, tok) {
			e.t.Errorf("%s %s: token in response body", r.Request.Method, r.Request.URL.Path)
		}
		for k, vs := range r.Header {
			for _, v := range vs {
				if !strings.Contains(v, tok) {
					continue
				}
				if k == "Set-Cookie" && r.StatusCode == http.StatusSeeOther {
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
