package sessionstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/memory"
)

// The create response is the one JSON document that carries the token and
// portal URL: encode the session WithCredentials there. Anywhere else, such
// as in a log line, a session writes both as "".
func ExampleWithCredentials() {
	store, err := memory.New(&sessionstore.Options{PortalURL: "https://portal.example.com/acme/portal"})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	s, err := store.Create(context.Background(), exampleParams())
	if err != nil {
		log.Fatal(err)
	}

	response, err := json.Marshal(sessionstore.WithCredentials(s))
	if err != nil {
		log.Fatal(err)
	}
	var sent sessionstore.MemberSession
	if err := json.Unmarshal(response, &sent); err != nil {
		log.Fatal(err)
	}
	fmt.Println("response carries the token:", sent.Token == s.Token, sent.MemberPortalURL == s.MemberPortalURL)

	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("created", "sessions", []*sessionstore.MemberSession{s})
	fmt.Println("log line carries the token:", bytes.Contains(logged.Bytes(), []byte(s.Token)))

	plain, err := json.Marshal(s)
	if err != nil {
		log.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(plain, &doc); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("plain JSON: token %q, member_portal_url %q\n", doc["token"], doc["member_portal_url"])
	// Output:
	// response carries the token: true true
	// log line carries the token: false
	// plain JSON: token "", member_portal_url ""
}
