package sessionhttp_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/memory"
	"github.com/memberkit/sessionstore/sessionhttp"
)

// newExampleStore returns a memory store with a clock that stands still, and
// a session for an owner.
func newExampleStore() (*memory.Store, *sessionstore.MemberSession) {
	now := func() time.Time { return time.Date(2026, 1, 20, 10, 0, 0, 0, time.UTC) }
	store, err := memory.New(&sessionstore.Options{
		PortalURL:     "https://example.com/portal",
		Now:           now,
		SweepInterval: -1,
	})
	if err != nil {
		log.Fatal(err)
	}
	name := "Jane Doe"
	s, err := store.Create(context.Background(), sessionstore.CreateParams{
		Member: sessionstore.Member{
			ID: "mem_1", CustomerID: "cus_1", Email: "jane@example.com",
			Name: &name, Role: sessionstore.RoleOwner,
		},
		Customer: sessionstore.Customer{ID: "cus_1", Email: "billing@example.com"},
	})
	if err != nil {
		log.Fatal(err)
	}
	return store, s
}

// A member follows a portal link: the middleware creates a session for
// this browser, sets its cookie and redirects to the same URL without the
// token. The cookie then authenticates.
func ExampleMiddleware() {
	store, s := newExampleStore()
	defer store.Close()

	portal := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := sessionhttp.FromContext(r.Context())
		fmt.Fprintf(w, "Hello, %s (%s)", *s.Member.Name, s.Member.Role)
	})
	h := sessionhttp.Middleware(store, &sessionhttp.Options{
		Now: func() time.Time { return time.Date(2026, 1, 20, 10, 0, 0, 0, time.UTC) },
	})(portal)

	// 1. The portal link: /portal?member_session_token=...&email=...
	link := strings.TrimPrefix(s.MemberPortalURL, "https://example.com")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, link, nil))
	cookie := rec.Result().Cookies()[0]
	fmt.Println(rec.Code, rec.Header().Get("Location"))
	fmt.Println(cookie.Name, cookie.HttpOnly, cookie.Secure, cookie.SameSite == http.SameSiteLaxMode, cookie.MaxAge)
	fmt.Println("the browser has a token of its own:", cookie.Value != s.Token)

	// 2. The redirected request, with the cookie.
	req := httptest.NewRequest(http.MethodGet, rec.Header().Get("Location"), nil)
	req.AddCookie(cookie)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body)
	// Output:
	// 303 /portal
	// __Host-member_session true true true 3600
	// the browser has a token of its own: true
	// 200 Hello, Jane Doe (owner)
}

// Failures are JSON with a code that tells them apart.
func ExampleMiddleware_errors() {
	store, s := newExampleStore()
	defer store.Close()
	h := sessionhttp.Middleware(store, nil)(http.NotFoundHandler())

	for _, auth := range []string{"", "Bearer mst_nope", "Bearer " + s.Token[:len(s.Token)-6] + "000000"} {
		req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Print(rec.Code, " ", rec.Header().Get("WWW-Authenticate"), " ", rec.Body)
	}
	// Output:
	// 401 Bearer {"error":"missing_token"}
	// 401 Bearer error="invalid_token" {"error":"malformed_token"}
	// 401 Bearer error="invalid_token" {"error":"malformed_token"}
}

// A custom ErrorHandler answers with HTML, telling an expired link from an
// invalid one by its code, and leaves the rest to WriteError.
func ExampleOptions_errorHandler() {
	store, s := newExampleStore()
	defer store.Close()
	opts := &sessionhttp.Options{ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
		switch sessionhttp.Code(err) {
		case sessionhttp.CodeExpired:
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, "<h1>This link has expired</h1>")
		case sessionhttp.CodeInvalidToken, sessionhttp.CodeMalformedToken:
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, "<h1>This link is not valid</h1>")
		default:
			sessionhttp.WriteError(w, r, err)
		}
	}}
	h := sessionhttp.Middleware(store, opts)(http.NotFoundHandler())
	_ = store.Revoke(context.Background(), s.ID)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, strings.TrimPrefix(s.MemberPortalURL, "https://example.com"), nil))
	fmt.Println(rec.Code, rec.Body)
	// Output:
	// 401 <h1>This link is not valid</h1>
}

// One Auth guards routes in different modes: Role lets only owners through.
func ExampleAuth_Role() {
	store, s := newExampleStore()
	defer store.Close()
	auth, err := sessionhttp.New(store, nil)
	if err != nil {
		log.Fatal(err)
	}
	team := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "team page") })
	h := auth.Role(sessionstore.RoleOwner)(team)

	req := httptest.NewRequest(http.MethodGet, "/portal/team", nil)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body)
	// Output:
	// 200 team page
}

// Logout revokes the session and clears the cookie; a browser is sent to
// SignedOutURL, an API client gets 204.
func ExampleLogout() {
	store, s := newExampleStore()
	defer store.Close()
	mw := sessionhttp.Middleware(store, &sessionhttp.Options{SignedOutURL: "/signed-out", Optional: true})
	h := mw(sessionhttp.Logout(store))

	for _, accept := range []string{"text/html", "application/json"} {
		req := httptest.NewRequest(http.MethodPost, "/logout", nil)
		req.AddCookie(&http.Cookie{Name: sessionhttp.DefaultSecureCookieName, Value: s.Token})
		req.Header.Set("Accept", accept)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Header().Get("Location"), rec.Result().Cookies()[0].MaxAge)
	}
	_, err := store.Lookup(context.Background(), s.Token)
	fmt.Println(err)
	// Output:
	// 303 /signed-out -1
	// 204  -1
	// sessionstore: session not found
}

// DeviceLabel names the browser and system of a User-Agent header, for a
// "your sessions" page, without echoing the header.
func ExampleDeviceLabel() {
	for _, ua := range []string{
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
		"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
		"<script>alert(1)</script>",
	} {
		fmt.Println(sessionhttp.DeviceLabel(ua))
	}
	// Output:
	// Safari on iPhone
	// Edge on Windows
	// Firefox on Linux
	// Unknown device
}

// Code maps errors, including the store's own sentinels, to error codes.
func ExampleCode() {
	fmt.Println(sessionhttp.Code(sessionstore.ErrExpired))
	fmt.Println(sessionhttp.Code(fmt.Errorf("lookup: %w", sessionstore.ErrNotFound)))
	fmt.Println(sessionhttp.Code(sessionstore.ErrClosed))
	// Output:
	// expired
	// invalid_token
	// unavailable
}
