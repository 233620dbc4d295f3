package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/token"
)

// storage implements backend.Backend on a pgx pool. It keeps no state
// between calls besides its closed flag: every call is one statement or one
// transaction on whichever connection the pool hands out.
type storage struct {
	pool   *pgxpool.Pool
	t      table
	oid    uint32 // the table's OID, the namespace of its advisory locks
	q      queries
	closed atomic.Bool
}

var (
	_ backend.Backend        = (*storage)(nil)
	_ backend.PrivateRecords = (*storage)(nil)
)

// PrivateRecords implements backend.PrivateRecords: every record is
// decoded anew from the row.
func (*storage) PrivateRecords() {}

// queries are the store's statements on its table. Every parameter carries
// an explicit cast, so that they mean the same under every pgx
// QueryExecMode, including the simple protocol.
type queries struct {
	insert, find, byID, byMember, byCustomer string
	lockID, lockMember, lockCustomer         string
	update, delete, purge                    string
}

func newQueries(t table) queries {
	const cols = "token_hash, record"
	sel := "SELECT " + cols + " FROM " + t.quoted + " WHERE "
	return queries{
		// The shared advisory locks of the member and the customer are
		// taken in the same statement, before the row is written, and held
		// until it commits: see "Concurrency" in the package documentation.
		insert: "INSERT INTO " + t.quoted +
			" (token_hash, id, member_id, customer_id, created_at, expires_at, modified_at, return_url, record)" +
			" SELECT $3::bytea, $4::uuid, $5::text, $6::text, $7::timestamptz, $8::timestamptz, $9::timestamptz, $10::text, $11::bytea" +
			" FROM (SELECT pg_advisory_xact_lock_shared($1::bigint), pg_advisory_xact_lock_shared($2::bigint)) AS locks",
		find:       "SELECT record FROM " + t.quoted + " WHERE token_hash = $1::bytea",
		byID:       sel + "id = $1::uuid",
		byMember:   sel + "member_id = $1::text",
		byCustomer: sel + "customer_id = $1::text",
		// The edits lock the rows they read, in one order so that two
		// edits over the same rows cannot deadlock.
		lockID:       sel + "id = $1::uuid FOR UPDATE",
		lockMember:   sel + "member_id = $1::text ORDER BY token_hash FOR UPDATE",
		lockCustomer: sel + "customer_id = $1::text ORDER BY token_hash FOR UPDATE",
		update: "UPDATE " + t.quoted +
			" SET expires_at = $2::timestamptz, modified_at = $3::timestamptz, return_url = $4::text, record = $5::bytea" +
			" WHERE token_hash = $1::bytea",
		delete: "DELETE FROM " + t.quoted + " WHERE token_hash = ANY($1::bytea[])",
		// A batch of expired rows nobody else has locked: lookups never
		// wait on it (they take no row locks), edits and other purges
		// keep the rows they hold.
		purge: "DELETE FROM " + t.quoted + " WHERE token_hash IN (SELECT token_hash FROM " + t.quoted +
			" WHERE expires_at <= $1::timestamptz ORDER BY expires_at LIMIT $2::integer FOR UPDATE SKIP LOCKED)" +
			" AND expires_at <= $1::timestamptz",
	}
}

// corrupt wraps a record that cannot be decoded so that it matches both
// sessionstore.ErrCorrupt and the cause.
func corrupt(op string, err error) error {
	if errors.Is(err, sessionstore.ErrCorrupt) {
		return opError(op, err)
	}
	return opError(op, fmt.Errorf("%w: %w", sessionstore.ErrCorrupt, err))
}

// decode decodes a row's record and checks that it is the record of the
// row's token hash.
func decode(hash, data []byte) (*backend.Record, error) {
	r := new(backend.Record)
	if err := r.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	if !bytes.Equal(r.TokenHash[:], hash) {
		return nil, fmt.Errorf("%w: record stored under another token hash", sessionstore.ErrCorrupt)
	}
	return r, nil
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

// isBadID reports the error of a session ID that is not a UUID
// (invalid_text_representation): no such session can be stored.
func isBadID(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "22P02"
}

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

// Find implements backend.Backend: one SELECT by the primary key.
func (b *storage) Find(ctx context.Context, h token.Hash) (*backend.Record, error) {
	if b.closed.Load() {
		return nil, sessionstore.ErrClosed
	}
	var data []byte
	err := b.pool.QueryRow(ctx, b.q.find, h[:]).Scan(&data)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, sessionstore.ErrNotFound
	case err != nil:
		return nil, opError("find", err)
	}
	r, err := decode(h[:], data)
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
// rows. A record that cannot be decoded is ErrCorrupt when selected by ID,
// and skipped otherwise (it cannot authenticate either).
func readRecords(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, sql string, sel backend.Selector) ([]*backend.Record, error) {
	rows, err := q.Query(ctx, sql, sel.Key)
	if err != nil {
		return nil, err
	}
	var (
		out       = []*backend.Record{}
		hash, rec []byte
		bad       error
	)
	_, err = pgx.ForEachRow(rows, []any{&hash, &rec}, func() error {
		r, err := decode(hash, rec)
		switch {
		case err != nil && sel.Index == backend.IndexID:
			bad = err
		case err != nil:
		case sel.Index == backend.IndexID && r.ID != sel.Key:
			bad = fmt.Errorf("%w: the row of session %s holds session %s", sessionstore.ErrCorrupt, sel.Key, r.ID)
		default:
			out = append(out, r)
		}
		return nil
	})
	switch {
	case isBadID(err) && sel.Index == backend.IndexID:
		return []*backend.Record{}, nil
	case err != nil:
		return nil, err
	case bad != nil:
		return nil, &corruptError{bad}
	}
	return out, nil
}

// corruptError carries a corrupt record out of readRecords, so that the
// caller wraps it as ErrCorrupt rather than as a database failure.
type corruptError struct{ err error }

func (e *corruptError) Error() string { return e.err.Error() }
func (e *corruptError) Unwrap() error { return e.err }

// wrap wraps err of operation op: ErrCorrupt for a corrupt record, a
// database failure otherwise.
func wrap(op string, err error) error {
	var c *corruptError
	if errors.As(err, &c) {
		return corrupt(op, c.err)
	}
	return opError(op, err)
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
		return nil, wrap("select", err)
	}
	return recs, nil
}

// finalError ends an Edit as it is: an error from the EditFunc, or one the
// edit decided on. inTx returns it unchanged.
type finalError struct{ err error }

func (e *finalError) Error() string { return e.err.Error() }

// Edit implements backend.Backend as one READ COMMITTED transaction: a
// group edit first takes the member's or customer's advisory lock in
// exclusive mode, which waits for every Insert into the group in progress
// and keeps new ones out until it commits; then it reads and locks the
// rows (SELECT ... FOR UPDATE), calls fn on each and writes the outcome in
// one pipelined batch. A serialization failure or a deadlock retries the
// whole transaction, fn included.
func (b *storage) Edit(ctx context.Context, sel backend.Selector, fn backend.EditFunc) ([]backend.Change, error) {
	if b.closed.Load() {
		return nil, sessionstore.ErrClosed
	}
	sql, err := b.selectQuery(sel, true)
	if err != nil {
		return nil, opError("edit", err)
	}
	var lock int64
	switch sel.Index {
	case backend.IndexMember:
		lock = groupLock(b.oid, "m", sel.Key)
	case backend.IndexCustomer:
		lock = groupLock(b.oid, "c", sel.Key)
	}
	var changes []backend.Change
	err = inTx(ctx, b.pool, func(tx pgx.Tx) error {
		if sel.Index != backend.IndexID {
			// A statement of its own: the SELECT below must take its
			// snapshot after the lock is granted.
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1::bigint)", lock); err != nil {
				return err
			}
		}
		recs, err := readRecords(ctx, tx, sql, sel)
		if err != nil {
			return err
		}
		if sel.Index == backend.IndexID && len(recs) == 0 {
			return &finalError{sessionstore.ErrNotFound}
		}
		changes, err = b.apply(ctx, tx, recs, fn)
		return err
	})
	var final *finalError
	switch {
	case errors.As(err, &final):
		return nil, final.err
	case err != nil:
		return nil, wrap("edit", err)
	}
	return changes, nil
}

// apply calls fn on every record of recs and writes what it decides on tx.
func (b *storage) apply(ctx context.Context, tx pgx.Tx, recs []*backend.Record, fn backend.EditFunc) ([]backend.Change, error) {
	changes := make([]backend.Change, 0, len(recs))
	var (
		batch   pgx.Batch
		deletes [][]byte
	)
	for _, cur := range recs {
		op, next, err := fn(cur)
		if err != nil {
			return nil, &finalError{err}
		}
		switch op {
		case backend.Keep:
			continue
		case backend.Delete:
			deletes = append(deletes, cur.TokenHash[:])
			changes = append(changes, backend.Change{Old: cur})
		case backend.Put:
			if next == nil || next.ID != cur.ID || next.TokenHash != cur.TokenHash ||
				next.Member == nil || next.Customer == nil ||
				next.MemberID() != cur.MemberID() || next.CustomerID() != cur.CustomerID() {
				return nil, &finalError{opError("edit", errors.New("the EditFunc's Put changed the record's identity"))}
			}
			data, err := next.MarshalBinary()
			if err != nil {
				return nil, &finalError{opError("edit", err)}
			}
			batch.Queue(b.q.update, cur.TokenHash[:], next.ExpiresAt, nullTime(next.ModifiedAt), nullText(next.ReturnURL), data)
			changes = append(changes, backend.Change{Old: cur, New: next})
		default:
			return nil, &finalError{opError("edit", fmt.Errorf("unknown op %d", op))}
		}
	}
	if len(deletes) > 0 {
		batch.Queue(b.q.delete, deletes)
	}
	if batch.Len() > 0 {
		if err := tx.SendBatch(ctx, &batch).Close(); err != nil {
			return nil, err
		}
	}
	return changes, nil
}

// DeleteExpired implements backend.Backend: one DELETE of at most limit
// expired rows that no other transaction holds (FOR UPDATE SKIP LOCKED).
func (b *storage) DeleteExpired(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	if b.closed.Load() {
		return 0, sessionstore.ErrClosed
	}
	if limit <= 0 {
		return 0, nil
	}
	tag, err := b.pool.Exec(ctx, b.q.purge, cutoff, limit)
	if err != nil {
		return 0, opError("delete expired", err)
	}
	return int(tag.RowsAffected()), nil
}

// Close implements backend.Backend. The pool stays open: it is the
// caller's.
func (b *storage) Close() error {
	b.closed.Store(true)
	return nil
}
