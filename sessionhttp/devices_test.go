package sessionhttp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/sessionhttp"
)

// TestSignOutSessionScoped is the attack of a member ending another
// member's session by its ID: 404, and the session still works.
func TestSignOutSessionScoped(t *testing.T) {
	e := newEnv(t, nil)
	a := e.exchange("/whoami", e.create("mem_1", "cus_1", sessionstore.RoleOwner))
	b := e.exchange("/whoami", e.create("mem_2", "cus_1", sessionstore.RoleMember))
	aID := e.sessionOf(a.Value).ID
	r := e.do(req{method: http.MethodPost, path: "/sessions/end", cookie: b.Value, form: url.Values{sessionhttp.SessionField: {aID}}})
	if r.StatusCode != http.StatusNotFound || r.errorCode(t) != sessionhttp.CodeSessionNotFound {
		t.Fatalf("B ends A's session: status %d %s, want 404 session_not_found", r.StatusCode, r.body)
	}
	if r := e.do(req{path: "/whoami", cookie: a.Value}); r.StatusCode != http.StatusOK {
		t.Fatalf("A after B's attempt: %d", r.StatusCode)
	}
}

// TestSignOutOneDevice: a member ends another of its own browsers, and
// the list marks the request's own session.
func TestSignOutOneDevice(t *testing.T) {
	e := newEnv(t, nil)
	link := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	phone, laptop := e.exchange("/whoami", link), e.exchange("/whoami", link)

	r := e.do(req{path: "/sessions", cookie: laptop.Value})
	var list struct {
		Sessions []sessionhttp.DeviceView `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(r.body), &list); err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("/sessions: %d %s %v", r.StatusCode, r.body, err)
	}
	current, kinds := 0, map[sessionstore.SessionKind]int{}
	for _, v := range list.Sessions {
		kinds[v.Kind]++
		if v.Current {
			current++
			if v.ID != e.sessionOf(laptop.Value).ID {
				t.Errorf("the current session is %s, not the laptop's", v.ID)
			}
		}
		if v.Kind == sessionstore.KindDevice && v.DeviceLabel == "" {
			t.Errorf("a device session without a label")
		}
	}
	if len(list.Sessions) != 3 || current != 1 || kinds[sessionstore.KindLink] != 1 || kinds[sessionstore.KindDevice] != 2 {
		t.Fatalf("/sessions listed %+v", list.Sessions)
	}

	phoneID := e.sessionOf(phone.Value).ID
	r = e.do(req{method: http.MethodPost, path: "/sessions/end", cookie: laptop.Value, accept: browserAccept,
		form:   url.Values{sessionhttp.SessionField: {phoneID}, sessionhttp.ReturnField: {"/account"}},
		header: map[string]string{"Sec-Fetch-Site": "same-origin"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/account" {
		t.Fatalf("end the phone: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if r := e.do(req{path: "/whoami", cookie: phone.Value}); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("the phone after it was signed out: %d", r.StatusCode)
	}
	if r := e.do(req{path: "/whoami", cookie: laptop.Value}); r.StatusCode != http.StatusOK {
		t.Errorf("the laptop after signing out the phone: %d", r.StatusCode)
	}
	// An off-site return path is ignored.
	r = e.do(req{method: http.MethodPost, path: "/sessions/end", cookie: laptop.Value, accept: browserAccept,
		form: url.Values{sessionhttp.SessionField: {e.sessionOf(laptop.Value).ID}, sessionhttp.ReturnField: {"//evil.example/"}}})
	if r.StatusCode != http.StatusNoContent {
		t.Errorf("ending one's own session with an off-site return: %d", r.StatusCode)
	}
	if c := r.cookie(e.cookie.Name); c == nil || c.MaxAge >= 0 {
		t.Errorf("ending one's own session does not clear its cookie")
	}
}

// TestSignOutOthers: the other browsers and the link end, this one stays;
// a cross-site request is refused.
func TestSignOutOthers(t *testing.T) {
	e := newEnv(t, nil)
	link := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	a, b := e.exchange("/whoami", link), e.exchange("/whoami", link)
	r := e.do(req{method: http.MethodPost, path: "/sessions/others", cookie: a.Value, header: crossSite})
	if r.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site sign out others: %d", r.StatusCode)
	}
	if r := e.do(req{path: "/whoami", cookie: b.Value}); r.StatusCode != http.StatusOK {
		t.Fatalf("B after a refused request: %d", r.StatusCode)
	}
	r = e.do(req{method: http.MethodPost, path: "/sessions/others", cookie: a.Value})
	if r.StatusCode != http.StatusNoContent {
		t.Fatalf("sign out others: %d %s", r.StatusCode, r.body)
	}
	if r := e.do(req{path: "/whoami", cookie: b.Value}); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("B after sign out others: %d", r.StatusCode)
	}
	if r := e.do(req{path: "/whoami", cookie: a.Value}); r.StatusCode != http.StatusOK {
		t.Errorf("A after sign out others: %d", r.StatusCode)
	}
	if n := len(e.sessionsOf("mem_1")); n != 1 {
		t.Errorf("%d sessions left, want A's", n)
	}
	if r := e.do(req{path: "/sessions/others", cookie: a.Value}); r.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET sign out others: %d", r.StatusCode)
	}
}

// sessionOf looks up the session of a cookie's token.
func (e *env) sessionOf(tok string) *sessionstore.MemberSession {
	e.t.Helper()
	s, err := e.store.Lookup(context.Background(), tok)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}
