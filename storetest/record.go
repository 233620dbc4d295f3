package storetest

import (
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/token"
)

// recordID returns the ID of record n: a lowercase hyphenated UUIDv4 that
// encodes n.
func recordID(n int) string {
	return fmt.Sprintf("5e551000-%04x-4d00-a000-%012x", (n>>48)&0xffff, uint64(n)&0xffffffffffff)
}

// routeOf returns the route of r's token and ID, as the engine makes
// them: the route of its customer.
func routeOf(r *backend.Record) backend.Route { return backend.RouteOf(r.CustomerID()) }

// recordHash returns the token hash of record n.
func recordHash(n int) token.Hash {
	return sha256.Sum256(fmt.Appendf(nil, "storetest record %d", n))
}

// NewRecord returns record number n (n >= 0) as the engine hands it to a
// backend: a session of member m (NewMember) of customer c (NewCustomer),
// created at StartTime, expiring at expiresAt, never modified and without a
// return URL, with an ID (a UUIDv4 carrying the customer's route, see backend.IDRoute)
// and a token hash that encode n. Every time in
// it is in UTC to the microsecond (expiresAt is truncated), as the engine
// stores times. Each call returns a fresh record that shares no memory with
// any other.
func NewRecord(n, c, m int, expiresAt time.Time) *backend.Record {
	cust := wantCustomer(NewCustomer(c))
	mem := wantMember(NewMember(cust.ID, m))
	return &backend.Record{
		ID:              backend.WithRoute(recordID(n), backend.RouteOf(cust.ID)),
		TokenHash:       recordHash(n),
		CreatedAt:       utcMicro(StartTime()),
		ExpiresAt:       utcMicro(expiresAt),
		Kind:            sessionstore.KindLink,
		AuthenticatedAt: utcMicro(StartTime()),
		Member:          &mem,
		Customer:        &cust,
	}
}

// recordDiff names the first field in which got differs from want (times
// compared by instant, member and customer by value), or returns "".
func recordDiff(got, want *backend.Record) string {
	switch {
	case got == nil || want == nil:
		if got != want {
			return "presence"
		}
		return ""
	case got.ID != want.ID:
		return "ID"
	case got.TokenHash != want.TokenHash:
		return "TokenHash"
	case !got.CreatedAt.Equal(want.CreatedAt):
		return "CreatedAt"
	case !got.ModifiedAt.Equal(want.ModifiedAt):
		return "ModifiedAt"
	case !got.ExpiresAt.Equal(want.ExpiresAt):
		return "ExpiresAt"
	case got.ReturnURL != want.ReturnURL:
		return "ReturnURL"
	case got.Kind != want.Kind:
		return "Kind"
	case !got.AuthenticatedAt.Equal(want.AuthenticatedAt):
		return "AuthenticatedAt"
	case got.LinkID != want.LinkID:
		return "LinkID"
	case got.DeviceLabel != want.DeviceLabel:
		return "DeviceLabel"
	case got.Member == nil || !got.Member.Equal(*want.Member):
		return "Member"
	case got.Customer == nil || !got.Customer.Equal(*want.Customer):
		return "Customer"
	}
	return ""
}
