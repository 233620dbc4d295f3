package main

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/token"
)

// TestCustomerSessionAPI: Polar's customer-session endpoints, at Polar's
// paths, answer the link's bearer token in JSON, and every refusal in
// JSON too, even to a signed-in browser that prefers HTML.
func TestCustomerSessionAPI(t *testing.T) {
	p := newTestPortal(t, nil)
	link := p.create(samMemberID, "https://example.com/billing?from=portal&tab=1")
	b := p.browser() // its Accept header prefers HTML
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	get := func(path string, hdr map[string]string, status int) map[string]any {
		t.Helper()
		r := b.do(http.MethodGet, path, nil, hdr)
		var v map[string]any
		if err := json.Unmarshal([]byte(r.body), &v); err != nil || r.StatusCode != status || r.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("GET %s: %d %s %q (%v), want %d JSON", path, r.StatusCode, r.Header.Get("Content-Type"), r.body, err, status)
		}
		if r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: Cache-Control %q", path, r.Header.Get("Cache-Control"))
		}
		return v
	}

	v := get("/v1/customer-portal/customer-session/introspect", bearer(link.Token), http.StatusOK)
	if len(v) != 2 || v["expires_at"] != sessionstore.FormatTime(link.ExpiresAt) || v["return_url"] != *link.ReturnURL {
		t.Errorf("introspect: %v, want expires_at %s and return_url %s", v, sessionstore.FormatTime(link.ExpiresAt), *link.ReturnURL)
	}
	v = get("/v1/customer-portal/customer-session/user", bearer(link.Token), http.StatusOK)
	want := map[string]any{"type": "member", "name": "Sam Okafor", "email": "sam.okafor@acme-inc.example",
		"customer_id": acmeCustomerID, "member_id": samMemberID, "role": "billing_manager"}
	if len(v) != len(want) {
		t.Errorf("user: %v, want the keys of %v", v, want)
	}
	for k, w := range want {
		if v[k] != w {
			t.Errorf("user: %s = %v, want %v", k, v[k], w)
		}
	}

	// Refusals: JSON 401, not the portal's pages. The browser's cookie is
	// no credential here.
	b.signIn(link.MemberPortalURL)
	unknown, _ := token.New(sessionstore.DefaultTokenPrefix)
	for _, hdr := range []map[string]string{nil, bearer(unknown)} {
		for _, path := range []string{"/v1/customer-portal/customer-session/introspect", "/v1/customer-portal/customer-session/user"} {
			if v := get(path, hdr, http.StatusUnauthorized); v["error"] != "Unauthorized" || v["detail"] == "" {
				t.Errorf("GET %s: %v, want Polar's Unauthorized", path, v)
			}
		}
	}
	if r := b.do(http.MethodPost, "/v1/customer-portal/customer-session/user", nil, bearer(link.Token)); r.StatusCode != http.StatusMethodNotAllowed ||
		r.Header.Get("Allow") != "GET, HEAD" || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("POST: %d Allow %q %s", r.StatusCode, r.Header.Get("Allow"), r.body)
	}
}
