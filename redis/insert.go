package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
	if err := b.checkRouted(rec); err != nil {
		return opError("insert", err)
	}
	data, err := rec.MarshalBinary()
	if err != nil {
		return opError("insert", err)
	}
	ks, args := b.insertArgs(rec, data)
	owned := !b.routed() // whether the owner set names rec's route
	deadline := time.Now().Add(lockWait)
	for attempt := 1; ; attempt++ {
		if admit != nil && admit.Always() {
			if !owned {
				if err = b.own(ctx, rec); err != nil {
					break
				}
				owned = true
			}
			err = b.insertAdmitting(ctx, rec, ks, append(args, 0), admit)
		} else {
			limit := 0
			if admit != nil {
				limit = admit.Limit
			}
			err = b.insertOwned(ctx, rec, ks, append(args, limit), !owned)
			owned = owned || err == nil || isLocked(err) || isFull(err)
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

// insertOwned runs insertScript with keys ks and arguments args. With own
// (the routed layout, until the owner set names rec's route) it adds rec's
// route to its member's owner set in the same round trip: on a cluster
// the two go to their nodes in parallel. Should the owner set fail where
// the insert succeeded, the record is removed again, so that no record
// lives that a member-wide operation cannot find.
func (b *storage) insertOwned(ctx context.Context, rec *backend.Record, ks []string, args []any, own bool) error {
	if !own {
		return insertScript.Run(ctx, b.c, ks, args...).Err()
	}
	var owner, ins *goredis.Cmd
	ownKeys := []string{b.placeOf(rec.MemberID()).owner(rec.MemberID())}
	ownArgs := []any{int(backend.RouteOf(rec.CustomerID())), b.ownerTTL(rec)}
	_, _ = b.c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		owner = ownerScript.EvalSha(ctx, p, ownKeys, ownArgs...)
		ins = insertScript.EvalSha(ctx, p, ks, args...)
		return nil
	})
	if isNoScript(owner.Err()) {
		owner = ownerScript.Run(ctx, b.c, ownKeys, ownArgs...)
	}
	if isNoScript(ins.Err()) {
		ins = insertScript.Run(ctx, b.c, ks, args...)
	}
	if err := owner.Err(); err != nil {
		if ins.Err() == nil {
			b.undoInsert(ctx, rec)
		}
		return err
	}
	return ins.Err()
}

// own adds rec's route to its member's owner set.
func (b *storage) own(ctx context.Context, rec *backend.Record) error {
	k := b.placeOf(rec.MemberID()).owner(rec.MemberID())
	return ownerScript.Run(ctx, b.c, []string{k}, int(backend.RouteOf(rec.CustomerID())), b.ownerTTL(rec)).Err()
}

// undoInsert removes rec, just inserted, with its index entries. It runs
// even when ctx is done; a failure leaves rec to DeleteExpired.
func (b *storage) undoInsert(ctx context.Context, rec *backend.Record) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	ks := b.placeOf(rec.CustomerID())
	_, _ = b.c.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		b.queueDelete(ctx, p, ks, rec.TokenHash.String(), rec)
		return nil
	})
}

// isNoScript reports a NOSCRIPT reply to EVALSHA: the server does not
// have the script cached.
func isNoScript(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT")
}

// insertArgs returns the keys and arguments of insertScript for rec.
func (b *storage) insertArgs(rec *backend.Record, data []byte) ([]string, []any) {
	h := rec.TokenHash.String()
	k := b.placeOf(rec.CustomerID())
	mk, ck := k.member(rec.MemberID()), k.customer(rec.CustomerID())
	ks := []string{k.record(h), k.id(rec.ID), mk, ck, k.expiry(), k.lock(mk), k.lock(ck)}
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
	k := b.placeOf(rec.CustomerID())
	mk := ks[2]
	locks := ks[5:7]
	for attempt := 1; ; attempt++ {
		err := b.watch(ctx, func(tx *goredis.Tx) error {
			if err := tx.Watch(ctx, mk, locks[0], locks[1]).Err(); err != nil {
				return err
			}
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
					recKeys[i] = k.record(h)
				}
				if err := tx.Watch(ctx, recKeys...).Err(); err != nil {
					return err
				}
				datas, err := b.readRecords(ctx, tx, k, hexes)
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
						b.queueDelete(ctx, p, k, h, r)
						delete(hexOf, r)
					}
				}
				insertScript.Eval(ctx, p, ks, args...)
				return nil
			})
			return err
		}, mk)
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
// which then runs again and sees the record under its new hash. It looks
// for the record in the places of route (see routePlaces) and moves it
// within the place it is in.
func (b *storage) Rehash(ctx context.Context, from, to token.Hash, route backend.Route) (*backend.Record, error) {
	if b.closed.Load() {
		return nil, sessionstore.ErrClosed
	}
	places, err := b.routePlaces(ctx, route)
	if err != nil {
		return nil, opError("rehash", err)
	}
	for _, k := range places {
		rec, err := b.rehashIn(ctx, k, from, to)
		if !errors.Is(err, sessionstore.ErrNotFound) {
			return rec, err
		}
	}
	return nil, sessionstore.ErrNotFound
}

// rehashIn is Rehash in the place k.
func (b *storage) rehashIn(ctx context.Context, k keys, from, to token.Hash) (*backend.Record, error) {
	oldHex, newHex := from.String(), to.String()
	oldKey := k.record(oldHex)
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
			ks := []string{oldKey, k.record(newHex), k.id(next.ID),
				k.member(next.MemberID()), k.customer(next.CustomerID()), k.expiry()}
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
