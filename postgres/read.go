package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/token"
)

// Find implements backend.Backend: one SELECT by the primary key, which
// reads the key columns with the record so that a record that disagrees
// with them is ErrCorrupt.
func (b *storage) Find(ctx context.Context, h token.Hash, _ backend.Route) (*backend.Record, error) {
	if b.closed.Load() {
		return nil, sessionstore.ErrClosed
	}
	var (
		data                 []byte
		id, member, customer string
	)
	err := b.pool.QueryRow(ctx, b.q.find, h[:]).Scan(&id, &member, &customer, &data)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, sessionstore.ErrNotFound
	case err != nil:
		return nil, opError("find", err)
	}
	r, err := decodeRow(h[:], id, member, customer, data)
	if err != nil {
		return nil, corrupt("find", err)
	}
	return r, nil
}

// selectQuery returns the statement that reads the records of sel, locking
// them when lock is set.
func (b *storage) selectQuery(sel backend.Selector, lock bool) (string, error) {
	switch {
	case sel.Index == backend.IndexID && lock:
		return b.q.lockID, nil
	case sel.Index == backend.IndexID:
		return b.q.byID, nil
	case sel.Index == backend.IndexMember && lock:
		return b.q.lockMember, nil
	case sel.Index == backend.IndexMember:
		return b.q.byMember, nil
	case sel.Index == backend.IndexCustomer && lock:
		return b.q.lockCustomer, nil
	case sel.Index == backend.IndexCustomer:
		return b.q.byCustomer, nil
	}
	return "", fmt.Errorf("unknown index %d", sel.Index)
}

// readRecords runs the select statement sql for sel on q and decodes its
// rows. A row whose record cannot be decoded, or does not match the row's
// own key columns (decodeRow), is a backend.CorruptRecord stub with the
// row's token hash, ID, member ID and customer ID, which need no decoding:
// one damaged record never hides the others or stops an edit, and the
// revocations, which select by those columns, delete it.
func readRecords(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, sql string, sel backend.Selector) ([]*backend.Record, error) {
	rows, err := q.Query(ctx, sql, sel.Key)
	if err != nil {
		return nil, err
	}
	var (
		out                  = []*backend.Record{}
		hash, rec            []byte
		id, member, customer string
	)
	_, err = pgx.ForEachRow(rows, []any{&hash, &id, &member, &customer, &rec}, func() error {
		r, err := decodeRow(hash, id, member, customer, rec)
		if err != nil {
			var h token.Hash
			copy(h[:], hash)
			if !errors.Is(err, sessionstore.ErrCorrupt) {
				err = fmt.Errorf("%w: %w", sessionstore.ErrCorrupt, err)
			}
			r = backend.CorruptRecord(h, id, member, customer, err)
		}
		out = append(out, r)
		return nil
	})
	switch {
	case isBadID(err) && sel.Index == backend.IndexID:
		return []*backend.Record{}, nil
	case err != nil:
		return nil, err
	}
	return out, nil
}

// Select implements backend.Backend: one SELECT on the ID's, the member's
// or the customer's index.
func (b *storage) Select(ctx context.Context, sel backend.Selector) ([]*backend.Record, error) {
	if b.closed.Load() {
		return nil, sessionstore.ErrClosed
	}
	sql, err := b.selectQuery(sel, false)
	if err != nil {
		return nil, opError("select", err)
	}
	recs, err := readRecords(ctx, b.pool, sql, sel)
	if err != nil {
		return nil, opError("select", err)
	}
	return recs, nil
}

// isBadID reports the error of a session ID that is not a UUID
// (invalid_text_representation): no such session can be stored.
func isBadID(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "22P02"
}
