package sessionhttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/sessionhttp"
	"github.com/memberkit/sessionstore/token"
)

func linkQuery(s *sessionstore.MemberSession) string {
	u, err := url.Parse(s.MemberPortalURL)
	if err != nil {
		panic(err)
	}
	return u.RawQuery
}

// cookieOf returns the session cookie a response sets, or fails.
func (e *env) cookieOf(r *response) *http.Cookie {
	e.t.Helper()
	c := r.cookie(e.cookie.Name)
	if c == nil || c.Value == "" {
		e.t.Fatalf("%s %s: no session cookie set (status %d, body %s)", r.Request.Method, r.Request.URL.Path, r.StatusCode, r.body)
	}
	return c
}

// exchange opens s's portal link on path and returns the cookie it sets.
func (e *env) exchange(path string, s *sessionstore.MemberSession) *http.Cookie {
	e.t.Helper()
	r := e.do(req{path: path + "?" + linkQuery(s)})
	if r.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("exchange: status %d, body %s", r.StatusCode, r.body)
	}
	return e.cookieOf(r)
}

func TestLinkExchange(t *testing.T) {
	e := newEnv(t, nil)
	s := e.create("mem_1", "cus_1", sessionstore.RoleOwner)

	// The portal link's query, between other parameters that must survive.
	r := e.do(req{path: "/whoami?tab=billing&" + linkQuery(s) + "&lang=en%2Dus"})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("status = %d, want 303; body %s", r.StatusCode, r.body)
	}
	if loc := r.Header.Get("Location"); loc != "/whoami?tab=billing&lang=en%2Dus" {
		t.Errorf("Location = %q, want the URL without token and email", loc)
	}
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q", got)
	}
	if got := r.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy = %q", got)
	}
	c := e.cookieOf(r)
	if c.Value == s.Token {
		t.Fatal("the cookie carries the link's token, not a session of its own")
	}
	if !c.Expires.Equal(s.ExpiresAt) || c.MaxAge != 3600 {
		t.Errorf("cookie Expires %v Max-Age %d, want %v and 3600", c.Expires, c.MaxAge, s.ExpiresAt)
	}

	// The cookie now authenticates, as a session of its own.
	r = e.do(req{path: "/whoami", cookie: c.Value})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("with cookie: status %d, body %s", r.StatusCode, r.body)
	}
	var who struct {
		MemberID  string `json:"member_id"`
		SessionID string `json:"session_id"`
		HasToken  bool   `json:"has_token"`
	}
	if err := json.Unmarshal([]byte(r.body), &who); err != nil {
		t.Fatal(err)
	}
	if who.MemberID != "mem_1" || who.SessionID == s.ID {
		t.Errorf("whoami = %+v, want mem_1 in a session other than the link's", who)
	}
	if who.HasToken {
		t.Error("FromContext's session carries its token or portal URL")
	}

	// Half an hour later a new exchange gives a session that ends with the
	// link, whole seconds.
	e.clock.Advance(30*time.Minute + 500*time.Millisecond)
	r = e.do(req{path: "/whoami?" + linkQuery(s)})
	if c := e.cookieOf(r); c.MaxAge != 1799 {
		t.Errorf("cookie after 30m: Max-Age %d, want 1799", c.MaxAge)
	}
	if loc := r.Header.Get("Location"); loc != "/whoami" {
		t.Errorf("Location = %q, want /whoami", loc)
	}

	// HEAD exchanges as GET does.
	r = e.do(req{method: http.MethodHead, path: "/whoami?" + linkQuery(s)})
	if r.StatusCode != http.StatusSeeOther {
		t.Errorf("HEAD: status %d", r.StatusCode)
	}
}

// TestLinkExchangeMethods: a link is exchanged on GET and HEAD, and on a
// same-origin POST (the confirmation of a switch of member); a cross-site
// POST, or any other method, never exchanges it.
func TestLinkExchangeMethods(t *testing.T) {
	e := newEnv(t, nil)
	s := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	r := e.do(req{method: http.MethodPost, path: "/whoami?" + linkQuery(s), header: map[string]string{"Sec-Fetch-Site": "cross-site"}})
	if r.StatusCode != http.StatusForbidden || r.errorCode(t) != sessionhttp.CodeCrossOrigin {
		t.Errorf("cross-site POST with link token: status %d body %s, want 403 cross_origin", r.StatusCode, r.body)
	}
	r = e.do(req{method: http.MethodPut, path: "/whoami?" + linkQuery(s)})
	if r.StatusCode != http.StatusUnauthorized || r.errorCode(t) != sessionhttp.CodeMissingToken {
		t.Errorf("PUT with link token: status %d body %s, want 401 missing_token", r.StatusCode, r.body)
	}
	r = e.do(req{method: http.MethodPost, path: "/whoami?" + linkQuery(s), header: map[string]string{"Sec-Fetch-Site": "same-origin"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Errorf("same-origin POST with link token: status %d body %s, want 303", r.StatusCode, r.body)
	}
}

func TestDeprecatedCookieOptions(t *testing.T) {
	e := newEnv(t, &sessionhttp.Options{CookieName: "portal", Insecure: true})
	e.cookie = sessionhttp.Cookie{Name: "portal", Insecure: true}
	s := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	c := e.exchange("/whoami", s)
	if r := e.do(req{path: "/whoami", cookie: c.Value, cookieName: "portal"}); r.StatusCode != http.StatusOK {
		t.Errorf("custom cookie: status %d", r.StatusCode)
	}
	if r := e.do(req{path: "/whoami", cookie: c.Value, cookieName: sessionhttp.DefaultSecureCookieName}); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("default cookie name accepted: status %d", r.StatusCode)
	}
}

// The exchange redirect stays on this host whatever the request path.
func TestLinkExchangeRedirectStaysLocal(t *testing.T) {
	e := newEnv(t, nil)
	s := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	h := e.auth.Required(okHandler())
	for _, tc := range []struct{ target, want string }{
		{"//evil.example/x?" + linkQuery(s), "/evil.example/x"},
		{"/\\evil.example?" + linkQuery(s), "/%5Cevil.example"}, // a path, not a host
		{"/a?email=x&" + TokenParamEq + s.Token + "&email=y&b", "/a?b"},
		{"/a?x=1;" + TokenParamEq + s.Token + "&" + TokenParamEq + s.Token, "/a"}, // duplicate: malformed
		{"/a?%6Dember_session_token=" + s.Token, "/a"},                            // escaped key
		{"/a/" + s.Token + "?" + linkQuery(s), "/"},                               // token in the path
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.target, nil))
		loc := rec.Header().Get("Location")
		if rec.Code == http.StatusSeeOther && loc != tc.want {
			t.Errorf("%q: Location %q, want %q", tc.target, loc, tc.want)
		}
		if strings.Contains(loc, s.Token) || strings.Contains(rec.Body.String(), s.Token) {
			t.Errorf("%q: token echoed", tc.target)
		}
	}
}

const TokenParamEq = sessionhttp.TokenParam + "="

func TestBearerWinsOverCookieAndLink(t *testing.T) {
	e := newEnv(t, nil)
	a := e.create("mem_a", "cus_1", sessionstore.RoleOwner)
	b := e.create("mem_b", "cus_1", sessionstore.RoleMember)
	unknown, _ := token.New(sessionstore.DefaultTokenPrefix)
	e.remember(unknown)

	check := func(name string, r *response, wantStatus int, want string) {
		t.Helper()
		if r.StatusCode != wantStatus {
			t.Fatalf("%s: status %d, want %d; body %s", name, r.StatusCode, wantStatus, r.body)
		}
		if wantStatus == http.StatusSeeOther {
			return
		}
		if wantStatus != http.StatusOK {
			if got := r.errorCode(t); got != want {
				t.Errorf("%s: code %q, want %q", name, got, want)
			}
			return
		}
		if want != "" && !strings.Contains(r.body, `"member_id":"`+want+`"`) {
			t.Errorf("%s: body %s, want member %s", name, r.body, want)
		}
	}
	check("bearer b, cookie a", e.do(req{path: "/whoami", bearer: b.Token, cookie: a.Token}), 200, "mem_b")
	check("bearer b, link a", e.do(req{path: "/whoami?" + linkQuery(a), bearer: b.Token}), 200, "mem_b")
	check("lowercase scheme", e.do(req{path: "/whoami", auth: "bearer " + b.Token}), 200, "mem_b")
	check("bad bearer, good cookie", e.do(req{path: "/whoami", bearer: "mst_junk", cookie: a.Token}), 401, sessionhttp.CodeMalformedToken)
	check("unknown bearer, good cookie", e.do(req{path: "/whoami", bearer: unknown, cookie: a.Token}), 401, sessionhttp.CodeInvalidToken)
	check("Basic is not ours", e.do(req{path: "/whoami", auth: "Basic dXNlcjpwYXNz", cookie: a.Token}), 200, "mem_a")
	check("link wins over cookie", e.do(req{path: "/whoami?" + linkQuery(b), cookie: a.Token}), 303, "")
	check("bearer on /optional", e.do(req{path: "/optional", bearer: b.Token}), 200, "")
}

func TestErrorCodes(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	unknown, _ := token.New(sessionstore.DefaultTokenPrefix)
	e.remember(unknown)
	revoked := e.create("mem_r", "cus_r", sessionstore.RoleMember)
	if err := e.store.Revoke(ctx, revoked.ID); err != nil {
		t.Fatal(err)
	}
	deleted := e.create("mem_d", "cus_d", sessionstore.RoleMember)
	gone := deleted.Customer
	when := start
	gone.DeletedAt = &when
	if _, err := e.store.UpdateCustomer(ctx, gone); err != nil {
		t.Fatal(err)
	}
	// Expires at start+1h; every other session is created later and
	// lives on.
	expired := e.create("mem_x", "cus_x", sessionstore.RoleMember)
	e.clock.Advance(90 * time.Minute)

	tokens := []struct {
		name, tok, code string
	}{
		{"malformed", "mst_notatoken", sessionhttp.CodeMalformedToken},
		{"bad checksum", badChecksum(unknown), sessionhttp.CodeMalformedToken},
		{"too long", strings.Repeat("a", 5000), sessionhttp.CodeMalformedToken},
		{"unknown", unknown, sessionhttp.CodeInvalidToken},
		{"revoked", revoked.Token, sessionhttp.CodeInvalidToken},
		{"deleted customer", deleted.Token, sessionhttp.CodeInvalidToken},
		{"expired", expired.Token, sessionhttp.CodeExpired},
	}
	for _, tc := range tokens {
		for _, src := range []string{"header", "cookie", "link"} {
			r := req{path: "/whoami"}
			switch src {
			case "header":
				r.bearer = tc.tok
			case "cookie":
				r.cookie = tc.tok
			case "link":
				r.path += "?" + TokenParamEq + url.QueryEscape(tc.tok) + "&email=a%40b.example"
			}
			resp := e.do(r)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s via %s: status %d, want 401", tc.name, src, resp.StatusCode)
				continue
			}
			if got := resp.errorCode(t); got != tc.code {
				t.Errorf("%s via %s: code %q, want %q", tc.name, src, got, tc.code)
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != `Bearer error="invalid_token"` {
				t.Errorf("%s via %s: WWW-Authenticate %q", tc.name, src, got)
			}
			if got := resp.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("%s via %s: Cache-Control %q", tc.name, src, got)
			}
			c := resp.cookie(e.cookie.Name)
			if src == "cookie" {
				if c == nil || c.MaxAge >= 0 {
					t.Errorf("%s via cookie: stale cookie not cleared: %v", tc.name, c)
				}
			} else if c != nil {
				t.Errorf("%s via %s: unexpected cookie %v", tc.name, src, c)
			}
		}
	}

	// Present but empty, or repeated.
	for _, tc := range []struct {
		name string
		r    req
	}{
		{"empty bearer", req{path: "/whoami", auth: "Bearer "}},
		{"empty link", req{path: "/whoami?" + TokenParamEq}},
		{"two link tokens", req{path: "/whoami?" + TokenParamEq + unknown + "&" + TokenParamEq + unknown}},
	} {
		resp := e.do(tc.r)
		if resp.StatusCode != http.StatusUnauthorized || resp.errorCode(t) != sessionhttp.CodeMalformedToken {
			t.Errorf("%s: status %d body %s, want 401 malformed_token", tc.name, resp.StatusCode, resp.body)
		}
	}

	// Missing: the bare challenge, no error attribute.
	resp := e.do(req{path: "/whoami"})
	if resp.StatusCode != http.StatusUnauthorized || resp.errorCode(t) != sessionhttp.CodeMissingToken {
		t.Errorf("missing: status %d body %s", resp.StatusCode, resp.body)
	}
	if got := resp.Header.Get("WWW-Authenticate"); got != "Bearer" {
		t.Errorf("missing: WWW-Authenticate %q, want Bearer", got)
	}
	// An empty cookie is no cookie.
	if resp := e.do(req{path: "/whoami", auth: "", cookie: ""}); resp.errorCode(t) != sessionhttp.CodeMissingToken {
		t.Errorf("empty cookie: %s", resp.body)
	}
}

func TestStoreFailureIs503(t *testing.T) {
	e := newEnv(t, nil)
	s := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	var handled []error
	var mu sync.Mutex
	fail := failingStore{Store: e.store, err: errors.New("badger: disk on fire")}

	for _, withHandler := range []bool{false, true} {
		opts := &sessionhttp.Options{Logger: logger, Now: e.clock.Now}
		if withHandler {
			opts.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
				mu.Lock()
				handled = append(handled, err)
				mu.Unlock()
				sessionhttp.WriteError(w, r, err)
			}
		}
		srv := httptest.NewServer(e.handler(fail, opts))
		e.srv = srv
		for _, r := range []req{
			{path: "/whoami", bearer: s.Token},
			{path: "/whoami", cookie: s.Token},
			{path: "/whoami?" + linkQuery(s)},
			{path: "/optional", cookie: s.Token},
		} {
			resp := e.do(r)
			if resp.StatusCode != http.StatusServiceUnavailable || resp.errorCode(t) != sessionhttp.CodeUnavailable {
				t.Errorf("%+v: status %d body %s, want 503 unavailable", r, resp.StatusCode, resp.body)
			}
			if resp.Header.Get("WWW-Authenticate") != "" {
				t.Errorf("%+v: 503 with a WWW-Authenticate challenge", r)
			}
			if c := resp.cookie(e.cookie.Name); c != nil {
				t.Errorf("%+v: cookie touched on a store failure: %v", r, c)
			}
		}
		srv.Close()
	}

	// Logout and LogoutEverywhere behind a working middleware but a
	// failing store: 503, and the cookie is kept since the session lives.
	mux := http.NewServeMux()
	mw := sessionhttp.Middleware(e.store, &sessionhttp.Options{Logger: logger})
	mux.Handle("/logout", mw(sessionhttp.Logout(fail)))
	mux.Handle("/logout-everywhere", mw(sessionhttp.LogoutEverywhere(fail)))
	e.cookie = sessionhttp.Cookie{Name: sessionhttp.DefaultSecureCookieName}
	e.srv = httptest.NewServer(mux)
	defer e.srv.Close()
	for _, path := range []string{"/logout", "/logout-everywhere"} {
		resp := e.do(req{method: http.MethodPost, path: path, cookie: s.Token})
		if resp.StatusCode != http.StatusServiceUnavailable || resp.errorCode(t) != sessionhttp.CodeUnavailable {
			t.Errorf("%s: status %d body %s", path, resp.StatusCode, resp.body)
		}
		if c := resp.cookie(e.cookie.Name); c != nil {
			t.Errorf("%s: cookie cleared though the session was not revoked", path)
		}
	}
	if _, err := e.store.Lookup(context.Background(), s.Token); err != nil {
		t.Errorf("session gone: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(handled) != 4 {
		t.Fatalf("ErrorHandler called %d times, want 4", len(handled))
	}
	for _, err := range handled {
		if sessionhttp.Code(err) != sessionhttp.CodeUnavailable || !errors.Is(err, fail.err) {
			t.Errorf("handler got %v", err)
		}
		e.noLeak("error message", []byte(err.Error()))
	}
	if !strings.Contains(logs.String(), "disk on fire") {
		t.Errorf("store failure not logged: %s", logs.String())
	}
	e.noLeak("log", logs.Bytes())
}

func TestClosedStoreIs503(t *testing.T) {
	e := newEnv(t, nil)
	s := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	resp := e.do(req{path: "/whoami", cookie: s.Token})
	if resp.StatusCode != http.StatusServiceUnavailable || resp.errorCode(t) != sessionhttp.CodeUnavailable {
		t.Errorf("closed store: status %d body %s", resp.StatusCode, resp.body)
	}
}

func TestOptional(t *testing.T) {
	e := newEnv(t, nil)
	s := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	unknown, _ := token.New(sessionstore.DefaultTokenPrefix)
	e.remember(unknown)

	signedIn := func(r *response) bool {
		t.Helper()
		if r.StatusCode != http.StatusOK {
			t.Fatalf("status %d body %s", r.StatusCode, r.body)
		}
		return strings.Contains(r.body, `"signed_in":true`)
	}
	if signedIn(e.do(req{path: "/optional"})) {
		t.Error("no token: signed in")
	}
	if !signedIn(e.do(req{path: "/optional", cookie: s.Token})) {
		t.Error("good cookie: not signed in")
	}
	r := e.do(req{path: "/optional", cookie: unknown})
	if signedIn(r) {
		t.Error("stale cookie: signed in")
	}
	if c := r.cookie(e.cookie.Name); c == nil || c.MaxAge >= 0 {
		t.Error("stale cookie not cleared")
	}
	// A bad bearer token is still refused: the client asked to be
	// authenticated.
	if r := e.do(req{path: "/optional", bearer: unknown}); r.StatusCode != http.StatusUnauthorized || r.errorCode(t) != sessionhttp.CodeInvalidToken {
		t.Errorf("bad bearer: status %d body %s", r.StatusCode, r.body)
	}
	if r := e.do(req{path: "/optional?" + TokenParamEq + unknown}); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("bad link: status %d", r.StatusCode)
	}
}

func TestCustomErrorHandler(t *testing.T) {
	var got []*sessionhttp.Error
	var mu sync.Mutex
	e := newEnv(t, &sessionhttp.Options{ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
		var he *sessionhttp.Error
		if !errors.As(err, &he) {
			panic(fmt.Sprintf("not an *Error: %v", err))
		}
		mu.Lock()
		got = append(got, he)
		mu.Unlock()
		w.WriteHeader(he.StatusCode())
		_, _ = fmt.Fprintf(w, "<p>%s</p>", he.Code)
	}})
	s := e.create("mem_1", "cus_1", sessionstore.RoleMember)
	e.clock.Advance(2 * time.Hour)
	r := e.do(req{path: "/whoami?" + linkQuery(s)})
	if r.StatusCode != http.StatusUnauthorized || r.body != "<p>expired</p>" {
		t.Errorf("expired link: %d %q", r.StatusCode, r.body)
	}
	if r.Header.Get("Referrer-Policy") != "no-referrer" || r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("error page for a link lacks no-referrer/no-store: %v", r.Header)
	}
	e.clock.Advance(-2 * time.Hour)
	r = e.do(req{path: "/owner", cookie: s.Token})
	if r.StatusCode != http.StatusForbidden || r.body != "<p>forbidden</p>" {
		t.Errorf("RequireRole through custom handler: %d %q", r.StatusCode, r.body)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("handler called %d times", len(got))
	}
	if !errors.Is(got[0], sessionstore.ErrExpired) || got[0].Source != sessionhttp.SourceLink {
		t.Errorf("first error %v from %q", got[0], got[0].Source)
	}
	if !errors.Is(got[1], sessionhttp.ErrForbidden) || got[1].Code != sessionhttp.CodeForbidden {
		t.Errorf("second error %v", got[1])
	}
	for _, err := range got {
		e.noLeak("error message", []byte(err.Error()))
	}
}

func TestRequireRole(t *testing.T) {
	e := newEnv(t, nil)
	owner := e.create("mem_o", "cus_1", sessionstore.RoleOwner)
	billing := e.create("mem_b", "cus_1", sessionstore.RoleBillingManager)
	if r := e.do(req{path: "/owner", cookie: owner.Token}); r.StatusCode != http.StatusOK || r.body != "ok" {
		t.Errorf("owner: %d %s", r.StatusCode, r.body)
	}
	r := e.do(req{path: "/owner", bearer: billing.Token})
	if r.StatusCode != http.StatusForbidden || r.errorCode(t) != sessionhttp.CodeForbidden {
		t.Errorf("billing manager: %d %s", r.StatusCode, r.body)
	}
	if r.Header.Get("WWW-Authenticate") != "" {
		t.Error("403 with a WWW-Authenticate challenge")
	}

	// Several roles; no session in the context; no roles at all.
	h := sessionhttp.RequireRole(sessionstore.RoleOwner, sessionstore.RoleBillingManager)(okHandler())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), `"missing_token"`) {
		t.Errorf("no middleware: %d %s", rec.Code, rec.Body)
	}
	mw := e.auth.Required
	for _, tc := range []struct {
		h    http.Handler
		want int
	}{
		{mw(h), http.StatusOK},
		{mw(sessionhttp.RequireRole()(okHandler())), http.StatusForbidden},
	} {
		rec := httptest.NewRecorder()
		hr := httptest.NewRequest(http.MethodGet, "/", nil)
		hr.Header.Set("Authorization", "Bearer "+billing.Token)
		tc.h.ServeHTTP(rec, hr)
		if rec.Code != tc.want {
			t.Errorf("status %d, want %d", rec.Code, tc.want)
		}
	}
}

func TestCode(t *testing.T) {
	for _, tc := range []struct {
		err    error
		code   string
		status int
	}{
		{nil, "", 0},
		{sessionstore.ErrExpired, sessionhttp.CodeExpired, 401},
		{fmt.Errorf("wrapped: %w", sessionstore.ErrNotFound), sessionhttp.CodeInvalidToken, 401},
		{sessionstore.ErrMalformedToken, sessionhttp.CodeMalformedToken, 401},
		{sessionhttp.ErrMissingToken, sessionhttp.CodeMissingToken, 401},
		{sessionhttp.ErrForbidden, sessionhttp.CodeForbidden, 403},
		{sessionhttp.ErrCrossOrigin, sessionhttp.CodeCrossOrigin, 403},
		{sessionhttp.ErrMethodNotAllowed, sessionhttp.CodeMethodNotAllowed, 405},
		{sessionstore.ErrClosed, sessionhttp.CodeUnavailable, 503},
		{errors.New("boom"), sessionhttp.CodeUnavailable, 503},
		{&sessionhttp.Error{Code: sessionhttp.CodeExpired, Err: sessionstore.ErrExpired}, sessionhttp.CodeExpired, 401},
	} {
		if got := sessionhttp.Code(tc.err); got != tc.code {
			t.Errorf("Code(%v) = %q, want %q", tc.err, got, tc.code)
		}
		if tc.err == nil {
			continue
		}
		rec := httptest.NewRecorder()
		sessionhttp.WriteError(rec, httptest.NewRequest(http.MethodGet, "/", nil), tc.err)
		if rec.Code != tc.status {
			t.Errorf("WriteError(%v): status %d, want %d", tc.err, rec.Code, tc.status)
		}
		if want := `{"error":"` + tc.code + `"}` + "\n"; rec.Body.String() != want {
			t.Errorf("WriteError(%v): body %q, want %q", tc.err, rec.Body, want)
		}
	}
	e := &sessionhttp.Error{Code: sessionhttp.CodeExpired, Source: sessionhttp.SourceCookie, Err: sessionstore.ErrExpired}
	if e.Error() != "sessionhttp: expired: sessionstore: session expired" {
		t.Errorf("Error() = %q", e.Error())
	}
	if (&sessionhttp.Error{Code: sessionhttp.CodeForbidden}).Error() != "sessionhttp: forbidden" {
		t.Error("Error() without cause")
	}
}

// Concurrent requests through one middleware, for the race detector.
func TestConcurrentRequests(t *testing.T) {
	e := newEnv(t, nil)
	s := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := req{path: "/whoami", cookie: s.Token}
			if i%2 == 0 {
				r = req{path: "/whoami?" + linkQuery(s)}
			}
			if resp := e.do(r); resp.StatusCode >= 400 {
				t.Errorf("status %d", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
}

// badChecksum changes tok's last character, breaking its checksum.
func badChecksum(tok string) string {
	last := "x"
	if strings.HasSuffix(tok, "x") {
		last = "y"
	}
	return tok[:len(tok)-1] + last
}
