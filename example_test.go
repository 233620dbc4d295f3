package sessionstore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/memory"
)

func exampleParams() sessionstore.CreateParams {
	name := "Jane Doe"
	return sessionstore.CreateParams{
		Member: sessionstore.Member{
			ID: "mem_1", CustomerID: "cus_1", Email: "jane@example.com",
			Name: &name, Role: sessionstore.RoleOwner,
		},
		Customer: sessionstore.Customer{
			ID: "cus_1", Email: "billing@example.com",
			Metadata: sessionstore.Metadata{"plan": sessionstore.StringValue("pro")},
		},
		ReturnURL: "https://example.com/account",
	}
}

// Create a session, hand its portal URL to the member, and authenticate the
// token the member's browser presents.
func Example() {
	ctx := context.Background()
	store, err := memory.New(&sessionstore.Options{PortalURL: "https://portal.example.com/acme/portal"})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	s, err := store.Create(ctx, exampleParams())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.HasPrefix(s.Token, "mst_"), len(s.Token))
	fmt.Println(strings.HasPrefix(s.MemberPortalURL, "https://portal.example.com/acme/portal?"))

	got, err := store.Lookup(ctx, s.Token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(*got.Member.Name, got.Member.Role, got.ExpiresAt.Sub(got.CreatedAt))
	// Output:
	// true 47
	// true
	// Jane Doe owner 1h0m0s
}

// Revoke ends a session at once; the token no longer authenticates.
func ExampleStore_revoke() {
	ctx := context.Background()
	store, _ := memory.New(nil)
	defer store.Close()

	s, _ := store.Create(ctx, exampleParams())
	if err := store.Revoke(ctx, s.ID); err != nil {
		log.Fatal(err)
	}
	_, err := store.Lookup(ctx, s.Token)
	fmt.Println(errors.Is(err, sessionstore.ErrNotFound))

	_, err = store.Lookup(ctx, "mst_not-a-token")
	fmt.Println(errors.Is(err, sessionstore.ErrMalformedToken))
	// Output:
	// true
	// true
}

// An expired link gets its own error, so a portal can say so.
func ExampleStore_expired() {
	ctx := context.Background()
	now := time.Date(2026, 1, 20, 10, 0, 0, 0, time.UTC)
	store, _ := memory.New(&sessionstore.Options{
		Now:           func() time.Time { return now },
		SweepInterval: -1, // no background purge: the example reads its own clock
	})
	defer store.Close()

	s, _ := store.Create(ctx, exampleParams())
	now = now.Add(2 * time.Hour)
	_, err := store.Lookup(ctx, s.Token)
	fmt.Println(err)
	// Output:
	// sessionstore: session expired
}

// Bad input is a *ValidationError naming the field.
func ExampleValidationError() {
	store, _ := memory.New(nil)
	defer store.Close()

	p := exampleParams()
	p.ReturnURL = "javascript:alert(1)"
	_, err := store.Create(context.Background(), p)
	var ve *sessionstore.ValidationError
	fmt.Println(errors.As(err, &ve), ve.Field, errors.Is(err, sessionstore.ErrInvalid))
	// Output:
	// true return_url true
}
