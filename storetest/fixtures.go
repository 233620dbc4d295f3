package storetest

import (
	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/internal/fixture"
)

// OrganizationID is the organization every NewCustomer customer belongs to:
// 0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d.
const OrganizationID = fixture.OrganizationID

// CustomerID returns the ID NewCustomer(n) gives its customer: a lowercase
// hyphenated UUIDv4 that encodes n. n must not be negative.
func CustomerID(n int) string { return fixture.CustomerID(n) }

// MemberID returns the ID NewMember(customerID, n) gives its member: a
// lowercase hyphenated UUIDv4 derived from customerID and n, so that members
// of different customers never share an ID. n must not be negative.
func MemberID(customerID string, n int) string { return fixture.MemberID(customerID, n) }

func ptr[T any](v T) *T { return &v }

// NewCustomer returns a realistic team customer numbered n (n >= 0) with ID
// CustomerID(n): metadata of all four kinds (string, integer, float,
// boolean), a billing name and address, a US EIN tax ID, a locale, a
// default payment method and an avatar URL; about 700 bytes as JSON. Its
// CreatedAt and ModifiedAt carry nanoseconds below the microsecond, which a
// store must truncate. Each call returns a fresh value that shares no memory
// with any other.
func NewCustomer(n int) sessionstore.Customer { return fixture.Customer(n) }

// NewMember returns member number n (n >= 0) of the customer customerID,
// with ID MemberID(customerID, n). Member 0 is the owner, odd members are
// plain members and other even ones billing managers. The email contains a
// '+', which a portal URL must form-encode as %2B. Its CreatedAt (and, for
// odd n, ModifiedAt) carry nanoseconds below the microsecond. Each call
// returns a fresh value that shares no memory with any other.
func NewMember(customerID string, n int) sessionstore.Member { return fixture.Member(customerID, n) }
