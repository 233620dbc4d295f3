package sessionhttp_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/sessionhttp"
)

// crossSite is the header a browser sends on a navigation from another
// site, such as a link in a webmail or on an attacker's page.
var crossSite = map[string]string{"Sec-Fetch-Site": "cross-site"}

// TestLoginCSRF is the attack of a page on another site that sends a
// signed-in browser to the attacker's own portal link: the browser's
// session must survive, and it must not be switched to the attacker's
// member without a same-origin confirmation.
func TestLoginCSRF(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	victim := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	attacker := e.create("mem_2", "cus_2", sessionstore.RoleOwner)
	own := e.exchange("/whoami", victim)

	r := e.do(req{path: "/whoami?" + linkQuery(attacker), cookie: own.Value, header: crossSite})
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, "<form method=\"post\">") {
		t.Fatalf("cross-site link of another member: status %d body %s, want the confirmation page", r.StatusCode, r.body)
	}
	if c := r.cookie(e.cookie.Name); c != nil {
		t.Fatalf("the confirmation page set the session cookie")
	}
	if _, err := e.store.Lookup(ctx, own.Value); err != nil {
		t.Fatalf("the browser's session after a cross-site link: %v", err)
	}
	if n := len(e.sessionsOf("mem_2")); n != 1 {
		t.Fatalf("the cross-site link made %d sessions of the attacker's member, want only the link", n)
	}

	// A cross-site POST of the confirmation is refused.
	r = e.do(req{method: http.MethodPost, path: "/whoami?" + linkQuery(attacker), cookie: own.Value, header: crossSite})
	if r.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site confirmation: status %d, want 403", r.StatusCode)
	}
	if _, err := e.store.Lookup(ctx, own.Value); err != nil {
		t.Fatalf("the browser's session after a cross-site POST: %v", err)
	}

	// The browser's own member's link from another site keeps its session.
	r = e.do(req{path: "/whoami?" + linkQuery(victim), cookie: own.Value, header: crossSite})
	if r.StatusCode != http.StatusSeeOther || r.cookie(e.cookie.Name) != nil {
		t.Fatalf("cross-site link of the same member: status %d, want 303 and no new cookie", r.StatusCode)
	}
	if _, err := e.store.Lookup(ctx, own.Value); err != nil {
		t.Fatalf("the browser's session after its own link: %v", err)
	}

	// Confirmed from the page (same origin), the switch happens.
	r = e.do(req{method: http.MethodPost, path: "/whoami?" + linkQuery(attacker), cookie: own.Value,
		header: map[string]string{"Sec-Fetch-Site": "same-origin"}})
	if r.StatusCode != http.StatusSeeOther || e.cookieOf(r).Value == own.Value {
		t.Fatalf("confirmed switch: status %d, want 303 with a new cookie", r.StatusCode)
	}
	if _, err := e.store.Lookup(ctx, own.Value); !errors.Is(err, sessionstore.ErrNotFound) {
		t.Fatalf("the replaced session after a confirmed switch: %v", err)
	}
}

// TestCrossSiteFirstSignIn: a signed-out browser opening an emailed link
// (a cross-site navigation) signs in in one click.
func TestCrossSiteFirstSignIn(t *testing.T) {
	e := newEnv(t, nil)
	link := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	r := e.do(req{path: "/whoami?" + linkQuery(link), header: crossSite})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("first sign-in from an email: status %d body %s, want 303", r.StatusCode, r.body)
	}
	s, err := e.store.Lookup(context.Background(), e.cookieOf(r).Value)
	if err != nil {
		t.Fatal(err)
	}
	if s.Kind != sessionstore.KindDevice || s.LinkID != link.ID {
		t.Fatalf("the browser's session is a %q from %q, want a device session from the link", s.Kind, s.LinkID)
	}
}

// TestOnlyLinksExchange is the attack of presenting a device cookie's
// token (or a sign-in's) as member_session_token, to start a new chain:
// it is refused and makes nothing.
func TestOnlyLinksExchange(t *testing.T) {
	e := newEnv(t, nil)
	link := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	device := e.exchange("/whoami", link)
	r := e.do(req{path: "/whoami?" + sessionhttp.TokenParam + "=" + device.Value})
	if r.StatusCode != http.StatusUnauthorized || r.errorCode(t) != sessionhttp.CodeInvalidToken {
		t.Fatalf("a device token as a link: status %d body %s, want 401 invalid_token", r.StatusCode, r.body)
	}
	if n := len(e.sessionsOf("mem_1")); n != 2 {
		t.Fatalf("%d sessions after a refused exchange, want the link and the device", n)
	}
}

// sessionsOf lists the live sessions of member.
func (e *env) sessionsOf(member string) []*sessionstore.MemberSession {
	e.t.Helper()
	list, err := e.store.ListByMember(context.Background(), member)
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}
