package sessionhttp_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/sessionhttp"
)

func TestSignIn(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do(req{method: http.MethodPost, path: "/signin", form: url.Values{"member_id": {"mem_1"}}})
	if r.StatusCode != http.StatusNoContent {
		t.Fatalf("sign in: %d %s", r.StatusCode, r.body)
	}
	c := e.cookieOf(r)
	if c.MaxAge != 3600 {
		t.Errorf("Max-Age %d, want the store's TTL", c.MaxAge)
	}
	if r := e.do(req{path: "/whoami", cookie: c.Value}); r.StatusCode != http.StatusOK || !strings.Contains(r.body, `"mem_1"`) {
		t.Errorf("whoami: %d %s", r.StatusCode, r.body)
	}

	// Signing in again from the same browser ends the first session.
	r = e.do(req{method: http.MethodPost, path: "/signin", form: url.Values{"member_id": {"mem_2"}}, cookie: c.Value})
	if r.StatusCode != http.StatusNoContent {
		t.Fatalf("second sign-in: %d", r.StatusCode)
	}
	if _, err := e.store.Lookup(context.Background(), c.Value); !errors.Is(err, sessionstore.ErrNotFound) {
		t.Errorf("first session after the second sign-in: %v", err)
	}

	// Bad input: the store's error, and no cookie.
	r = e.do(req{method: http.MethodPost, path: "/signin", form: url.Values{"member_id": {"mem_3"}, "bad": {"1"}}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "member.email") {
		t.Errorf("bad sign-in: %d %s", r.StatusCode, r.body)
	}
	if len(r.Cookies()) != 0 {
		t.Error("a failed sign-in set a cookie")
	}
}

// Extend moves the session's expiry and the cookie's with it; a bearer
// client gets no cookie.
func TestExtendRefreshesTheCookie(t *testing.T) {
	e := newEnv(t, nil)
	link := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	c := e.exchange("/whoami", link)
	e.clock.Advance(30 * time.Minute)

	r := e.do(req{method: http.MethodPost, path: "/extend", cookie: c.Value})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("extend: %d %s", r.StatusCode, r.body)
	}
	var got struct {
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatal(err)
	}
	want := e.clock.Now().Add(2 * time.Hour)
	if !got.ExpiresAt.Equal(want) {
		t.Errorf("expires_at %v, want %v", got.ExpiresAt, want)
	}
	nc := e.cookieOf(r)
	if nc.Value != c.Value || nc.MaxAge != 7200 || !nc.Expires.Equal(want) {
		t.Errorf("refreshed cookie: same token %v, Max-Age %d, Expires %v", nc.Value == c.Value, nc.MaxAge, nc.Expires)
	}

	r = e.do(req{method: http.MethodPost, path: "/extend", bearer: link.Token})
	if r.StatusCode != http.StatusOK || len(r.Cookies()) != 0 {
		t.Errorf("extend with a bearer token: %d, cookies %v", r.StatusCode, r.Cookies())
	}

	// Without the middleware there is no session to extend.
	_, err := e.auth.Extend(nil, (&http.Request{}).WithContext(context.Background()), 0)
	if !errors.Is(err, sessionhttp.ErrMissingToken) {
		t.Errorf("Extend without a session: %v", err)
	}
}
