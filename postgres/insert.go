package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/token"
)

// Insert implements backend.Backend. Without admit it is one statement,
// which takes the shared locks of the member and the customer and writes
// the row. With admit it takes the member's lock in exclusive mode and
// inserts only if the member has fewer than admit.Limit rows, in one round
// trip; a member at the cap goes to insertAdmitting.
func (b *storage) Insert(ctx context.Context, rec *backend.Record, admit *backend.Admission) error {
	if b.closed.Load() {
		return sessionstore.ErrClosed
	}
	data, err := rec.MarshalBinary()
	if err != nil {
		return opError("insert", err)
	}
	locks := []any{groupLock(b.oid, "m", rec.MemberID()), groupLock(b.oid, "c", rec.CustomerID())}
	if admit == nil {
		_, err = b.pool.Exec(ctx, b.q.insert, append(locks, insertArgs(rec, data)...)...)
		if err != nil {
			return opError("insert", err)
		}
		return nil
	}
	if admit.Always() {
		return b.insertAdmittingErr(ctx, rec, data, locks, admit)
	}
	// One batch is one implicit transaction: the locks of the first
	// statement are held until the second has committed, and the second
	// takes its snapshot after they were granted.
	var batch pgx.Batch
	batch.Queue(b.q.lockAdmit, locks...)
	batch.Queue(b.q.insertAdmit, append(insertArgs(rec, data), admit.Limit)...)
	results := b.pool.SendBatch(ctx, &batch)
	_, err = results.Exec()
	var tag pgconn.CommandTag
	if err == nil {
		tag, err = results.Exec()
	}
	if cerr := results.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return opError("insert", err)
	case tag.RowsAffected() == 1:
		return nil
	}
	return b.insertAdmittingErr(ctx, rec, data, locks, admit)
}

// insertAdmittingErr is insertAdmitting with its error as Insert returns
// it: an error of Evict as it is, any other wrapped.
func (b *storage) insertAdmittingErr(ctx context.Context, rec *backend.Record, data []byte, locks []any, admit *backend.Admission) error {
	err := b.insertAdmitting(ctx, rec, data, locks, admit)
	var final *finalError
	switch {
	case errors.As(err, &final):
		return final.err
	case err != nil:
		return opError("insert", err)
	}
	return nil
}

// insertAdmitting inserts rec into a member at the cap, in one transaction
// that holds the member's lock in exclusive mode (and the customer's in
// shared mode): it reads and locks the member's rows, asks admit which to
// evict, deletes those and inserts rec. Rows that cannot be decoded take no
// place, since they cannot authenticate.
func (b *storage) insertAdmitting(ctx context.Context, rec *backend.Record, data []byte, locks []any, admit *backend.Admission) error {
	return inTx(ctx, b.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, b.q.lockAdmit, locks...); err != nil {
			return err
		}
		stored, err := readRecords(ctx, tx, b.q.lockMember, backend.Selector{Index: backend.IndexMember, Key: rec.MemberID()})
		if err != nil {
			return err
		}
		mine := make(map[*backend.Record]bool, len(stored))
		for _, r := range stored {
			mine[r] = true
		}
		evicted, err := admit.Evict(stored)
		if err != nil {
			return &finalError{err}
		}
		var evict [][]byte
		for _, r := range evicted {
			if mine[r] {
				evict = append(evict, r.TokenHash[:])
				delete(mine, r)
			}
		}
		var batch pgx.Batch
		if len(evict) > 0 {
			batch.Queue(b.q.delete, evict)
		}
		batch.Queue(b.q.insertLocked, insertArgs(rec, data)...)
		return tx.SendBatch(ctx, &batch).Close()
	})
}

// insertArgs are the values of the inserted columns of rec, whose encoding
// is data.
func insertArgs(rec *backend.Record, data []byte) []any {
	return []any{rec.TokenHash[:], rec.ID, rec.MemberID(), rec.CustomerID(),
		rec.CreatedAt, rec.ExpiresAt, nullTime(rec.ModifiedAt), nullTime(rec.LastUsedAt), nullText(rec.ReturnURL), data,
		nullText(string(rec.Kind)), nullTime(rec.AuthenticatedAt), nullText(rec.LinkID), nullText(rec.DeviceLabel)}
}

// Rehash implements backend.Backend: one transaction reads and locks the
// row (SELECT ... FOR UPDATE), then moves it to the new hash with its
// record re-encoded. The row lock orders it with the edits, which lock the
// rows they read: an edit that locked the row first commits before the
// read here, which sees what it wrote; one that reads it later finds it
// under the new hash.
func (b *storage) Rehash(ctx context.Context, from, to token.Hash, _ backend.Route) (*backend.Record, error) {
	if b.closed.Load() {
		return nil, sessionstore.ErrClosed
	}
	var moved *backend.Record
	err := inTx(ctx, b.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, b.q.lockHash, from[:])
		if err != nil {
			return err
		}
		var (
			hash, data           []byte
			id, member, customer string
			cur                  *backend.Record
		)
		_, err = pgx.ForEachRow(rows, []any{&hash, &id, &member, &customer, &data}, func() error {
			cur, err = decodeRow(hash, id, member, customer, data)
			return err
		})
		switch {
		case err != nil:
			return &finalError{err}
		case cur == nil:
			return &finalError{sessionstore.ErrNotFound}
		}
		next := *cur
		next.TokenHash = to
		enc, err := next.MarshalBinary()
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, b.q.rehash, from[:], to[:], next.ExpiresAt,
			nullTime(next.ModifiedAt), nullTime(next.LastUsedAt), nullText(next.ReturnURL), enc,
			next.ID, next.MemberID(), next.CustomerID())
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("rehash updated %d rows", tag.RowsAffected())
		}
		moved = &next
		return nil
	})
	var final *finalError
	switch {
	case errors.As(err, &final):
		return nil, final.err
	case err != nil:
		return nil, opError("rehash", err)
	}
	return moved, nil
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
