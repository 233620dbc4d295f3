package postgres

import (
	"context"
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
	if err := b.insertAdmitting(ctx, rec, data, locks, admit); err != nil {
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
		var evict [][]byte
		for _, r := range admit.Evict(stored) {
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
		rec.CreatedAt, rec.ExpiresAt, nullTime(rec.ModifiedAt), nullTime(rec.LastUsedAt), nullText(rec.ReturnURL), data}
}

// Rehash implements backend.Backend: one UPDATE of the row's primary key and
// record. Its row lock orders it with the edits, which lock the rows they
// read: an edit that read the row first finishes before it, and one that
// reads it later finds it under the new hash.
func (b *storage) Rehash(ctx context.Context, from token.Hash, rec *backend.Record) error {
	if b.closed.Load() {
		return sessionstore.ErrClosed
	}
	data, err := rec.MarshalBinary()
	if err != nil {
		return opError("rehash", err)
	}
	tag, err := b.pool.Exec(ctx, b.q.rehash, from[:], rec.TokenHash[:], rec.ExpiresAt,
		nullTime(rec.ModifiedAt), nullTime(rec.LastUsedAt), nullText(rec.ReturnURL), data,
		rec.ID, rec.MemberID(), rec.CustomerID())
	if err != nil {
		return opError("rehash", err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var exists bool
	if err := b.pool.QueryRow(ctx, b.q.exists, from[:]).Scan(&exists); err != nil {
		return opError("rehash", err)
	}
	if exists {
		return opError("rehash", fmt.Errorf("%w: the record stored under that hash is another session's", backend.ErrEditContract))
	}
	return sessionstore.ErrNotFound
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
