package sessionhttp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/sessionhttp"
)

type outerKey struct{}

// cookieRequest is a GET / with the session cookie set to tok.
func cookieRequest(ctx context.Context, tok string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx)
	r.AddCookie(&http.Cookie{Name: sessionhttp.DefaultSecureCookieName, Value: tok})
	return r
}

// The request context behind the middleware is the incoming one with the
// session added: the values, deadline and cancellation of the context the
// middleware was given reach the handler, and the session does.
func TestContextKeepsTheIncomingOne(t *testing.T) {
	e := newEnv(t, nil)
	s := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	deadline := time.Now().Add(time.Hour)
	parent, cancelDeadline := context.WithDeadline(context.WithValue(context.Background(), outerKey{}, "outer"), deadline)
	defer cancelDeadline()
	parent, cancel := context.WithCancelCause(parent)
	cause := errors.New("client went away")

	var seen context.Context
	h := e.auth.Optional(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		seen = ctx
		if got, _ := ctx.Value(outerKey{}).(string); got != "outer" {
			t.Errorf("outer value %q, want outer", got)
		}
		if d, ok := ctx.Deadline(); !ok || !d.Equal(deadline) {
			t.Errorf("deadline %v %v, want %v", d, ok, deadline)
		}
		if got, ok := sessionhttp.FromContext(ctx); !ok || got.ID != s.ID {
			t.Errorf("FromContext: %v %v, want session %s", got, ok, s.ID)
		}
		// A context derived from it still finds the session.
		child, stop := context.WithTimeout(ctx, time.Minute)
		defer stop()
		if _, ok := sessionhttp.FromContext(child); !ok {
			t.Error("FromContext of a derived context: no session")
		}
		if ctx.Err() != nil {
			t.Errorf("Err before cancel: %v", ctx.Err())
		}
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, cookieRequest(parent, s.Token))
	if seen == nil {
		t.Fatal("handler not reached")
	}
	cancel(cause)
	select {
	case <-seen.Done():
	case <-time.After(time.Second):
		t.Fatal("the handler's context is not cancelled with the incoming one")
	}
	if !errors.Is(seen.Err(), context.Canceled) || context.Cause(seen) != cause {
		t.Errorf("Err %v, Cause %v; want Canceled, %v", seen.Err(), context.Cause(seen), cause)
	}

	// Anonymous, through Optional: the incoming values are there too.
	h = e.auth.Optional(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.Context() }))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil).WithContext(
		context.WithValue(context.Background(), outerKey{}, "outer")))
	if got, _ := seen.Value(outerKey{}).(string); got != "outer" {
		t.Errorf("anonymous: outer value %q, want outer", got)
	}
	if _, ok := sessionhttp.FromContext(seen); ok {
		t.Error("anonymous: FromContext reports a session")
	}
}

// Printing the request's context, in any format, shows no token: the
// cookie's token is kept in it for Extend.
func TestContextPrintsNoToken(t *testing.T) {
	e := newEnv(t, nil)
	s := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	var printed string
	h := e.auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		printed = fmt.Sprintf("%v|%+v|%#v|%s|%q|%x", ctx, ctx, ctx, ctx, ctx, ctx) + fmt.Sprint(ctx)
	}))
	h.ServeHTTP(httptest.NewRecorder(), cookieRequest(context.Background(), s.Token))
	if printed == "" {
		t.Fatal("handler not reached")
	}
	if strings.Contains(printed, s.Token) || strings.Contains(printed, s.MemberID) {
		t.Errorf("the printed context shows the session: %s", printed)
	}
	if want := "context.Background.WithValue(sessionhttp.ctxKey, *sessionhttp.ctxValue)"; !strings.HasPrefix(printed, want+"|") {
		t.Errorf("printed %q, want it to start with %q", printed, want)
	}
}

// The middleware adds "Cookie" to the Vary values already set and replaces
// Cache-Control, as Header().Add and Set do; a handler may append to
// either, concurrently with other requests, without touching another
// header's or request's values (run with -race).
func TestCacheHeadersAreTheHandlers(t *testing.T) {
	e := newEnv(t, nil)
	s := e.create("mem_1", "cus_1", sessionstore.RoleOwner)
	inner := e.auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Origin")
		w.Header().Add("Cache-Control", "max-age=0")
		w.Header()["Vary"][0] += "!" // in place: the request's own value
	}))
	outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("vary") {
			w.Header().Set("Vary", "Accept-Encoding")
		}
		inner.ServeHTTP(w, r)
	})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				target, wantVary := "/", []string{"Cookie!", "Origin"}
				if i%2 == 1 {
					target, wantVary = "/?vary", []string{"Accept-Encoding!", "Cookie", "Origin"}
				}
				r := httptest.NewRequest(http.MethodGet, target, nil)
				r.AddCookie(&http.Cookie{Name: sessionhttp.DefaultSecureCookieName, Value: s.Token})
				rec := httptest.NewRecorder()
				outer.ServeHTTP(rec, r)
				if got := rec.Header()["Vary"]; !slices.Equal(got, wantVary) {
					t.Errorf("%s: Vary %q, want %q", target, got, wantVary)
				}
				if got, want := rec.Header()["Cache-Control"], []string{"private, no-store", "max-age=0"}; !slices.Equal(got, want) {
					t.Errorf("%s: Cache-Control %q, want %q", target, got, want)
				}
			}
		}()
	}
	wg.Wait()
}
