package sessionhttp_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/sessionhttp"
)

// checkPassword stands for the application's own authentication.
func checkPassword(r *http.Request) (sessionstore.Member, sessionstore.Customer, bool) {
	if r.PostFormValue("password") != "correct horse" {
		return sessionstore.Member{}, sessionstore.Customer{}, false
	}
	m := sessionstore.Member{ID: "mem_1", CustomerID: "cus_1", Email: "jane@example.com", Role: sessionstore.RoleOwner}
	return m, sessionstore.Customer{ID: "cus_1", Email: "billing@example.com"}, true
}

// app is the README's HTTP example: sign in, a page for members, a refresh,
// and sign-out.
func app(store sessionstore.Store) http.Handler {
	auth, err := sessionhttp.New(store, &sessionhttp.Options{SignInURL: "/login", SignedOutURL: "/"})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		m, c, ok := checkPassword(r) // your own authentication
		if !ok {
			http.Error(w, "wrong email or password", http.StatusUnauthorized)
			return
		}
		if _, err := auth.SignIn(w, r, sessionstore.CreateParams{Member: m, Customer: c}); err != nil {
			http.Error(w, "please try again", http.StatusServiceUnavailable)
			return
		}
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	})
	mux.Handle("GET /account", auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := sessionhttp.FromContext(r.Context())
		fmt.Fprintf(w, "Hello, %s", s.Member.Email)
	})))
	mux.Handle("POST /account/stay", auth.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := auth.Extend(w, r, 24*time.Hour); err != nil { // the cookie follows
			http.Error(w, "please try again", http.StatusServiceUnavailable)
		}
	})))
	mux.Handle("POST /logout", auth.Logout())                      // this browser
	mux.Handle("POST /logout-everywhere", auth.LogoutEverywhere()) // every device
	return mux
}

// New gives one Auth for a whole application: a login form signs the member
// in with SignIn, pages are guarded by Required, Extend keeps the member
// signed in longer (and refreshes the cookie), and Logout signs out.
func ExampleNew() {
	store, _ := newExampleStore()
	defer store.Close()
	h := app(store)

	var cookie *http.Cookie
	send := func(method, path string, form url.Values) *http.Response {
		req := httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "text/html")
		if cookie != nil {
			req.AddCookie(cookie)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		resp := rec.Result()
		for _, c := range resp.Cookies() {
			cookie = c
		}
		line := fmt.Sprint(method, " ", path, " ", resp.StatusCode, " ", resp.Header.Get("Location"), " ", cookie.MaxAge, " ", rec.Body.String())
		fmt.Println(strings.TrimSpace(line))
		return resp
	}
	send("POST", "/login", url.Values{"password": {"correct horse"}})
	send("GET", "/account", nil)
	send("POST", "/account/stay", nil)
	send("POST", "/logout", nil)
	send("GET", "/account", nil)
	// Output:
	// POST /login 303 /account 3600
	// GET /account 200  3600 Hello, jane@example.com
	// POST /account/stay 200  86400
	// POST /logout 303 / -1
	// GET /account 303 /login -1
}
