package sessionstore

import (
	"fmt"
	"log/slog"
	"time"
)

// MemberRole is a member's role within its customer.
type MemberRole string

// The member roles Polar defines. A customer has at most one owner.
const (
	RoleOwner          MemberRole = "owner"
	RoleBillingManager MemberRole = "billing_manager"
	RoleMember         MemberRole = "member"
)

// Valid reports whether r is one of the three roles.
func (r MemberRole) Valid() bool {
	return r == RoleOwner || r == RoleBillingManager || r == RoleMember
}

// CustomerType tells an individual customer from a team.
type CustomerType string

// The customer types. A nil Customer.Type means individual, and is written
// to JSON as "individual".
const (
	CustomerIndividual CustomerType = "individual"
	CustomerTeam       CustomerType = "team"
)

// MemberSession is a session that lets one member of a customer into the
// customer portal. Its JSON form is Polar's wire format, with token and
// member_portal_url written as "": the create response that must carry
// them is the JSON of WithCredentials(s).
//
// Token and MemberPortalURL are filled only by Create and Lookup; Get and the
// list methods return them empty, because the store keeps only a hash of the
// token. Neither ever shows when a MemberSession or a *MemberSession is
// formatted with the fmt verbs or logged with log/slog's JSON or text
// handler, on its own or inside a slice, map, array or struct. fmt reaches
// the fields without calling any method of the session in two cases, which
// this type cannot guard: %p of a session value (which go vet reports) and
// a session value in an unexported field of another struct; hold it by
// pointer there.
//
// A MemberSession returned by a Store belongs to the caller: it shares no
// memory with the store.
type MemberSession struct {
	CreatedAt  time.Time
	ModifiedAt *time.Time
	ID         string
	Token      string
	ExpiresAt  time.Time
	// LastUsedAt is when a Lookup (or Extend) last recorded a use of the
	// session, at most once per Options.LastUseInterval (default five
	// minutes); nil until the first recorded use, and always nil with
	// recording turned off. It is not part of Polar's wire format:
	// MarshalJSON does not write it and UnmarshalJSON leaves it nil.
	LastUsedAt *time.Time
	// Kind tells how the session was made: a portal link, a device session
	// exchanged from one, or a sign-in. It is not part of Polar's wire
	// format.
	Kind SessionKind
	// AuthenticatedAt is when the member last proved who they are for this
	// session: the creation of the link (for a link and every device
	// session exchanged from it) or of the sign-in. Options.MaxTTL counts
	// from it, so no chain of exchanges and extensions authenticates past
	// AuthenticatedAt+MaxTTL. It is not part of Polar's wire format.
	AuthenticatedAt time.Time
	// LinkID is the ID of the link a device session was exchanged from; ""
	// for other kinds. It is not part of Polar's wire format.
	LinkID string
	// DeviceLabel names the device the session is for, as given to Create
	// or Exchange; "" for none. It is not part of Polar's wire format.
	DeviceLabel     string
	ReturnURL       *string
	MemberPortalURL string
	MemberID        string
	Member          Member
	CustomerID      string
	Customer        Customer
}

// Member is a member of a customer: the person a session authenticates.
type Member struct {
	ID         string
	CreatedAt  time.Time
	ModifiedAt *time.Time
	CustomerID string
	Email      string
	Name       *string
	ExternalID *string
	Role       MemberRole
}

// Customer is a customer in an organization; its members sign in to its
// portal. A customer with DeletedAt set is soft-deleted and cannot
// authenticate.
//
// The fields follow Polar's Customer of API version 2026-04 (the
// CustomerIndividual and CustomerTeam schemas of Polar's SDK). Three of its
// nullable strings are plain Go strings where "" stands for JSON null:
// Email (null only for a team customer; an individual customer must have
// one), AvatarURL, and the two elements of TaxID. None of them is ever a
// meaningful empty string at Polar, so nothing is lost, and code written
// before they became nullable keeps compiling.
type Customer struct {
	ID         string
	CreatedAt  time.Time
	ModifiedAt *time.Time
	Metadata   Metadata
	ExternalID *string
	// Email is the customer's email address, or "" for none (JSON null),
	// which only a team customer may have.
	Email         string
	EmailVerified bool
	// Type is individual or team; nil means individual.
	Type *CustomerType
	Name *string
	// BillingName is the name on the customer's invoices; nil means Polar
	// falls back to Name.
	BillingName    *string
	BillingAddress *Address
	TaxID          *TaxID
	Locale         *string
	OrganizationID string
	// DefaultPaymentMethodID is the ID of the customer's default payment
	// method, if any.
	DefaultPaymentMethodID *string
	DeletedAt              *time.Time
	// AvatarURL is the customer's avatar image, or "" for none (JSON null).
	AvatarURL string
}

// Address is a customer's billing address. Country is an ISO 3166-1 alpha-2
// code; the other fields are optional.
type Address struct {
	Line1      *string
	Line2      *string
	PostalCode *string
	City       *string
	State      *string
	Country    string
}

// TaxID is a customer's tax identifier: the value and its format, such as
// {"911144442", "us_ein"}. Its JSON form is a two-element array; Polar
// allows either element to be null, which is "" here.
type TaxID struct {
	Value  string
	Format string
}

// redacted is what a token looks like when a session is printed or logged.
const redacted = "[REDACTED]"

// String describes the session without its token or portal URL.
func (s MemberSession) String() string {
	return fmt.Sprintf("MemberSession{ID:%s MemberID:%s CustomerID:%s ExpiresAt:%s}",
		s.ID, s.MemberID, s.CustomerID, s.ExpiresAt.Format(time.RFC3339))
}

// GoString is String, so that %#v does not print the token either.
func (s MemberSession) GoString() string { return s.String() }

// Format prints the session for every fmt verb without its token.
func (s MemberSession) Format(f fmt.State, verb rune) {
	_, _ = f.Write([]byte(s.String()))
}

// LogValue describes the session to log/slog without its token or portal URL.
func (s MemberSession) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("id", s.ID),
		slog.String("member_id", s.MemberID),
		slog.String("customer_id", s.CustomerID),
		slog.Time("expires_at", s.ExpiresAt),
	}
	if s.Token != "" {
		attrs = append(attrs, slog.String("token", redacted))
	}
	return slog.GroupValue(attrs...)
}
