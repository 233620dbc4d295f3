package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
)

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
		return nil, opError("edit", err)
	}
	return changes, nil
}

// apply decides the fate of every record of recs with backend.Decide and
// writes the outcome on tx, in one pipelined batch.
func (b *storage) apply(ctx context.Context, tx pgx.Tx, recs []*backend.Record, fn backend.EditFunc) ([]backend.Change, error) {
	changes := make([]backend.Change, 0, len(recs))
	var (
		batch   pgx.Batch
		deletes [][]byte
	)
	for _, cur := range recs {
		op, next, err := backend.Decide(fn, cur)
		switch {
		case errors.Is(err, backend.ErrEditContract):
			return nil, &finalError{opError("edit", err)}
		case err != nil:
			return nil, &finalError{err}
		}
		switch op {
		case backend.Delete:
			deletes = append(deletes, cur.TokenHash[:])
			changes = append(changes, backend.Change{Old: cur})
		case backend.Put:
			data, err := next.MarshalBinary()
			if err != nil {
				return nil, &finalError{opError("edit", err)}
			}
			batch.Queue(b.q.update, cur.TokenHash[:], next.ExpiresAt, nullTime(next.ModifiedAt), nullTime(next.LastUsedAt), nullText(next.ReturnURL), data)
			changes = append(changes, backend.Change{Old: cur, New: next})
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
