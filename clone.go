package sessionstore

// clonePtr returns a new pointer to a copy of *p, or nil.
func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// Clone returns a deep copy of m: it shares no pointer with m.
func (m Member) Clone() Member {
	m.ModifiedAt = clonePtr(m.ModifiedAt)
	m.Name = clonePtr(m.Name)
	m.ExternalID = clonePtr(m.ExternalID)
	return m
}

// Clone returns a deep copy of c: it shares no pointer or map with c.
func (c Customer) Clone() Customer {
	c.ModifiedAt = clonePtr(c.ModifiedAt)
	c.Metadata = c.Metadata.Clone()
	c.ExternalID = clonePtr(c.ExternalID)
	c.Type = clonePtr(c.Type)
	c.Name = clonePtr(c.Name)
	c.BillingName = clonePtr(c.BillingName)
	if c.BillingAddress != nil {
		a := c.BillingAddress.Clone()
		c.BillingAddress = &a
	}
	c.TaxID = clonePtr(c.TaxID)
	c.Locale = clonePtr(c.Locale)
	c.DefaultPaymentMethodID = clonePtr(c.DefaultPaymentMethodID)
	c.DeletedAt = clonePtr(c.DeletedAt)
	return c
}

// Clone returns a deep copy of a: it shares no pointer with a.
func (a Address) Clone() Address {
	a.Line1 = clonePtr(a.Line1)
	a.Line2 = clonePtr(a.Line2)
	a.PostalCode = clonePtr(a.PostalCode)
	a.City = clonePtr(a.City)
	a.State = clonePtr(a.State)
	return a
}

// Clone returns a deep copy of s, token included: it shares no pointer or
// map with s.
func (s MemberSession) Clone() MemberSession {
	s.ModifiedAt = clonePtr(s.ModifiedAt)
	s.LastUsedAt = clonePtr(s.LastUsedAt)
	s.ReturnURL = clonePtr(s.ReturnURL)
	s.Member = s.Member.Clone()
	s.Customer = s.Customer.Clone()
	return s
}
