package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/token"
	goredis "github.com/redis/go-redis/v9"
)

// Insert implements backend.Backend with insertScript, waiting while
// an Edit holds the member's or customer's lock.
func (b *storage) Insert(ctx context.Context, rec *backend.Record, admit *backend.Admission) error {
	if b.closed.Load() {
		return sessionstore.ErrClosed
	}
	data, err := rec.MarshalBinary()
	if err != nil {
		return opError("insert", err)
	}
	ks, args := b.insertArgs(rec, data)
	deadline := time.Now().Add(lockWait)
	for attempt := 1; ; attempt++ {
		if admit != nil && admit.Always() {
			err = b.insertAdmitting(ctx, rec, ks, append(args, 0), admit)
		} else {
			limit := 0
			if admit != nil {
				limit = admit.Limit
			}
			err = insertScript.Run(ctx, b.c, ks, append(args, limit)...).Err()
			if isFull(err) {
				err = b.insertAdmitting(ctx, rec, ks, append(args, 0), admit)
			}
		}
		if !isLocked(err) || time.Now().After(deadline) {
			break
		}
		if err := backoff(ctx, attempt); err != nil {
			return opError("insert", err)
		}
	}
	var ee evictError
	switch {
	case errors.As(err, &ee):
		return ee.err // Evict's error, as it is
	case err != nil:
		return opError("insert", err)
	}
	return nil
}

// evictError carries an error of Admission.Evict out of insertAdmitting.
type evictError struct{ err error }

func (e evictError) Error() string { return e.err.Error() }

func (e evictError) Unwrap() error { return e.err }

// errLocked is insertAdmitting's answer while an Edit holds the member's
// or customer's lock: the reply insertScript would give.
var errLocked = errors.New("LOCKED sessionstore: the member or customer is being edited")

// insertArgs returns the keys and arguments of insertScript for rec.
func (b *storage) insertArgs(rec *backend.Record, data []byte) ([]string, []any) {
	h := rec.TokenHash.String()
	mk, ck := b.k.member(rec.MemberID()), b.k.customer(rec.CustomerID())
	ks := []string{b.k.record(h), b.k.id(rec.ID), mk, ck, b.k.expiry(), b.k.lock(mk), b.k.lock(ck)}
	return ks, []any{data, h, rec.ID, rec.MemberID(), rec.CustomerID(), b.ttl(rec.ExpiresAt), score(rec.ExpiresAt)}
}

// insertAdmitting is one attempt of an Insert with an Admission, as an
// optimistic transaction on the member's set: it reads the member's records,
// asks admit which to evict, and in one MULTI/EXEC deletes those and runs
// insertScript. A concurrent insert into or edit of the member, or an edit
// by ID or rehash of one of its records, changes the watched set or records
// and aborts the EXEC, and the attempt runs again. The member's and
// customer's locks are watched too and must be free before the MULTI, so
// insertScript never refuses inside it (which would leave the evictions
// applied without the insert): a held lock is errLocked, for Insert to
// wait. An error of Evict comes back as an evictError.
func (b *storage) insertAdmitting(ctx context.Context, rec *backend.Record, ks []string, args []any, admit *backend.Admission) error {
	mk := b.k.member(rec.MemberID())
	locks := ks[5:7]
	for attempt := 1; ; attempt++ {
		err := b.c.Watch(ctx, func(tx *goredis.Tx) error {
			var members *goredis.StringSliceCmd
			var locked *goredis.IntCmd
			if _, err := tx.Pipelined(ctx, func(p goredis.Pipeliner) error {
				members = p.SMembers(ctx, mk)
				locked = p.Exists(ctx, locks...)
				return nil
			}); err != nil {
				return err
			}
			if locked.Val() > 0 {
				return errLocked
			}
			hexes := members.Val()
			var recs []*backend.Record
			hexOf := map[*backend.Record]string{}
			if len(hexes) > 0 {
				recKeys := make([]string, len(hexes))
				for i, h := range hexes {
					recKeys[i] = b.k.record(h)
				}
				if err := tx.Watch(ctx, recKeys...).Err(); err != nil {
					return err
				}
				datas, err := b.readRecords(ctx, tx, hexes)
				if err != nil {
					return err
				}
				for i, d := range datas {
					if d.missing {
						continue
					}
					r, err := d.decode(hexes[i])
					if err != nil {
						continue // it cannot authenticate, so it takes no place
					}
					recs = append(recs, r)
					hexOf[r] = hexes[i]
				}
			}
			evict, err := admit.Evict(recs)
			if err != nil {
				return evictError{err}
			}
			_, err = tx.TxPipelined(ctx, func(p goredis.Pipeliner) error {
				for _, r := range evict {
					if h, ok := hexOf[r]; ok {
						b.queueDelete(ctx, p, h, r)
						delete(hexOf, r)
					}
				}
				insertScript.Eval(ctx, p, ks, args...)
				return nil
			})
			return err
		}, mk, locks[0], locks[1])
		if !errors.Is(err, goredis.TxFailedErr) {
			return err
		}
		if attempt >= maxEditAttempts {
			return fmt.Errorf("gave up after %d conflicting attempts: %w", attempt, err)
		}
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

// Rehash implements backend.Backend as an optimistic transaction: it
// WATCHes the record under from, reads and decodes it, and in one
// MULTI/EXEC runs rehashScript with the record re-encoded under to. A
// concurrent write to the record aborts the EXEC and the attempt runs
// again with the record as that write left it, so no write is undone.
// Changing the member and customer sets aborts any Edit of them in flight,
// which then runs again and sees the record under its new hash.
func (b *storage) Rehash(ctx context.Context, from, to token.Hash, _ backend.Route) (*backend.Record, error) {
	if b.closed.Load() {
		return nil, sessionstore.ErrClosed
	}
	oldHex, newHex := from.String(), to.String()
	oldKey := b.k.record(oldHex)
	for attempt := 1; ; attempt++ {
		var moved *backend.Record
		err := b.c.Watch(ctx, func(tx *goredis.Tx) error {
			data, err := tx.HGet(ctx, oldKey, fieldData).Bytes()
			switch {
			case errors.Is(err, goredis.Nil):
				return sessionstore.ErrNotFound
			case isWrongType(err):
				return corrupt("rehash", err)
			case err != nil:
				return err
			}
			cur, err := decode(data, oldHex)
			if err != nil {
				return corrupt("rehash", err)
			}
			next := *cur
			next.TokenHash = to
			enc, err := next.MarshalBinary()
			if err != nil {
				return err
			}
			ks := []string{oldKey, b.k.record(newHex), b.k.id(next.ID),
				b.k.member(next.MemberID()), b.k.customer(next.CustomerID()), b.k.expiry()}
			var n *goredis.Cmd
			if _, err := tx.TxPipelined(ctx, func(p goredis.Pipeliner) error {
				n = rehashScript.Eval(ctx, p, ks, enc, oldHex, newHex, next.ID, next.MemberID(), next.CustomerID(),
					b.ttl(next.ExpiresAt), score(next.ExpiresAt))
				return nil
			}); err != nil {
				return err
			}
			if v, err := n.Int(); err != nil || v != 1 {
				return fmt.Errorf("rehash script answered %v: %w", v, err)
			}
			moved = &next
			return nil
		}, oldKey)
		switch {
		case err == nil:
			return moved, nil
		case errors.Is(err, sessionstore.ErrNotFound), errors.Is(err, sessionstore.ErrCorrupt):
			return nil, err
		case !errors.Is(err, goredis.TxFailedErr):
			return nil, opError("rehash", err)
		case attempt >= maxEditAttempts:
			return nil, opError("rehash", fmt.Errorf("gave up after %d conflicting attempts: %w", attempt, err))
		}
		if err := backoff(ctx, attempt); err != nil {
			return nil, opError("rehash", err)
		}
	}
}
