package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/memberkit/sessionstore"
)

// The demo's fixed IDs. They are fixed so that sessions kept by the Badger
// store still match the directory after a restart.
const (
	demoOrganizationID = "a49b1aa5-27b9-450a-a402-d3dfc4747418"

	adaCustomerID  = "96922c92-d16d-493e-b970-499f63682b39"
	acmeCustomerID = "d00e94f2-b852-4314-8bcc-a15f04a131a4"

	adaMemberID   = "9164be06-a2ed-485f-9689-51b9c6681e30" // owner of her own account
	mariaMemberID = "7cb5a049-4dc2-46ca-8e31-559846af4029" // Acme's owner
	samMemberID   = "2811b5c6-cd44-4988-a02b-645f27922919" // Acme's billing manager
	leeMemberID   = "f7a91269-9272-4436-aa1c-2192f9e8f986" // Acme's member
)

// directory holds the customers and members the portal knows: what the
// create endpoint looks member_id up in. The portal keeps its own small
// demo set; a real application would read its database.
type directory struct {
	customers map[string]sessionstore.Customer
	members   map[string]sessionstore.Member
	order     []string // member IDs in display order
}

// member returns the member with this ID and its customer.
func (d *directory) member(id string) (sessionstore.Member, sessionstore.Customer, bool) {
	m, ok := d.members[id]
	if !ok {
		return sessionstore.Member{}, sessionstore.Customer{}, false
	}
	c, ok := d.customers[m.CustomerID]
	return m, c, ok
}

func ptr[T any](v T) *T { return &v }

// demoDirectory returns the demo data: an individual customer with its one
// owner, and the team "Acme Inc." with an owner, a billing manager and a
// member.
func demoDirectory() *directory {
	created := time.Date(2025, time.March, 14, 9, 26, 53, 0, time.UTC)
	individual := sessionstore.CustomerIndividual
	team := sessionstore.CustomerTeam

	ada := sessionstore.Customer{
		ID:            adaCustomerID,
		CreatedAt:     created,
		Metadata:      sessionstore.Metadata{"source": sessionstore.StringValue("newsletter")},
		Email:         "ada@lovelace.example",
		EmailVerified: true,
		Type:          &individual,
		Name:          ptr("Ada Lovelace"),
		BillingAddress: &sessionstore.Address{
			Line1:      ptr("12 St James's Square"),
			PostalCode: ptr("SW1Y 4JH"),
			City:       ptr("London"),
			Country:    "GB",
		},
		Locale:         ptr("en-GB"),
		OrganizationID: demoOrganizationID,
	}
	acme := sessionstore.Customer{
		ID:        acmeCustomerID,
		CreatedAt: created.Add(36 * time.Hour),
		Metadata: sessionstore.Metadata{
			"plan":           sessionstore.StringValue("business"),
			"seats":          sessionstore.IntValue(25),
			"annual_billing": sessionstore.BoolValue(true),
			"crm_id":         sessionstore.StringValue("ACME-0042"),
		},
		ExternalID:    ptr("acme-inc"),
		Email:         "billing@acme-inc.example",
		EmailVerified: true,
		Type:          &team,
		Name:          ptr("Acme Inc."),
		BillingAddress: &sessionstore.Address{
			Line1:      ptr("1 Market Street"),
			Line2:      ptr("Suite 300"),
			PostalCode: ptr("94105"),
			City:       ptr("San Francisco"),
			State:      ptr("CA"),
			Country:    "US",
		},
		TaxID:          &sessionstore.TaxID{Value: "911144442", Format: "us_ein"},
		Locale:         ptr("en-US"),
		OrganizationID: demoOrganizationID,
	}

	members := []sessionstore.Member{
		{ID: adaMemberID, CreatedAt: ada.CreatedAt, CustomerID: adaCustomerID,
			Email: "ada@lovelace.example", Name: ptr("Ada Lovelace"), Role: sessionstore.RoleOwner},
		{ID: mariaMemberID, CreatedAt: acme.CreatedAt, CustomerID: acmeCustomerID,
			Email: "maria.garcia@acme-inc.example", Name: ptr("Maria Garcia"), ExternalID: ptr("emp-0001"),
			Role: sessionstore.RoleOwner},
		{ID: samMemberID, CreatedAt: acme.CreatedAt.Add(20 * time.Minute), CustomerID: acmeCustomerID,
			Email: "sam.okafor@acme-inc.example", Name: ptr("Sam Okafor"), ExternalID: ptr("emp-0017"),
			Role: sessionstore.RoleBillingManager},
		{ID: leeMemberID, CreatedAt: acme.CreatedAt.Add(49 * time.Hour), CustomerID: acmeCustomerID,
			Email: "lee.chen+portal@acme-inc.example", Name: ptr("Lee Chen"), ExternalID: ptr("emp-0042"),
			Role: sessionstore.RoleMember},
	}

	d := &directory{
		customers: map[string]sessionstore.Customer{ada.ID: ada, acme.ID: acme},
		members:   make(map[string]sessionstore.Member),
	}
	for _, m := range members {
		d.members[m.ID] = m
		d.order = append(d.order, m.ID)
	}
	return d
}

// demoLink is one member's portal link, printed at start.
type demoLink struct {
	Member   sessionstore.Member
	Customer sessionstore.Customer
	URL      string
}

// createDemoSessions creates a portal link for every member of the
// directory and returns them. A member's earlier links that no browser has
// exchanged (such as those printed by the last start) are revoked first,
// so restarts do not pile links up; a link a browser signed in with stays,
// since revoking a link signs out what it opened.
func (s *server) createDemoSessions(ctx context.Context) ([]demoLink, error) {
	var links []demoLink
	for _, id := range s.dir.order {
		m, c, _ := s.dir.member(id)
		old, err := s.store.ListByMember(ctx, m.ID)
		if err != nil {
			return nil, fmt.Errorf("portal: listing the sessions of %s: %w", m.Email, err)
		}
		exchanged := map[string]bool{}
		for _, x := range old {
			exchanged[x.LinkID] = true
		}
		for _, x := range old {
			if x.Kind != sessionstore.KindLink || exchanged[x.ID] {
				continue
			}
			if err := s.store.Revoke(ctx, x.ID); err != nil && !errors.Is(err, sessionstore.ErrNotFound) {
				return nil, fmt.Errorf("portal: revoking an old link of %s: %w", m.Email, err)
			}
		}
		sess, err := s.store.Create(ctx, sessionstore.CreateParams{Member: m, Customer: c})
		if err != nil {
			return nil, fmt.Errorf("portal: creating a session for %s: %w", m.Email, err)
		}
		links = append(links, demoLink{Member: m, Customer: c, URL: sess.MemberPortalURL})
	}
	return links, nil
}
