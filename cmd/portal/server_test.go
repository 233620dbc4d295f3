package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/token"
)

func TestCreateAPI(t *testing.T) {
	p := newTestPortal(t, nil)
	resp, raw := p.api(testAdminKey, `{"member_id": "`+mariaMemberID+`", "return_url": "https://example.com/account?tab=billing"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d: %s", resp.StatusCode, raw)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var s sessionstore.MemberSession
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	p.remember(s.Token)
	if s.MemberID != mariaMemberID || s.CustomerID != acmeCustomerID || s.Member.Role != sessionstore.RoleOwner {
		t.Errorf("session %v", s)
	}
	if s.ReturnURL == nil || *s.ReturnURL != "https://example.com/account?tab=billing" {
		t.Errorf("return_url %v", s.ReturnURL)
	}
	if !s.ExpiresAt.Equal(start.Add(time.Hour)) {
		t.Errorf("expires_at %v", s.ExpiresAt)
	}
	wantURL := p.ts.URL + "/portal?member_session_token=" + s.Token + "&email=maria.garcia%40acme-inc.example"
	if s.MemberPortalURL != wantURL {
		t.Errorf("member_portal_url %q, want %q", s.MemberPortalURL, wantURL)
	}
	// Polar's shape, with its exact bytes (no \u0026 for "&").
	for _, want := range []string{
		`"token":"` + s.Token + `"`,
		`"member_portal_url":"` + wantURL + `"`,
		`"tax_id":["911144442","us_ein"]`,
		`"created_at":"2026-01-20T10:00:00Z"`,
		`"type":"team"`,
		`"seats":25`,
	} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Errorf("body lacks %s:\n%s", want, raw)
		}
	}
	// The path without the trailing slash works too.
	req, _ := http.NewRequest(http.MethodPost, p.ts.URL+"/v1/member-sessions", strings.NewReader(`{"member_id":"`+leeMemberID+`"}`))
	req.Header.Set("Authorization", "Bearer "+testAdminKey)
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var s2 sessionstore.MemberSession
	_ = json.NewDecoder(r2.Body).Decode(&s2)
	r2.Body.Close()
	p.remember(s2.Token)
	if r2.StatusCode != http.StatusCreated || s2.ReturnURL != nil {
		t.Errorf("no trailing slash: %d, return_url %v", r2.StatusCode, s2.ReturnURL)
	}
}

func TestCreateAPIErrors(t *testing.T) {
	p := newTestPortal(t, nil)
	for _, tc := range []struct {
		name, key, body string
		status          int
		error, field    string
	}{
		{"no key", "", `{"member_id":"` + adaMemberID + `"}`, 401, "unauthorized", ""},
		{"wrong key", "not-the-key", `{"member_id":"` + adaMemberID + `"}`, 401, "unauthorized", ""},
		{"key prefix", testAdminKey[:10], `{"member_id":"` + adaMemberID + `"}`, 401, "unauthorized", ""},
		{"bad JSON", testAdminKey, `{"member_id":`, 400, "", ""},
		{"not an object", testAdminKey, `["x"]`, 400, "", ""},
		{"unknown field", testAdminKey, `{"member_id":"` + adaMemberID + `","ttl":5}`, 400, "", ""},
		{"trailing data", testAdminKey, `{"member_id":"` + adaMemberID + `"} {}`, 400, "", ""},
		{"no member", testAdminKey, `{}`, 422, "member_id is required", "member_id"},
		{"unknown member", testAdminKey, `{"member_id":"00000000-0000-4000-8000-000000000000"}`, 422, "no member with this id", "member_id"},
		{"javascript return URL", testAdminKey, `{"member_id":"` + adaMemberID + `","return_url":"javascript:alert(1)"}`, 422, "", "return_url"},
		{"relative return URL", testAdminKey, `{"member_id":"` + adaMemberID + `","return_url":"/account"}`, 422, "", "return_url"},
		{"long return URL", testAdminKey, `{"member_id":"` + adaMemberID + `","return_url":"https://example.com/` + strings.Repeat("a", 2100) + `"}`, 422, "", "return_url"},
		{"too large", testAdminKey, `{"member_id":"` + strings.Repeat("a", 70<<10) + `"}`, 413, "", ""},
	} {
		resp, raw := p.api(tc.key, tc.body)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.name, resp.StatusCode, tc.status, raw)
			continue
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", tc.name, ct)
		}
		var body map[string]string
		if err := json.Unmarshal(raw, &body); err != nil || body["error"] == "" {
			t.Errorf("%s: body %s is not {\"error\": ...}", tc.name, raw)
			continue
		}
		if tc.error != "" && body["error"] != tc.error {
			t.Errorf("%s: error %q, want %q", tc.name, body["error"], tc.error)
		}
		if body["field"] != tc.field {
			t.Errorf("%s: field %q, want %q", tc.name, body["field"], tc.field)
		}
		if tc.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", tc.name)
		}
	}
	// Nothing was created by any of them.
	list, err := p.store.ListByCustomer(context.Background(), adaCustomerID)
	if err != nil || len(list) != 0 {
		t.Errorf("sessions after failed creates: %d, %v", len(list), err)
	}
	// GET is not allowed.
	resp, err := http.Get(p.ts.URL + "/v1/member-sessions/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
}

func TestPortalLinkFlow(t *testing.T) {
	p := newTestPortal(t, nil)
	s := p.create(mariaMemberID, "https://example.com/account")
	b := p.browser()

	pg := b.get(s.MemberPortalURL)
	if pg.StatusCode != http.StatusSeeOther {
		t.Fatalf("portal link: status %d", pg.StatusCode)
	}
	if loc := pg.Header.Get("Location"); loc != "/portal" {
		t.Errorf("Location %q, want /portal (no token, no email)", loc)
	}
	var ck *http.Cookie
	for _, c := range pg.Cookies() {
		if c.Name == "member_session" {
			ck = c
		}
	}
	if ck == nil {
		t.Fatal("no session cookie")
	}
	// http base URL: not Secure, so it works on plain HTTP.
	if !ck.HttpOnly || ck.Secure || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.MaxAge != 3600 || !ck.Expires.Equal(s.ExpiresAt) {
		t.Errorf("cookie %+v", ck)
	}

	pg = b.get("/portal")
	if pg.StatusCode != http.StatusOK {
		t.Fatalf("/portal: %d\n%s", pg.StatusCode, pg.body)
	}
	if ct := pg.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	mustContain(t, "/portal", pg.body,
		`<meta name="viewport"`,
		"Hello, Maria Garcia", "maria.garcia@acme-inc.example", ">Owner<",
		"<h2>Acme Inc.</h2>", "1 Market Street", "Suite 300", "San Francisco CA 94105", "United States",
		"911144442 (US EIN)",
		"This device", "Jan 20, 2026 10:00 UTC", "Jan 20, 2026 11:00 UTC", "60 min left",
		`href="https://example.com/account"`, "Back",
		`action="/portal/logout"`, "Sign out everywhere", `href="/portal/team"`,
	)
	if strings.Contains(pg.body, "lee.chen") {
		t.Error("the member's page lists another member's session")
	}
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "Referrer-Policy"} {
		if pg.Header.Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}
	if pg.Header.Get("Cache-Control") != "private, no-store" || pg.Header.Get("Vary") != "Cookie" {
		t.Errorf("Cache-Control %q Vary %q", pg.Header.Get("Cache-Control"), pg.Header.Get("Vary"))
	}

	// A member without a return URL and not an owner: no back button, no
	// team link. Her two links and her two browsers are listed, each
	// browser by its label, this one marked.
	lee := p.create(leeMemberID, "")
	p.create(leeMemberID, "")
	p.browser().signIn(lee.MemberPortalURL, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1")
	pg = p.browser().signIn(lee.MemberPortalURL, "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
	mustContain(t, "Lee's page", pg.body, "Hello, Lee Chen", ">Member<", "Safari on iPhone", "Firefox on Linux", "Sign-in link")
	if strings.Contains(pg.body, "Back") || strings.Contains(pg.body, "/portal/team") {
		t.Error("back button or team link without reason")
	}
	if strings.Contains(pg.body, "Mozilla") || strings.Contains(pg.body, "Gecko") {
		t.Error("the raw User-Agent is on the page")
	}
	if n := strings.Count(pg.body, `class="device"`); n != 4 || strings.Count(pg.body, "This device") != 1 || strings.Count(pg.body, "Sign-in link") != 2 {
		t.Errorf("%d sessions listed, want 2 links and 2 browsers, one marked", n)
	}
	if !strings.Contains(pg.body, "Firefox on Linux <span class=\"badge current\">This device") {
		t.Error("this browser is not the one marked")
	}

	// The individual customer: no tax ID, and no team link though she is
	// the owner.
	ada := p.create(adaMemberID, "")
	pg = p.browser().signIn(ada.MemberPortalURL)
	mustContain(t, "Ada's page", pg.body, "Hello, Ada Lovelace", "Individual", "London", "United Kingdom", "None")
	if strings.Contains(pg.body, "/portal/team") {
		t.Error("an individual customer sees the team link")
	}
}

func TestBearerWinsOverCookie(t *testing.T) {
	p := newTestPortal(t, nil)
	maria := p.create(mariaMemberID, "")
	lee := p.create(leeMemberID, "")
	b := p.browser()
	b.signIn(maria.MemberPortalURL)
	pg := b.do(http.MethodGet, "/portal", nil, map[string]string{"Authorization": "Bearer " + lee.Token})
	mustContain(t, "bearer page", pg.body, "Hello, Lee Chen")
}

func TestRoles(t *testing.T) {
	p := newTestPortal(t, nil)
	maria := p.create(mariaMemberID, "")
	sam := p.create(samMemberID, "")
	lee := p.create(leeMemberID, "")
	ada := p.create(adaMemberID, "")

	for _, s := range []*sessionstore.MemberSession{sam, lee} {
		b := p.browser()
		b.signIn(s.MemberPortalURL)
		pg := b.get("/portal/team")
		if pg.StatusCode != http.StatusForbidden {
			t.Errorf("%s on /portal/team: %d", s.Member.Email, pg.StatusCode)
		}
		mustContain(t, "403 page", pg.body, "Only the owner can see this page")
		pg = b.post("/portal/team/revoke", url.Values{"session_id": {maria.ID}})
		if pg.StatusCode != http.StatusForbidden {
			t.Errorf("%s revoking: %d", s.Member.Email, pg.StatusCode)
		}
	}
	if err := p.lookup(maria.Token); err != nil {
		t.Errorf("a non-owner revoked the owner's session: %v", err)
	}

	b := p.browser()
	b.signIn(maria.MemberPortalURL)
	pg := b.get("/portal/team")
	if pg.StatusCode != http.StatusOK {
		t.Fatalf("owner on /portal/team: %d", pg.StatusCode)
	}
	mustContain(t, "team page", pg.body, "Maria Garcia", "Sam Okafor", "Lee Chen", "Billing manager",
		`value="`+sam.ID+`"`, `value="`+lee.ID+`"`, `value="`+maria.ID+`"`)
	if strings.Contains(pg.body, "Ada") || strings.Contains(pg.body, ada.ID) {
		t.Error("the team page lists another customer's session")
	}

	// An individual owner has no team page.
	b = p.browser()
	b.signIn(ada.MemberPortalURL)
	pg = b.get("/portal/team")
	if pg.StatusCode != http.StatusNotFound || strings.Contains(pg.body, "Acme") {
		t.Errorf("Ada's team page: %d", pg.StatusCode)
	}
	mustContain(t, "Ada's team page", pg.body, "Your account has no team", `href="/portal"`)
}

func TestTeamRevoke(t *testing.T) {
	p := newTestPortal(t, nil)
	maria := p.create(mariaMemberID, "")
	lee := p.create(leeMemberID, "")
	ada := p.create(adaMemberID, "")
	leeBrowser := p.browser()
	leeBrowser.signIn(lee.MemberPortalURL)
	leeDevice := p.browserSession(leeMemberID, lee.ID)

	b := p.browser()
	b.signIn(maria.MemberPortalURL)
	mariaDevice := p.browserSession(mariaMemberID, maria.ID)
	pg := b.post("/portal/team/revoke", url.Values{"session_id": {leeDevice}})
	if pg.StatusCode != http.StatusSeeOther || pg.Header.Get("Location") != "/portal/team?revoked=1" {
		t.Fatalf("revoke: %d %q", pg.StatusCode, pg.Header.Get("Location"))
	}
	mustContain(t, "team page after revoke", b.get("/portal/team?revoked=1").body, "The session was revoked.")
	pg = leeBrowser.get("/portal")
	if pg.StatusCode != http.StatusUnauthorized {
		t.Errorf("Lee after revoke: %d", pg.StatusCode)
	}
	mustContain(t, "Lee's page after revoke", pg.body, "You have been signed out")

	// Another customer's session, an unknown ID, garbage: 404, nothing
	// revoked.
	for _, id := range []string{ada.ID, "00000000-0000-4000-8000-000000000000", "", "<script>"} {
		pg = b.post("/portal/team/revoke", url.Values{"session_id": {id}})
		if pg.StatusCode != http.StatusNotFound {
			t.Errorf("revoke %q: %d", id, pg.StatusCode)
		}
	}
	if err := p.lookup(ada.Token); err != nil {
		t.Errorf("an owner revoked another customer's session: %v", err)
	}

	// Revoking a link: the link stops working.
	if pg := b.post("/portal/team/revoke", url.Values{"session_id": {lee.ID}}); pg.StatusCode != http.StatusSeeOther {
		t.Errorf("revoking Lee's link: %d", pg.StatusCode)
	}
	if err := p.lookup(lee.Token); !errors.Is(err, sessionstore.ErrNotFound) {
		t.Errorf("Lee's link after revoke: %v", err)
	}

	// Revoking one's own session signs out.
	pg = b.post("/portal/team/revoke", url.Values{"session_id": {mariaDevice}})
	if pg.StatusCode != http.StatusSeeOther || pg.Header.Get("Location") != "/portal/signed-out" {
		t.Errorf("revoking own session: %d %q", pg.StatusCode, pg.Header.Get("Location"))
	}
	if pg := b.get("/portal"); pg.StatusCode != http.StatusUnauthorized {
		t.Errorf("own session after revoke: %d", pg.StatusCode)
	}
}

func TestLogout(t *testing.T) {
	p := newTestPortal(t, nil)
	s1 := p.create(mariaMemberID, "")
	s2 := p.create(mariaMemberID, "")
	b1, b2 := p.browser(), p.browser()
	b1.signIn(s1.MemberPortalURL)
	b1Device := p.browserSession(mariaMemberID, s1.ID, s2.ID)
	b2.signIn(s2.MemberPortalURL)
	pg := b1.post("/portal/logout", nil)
	if pg.StatusCode != http.StatusSeeOther || pg.Header.Get("Location") != "/portal/signed-out" {
		t.Fatalf("logout: %d %q", pg.StatusCode, pg.Header.Get("Location"))
	}
	if sc := pg.Header.Get("Set-Cookie"); !strings.Contains(sc, "member_session=;") || !strings.Contains(sc, "Max-Age=0") {
		t.Errorf("cookie not cleared: %q", sc)
	}
	pg = b1.get("/portal/signed-out")
	mustContain(t, "signed-out page", pg.body, "You have signed out", `href="/"`)
	if _, err := p.store.Get(context.Background(), b1Device); !errors.Is(err, sessionstore.ErrNotFound) {
		t.Errorf("the browser's session after logout: %v", err)
	}
	// The link lives on (it may be opened again until it expires).
	if err := p.lookup(s1.Token); err != nil {
		t.Errorf("the link after logout: %v", err)
	}
	pg = b1.get("/portal")
	if pg.StatusCode != http.StatusUnauthorized {
		t.Errorf("/portal after logout: %d", pg.StatusCode)
	}
	mustContain(t, "after logout", pg.body, "You are not signed in")
	// The other device is still signed in.
	if pg := b2.get("/portal"); pg.StatusCode != http.StatusOK {
		t.Errorf("other session after logout: %d", pg.StatusCode)
	}
	// Signing out again, without a cookie, still ends on the signed-out page.
	if pg := b1.post("/portal/logout", nil); pg.StatusCode != http.StatusSeeOther {
		t.Errorf("second logout: %d", pg.StatusCode)
	}
	// A stale cookie (the session revoked elsewhere) too.
	stale := p.create(leeMemberID, "")
	b3 := p.browser()
	b3.signIn(stale.MemberPortalURL)
	if _, err := p.store.RevokeMember(context.Background(), leeMemberID); err != nil {
		t.Fatal(err)
	}
	if pg := b3.post("/portal/logout", nil); pg.StatusCode != http.StatusSeeOther || pg.Header.Get("Location") != "/portal/signed-out" {
		t.Errorf("logout with a stale cookie: %d %q", pg.StatusCode, pg.Header.Get("Location"))
	}
}

func TestLogoutEverywhere(t *testing.T) {
	p := newTestPortal(t, nil)
	lee1 := p.create(leeMemberID, "")
	lee2 := p.create(leeMemberID, "")
	maria := p.create(mariaMemberID, "")
	b1, b2 := p.browser(), p.browser()
	b1.signIn(lee1.MemberPortalURL)
	b2.signIn(lee2.MemberPortalURL)

	pg := b1.post("/portal/logout-everywhere", nil)
	if pg.StatusCode != http.StatusSeeOther || pg.Header.Get("Location") != "/portal/signed-out?everywhere=1" {
		t.Fatalf("logout everywhere: %d %q", pg.StatusCode, pg.Header.Get("Location"))
	}
	mustContain(t, "signed-out page", b1.get(pg.Header.Get("Location")).body, "on every device")
	for _, s := range []*sessionstore.MemberSession{lee1, lee2} {
		if err := p.lookup(s.Token); !errors.Is(err, sessionstore.ErrNotFound) {
			t.Errorf("session %s after logout everywhere: %v", s.ID, err)
		}
	}
	pg = b2.get("/portal")
	if pg.StatusCode != http.StatusUnauthorized {
		t.Errorf("second device: %d", pg.StatusCode)
	}
	mustContain(t, "second device", pg.body, "You have been signed out")
	if err := p.lookup(maria.Token); err != nil {
		t.Errorf("another member's session: %v", err)
	}
}

// Cross-site form posts are refused (CrossOriginProtection), and change
// nothing.
func TestCSRF(t *testing.T) {
	p := newTestPortal(t, nil)
	maria := p.create(mariaMemberID, "")
	lee := p.create(leeMemberID, "")
	b := p.browser()
	b.signIn(maria.MemberPortalURL)
	for _, hdr := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
		{"Sec-Fetch-Site": "same-site", "Origin": "https://evil." + strings.TrimPrefix(p.ts.URL, "http://")},
		{"Sec-Fetch-Site": "", "Origin": "https://evil.example"},
	} {
		for _, path := range []string{"/portal/logout", "/portal/logout-everywhere", "/portal/team/revoke"} {
			pg := b.do(http.MethodPost, path, url.Values{"session_id": {lee.ID}}, hdr)
			if pg.StatusCode != http.StatusForbidden {
				t.Errorf("%s with %v: %d", path, hdr, pg.StatusCode)
			}
			mustContain(t, "CSRF page", pg.body, "This request was refused")
		}
	}
	for _, s := range []*sessionstore.MemberSession{maria, lee} {
		if err := p.lookup(s.Token); err != nil {
			t.Errorf("a cross-site post revoked a session: %v", err)
		}
	}
}

func TestLinkErrors(t *testing.T) {
	p := newTestPortal(t, nil)
	expired := p.create(mariaMemberID, "")
	revoked := p.create(leeMemberID, "")
	if err := p.store.Revoke(context.Background(), revoked.ID); err != nil {
		t.Fatal(err)
	}
	unknown, _ := token.New(sessionstore.DefaultTokenPrefix)
	p.remember(unknown)
	cookieBrowser := p.browser()
	cookieSession := p.create(samMemberID, "")
	cookieBrowser.signIn(cookieSession.MemberPortalURL)
	p.clock.Advance(61 * time.Minute)

	link := func(tok string) string {
		return "/portal?member_session_token=" + url.QueryEscape(tok) + "&email=x%40example.com"
	}
	for _, tc := range []struct {
		name, target, want string
	}{
		{"expired link", expired.MemberPortalURL, "This link has expired"},
		{"revoked link", revoked.MemberPortalURL, "This link is not valid"},
		{"unknown link", link(unknown), "This link is not valid"},
		{"malformed link", link("mst_short"), "This link is not valid"},
		{"empty link", link(""), "This link is not valid"},
		{"no cookie", "/portal", "You are not signed in"},
		{"team, no cookie", "/portal/team", "You are not signed in"},
	} {
		pg := p.browser().get(tc.target)
		if pg.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", tc.name, pg.StatusCode)
		}
		if ct := pg.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", tc.name, ct)
		}
		mustContain(t, tc.name, pg.body, "<h1>"+tc.want+"</h1>", `<meta name="viewport"`)
		if strings.Contains(pg.body, `"error"`) || strings.Contains(pg.body, "goroutine") {
			t.Errorf("%s: JSON or a stack trace in the page", tc.name)
		}
		if pg.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", tc.name)
		}
	}
	// The signed-in browser's session has expired too.
	pg := cookieBrowser.get("/portal")
	if pg.StatusCode != http.StatusUnauthorized {
		t.Errorf("expired cookie: %d", pg.StatusCode)
	}
	mustContain(t, "expired cookie", pg.body, "Your session has expired")
}

// flakyStore fails every call that reaches storage while fail is set, with
// an error that is none of the sentinels.
type flakyStore struct {
	sessionstore.Store
	fail atomic.Bool
}

var errDisk = errors.New("badger: disk on fire")

func (f *flakyStore) Lookup(ctx context.Context, tok string) (*sessionstore.MemberSession, error) {
	if f.fail.Load() {
		return nil, errDisk
	}
	return f.Store.Lookup(ctx, tok)
}

func (f *flakyStore) Exchange(ctx context.Context, tok string, p sessionstore.ExchangeParams) (*sessionstore.MemberSession, error) {
	if f.fail.Load() {
		return nil, errDisk
	}
	return f.Store.Exchange(ctx, tok, p)
}

func (f *flakyStore) Create(ctx context.Context, p sessionstore.CreateParams) (*sessionstore.MemberSession, error) {
	if f.fail.Load() {
		return nil, errDisk
	}
	return f.Store.Create(ctx, p)
}

func (f *flakyStore) ListByMember(ctx context.Context, id string) ([]*sessionstore.MemberSession, error) {
	if f.fail.Load() {
		return nil, errDisk
	}
	return f.Store.ListByMember(ctx, id)
}

func TestStoreFailure(t *testing.T) {
	var flaky *flakyStore
	p := newTestPortal(t, func(s sessionstore.Store) sessionstore.Store {
		flaky = &flakyStore{Store: s}
		return flaky
	})
	s := p.create(mariaMemberID, "")
	b := p.browser()
	b.signIn(s.MemberPortalURL)
	flaky.fail.Store(true)

	for _, target := range []string{"/portal", s.MemberPortalURL} {
		pg := b.get(target)
		if pg.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s: status %d, want 503", target, pg.StatusCode)
		}
		mustContain(t, "503 page", pg.body, "The portal is unavailable")
		for _, c := range pg.Cookies() {
			t.Errorf("cookie changed on a store failure: %v", c)
		}
	}
	resp, raw := p.api(testAdminKey, `{"member_id":"`+leeMemberID+`"}`)
	if resp.StatusCode != http.StatusServiceUnavailable || !bytes.Contains(raw, []byte(`{"error":"unavailable"}`)) {
		t.Errorf("create on a failing store: %d %s", resp.StatusCode, raw)
	}
	// A failing list after a working lookup.
	flaky.fail.Store(false)
	if pg := b.get("/portal"); pg.StatusCode != http.StatusOK {
		t.Fatalf("recovered: %d", pg.StatusCode)
	}
	if !strings.Contains(p.logs.String(), "disk on fire") {
		t.Error("store failure not logged")
	}
}

func TestSecureCookieOnHTTPS(t *testing.T) {
	p := newTestPortal(t, nil)
	srv, err := newServer(config{Store: p.store, BaseURL: "https://portal.example.com", AdminKey: "k", Now: p.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	s := p.create(adaMemberID, "")
	u, _ := url.Parse(s.MemberPortalURL)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u.RequestURI(), nil))
	if rec.Code != http.StatusSeeOther || len(rec.Result().Cookies()) != 1 || !rec.Result().Cookies()[0].Secure {
		t.Errorf("https base URL: %d, cookies %v", rec.Code, rec.Result().Header["Set-Cookie"] != nil)
	}
}

func TestNewServerChecksConfig(t *testing.T) {
	p := newTestPortal(t, nil)
	for _, cfg := range []config{
		{Store: nil, BaseURL: "http://127.0.0.1:1", AdminKey: "k"},
		{Store: p.store, BaseURL: "http://127.0.0.1:1", AdminKey: ""},
		{Store: p.store, BaseURL: "127.0.0.1:8080", AdminKey: "k"},
		{Store: p.store, BaseURL: "ftp://example.com", AdminKey: "k"},
	} {
		if _, err := newServer(cfg); err == nil {
			t.Errorf("newServer(%+v) accepted", cfg)
		}
	}
}

func TestStaticAndHome(t *testing.T) {
	p := newTestPortal(t, nil)
	b := p.browser()
	pg := b.get("/static/portal.css")
	if pg.StatusCode != http.StatusOK || !strings.HasPrefix(pg.Header.Get("Content-Type"), "text/css") {
		t.Errorf("CSS: %d %q", pg.StatusCode, pg.Header.Get("Content-Type"))
	}
	pg = b.get("/")
	if pg.StatusCode != http.StatusOK {
		t.Errorf("home: %d", pg.StatusCode)
	}
	mustContain(t, "home", pg.body, "Customer portal", "portal link")
	if pg := b.get("/nope"); pg.StatusCode != http.StatusNotFound {
		t.Errorf("/nope: %d", pg.StatusCode)
	}
}

func TestCreateDemoSessions(t *testing.T) {
	p := newTestPortal(t, nil)
	links, err := p.srv.createDemoSessions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 4 {
		t.Fatalf("%d links, want 4", len(links))
	}
	roles := map[sessionstore.MemberRole]int{}
	for _, l := range links {
		roles[l.Member.Role]++
		u, err := url.Parse(l.URL)
		if err != nil {
			t.Fatal(err)
		}
		p.remember(u.Query().Get("member_session_token"))
		if !strings.HasPrefix(l.URL, p.ts.URL+"/portal?") {
			t.Errorf("link %q is not on the portal", l.URL)
		}
		pg := p.browser().signIn(l.URL)
		name := *l.Member.Name
		mustContain(t, "demo page", pg.body, "Hello, "+name)
	}
	if roles[sessionstore.RoleOwner] != 2 || roles[sessionstore.RoleBillingManager] != 1 || roles[sessionstore.RoleMember] != 1 {
		t.Errorf("roles %v", roles)
	}
}

// Many members signing in and out at once, for the race detector.
func TestConcurrentUse(t *testing.T) {
	p := newTestPortal(t, nil)
	done := make(chan struct{})
	for _, id := range []string{adaMemberID, mariaMemberID, samMemberID, leeMemberID} {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 5 {
				s := p.create(id, "")
				b := p.browser()
				b.signIn(s.MemberPortalURL)
				b.post("/portal/logout", nil)
			}
		}()
	}
	for range 4 {
		<-done
	}
}

// An expired link keeps saying "This link has expired" while the sweeper
// runs, for as long as expired sessions are kept, and is unknown after.
func TestExpiredLinkSurvivesSweeps(t *testing.T) {
	p := startTestPortalOpts(t, nil, config{}, func(o *sessionstore.Options) {
		o.SweepInterval = time.Millisecond
	})
	link := p.create(mariaMemberID, "")
	p.clock.Advance(61 * time.Minute)
	expiredPage := func() string {
		pg := p.browser().get(link.MemberPortalURL)
		return pg.body
	}
	// Many sweeps pass (the sweeper ticks every millisecond of real time).
	wait := time.NewTimer(50 * time.Millisecond)
	<-wait.C
	mustContain(t, "expired link after sweeps", expiredPage(), "<h1>This link has expired</h1>")
	p.clock.Advance(sessionstore.DefaultExpiredRetention)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(expiredPage(), "<h1>This link is not valid</h1>") {
		if time.Now().After(deadline) {
			t.Fatal("the sweeper did not purge the link after the retention")
		}
		runtime.Gosched()
	}
}
