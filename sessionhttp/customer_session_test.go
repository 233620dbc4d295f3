package sessionhttp_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/sessionhttp"
	"github.com/memberkit/sessionstore/token"
)

// apiBody checks that r is a JSON answer of the customer-session
// endpoints with status and exactly the keys of want, and returns it.
func apiBody(t *testing.T, r *response, status int, keys ...string) map[string]any {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d; body %s", r.Request.Method, r.Request.URL.Path, r.StatusCode, status, r.body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	if sc := r.Header.Values("Set-Cookie"); len(sc) != 0 {
		t.Errorf("an API endpoint set a cookie: %q", sc)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	got := make([]string, 0, len(v))
	for k := range v {
		got = append(got, k)
	}
	slices.Sort(got)
	slices.Sort(keys)
	if !slices.Equal(got, keys) {
		t.Errorf("keys %v, want %v; body %s", got, keys, r.body)
	}
	return v
}

func TestIntrospect(t *testing.T) {
	e := newEnv(t, nil)
	p := params("mem_1", "cus_1", sessionstore.RoleOwner)
	p.ReturnURL = "https://example.com/back?a=1&b=2"
	s, err := e.store.Create(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	e.remember(s.Token)
	r := e.do(req{path: sessionhttp.IntrospectPath, bearer: s.Token})
	v := apiBody(t, r, http.StatusOK, "expires_at", "return_url")
	if want := sessionstore.FormatTime(s.ExpiresAt); v["expires_at"] != want {
		t.Errorf("expires_at = %v, want %s", v["expires_at"], want)
	}
	if v["return_url"] != p.ReturnURL || !strings.Contains(r.body, "a=1&b=2") {
		t.Errorf("return_url = %v, want %s as it is; body %s", v["return_url"], p.ReturnURL, r.body)
	}

	// Without a return URL: null, and the key is there.
	bare := e.create("mem_2", "cus_1", sessionstore.RoleMember)
	v = apiBody(t, e.do(req{path: sessionhttp.IntrospectPath, bearer: bare.Token}), http.StatusOK, "expires_at", "return_url")
	if v["return_url"] != nil {
		t.Errorf("return_url = %v, want null", v["return_url"])
	}

	// A device session's token, held by an API client, answers for the
	// device session: its own expiry and the link's return URL.
	dev := e.exchange("/whoami", s)
	ds := e.sessionOf(dev.Value)
	v = apiBody(t, e.do(req{path: sessionhttp.IntrospectPath, bearer: dev.Value}), http.StatusOK, "expires_at", "return_url")
	if v["expires_at"] != sessionstore.FormatTime(ds.ExpiresAt) || v["return_url"] != p.ReturnURL {
		t.Errorf("device session: %v", v)
	}
}

func TestPortalUser(t *testing.T) {
	e := newEnv(t, nil)
	s := e.create("mem_1", "cus_1", sessionstore.RoleBillingManager)
	keys := []string{"type", "name", "email", "customer_id", "member_id", "role"}
	v := apiBody(t, e.do(req{path: sessionhttp.PortalUserPath, bearer: s.Token}), http.StatusOK, keys...)
	want := map[string]any{"type": "member", "name": "Member mem_1", "email": "mem_1+test@example.com",
		"customer_id": "cus_1", "member_id": "mem_1", "role": "billing_manager"}
	for k, w := range want {
		if v[k] != w {
			t.Errorf("%s = %v, want %v", k, v[k], w)
		}
	}

	// A member without a name, and one with an empty name: null.
	for _, name := range []*string{nil, new(string)} {
		p := params("mem_2", "cus_1", sessionstore.RoleMember)
		p.Member.Name = name
		s, err := e.store.Create(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		e.remember(s.Token)
		v := apiBody(t, e.do(req{path: sessionhttp.PortalUserPath, bearer: s.Token}), http.StatusOK, keys...)
		if v["name"] != nil || v["role"] != "member" {
			t.Errorf("name %v: got %v", name, v)
		}
	}
}

// TestCustomerSessionUnauthorized: every failed authentication is a JSON
// 401 in Polar's shape, from both endpoints, even for a browser that
// prefers HTML where SignInURL and an HTML ErrorHandler are set: these are
// API endpoints. Only the bearer header counts.
func TestCustomerSessionUnauthorized(t *testing.T) {
	var mu sync.Mutex
	var observed []string
	e := newEnv(t, &sessionhttp.Options{
		SignInURL: "/sign-in",
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, "<p>Please sign in.</p>")
		},
		Observer: sessionstore.ObserverFunc(func(_ context.Context, ev sessionstore.Event) {
			if ev.Kind == sessionstore.EventRefused {
				mu.Lock()
				observed = append(observed, ev.Code)
				mu.Unlock()
			}
		}),
	})
	revoked := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	if err := e.store.Revoke(context.Background(), revoked.ID); err != nil {
		t.Fatal(err)
	}
	expired := e.create("mem_2", "cus_1", sessionstore.RoleOwner)
	e.clock.Advance(30 * time.Minute)
	live := e.create("mem_3", "cus_1", sessionstore.RoleOwner)
	cookie := e.exchange("/whoami", live)
	e.clock.Advance(30 * time.Minute) // expired's hour is over, live has half of its left
	unknown, _ := token.New(sessionstore.DefaultTokenPrefix)
	e.remember(unknown)

	cases := []struct {
		name string
		req  req
		code string
	}{
		{"missing", req{}, sessionhttp.CodeMissingToken},
		{"empty bearer", req{auth: "Bearer "}, sessionhttp.CodeMalformedToken},
		{"malformed", req{bearer: "mst_nope"}, sessionhttp.CodeMalformedToken},
		{"unknown", req{bearer: unknown}, sessionhttp.CodeInvalidToken},
		{"revoked", req{bearer: revoked.Token}, sessionhttp.CodeInvalidToken},
		{"expired", req{bearer: expired.Token}, sessionhttp.CodeExpired},
		{"cookie only", req{cookie: cookie.Value}, sessionhttp.CodeMissingToken},
		{"portal link", req{path: "?" + linkQuery(live)}, sessionhttp.CodeMissingToken},
	}
	for _, path := range []string{sessionhttp.IntrospectPath, sessionhttp.PortalUserPath} {
		for _, c := range cases {
			t.Run(path+"/"+c.name, func(t *testing.T) {
				mu.Lock()
				observed = nil
				mu.Unlock()
				r := c.req
				r.path = path + r.path
				r.accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
				resp := e.do(r)
				v := apiBody(t, resp, http.StatusUnauthorized, "error", "detail", "code")
				if v["error"] != "Unauthorized" || v["code"] != c.code || v["detail"] == "" {
					t.Errorf("body %s, want Unauthorized with code %s", resp.body, c.code)
				}
				wantChallenge := `Bearer error="invalid_token"`
				if c.code == sessionhttp.CodeMissingToken {
					wantChallenge = "Bearer"
				}
				if got := resp.Header.Get("WWW-Authenticate"); got != wantChallenge {
					t.Errorf("WWW-Authenticate = %q, want %q", got, wantChallenge)
				}
				mu.Lock()
				defer mu.Unlock()
				if !slices.Equal(observed, []string{c.code}) {
					t.Errorf("observer heard %v, want one refusal %s", observed, c.code)
				}
			})
		}
	}
	// The cookie and the link still work where they belong: nothing above
	// cleared or used them.
	if r := e.do(req{path: "/whoami", cookie: cookie.Value}); r.StatusCode != http.StatusOK {
		t.Errorf("the cookie after the API calls: %d", r.StatusCode)
	}
	if r := e.do(req{path: sessionhttp.PortalUserPath, bearer: live.Token}); r.StatusCode != http.StatusOK {
		t.Errorf("the link's token as bearer: %d %s", r.StatusCode, r.body)
	}
}

func TestCustomerSessionMethods(t *testing.T) {
	e := newEnv(t, nil)
	s := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	for _, path := range []string{sessionhttp.IntrospectPath, sessionhttp.PortalUserPath} {
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
			r := e.do(req{method: m, path: path, bearer: s.Token})
			v := apiBody(t, r, http.StatusMethodNotAllowed, "error", "detail", "code")
			if v["error"] != "MethodNotAllowed" || v["code"] != sessionhttp.CodeMethodNotAllowed || r.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("%s %s: %v, Allow %q", m, path, v, r.Header.Get("Allow"))
			}
		}
		r := e.do(req{method: http.MethodHead, path: path, bearer: s.Token})
		if r.StatusCode != http.StatusOK || r.body != "" || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("HEAD %s: %d %q %q", path, r.StatusCode, r.body, r.Header.Get("Cache-Control"))
		}
	}
}

// TestCustomerSessionStoreFailure: a store failure is 503, never 401.
func TestCustomerSessionStoreFailure(t *testing.T) {
	auth, err := sessionhttp.New(failingStore{err: errors.New("connection refused")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := token.New(sessionstore.DefaultTokenPrefix)
	for _, h := range []http.Handler{auth.Introspect(), auth.PortalUser()} {
		rec := newRecorder(h, tok)
		var v map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || rec.Code != http.StatusServiceUnavailable ||
			v["error"] != "ServiceUnavailable" || v["code"] != sessionhttp.CodeUnavailable {
			t.Errorf("status %d, body %s (%v)", rec.Code, rec.Body, err)
		}
		if rec.Header().Get("WWW-Authenticate") != "" {
			t.Errorf("a 503 with a challenge")
		}
	}
}
