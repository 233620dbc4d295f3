package sessionhttp_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/sessionhttp"
)

// Each browser that opens a link gets a session of its own, with the link's
// member, customer and return URL, ending when the link does.
func TestExchangeSessionPerDevice(t *testing.T) {
	var signedIn []*sessionstore.MemberSession
	var mu sync.Mutex
	e := newEnv(t, &sessionhttp.Options{OnSignIn: func(r *http.Request, s *sessionstore.MemberSession) {
		mu.Lock()
		defer mu.Unlock()
		if s.Token != "" || s.MemberPortalURL != "" {
			t.Error("OnSignIn got a session with its token")
		}
		signedIn = append(signedIn, s)
	}})
	ctx := context.Background()
	p := params("mem_1", "cus_1", sessionstore.RoleOwner)
	p.ReturnURL = "https://example.com/account"
	link, err := e.store.Create(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	e.remember(link.Token)

	phone := e.exchange("/whoami", link)
	e.clock.Advance(10 * time.Minute)
	laptop := e.exchange("/whoami", link)
	if phone.Value == laptop.Value {
		t.Fatal("two browsers share a token")
	}
	list, err := e.store.ListByMember(ctx, "mem_1")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 {
		t.Fatalf("%d sessions, want the link and two devices", len(list))
	}
	mu.Lock()
	if len(signedIn) != 2 {
		t.Fatalf("OnSignIn called %d times, want 2", len(signedIn))
	}
	for _, d := range signedIn {
		got, err := e.store.Get(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Member.Equal(link.Member) || !got.Customer.Equal(link.Customer) || *got.ReturnURL != *link.ReturnURL {
			t.Errorf("device session %s does not carry the link's snapshot", d.ID)
		}
		if !got.ExpiresAt.Equal(link.ExpiresAt) {
			t.Errorf("device session ends %v, the link %v", got.ExpiresAt, link.ExpiresAt)
		}
	}
	mu.Unlock()

	// Signing out on the phone leaves the laptop and the link signed in.
	if r := e.do(req{method: http.MethodPost, path: "/logout", cookie: phone.Value}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %d %s", r.StatusCode, r.body)
	}
	if r := e.do(req{path: "/whoami", cookie: phone.Value}); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("phone after sign-out: %d", r.StatusCode)
	}
	if r := e.do(req{path: "/whoami", cookie: laptop.Value}); r.StatusCode != http.StatusOK {
		t.Errorf("laptop after the phone signed out: %d", r.StatusCode)
	}
	if _, err := e.store.Lookup(ctx, link.Token); err != nil {
		t.Errorf("the link after the phone signed out: %v", err)
	}

	// Signing out everywhere ends the laptop and the link too.
	if r := e.do(req{method: http.MethodPost, path: "/logout-everywhere", cookie: laptop.Value}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("logout everywhere: %d %s", r.StatusCode, r.body)
	}
	if _, err := e.store.Lookup(ctx, link.Token); !errors.Is(err, sessionstore.ErrNotFound) {
		t.Errorf("the link after sign-out everywhere: %v", err)
	}
	if r := e.do(req{path: "/whoami?" + linkQuery(link)}); r.StatusCode != http.StatusUnauthorized || r.errorCode(t) != sessionhttp.CodeInvalidToken {
		t.Errorf("the link after sign-out everywhere: %d %s", r.StatusCode, r.body)
	}
}

// A link with less than a second left signs nobody in.
func TestExchangeLinkAboutToExpire(t *testing.T) {
	e := newEnv(t, nil)
	link := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	e.clock.Advance(time.Hour - 500*time.Millisecond)
	r := e.do(req{path: "/whoami?" + linkQuery(link)})
	if r.StatusCode != http.StatusUnauthorized || r.errorCode(t) != sessionhttp.CodeExpired {
		t.Errorf("status %d body %s, want 401 expired", r.StatusCode, r.body)
	}
	if n, _ := e.store.ListByMember(context.Background(), "mem_1"); len(n) != 1 {
		t.Errorf("%d sessions, want only the link", len(n))
	}
}

func TestOneTimeLinks(t *testing.T) {
	e := newEnv(t, &sessionhttp.Options{OneTimeLinks: true})
	link := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	c := e.exchange("/whoami", link)
	if r := e.do(req{path: "/whoami", cookie: c.Value}); r.StatusCode != http.StatusOK {
		t.Errorf("after the exchange: %d", r.StatusCode)
	}
	if _, err := e.store.Lookup(context.Background(), link.Token); !errors.Is(err, sessionstore.ErrNotFound) {
		t.Errorf("the link after its first exchange: %v", err)
	}
	r := e.do(req{path: "/whoami?" + linkQuery(link)})
	if r.StatusCode != http.StatusUnauthorized || r.errorCode(t) != sessionhttp.CodeInvalidToken {
		t.Errorf("second exchange: %d %s", r.StatusCode, r.body)
	}

	// Of browsers racing for one link, exactly one signs in.
	race := e.create("mem_2", "cus_1", sessionstore.RoleMember)
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.do(req{path: "/whoami?" + linkQuery(race)})
			mu.Lock()
			defer mu.Unlock()
			switch r.StatusCode {
			case http.StatusSeeOther:
				won++
			case http.StatusUnauthorized:
			default:
				t.Errorf("racing exchange: %d %s", r.StatusCode, r.body)
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d browsers signed in with a one-time link, want 1", won)
	}
	if list, _ := e.store.ListByMember(context.Background(), "mem_2"); len(list) != 1 {
		t.Errorf("%d sessions after the race, want 1", len(list))
	}
}

// A browser that signs in again (another link, or SignIn) ends the session
// its cookie held.
func TestSignInReplacesTheBrowsersSession(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	first := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	second := e.create("mem_2", "cus_1", sessionstore.RoleMember)
	old := e.exchange("/whoami", first)

	r := e.do(req{path: "/whoami?" + linkQuery(second), cookie: old.Value})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("exchange: %d", r.StatusCode)
	}
	if _, err := e.store.Lookup(ctx, old.Value); !errors.Is(err, sessionstore.ErrNotFound) {
		t.Errorf("the replaced session: %v", err)
	}
	// The links themselves live on.
	for _, l := range []*sessionstore.MemberSession{first, second} {
		if _, err := e.store.Lookup(ctx, l.Token); err != nil {
			t.Errorf("link: %v", err)
		}
	}
}
