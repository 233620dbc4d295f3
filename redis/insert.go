package redis

import (
	"context"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
)

// Insert implements backend.Backend with insertScript, waiting while
// an Edit holds the member's or customer's lock.
func (b *storage) Insert(ctx context.Context, rec *backend.Record) error {
	if b.closed.Load() {
		return sessionstore.ErrClosed
	}
	data, err := rec.MarshalBinary()
	if err != nil {
		return opError("insert", err)
	}
	h := rec.TokenHash.String()
	mk, ck := b.k.member(rec.MemberID()), b.k.customer(rec.CustomerID())
	ks := []string{b.k.record(h), b.k.id(rec.ID), mk, ck, b.k.expiry(), b.k.lock(mk), b.k.lock(ck)}
	deadline := time.Now().Add(lockWait)
	for attempt := 1; ; attempt++ {
		err = insertScript.Run(ctx, b.c, ks,
			data, h, rec.ID, rec.MemberID(), rec.CustomerID(),
			b.ttl(rec.ExpiresAt), score(rec.ExpiresAt)).Err()
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
