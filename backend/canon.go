package backend

import "github.com/memberkit/sessionstore"

// canonMember returns the snapshot of a valid m that a session keeps: a deep
// copy with its times in UTC to the microsecond and an empty name as none.
func canonMember(m sessionstore.Member) sessionstore.Member {
	m = m.Clone()
	if m.Name != nil && *m.Name == "" {
		m.Name = nil
	}
	m.CreatedAt = stamp(m.CreatedAt)
	m.ModifiedAt = stampPtr(m.ModifiedAt)
	return m
}

// canonCustomer returns the snapshot of a valid c that a session keeps: a
// deep copy with its times in UTC to the microsecond.
func canonCustomer(c sessionstore.Customer) sessionstore.Customer {
	c = c.Clone()
	c.CreatedAt = stamp(c.CreatedAt)
	c.ModifiedAt = stampPtr(c.ModifiedAt)
	c.DeletedAt = stampPtr(c.DeletedAt)
	return c
}
