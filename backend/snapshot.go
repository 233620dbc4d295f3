package backend

import (
	"maps"
	"time"

	"github.com/memberkit/sessionstore"
)

// sessionBlock is a MemberSession together with the values its pointer
// fields point to, so that handing out a private copy of a stored session
// costs one allocation (plus the metadata map) instead of one per field.
// Strings are immutable and are shared as they are.
type sessionBlock struct {
	s sessionstore.MemberSession

	modifiedAt, lastUsedAt, memberModifiedAt, customerModifiedAt, deletedAt time.Time

	returnURL, memberName, memberExternalID string
	customerExternalID, customerName        string
	billingName, defaultPaymentMethodID     string
	locale                                  string
	customerType                            sessionstore.CustomerType
	taxID                                   sessionstore.TaxID
	address                                 sessionstore.Address
	line1, line2, postalCode, city, state   string
}

// copyInto points dst at a copy of *src kept in slot, or sets it to nil.
func copyInto[T any](dst **T, src *T, slot *T) {
	if src == nil {
		*dst = nil
		return
	}
	*slot = *src
	*dst = slot
}

// session returns the caller's copy of r, without token: one allocation
// for the session and everything its pointers reach, one for the metadata.
func (r *Record) session() *sessionstore.MemberSession {
	b := &sessionBlock{}
	s := r.header(&b.s, &b.modifiedAt, &b.lastUsedAt, &b.returnURL)
	m := &s.Member
	copyInto(&m.ModifiedAt, m.ModifiedAt, &b.memberModifiedAt)
	copyInto(&m.Name, m.Name, &b.memberName)
	copyInto(&m.ExternalID, m.ExternalID, &b.memberExternalID)

	c := &s.Customer
	c.Metadata = maps.Clone(c.Metadata)
	copyInto(&c.ModifiedAt, c.ModifiedAt, &b.customerModifiedAt)
	copyInto(&c.ExternalID, c.ExternalID, &b.customerExternalID)
	copyInto(&c.Type, c.Type, &b.customerType)
	copyInto(&c.Name, c.Name, &b.customerName)
	copyInto(&c.BillingName, c.BillingName, &b.billingName)
	copyInto(&c.DefaultPaymentMethodID, c.DefaultPaymentMethodID, &b.defaultPaymentMethodID)
	copyInto(&c.TaxID, c.TaxID, &b.taxID)
	copyInto(&c.Locale, c.Locale, &b.locale)
	copyInto(&c.DeletedAt, c.DeletedAt, &b.deletedAt)
	if c.BillingAddress != nil {
		copyInto(&c.BillingAddress, c.BillingAddress, &b.address)
		a := c.BillingAddress
		copyInto(&a.Line1, a.Line1, &b.line1)
		copyInto(&a.Line2, a.Line2, &b.line2)
		copyInto(&a.PostalCode, a.PostalCode, &b.postalCode)
		copyInto(&a.City, a.City, &b.city)
		copyInto(&a.State, a.State, &b.state)
	}
	return s
}

// handOver returns r as a session without copying its member and customer
// snapshots, which it takes over. Only for records nothing else holds: one
// a PrivateRecords backend returned, or one the engine built and such a
// backend did not keep.
func (r *Record) handOver() *sessionstore.MemberSession {
	b := &struct {
		s          sessionstore.MemberSession
		modifiedAt time.Time
		lastUsedAt time.Time
		returnURL  string
	}{}
	return r.header(&b.s, &b.modifiedAt, &b.lastUsedAt, &b.returnURL)
}

// header fills s from r, with shallow copies of the member and customer,
// keeping the modified_at, last-use and return_url values in the slots
// given.
func (r *Record) header(s *sessionstore.MemberSession, modifiedAt, lastUsedAt *time.Time, returnURL *string) *sessionstore.MemberSession {
	s.CreatedAt = r.CreatedAt
	s.ID = r.ID
	s.ExpiresAt = r.ExpiresAt
	s.Kind = r.Kind
	s.AuthenticatedAt = r.authAt()
	s.LinkID = r.LinkID
	s.DeviceLabel = r.DeviceLabel
	if !r.ModifiedAt.IsZero() {
		*modifiedAt = r.ModifiedAt
		s.ModifiedAt = modifiedAt
	}
	if !r.LastUsedAt.IsZero() {
		*lastUsedAt = r.LastUsedAt
		s.LastUsedAt = lastUsedAt
	}
	if r.ReturnURL != "" {
		*returnURL = r.ReturnURL
		s.ReturnURL = returnURL
	}
	s.MemberID = r.Member.ID
	s.Member = *r.Member
	s.CustomerID = r.Customer.ID
	s.Customer = *r.Customer
	return s
}
