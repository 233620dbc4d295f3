package sessionhttp_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/memory"
	"github.com/memberkit/sessionstore/sessionhttp"
)

// TestSignInURL: with Options.SignInURL, a browser without a live session
// is sent to sign in; API clients, bearer tokens and portal links keep
// their JSON errors.
func TestSignInURL(t *testing.T) {
	e := newEnv(t, &sessionhttp.Options{SignInURL: "/sign-in"})
	link := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	for name, r := range map[string]req{
		"no cookie":   {path: "/whoami", accept: browserAccept},
		"dead cookie": {path: "/whoami", accept: browserAccept, cookie: unknownCookie(t)},
	} {
		resp := e.do(r)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/sign-in" {
			t.Errorf("%s, browser: status %d Location %q, want 303 to /sign-in", name, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	for name, r := range map[string]req{
		"API client":    {path: "/whoami", accept: "application/json"},
		"no Accept":     {path: "/whoami"},
		"fetch default": {path: "/whoami", accept: "*/*"},
		"bad bearer":    {path: "/whoami", accept: browserAccept, bearer: unknownCookie(t)},
	} {
		resp := e.do(r)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", name, resp.StatusCode)
		}
	}
	e.clock.Advance(2 * time.Hour)
	resp := e.do(req{path: "/whoami?" + linkQuery(link), accept: browserAccept})
	if resp.StatusCode != http.StatusUnauthorized || resp.errorCode(t) != sessionhttp.CodeExpired {
		t.Errorf("expired link, browser: status %d, want its own 401 expired", resp.StatusCode)
	}
}

// unknownCookie returns a well-formed token of no session: a session
// created and revoked.
func unknownCookie(t *testing.T) string {
	t.Helper()
	st, err := memory.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p := sessionstore.CreateParams{Member: sessionstore.Member{ID: "m", CustomerID: "c", Email: "a@b.c", Role: sessionstore.RoleMember},
		Customer: sessionstore.Customer{ID: "c", Email: "a@b.c", OrganizationID: "o"}}
	s, err := st.Create(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return s.Token
}

// TestRequireRecentSignIn: a sensitive route lets through only sessions
// authenticated within its window, counted from the link, not from the
// device session's own creation.
func TestRequireRecentSignIn(t *testing.T) {
	e := newEnv(t, &sessionhttp.Options{SignInURL: "/sign-in"})
	link := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	early := e.exchange("/whoami", link)
	if r := e.do(req{path: "/sensitive", cookie: early.Value}); r.StatusCode != http.StatusOK {
		t.Fatalf("fresh sign-in: status %d %s", r.StatusCode, r.body)
	}
	e.clock.Advance(11 * time.Minute)
	late := e.exchange("/whoami", link) // a new device session of the same old link
	for _, ck := range []string{early.Value, late.Value} {
		r := e.do(req{path: "/sensitive", cookie: ck})
		if r.StatusCode != http.StatusForbidden || r.errorCode(t) != sessionhttp.CodeSignInTooOld {
			t.Errorf("sign-in 11m ago: status %d %s, want 403 sign_in_too_old", r.StatusCode, r.body)
		}
		r = e.do(req{path: "/sensitive", cookie: ck, accept: browserAccept})
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/sign-in" {
			t.Errorf("sign-in 11m ago, browser: status %d, want 303 to /sign-in", r.StatusCode)
		}
	}
	fresh := e.exchange("/whoami", e.create("mem_1", "cus_1", sessionstore.RoleOwner))
	if r := e.do(req{path: "/sensitive", cookie: fresh.Value}); r.StatusCode != http.StatusOK {
		t.Fatalf("a new link: status %d %s", r.StatusCode, r.body)
	}
}
