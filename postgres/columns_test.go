package postgres

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/storetest"
)

// TestReadableColumns: the plain columns a DBA queries hold what the
// record holds, for a link and for the device session exchanged from it.
func TestReadableColumns(t *testing.T) {
	p := pool(t)
	clk := storetest.NewClock(farStart)
	s := newStore(t, p, migrated(t, p), &sessionstore.Options{Now: clk.Now, SweepInterval: -1})
	link, err := s.Create(bg, createParams(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	dev, err := s.Exchange(bg, link.Token, sessionstore.ExchangeParams{DeviceLabel: "Firefox on Linux"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []*sessionstore.MemberSession{link, dev} {
		var kind, label pgtype.Text
		var authAt pgtype.Timestamptz
		var linkID pgtype.UUID
		err := p.QueryRow(bg, "SELECT kind, authenticated_at, link_id, device_label FROM "+s.b.t.quoted+" WHERE id = $1::uuid", want.ID).
			Scan(&kind, &authAt, &linkID, &label)
		if err != nil {
			t.Fatal(err)
		}
		if kind.String != string(want.Kind) || !authAt.Time.Equal(want.AuthenticatedAt) || label.String != want.DeviceLabel {
			t.Errorf("%s row: kind %q, authenticated_at %v, device_label %q; want %q, %v, %q",
				want.Kind, kind.String, authAt.Time, label.String, want.Kind, want.AuthenticatedAt, want.DeviceLabel)
		}
		gotLink := ""
		if linkID.Valid {
			v, _ := linkID.Value()
			gotLink, _ = v.(string)
		}
		if gotLink != want.LinkID {
			t.Errorf("%s row: link_id %q, want %q", want.Kind, gotLink, want.LinkID)
		}
	}
	if dev.LinkID != link.ID || !dev.AuthenticatedAt.Equal(link.CreatedAt) {
		t.Errorf("device session: link %q authenticated %v; want %q, %v", dev.LinkID, dev.AuthenticatedAt, link.ID, link.CreatedAt)
	}
}

// TestMigrateFromVersion1: a table of the first schema version is refused
// by New until Migrate adds the columns, and its rows keep working.
func TestMigrateFromVersion1(t *testing.T) {
	p := pool(t)
	table := testTable(t, p)
	tb := parseTableMust(t, table)
	step1, err := schemaFS.ReadFile(migrations[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Exec(bg, "CREATE TABLE "+tb.version+" (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Exec(bg, expand(string(step1), tb)); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Exec(bg, "INSERT INTO "+tb.version+" (version) VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	_, err = New(p, &Options{Table: table})
	if !errors.Is(err, ErrNotMigrated) || !strings.Contains(err.Error(), "version 1") {
		t.Fatalf("New on schema version 1 = %v, want ErrNotMigrated naming version 1", err)
	}
	if err := Migrate(bg, p, &Options{Table: table}); err != nil {
		t.Fatal(err)
	}
	clk := storetest.NewClock(farStart)
	s := newStore(t, p, table, &sessionstore.Options{Now: clk.Now, SweepInterval: -1})
	link, err := s.Create(bg, createParams(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	// A row written before the columns existed has NULL there: the record
	// decides.
	if _, err := p.Exec(bg, "UPDATE "+tb.quoted+" SET kind = NULL, authenticated_at = NULL WHERE id = $1::uuid", link.ID); err != nil {
		t.Fatal(err)
	}
	got, err := s.Lookup(bg, link.Token)
	if err != nil || got.Kind != sessionstore.KindLink {
		t.Fatalf("Lookup of a row without the new columns = %v, %v", got, err)
	}
}
