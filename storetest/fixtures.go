package storetest

import (
	"crypto/md5"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/memberkit/sessionstore"
)

// OrganizationID is the organization every NewCustomer customer belongs to.
const OrganizationID = "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d"

// CustomerID returns the ID NewCustomer(n) gives its customer: a lowercase
// hyphenated UUIDv4 that encodes n. n must not be negative.
func CustomerID(n int) string {
	return fmt.Sprintf("c0ffee00-%04x-4c00-8000-%012x", (n>>48)&0xffff, uint64(n)&0xffffffffffff)
}

// MemberID returns the ID NewMember(customerID, n) gives its member: a
// lowercase hyphenated UUIDv4 derived from customerID and n, so that members
// of different customers never share an ID. n must not be negative.
func MemberID(customerID string, n int) string {
	return fmt.Sprintf("%08x-%04x-4b00-9000-%012x", fnv32(customerID), (n>>48)&0xffff, uint64(n)&0xffffffffffff)
}

func fnv32(s string) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(s))
	return h.Sum32()
}

func ptr[T any](v T) *T { return &v }

// NewCustomer returns a realistic team customer numbered n (n >= 0) with ID
// CustomerID(n): metadata of all four kinds (string, integer, float,
// boolean), a billing address, a US EIN tax ID, a locale and an avatar URL;
// about 600 bytes as JSON. Its CreatedAt and ModifiedAt carry nanoseconds
// below the microsecond, which a store must truncate. Each call returns a
// fresh value that shares no memory with any other.
func NewCustomer(n int) sessionstore.Customer {
	id := CustomerID(n)
	created := time.Date(2025, time.November, 30, 8, 30, 0, 500000789, time.UTC).Add(time.Duration(n) * time.Hour)
	modified := time.Date(2026, time.January, 2, 12, 0, 0, 999, time.UTC).Add(time.Duration(n) * time.Minute)
	team := sessionstore.CustomerTeam
	return sessionstore.Customer{
		ID:         id,
		CreatedAt:  created,
		ModifiedAt: &modified,
		Metadata: sessionstore.Metadata{
			"plan":  sessionstore.StringValue("pro"),
			"seats": sessionstore.IntValue(int64(5 + n)),
			"ratio": sessionstore.FloatValue(1.5),
			"beta":  sessionstore.BoolValue(n%2 == 0),
		},
		ExternalID:    ptr(fmt.Sprintf("cus_%06d", n)),
		Email:         fmt.Sprintf("billing+%d@acme-%d.example.com", n, n),
		EmailVerified: true,
		Type:          &team,
		Name:          ptr(fmt.Sprintf("Acme Team %d", n)),
		BillingAddress: &sessionstore.Address{
			Line1:      ptr(fmt.Sprintf("%d Market Street", 100+n)),
			Line2:      ptr("Suite 300"),
			PostalCode: ptr("94105"),
			City:       ptr("San Francisco"),
			State:      ptr("US-CA"),
			Country:    "US",
		},
		TaxID:          &sessionstore.TaxID{Value: fmt.Sprintf("91114%04d", n%10000), Format: "us_ein"},
		Locale:         ptr("en-US"),
		OrganizationID: OrganizationID,
		AvatarURL:      fmt.Sprintf("https://www.gravatar.com/avatar/%x?d=404", md5.Sum([]byte(fmt.Sprintf("billing+%d@acme-%d.example.com", n, n)))),
	}
}

// NewMember returns member number n (n >= 0) of the customer customerID,
// with ID MemberID(customerID, n). Member 0 is the owner, odd members are
// plain members and other even ones billing managers. The email contains a
// '+', which a portal URL must form-encode as %2B. Its CreatedAt (and, for
// odd n, ModifiedAt) carry nanoseconds below the microsecond. Each call
// returns a fresh value that shares no memory with any other.
func NewMember(customerID string, n int) sessionstore.Member {
	role := sessionstore.RoleBillingManager
	switch {
	case n == 0:
		role = sessionstore.RoleOwner
	case n%2 == 1:
		role = sessionstore.RoleMember
	}
	created := time.Date(2025, time.December, 1, 9, 0, 0, 123456789, time.UTC).Add(time.Duration(n) * time.Hour)
	m := sessionstore.Member{
		ID:         MemberID(customerID, n),
		CreatedAt:  created,
		CustomerID: customerID,
		Email:      fmt.Sprintf("member+%d@team-%08x.example.com", n, fnv32(customerID)),
		Name:       ptr(fmt.Sprintf("Member %d", n)),
		ExternalID: ptr(fmt.Sprintf("usr_%d_%08x", n, fnv32(customerID))),
		Role:       role,
	}
	if n%2 == 1 {
		modified := created.Add(36*time.Hour + 7)
		m.ModifiedAt = &modified
	}
	return m
}
