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
	data, err := rec.MarshalBinary()
	if err != nil {
		return opError("insert", err)
	}
	ks, args := b.insertArgs(rec, data)
	deadline := time.Now().Add(lockWait)
	for attempt := 1; ; attempt++ {
		limit := 0
		if admit != nil {
			limit = admit.Limit
		}
		err = insertScript.Run(ctx, b.c, ks, append(args, limit)...).Err()
		if isFull(err) {
			err = b.insertAdmitting(ctx, rec, ks, append(args, 0), admit)
		}
		if !isLocked(err) || time.Now().After(deadline) {
			break
		}
		if err := backoff(ctx, attempt); err != nil {
			return opError("insert", err)
		}
	}
	if err != nil {
		return opError("insert", err)
	}
	return nil
}

// insertArgs returns the keys and arguments of insertScript for rec.
func (b *storage) insertArgs(rec *backend.Record, data []byte) ([]string, []any) {
	h := rec.TokenHash.String()
	mk, ck := b.k.member(rec.MemberID()), b.k.customer(rec.CustomerID())
	ks := []string{b.k.record(h), b.k.id(rec.ID), mk, ck, b.k.expiry(), b.k.lock(mk), b.k.lock(ck)}
	return ks, []any{data, h, rec.ID, rec.MemberID(), rec.CustomerID(), b.ttl(rec.ExpiresAt), score(rec.ExpiresAt)}
}

// insertAdmitting is one attempt of an Insert with an AdmitFunc, as an
// optimistic transaction on the member's set: it reads the member's records,
// asks admit which to evict, and in one MULTI/EXEC deletes those and runs
// insertScript. A concurrent insert into or edit of the member changes the
// watched set or records and aborts the EXEC, and the attempt runs again.
// A LOCKED reply comes back as insertScript's error, for Insert to wait.
func (b *storage) insertAdmitting(ctx context.Context, rec *backend.Record, ks []string, args []any, admit *backend.Admission) error {
	mk := b.k.member(rec.MemberID())
	for attempt := 1; ; attempt++ {
		err := b.c.Watch(ctx, func(tx *goredis.Tx) error {
			hexes, err := tx.SMembers(ctx, mk).Result()
			if err != nil {
				return err
			}
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
			evict := admit.Evict(recs)
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

// Rehash implements backend.Backend with rehashScript: one atomic step
// that moves the record and repoints its index entries. Changing the member
// and customer sets aborts any Edit of them in flight, which then runs
// again and sees the record under its new hash.
func (b *storage) Rehash(ctx context.Context, from token.Hash, rec *backend.Record) error {
	if b.closed.Load() {
		return sessionstore.ErrClosed
	}
	data, err := rec.MarshalBinary()
	if err != nil {
		return opError("rehash", err)
	}
	oldHex, newHex := from.String(), rec.TokenHash.String()
	ks := []string{b.k.record(oldHex), b.k.record(newHex), b.k.id(rec.ID),
		b.k.member(rec.MemberID()), b.k.customer(rec.CustomerID()), b.k.expiry()}
	n, err := rehashScript.Run(ctx, b.c, ks, data, oldHex, newHex, rec.ID, rec.MemberID(), rec.CustomerID(),
		b.ttl(rec.ExpiresAt), score(rec.ExpiresAt)).Int()
	switch {
	case isWrongType(err):
		return corrupt("rehash", err)
	case err != nil && strings.Contains(err.Error(), "identity"):
		return opError("rehash", fmt.Errorf("%w: %w", backend.ErrEditContract, err))
	case err != nil:
		return opError("rehash", err)
	case n == 0:
		return sessionstore.ErrNotFound
	}
	return nil
}
