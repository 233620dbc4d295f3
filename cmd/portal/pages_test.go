package main

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/memberkit/sessionstore"
)

// Every page a browser can reach is HTML, also the 404 and 405 answers,
// and each has a way on.
func TestErrorPagesAreHTML(t *testing.T) {
	p := newTestPortal(t, nil)
	maria := p.create(mariaMemberID, "")
	b := p.browser()
	b.signIn(maria.MemberPortalURL)
	for _, tc := range []struct {
		method, path string
		status       int
		allow, want  string
	}{
		{http.MethodGet, "/portal/logout", 405, "POST, DELETE", "does not open as a page"},
		{http.MethodGet, "/portal/logout-everywhere", 405, "POST, DELETE", "does not open as a page"},
		{http.MethodGet, "/portal/team/revoke", 405, "POST", "does not open as a page"},
		{http.MethodPost, "/portal", 405, "GET, HEAD", "does not open as a page"},
		{http.MethodGet, "/nope", 404, "", "Page not found"},
	} {
		pg := b.do(tc.method, tc.path, nil, nil)
		if pg.StatusCode != tc.status || pg.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d Allow %q", tc.method, tc.path, pg.StatusCode, pg.Header.Get("Allow"))
		}
		if !strings.HasPrefix(pg.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s %s: Content-Type %q", tc.method, tc.path, pg.Header.Get("Content-Type"))
		}
		mustContain(t, tc.method+" "+tc.path, pg.body, tc.want, "<a class=\"button secondary\" href=")
	}
	// The session survived the GETs.
	if pg := b.get("/portal"); pg.StatusCode != http.StatusOK {
		t.Errorf("/portal after GET /portal/logout: %d", pg.StatusCode)
	}
	// The API's 405 stays JSON.
	resp, body := p.apiMethod(http.MethodGet)
	if resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(string(body), `"error"`) {
		t.Errorf("GET on the API: %d %s", resp.StatusCode, body)
	}
	// The pages of signed-out browsers lead somewhere.
	for _, path := range []string{"/portal", "/portal/signed-out"} {
		mustContain(t, path, p.browser().get(path).body, `href="/"`)
	}
}

func TestOneTimeLinks(t *testing.T) {
	p := newTestPortalWith(t, config{OneTimeLinks: true})
	lee := p.create(leeMemberID, "")
	p.browser().signIn(lee.MemberPortalURL)
	if err := p.lookup(lee.Token); !errors.Is(err, sessionstore.ErrNotFound) {
		t.Errorf("the link after its first use: %v", err)
	}
	pg := p.browser().follow(lee.MemberPortalURL)
	if pg.StatusCode != http.StatusUnauthorized {
		t.Errorf("second use: %d", pg.StatusCode)
	}
	mustContain(t, "second use", pg.body, "This link is not valid")
}
