package sessionhttp_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/sessionhttp"
)

// Bad cookie options are an error naming the field, at construction.
func TestCookieOptionsValidated(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  sessionhttp.Options
		field string
	}{
		{"host prefix with domain", sessionhttp.Options{Cookie: sessionhttp.Cookie{Name: "__Host-s", Domain: "example.com"}}, "options.cookie.domain"},
		{"host prefix with path", sessionhttp.Options{Cookie: sessionhttp.Cookie{Name: "__Host-s", Path: "/app"}}, "options.cookie.path"},
		{"host prefix insecure", sessionhttp.Options{Cookie: sessionhttp.Cookie{Name: "__host-s", Insecure: true}}, "options.cookie.name"},
		{"secure prefix insecure", sessionhttp.Options{Cookie: sessionhttp.Cookie{Name: "__Secure-s", Insecure: true}}, "options.cookie.name"},
		{"SameSite=None insecure", sessionhttp.Options{Cookie: sessionhttp.Cookie{SameSite: http.SameSiteNoneMode, Insecure: true}}, "options.cookie.same_site"},
		{"SameSite default mode", sessionhttp.Options{Cookie: sessionhttp.Cookie{SameSite: http.SameSiteDefaultMode}}, "options.cookie.same_site"},
		{"bad name", sessionhttp.Options{Cookie: sessionhttp.Cookie{Name: "a b"}}, "options.cookie.name"},
		{"relative path", sessionhttp.Options{Cookie: sessionhttp.Cookie{Path: "app"}}, "options.cookie.path"},
		{"path with ;", sessionhttp.Options{Cookie: sessionhttp.Cookie{Path: "/a;b"}}, "options.cookie.path"},
		{"bad domain", sessionhttp.Options{Cookie: sessionhttp.Cookie{Domain: "exa mple.com"}}, "options.cookie.domain"},
		{"two names", sessionhttp.Options{CookieName: "a", Cookie: sessionhttp.Cookie{Name: "b"}}, "options.cookie_name"},
		{"old name, __Host-, insecure", sessionhttp.Options{CookieName: "__Host-x", Insecure: true}, "options.cookie.name"},
	} {
		_, err := sessionhttp.New(nil, &tc.opts)
		var ve *sessionstore.ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("%s: %v, want a validation error for %s", tc.name, err, tc.field)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Middleware did not panic", tc.name)
				}
			}()
			sessionhttp.Middleware(nil, &tc.opts)
		}()
	}
}

// Each cookie option shows in every Set-Cookie header: the exchange's, the
// refresh's and the sign-out's (env.do checks each one against env.cookie).
func TestCookieOptions(t *testing.T) {
	for _, ck := range []sessionhttp.Cookie{
		{},
		{Insecure: true},
		{Name: "sid", Domain: "example.com", Path: "/portal", SameSite: http.SameSiteStrictMode},
		{SameSite: http.SameSiteNoneMode, BrowserSession: true},
		{Name: "__Host-app", BrowserSession: true},
	} {
		e := newEnv(t, &sessionhttp.Options{Cookie: ck})
		if ck.Name == "" && ck.Domain != "" {
			e.cookie.Name = "__Secure-member_session"
		}
		link := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
		r := e.do(req{path: "/whoami?" + linkQuery(link)})
		c := r.cookie(e.cookie.Name)
		if c == nil {
			t.Fatalf("%+v: no cookie %s in %v", ck, e.cookie.Name, r.Header.Values("Set-Cookie"))
		}
		if r := e.do(req{method: http.MethodPost, path: "/extend", cookie: c.Value}); r.StatusCode != http.StatusOK || r.cookie(e.cookie.Name) == nil {
			t.Errorf("%+v: extend: %d", ck, r.StatusCode)
		}
		if r := e.do(req{method: http.MethodPost, path: "/logout", cookie: c.Value}); r.StatusCode != http.StatusNoContent || r.cookie(e.cookie.Name) == nil {
			t.Errorf("%+v: logout: %d", ck, r.StatusCode)
		}
	}
}

// The default name falls back to __Secure- when a Domain or Path rules out
// __Host-.
func TestDefaultCookieNameWithDomain(t *testing.T) {
	e := newEnv(t, &sessionhttp.Options{Cookie: sessionhttp.Cookie{Domain: "example.com"}})
	e.cookie.Name = "__Secure-member_session"
	link := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	e.exchange("/whoami", link)
}

// Authenticated responses are private and vary by cookie unless the app
// opts out; a handler may still set its own Cache-Control.
func TestCacheHeaders(t *testing.T) {
	e := newEnv(t, nil)
	s := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	for _, r := range []req{
		{path: "/whoami", bearer: s.Token},
		{path: "/owner", bearer: s.Token},
		{path: "/optional", bearer: s.Token},
	} {
		resp := e.do(r)
		if resp.Header.Get("Cache-Control") != "private, no-store" || resp.Header.Get("Vary") != "Cookie" {
			t.Errorf("%s: Cache-Control %q Vary %q", r.path, resp.Header.Get("Cache-Control"), resp.Header.Get("Vary"))
		}
	}
	// Anonymous, through Optional: not private, but it varies by cookie.
	resp := e.do(req{path: "/optional"})
	if resp.Header.Get("Cache-Control") != "" || resp.Header.Get("Vary") != "Cookie" {
		t.Errorf("anonymous: Cache-Control %q Vary %q", resp.Header.Get("Cache-Control"), resp.Header.Get("Vary"))
	}

	opt := newEnv(t, &sessionhttp.Options{AllowCaching: true})
	s = opt.create("mem_1", "cus_1", sessionstore.RoleOwner)
	h := opt.auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "private, max-age=60")
	}))
	rec := newRecorder(h, s.Token)
	if rec.Header().Get("Cache-Control") != "private, max-age=60" || rec.Header().Get("Vary") != "" {
		t.Errorf("AllowCaching: Cache-Control %q Vary %q", rec.Header().Get("Cache-Control"), rec.Header().Get("Vary"))
	}
}
