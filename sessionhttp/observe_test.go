package sessionhttp_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/sessionhttp"
	"github.com/memberkit/sessionstore/storetest"
)

// The middleware reports sign-ins (link and SignIn), sign-outs and every
// refusal to Options.Observer, with IDs and codes but never a token.
func TestObserverSeesOutcomes(t *testing.T) {
	rec := &storetest.Recorder{}
	e := newEnv(t, &sessionhttp.Options{Observer: rec, Cookie: sessionhttp.Cookie{Insecure: true}})
	link := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	device := e.exchange("/whoami", link)
	if r := e.do(req{path: "/whoami", bearer: "mst_guess"}); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad token: %d", r.StatusCode)
	}
	if r := e.do(req{path: "/whoami"}); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: %d", r.StatusCode)
	}
	if r := e.do(req{method: http.MethodPost, path: "/signin", form: url.Values{"member_id": {"mem_2"}}}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("sign-in: %d", r.StatusCode)
	}
	if r := e.do(req{method: http.MethodPost, path: "/logout", cookie: device.Value}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %d", r.StatusCode)
	}
	if r := e.do(req{method: http.MethodPost, path: "/logout-everywhere", bearer: link.Token}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("logout everywhere: %d", r.StatusCode)
	}

	events := rec.Events()
	e.mu.Lock()
	tokens := append(append([]string(nil), e.tokens...), e.issued...)
	e.mu.Unlock()
	storetest.CheckNoSecrets(t, events, tokens)
	var got []string
	for _, ev := range events {
		got = append(got, string(ev.Kind)+"/"+ev.Source+"/"+ev.Code)
		switch ev.Kind {
		case sessionstore.EventSignedIn, sessionstore.EventSignedOut, sessionstore.EventSignedOutEverywhere:
			if ev.SessionID == "" || ev.MemberID == "" || ev.CustomerID == "" {
				t.Errorf("%s without IDs: %+v", ev.Kind, ev)
			}
		case sessionstore.EventRefused:
			if ev.Status != http.StatusUnauthorized || ev.Err == nil {
				t.Errorf("refused: %+v", ev)
			}
		}
	}
	want := []string{
		"signed_in/link/", "refused/header/malformed_token", "refused//missing_token",
		"signed_in/sign_in/", "signed_out//", "signed_out_everywhere//",
	}
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("events %v, want %v", got, want)
		}
	}
	if n := events[len(events)-1].Count; n != 1 {
		t.Errorf("signed out everywhere of %d sessions, want 1 (the link; the device signed out already)", n)
	}
}
