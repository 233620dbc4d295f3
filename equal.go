package sessionstore

import "time"

// Equal reports whether m and o hold the same values (pointers compared by
// what they point to, times by instant).
func (m Member) Equal(o Member) bool {
	return m.ID == o.ID && m.CreatedAt.Equal(o.CreatedAt) && equalTime(m.ModifiedAt, o.ModifiedAt) &&
		m.CustomerID == o.CustomerID && m.Email == o.Email && equalPtr(m.Name, o.Name) &&
		equalPtr(m.ExternalID, o.ExternalID) && m.Role == o.Role
}

// Equal reports whether c and o hold the same values (pointers compared by
// what they point to, times by instant, metadata by key and value).
func (c Customer) Equal(o Customer) bool {
	if c.ID != o.ID || !c.CreatedAt.Equal(o.CreatedAt) || !equalTime(c.ModifiedAt, o.ModifiedAt) ||
		!equalPtr(c.ExternalID, o.ExternalID) || c.Email != o.Email || c.EmailVerified != o.EmailVerified ||
		!equalPtr(c.Type, o.Type) || !equalPtr(c.Name, o.Name) || !equalPtr(c.TaxID, o.TaxID) ||
		!equalPtr(c.Locale, o.Locale) || c.OrganizationID != o.OrganizationID ||
		!equalPtr(c.BillingName, o.BillingName) || !equalPtr(c.DefaultPaymentMethodID, o.DefaultPaymentMethodID) ||
		!equalTime(c.DeletedAt, o.DeletedAt) || c.AvatarURL != o.AvatarURL {
		return false
	}
	if (c.BillingAddress == nil) != (o.BillingAddress == nil) {
		return false
	}
	if a, b := c.BillingAddress, o.BillingAddress; a != nil && (a.Country != b.Country ||
		!equalPtr(a.Line1, b.Line1) || !equalPtr(a.Line2, b.Line2) || !equalPtr(a.PostalCode, b.PostalCode) ||
		!equalPtr(a.City, b.City) || !equalPtr(a.State, b.State)) {
		return false
	}
	if len(c.Metadata) != len(o.Metadata) || (c.Metadata == nil) != (o.Metadata == nil) {
		return false
	}
	for k, v := range c.Metadata {
		if w, ok := o.Metadata[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func equalPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func equalTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
