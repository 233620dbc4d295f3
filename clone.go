package sessionstore

// clonePtr returns a new pointer to a copy of *p, or nil.
func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// clone returns a copy of m that shares no memory with it.
func (m Member) clone() Member {
	m.ModifiedAt = clonePtr(m.ModifiedAt)
	m.Name = clonePtr(m.Name)
	m.ExternalID = clonePtr(m.ExternalID)
	return m
}

// clone returns a copy of c that shares no memory with it.
func (c Customer) clone() Customer {
	c.ModifiedAt = clonePtr(c.ModifiedAt)
	c.Metadata = c.Metadata.Clone()
	c.ExternalID = clonePtr(c.ExternalID)
	c.Type = clonePtr(c.Type)
	c.Name = clonePtr(c.Name)
	if c.BillingAddress != nil {
		a := c.BillingAddress.clone()
		c.BillingAddress = &a
	}
	c.TaxID = clonePtr(c.TaxID)
	c.Locale = clonePtr(c.Locale)
	c.DeletedAt = clonePtr(c.DeletedAt)
	return c
}

// clone returns a copy of a that shares no memory with it.
func (a Address) clone() Address {
	a.Line1 = clonePtr(a.Line1)
	a.Line2 = clonePtr(a.Line2)
	a.PostalCode = clonePtr(a.PostalCode)
	a.City = clonePtr(a.City)
	a.State = clonePtr(a.State)
	return a
}
