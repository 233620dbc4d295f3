package sessionhttp_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/sessionhttp"
	"github.com/memberkit/sessionstore/token"
)

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

func TestLogout(t *testing.T) {
	e := newEnv(t, &sessionhttp.Options{SignedOutURL: "/bye"})
	ctx := context.Background()
	a := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	b := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	c := e.create("mem_1", "cus_1", sessionstore.RoleOwner)

	// An API client: 204, the cookie cleared.
	r := e.do(req{method: http.MethodPost, path: "/logout", bearer: a.Token, accept: "application/json"})
	if r.StatusCode != http.StatusNoContent {
		t.Errorf("JSON logout: %d %s", r.StatusCode, r.body)
	}
	if ck := r.cookie(e.cookie.Name); ck == nil || ck.MaxAge >= 0 || ck.Value != "" {
		t.Errorf("cookie not cleared: %v", ck)
	}
	if _, err := e.store.Lookup(ctx, a.Token); !errors.Is(err, sessionstore.ErrNotFound) {
		t.Errorf("after logout, lookup: %v", err)
	}
	// A browser form: 303 to SignedOutURL.
	r = e.do(req{method: http.MethodPost, path: "/logout", cookie: b.Token, accept: browserAccept})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/bye" {
		t.Errorf("browser logout: %d Location %q", r.StatusCode, r.Header.Get("Location"))
	}
	if _, err := e.store.Lookup(ctx, b.Token); !errors.Is(err, sessionstore.ErrNotFound) {
		t.Errorf("after logout, lookup: %v", err)
	}
	// The member's other session lives on.
	if _, err := e.store.Lookup(ctx, c.Token); err != nil {
		t.Errorf("other session: %v", err)
	}
	// DELETE works too.
	if r := e.do(req{method: http.MethodDelete, path: "/logout", bearer: c.Token}); r.StatusCode != http.StatusNoContent {
		t.Errorf("DELETE: %d", r.StatusCode)
	}
}

// Signing out with a stale cookie, or none, clears the cookie and succeeds,
// with the handlers of an Auth and with Logout behind Middleware (in either
// mode).
func TestLogoutSignedOutAlready(t *testing.T) {
	e := newEnv(t, &sessionhttp.Options{SignedOutURL: "/bye"})
	revoked := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	if err := e.store.Revoke(context.Background(), revoked.ID); err != nil {
		t.Fatal(err)
	}
	unknown, _ := token.New(sessionstore.DefaultTokenPrefix)
	e.remember(unknown)

	check := func(name string) {
		t.Helper()
		for _, cookie := range []string{revoked.Token, unknown, "junk", ""} {
			r := e.do(req{method: http.MethodPost, path: "/logout", cookie: cookie, accept: browserAccept})
			if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/bye" {
				t.Errorf("%s, cookie %.8q: %d %s", name, cookie, r.StatusCode, r.body)
			}
			if ck := r.cookie(e.cookie.Name); ck == nil || ck.MaxAge >= 0 {
				t.Errorf("%s, cookie %.8q: cookie not cleared", name, cookie)
			}
			if n := len(r.Header.Values("Set-Cookie")); n != 1 {
				t.Errorf("%s: %d Set-Cookie headers, want 1", name, n)
			}
		}
	}
	check("Auth.Logout")
	for _, optional := range []bool{false, true} {
		opts := &sessionhttp.Options{SignedOutURL: "/bye", Optional: optional, Now: e.clock.Now}
		mux := http.NewServeMux()
		mux.Handle("/logout", sessionhttp.Middleware(e.store, opts)(sessionhttp.Logout(e.store)))
		e.srv.Config.Handler = mux
		check("Middleware + Logout")
	}
}

// Sign-out refuses other methods and other origins by itself.
func TestLogoutRefuses(t *testing.T) {
	e := newEnv(t, nil)
	s := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	for _, path := range []string{"/logout", "/logout-everywhere"} {
		r := e.do(req{path: path, cookie: s.Token})
		if r.StatusCode != http.StatusMethodNotAllowed || r.errorCode(t) != sessionhttp.CodeMethodNotAllowed || r.Header.Get("Allow") != "POST, DELETE" {
			t.Errorf("GET %s: %d %s Allow %q", path, r.StatusCode, r.body, r.Header.Get("Allow"))
		}
		for _, hdr := range []map[string]string{
			{"Sec-Fetch-Site": "cross-site"},
			{"Origin": "https://evil.example"},
		} {
			r := e.do(req{method: http.MethodPost, path: path, cookie: s.Token, header: hdr})
			if r.StatusCode != http.StatusForbidden || r.errorCode(t) != sessionhttp.CodeCrossOrigin {
				t.Errorf("cross-origin %s %v: %d %s", path, hdr, r.StatusCode, r.body)
			}
			if len(r.Cookies()) != 0 {
				t.Errorf("cross-origin %s: cookie touched", path)
			}
		}
	}
	if _, err := e.store.Lookup(context.Background(), s.Token); err != nil {
		t.Errorf("session after refused sign-outs: %v", err)
	}
	// Same-origin browsers and API clients without those headers pass.
	r := e.do(req{method: http.MethodPost, path: "/logout", cookie: s.Token, header: map[string]string{"Sec-Fetch-Site": "same-origin"}})
	if r.StatusCode != http.StatusNoContent {
		t.Errorf("same-origin: %d %s", r.StatusCode, r.body)
	}

	// A trusted origin, through the app's own CrossOriginProtection.
	cop := http.NewCrossOriginProtection()
	if err := cop.AddTrustedOrigin("https://app.example"); err != nil {
		t.Fatal(err)
	}
	e2 := newEnv(t, &sessionhttp.Options{CrossOriginProtection: cop})
	s = e2.create("mem_1", "cus_1", sessionstore.RoleOwner)
	r = e2.do(req{method: http.MethodPost, path: "/logout", cookie: s.Token, header: map[string]string{"Origin": "https://app.example", "Sec-Fetch-Site": "cross-site"}})
	if r.StatusCode != http.StatusNoContent {
		t.Errorf("trusted origin: %d %s", r.StatusCode, r.body)
	}
}

func TestLogoutEverywhere(t *testing.T) {
	e := newEnv(t, &sessionhttp.Options{SignedOutURL: "/bye", SignedOutEverywhereURL: "/bye?everywhere=1"})
	ctx := context.Background()
	a1 := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	a2 := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	other := e.create("mem_2", "cus_1", sessionstore.RoleMember)

	if r := e.do(req{method: http.MethodPost, path: "/logout-everywhere"}); r.StatusCode != http.StatusUnauthorized || r.errorCode(t) != sessionhttp.CodeMissingToken {
		t.Errorf("without a session: %d %s", r.StatusCode, r.body)
	}
	r := e.do(req{method: http.MethodPost, path: "/logout-everywhere", cookie: a1.Token, accept: browserAccept})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/bye?everywhere=1" {
		t.Errorf("status %d Location %q", r.StatusCode, r.Header.Get("Location"))
	}
	if ck := r.cookie(e.cookie.Name); ck == nil || ck.MaxAge >= 0 {
		t.Errorf("cookie not cleared: %v", ck)
	}
	for _, s := range []*sessionstore.MemberSession{a1, a2} {
		if _, err := e.store.Lookup(ctx, s.Token); !errors.Is(err, sessionstore.ErrNotFound) {
			t.Errorf("session %s survived: %v", s.ID, err)
		}
	}
	if _, err := e.store.Lookup(ctx, other.Token); err != nil {
		t.Errorf("another member's session was revoked: %v", err)
	}
	// Again, with the now stale cookie: 401, and the cookie cleared.
	r = e.do(req{method: http.MethodPost, path: "/logout-everywhere", cookie: a1.Token})
	if r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.Header.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("stale cookie: %d %v", r.StatusCode, r.Header.Values("Set-Cookie"))
	}
}
