package sessionhttp_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/memberkit/sessionstore/sessionhttp"
)

// Polar's customer-session endpoints answer an API client (such as Polar's
// own SDK) that sends a portal link's token as a bearer token.
func ExampleAuth_Introspect() {
	store, s := newExampleStore()
	defer store.Close()
	auth, err := sessionhttp.New(store, nil)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(sessionhttp.IntrospectPath, auth.Introspect())
	mux.Handle(sessionhttp.PortalUserPath, auth.PortalUser())

	get := func(path, tok string) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		fmt.Print(rec.Code, " ", rec.Body)
	}
	get(sessionhttp.IntrospectPath, s.Token)
	get(sessionhttp.PortalUserPath, s.Token)
	get(sessionhttp.PortalUserPath, "")
	// Output:
	// 200 {"expires_at":"2026-01-20T11:00:00Z","return_url":null}
	// 200 {"type":"member","name":"Jane Doe","email":"jane@example.com","customer_id":"cus_1","member_id":"mem_1","role":"owner"}
	// 401 {"error":"Unauthorized","detail":"Send the member session token as Authorization: Bearer.","code":"missing_token"}
}
