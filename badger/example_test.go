package badger_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/badger"
)

// A store in a directory of its own: a session created before Close is
// found again after the directory is opened anew, as after a restart.
func ExampleOpen() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "sessions")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	opts := &badger.Options{SyncWrites: true} // a returned Revoke survives a power cut
	s, err := badger.Open(dir, opts)
	if err != nil {
		log.Fatal(err)
	}
	created, err := s.Create(ctx, sessionstore.CreateParams{
		Member:   sessionstore.Member{ID: "mem_1", CustomerID: "cus_1", Email: "jane@example.com", Role: sessionstore.RoleOwner},
		Customer: sessionstore.Customer{ID: "cus_1", Email: "billing@example.com"},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := s.Close(); err != nil {
		log.Fatal(err)
	}

	s, err = badger.Open(dir, opts) // the application starts again
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	got, err := s.Lookup(ctx, created.Token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.ID == created.ID, got.Member.Email, got.Member.Role)
	// Output: true jane@example.com owner
}
