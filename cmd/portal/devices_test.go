package main

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestDevicesButtons: from the account page a member signs out one of its
// other browsers, then all the others, and stays signed in.
func TestDevicesButtons(t *testing.T) {
	p := newTestPortal(t, nil)
	link := p.create(leeMemberID, "")
	a, b, c := p.browser(), p.browser(), p.browser()
	a.signIn(link.MemberPortalURL)
	aID := p.browserSession(leeMemberID, link.ID)
	b.signIn(link.MemberPortalURL)
	bID := p.browserSession(leeMemberID, link.ID, aID)
	c.signIn(link.MemberPortalURL)
	if r := a.post("/portal/sessions/end", url.Values{"session_id": {bID}, "return_to": {"/portal"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out one device: %d %s", r.StatusCode, r.body)
	}
	if r := b.get("/portal"); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the signed-out device: %d", r.StatusCode)
	}
	if r := a.post("/portal/sessions/others", url.Values{"return_to": {"/portal"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out other devices: %d %s", r.StatusCode, r.body)
	}
	if r := c.get("/portal"); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("another device after sign out others: %d", r.StatusCode)
	}
	if r := a.get("/portal"); r.StatusCode != http.StatusOK {
		t.Fatalf("this device after sign out others: %d", r.StatusCode)
	}
	if err := p.lookup(link.Token); err == nil {
		t.Fatalf("the link survives sign out others")
	}
}

// TestTeamRevokeNeedsRecentSignIn: an owner whose sign-in is older than
// recentSignIn cannot revoke a teammate's session until it signs in again.
func TestTeamRevokeNeedsRecentSignIn(t *testing.T) {
	p := newTestPortal(t, nil)
	maria, lee := p.create(mariaMemberID, ""), p.create(leeMemberID, "")
	leeBrowser := p.browser()
	leeBrowser.signIn(lee.MemberPortalURL)
	leeDevice := p.browserSession(leeMemberID, lee.ID)
	owner := p.browser()
	owner.signIn(maria.MemberPortalURL)

	p.clock.Advance(recentSignIn + time.Minute)
	pg := owner.post("/portal/team/revoke", url.Values{"session_id": {leeDevice}})
	if pg.StatusCode != http.StatusForbidden {
		t.Fatalf("revoke with an old sign-in: %d", pg.StatusCode)
	}
	mustContain(t, "the refusal", pg.body, "Please sign in again")
	if r := leeBrowser.get("/portal"); r.StatusCode != http.StatusOK {
		t.Fatalf("Lee after a refused revoke: %d", r.StatusCode)
	}
	owner.signIn(p.create(mariaMemberID, "").MemberPortalURL)
	if pg := owner.post("/portal/team/revoke", url.Values{"session_id": {leeDevice}}); pg.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke after signing in again: %d %s", pg.StatusCode, pg.body)
	}
}
