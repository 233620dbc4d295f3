package postgres

import (
	"errors"
	"testing"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/storetest"
)

// TestKeyColumnEdited edits one key column of a session's row by hand, as
// someone with write access to the table could, leaving the record as it
// was. The row then never authenticates: a Lookup that finds it is
// ErrCorrupt (never the session of its record), Get of the session's ID
// does not return it, and a revocation of the member or the customer that
// the row's columns now name deletes it, because the revocations select
// by those columns.
func TestKeyColumnEdited(t *testing.T) {
	p := pool(t)
	otherMember := createParams(0, 1).Member.ID
	otherCustomer := createParams(1, 0).Customer.ID
	for _, tc := range []struct {
		column string
		// edit changes the column of session victim's row; thief is a
		// session of another member and customer, deleted before.
		edit string
		// steals: the row is now found by thief's token, not victim's.
		steals           bool
		member, customer string // what the row's columns name after the edit
		movesID          bool   // the row's id is no longer victim's
	}{
		{column: "id", edit: "SET id = gen_random_uuid() WHERE id = $1::uuid", movesID: true},
		{column: "token_hash", edit: "SET token_hash = $2::bytea WHERE id = $1::uuid", steals: true},
		{column: "member_id", edit: "SET member_id = '" + otherMember + "' WHERE id = $1::uuid", member: otherMember},
		{column: "customer_id", edit: "SET customer_id = '" + otherCustomer + "' WHERE id = $1::uuid", customer: otherCustomer},
	} {
		for _, by := range []string{"member", "customer"} {
			t.Run(tc.column+"/revoke "+by, func(t *testing.T) {
				table := migrated(t, p)
				clk := storetest.NewClock(farStart)
				s := newStore(t, p, table, &sessionstore.Options{Now: clk.Now, SweepInterval: -1})
				victim, err := s.Create(bg, createParams(0, 0))
				if err != nil {
					t.Fatal(err)
				}
				thief, err := s.Create(bg, createParams(1, 1))
				if err != nil {
					t.Fatal(err)
				}
				var thiefHash []byte
				if err := p.QueryRow(bg, "DELETE FROM "+s.b.t.quoted+" WHERE id = $1::uuid RETURNING token_hash", thief.ID).Scan(&thiefHash); err != nil {
					t.Fatal(err)
				}
				args := []any{victim.ID}
				if tc.steals {
					args = append(args, thiefHash)
				}
				tag, err := p.Exec(bg, "UPDATE "+s.b.t.quoted+" "+tc.edit, args...)
				if err != nil || tag.RowsAffected() != 1 {
					t.Fatalf("editing the %s column: %v, %d rows", tc.column, err, tag.RowsAffected())
				}
				var rowID string
				if err := p.QueryRow(bg, "SELECT id::text FROM "+s.b.t.quoted).Scan(&rowID); err != nil {
					t.Fatal(err)
				}

				tok, other := victim.Token, thief.Token
				if tc.steals {
					tok, other = thief.Token, victim.Token
				}
				if got, err := s.Lookup(bg, tok); !errors.Is(err, sessionstore.ErrCorrupt) {
					t.Errorf("Lookup of the row's token = %v, %v; want ErrCorrupt", got, err)
				}
				if got, err := s.Lookup(bg, other); !errors.Is(err, sessionstore.ErrNotFound) {
					t.Errorf("Lookup of a token no row holds = %v, %v; want ErrNotFound", got, err)
				}
				want := sessionstore.ErrCorrupt
				if tc.movesID {
					want = sessionstore.ErrNotFound
				}
				if got, err := s.Get(bg, victim.ID); !errors.Is(err, want) {
					t.Errorf("Get(%s) = %v, %v; want %v", victim.ID, got, err, want)
				}
				if got, err := s.Get(bg, rowID); !errors.Is(err, sessionstore.ErrCorrupt) {
					t.Errorf("Get of the row's id = %v, %v; want ErrCorrupt", got, err)
				}

				member, customer := tc.member, tc.customer
				if member == "" {
					member = victim.MemberID
				}
				if customer == "" {
					customer = victim.CustomerID
				}
				var n int
				if by == "member" {
					n, err = s.RevokeMember(bg, member)
				} else {
					n, err = s.RevokeCustomer(bg, customer)
				}
				if n != 0 || err != nil {
					t.Errorf("revoking the row's %s = %d, %v; want 0 sound sessions, no error", by, n, err)
				}
				var rows int
				if err := p.QueryRow(bg, "SELECT count(*) FROM "+s.b.t.quoted).Scan(&rows); err != nil || rows != 0 {
					t.Errorf("after revoking the row's %s: %d rows left (%v), want 0", by, rows, err)
				}
				if got, err := s.Lookup(bg, tok); !errors.Is(err, sessionstore.ErrNotFound) {
					t.Errorf("Lookup after the revocation = %v, %v; want ErrNotFound", got, err)
				}
			})
		}
	}
}
