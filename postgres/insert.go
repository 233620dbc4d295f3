package postgres

import (
	"context"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
)

// Insert implements backend.Backend: one statement, which takes the shared
// locks of the member and the customer and writes the row.
func (b *storage) Insert(ctx context.Context, rec *backend.Record) error {
	if b.closed.Load() {
		return sessionstore.ErrClosed
	}
	data, err := rec.MarshalBinary()
	if err != nil {
		return opError("insert", err)
	}
	_, err = b.pool.Exec(ctx, b.q.insert,
		groupLock(b.oid, "m", rec.MemberID()), groupLock(b.oid, "c", rec.CustomerID()),
		rec.TokenHash[:], rec.ID, rec.MemberID(), rec.CustomerID(),
		rec.CreatedAt, rec.ExpiresAt, nullTime(rec.ModifiedAt), nullText(rec.ReturnURL), data)
	if err != nil {
		return opError("insert", err)
	}
	return nil
}

// nullTime is t, or NULL for the zero time.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// nullText is s, or NULL for "".
func nullText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
