package redis

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
)

// Edit's optimistic transaction is retried at most maxEditAttempts times,
// waiting a random time up to a growing bound (at most maxEditBackoff)
// between attempts.
const (
	maxEditAttempts = 100
	maxEditBackoff  = 20 * time.Millisecond
)

// A group Edit (of a member or a customer) whose optimistic transaction
// was aborted takes the group's lock, which Insert respects, so that a
// stream of Creates cannot starve it. The lock is a lease of lockLease, so
// a crashed holder blocks the group only that long; correctness never
// rests on it (the transaction still WATCHes the set). Insert and Edit wait
// at most lockWait for a lock held by others.
const (
	lockLease = 5 * time.Second
	lockWait  = 10 * time.Second
)

// planned is one write an Edit attempt decided on.
type planned struct {
	hex string
	op  backend.Op
	old *backend.Record
	new *backend.Record
	enc []byte
}

// Edit implements backend.Backend as an optimistic transaction: it
// WATCHes the ID key or the member's or customer's set, reads the set,
// WATCHes the records it names, reads them, calls fn on each and writes
// the outcome in one MULTI/EXEC. A concurrent change to any of those keys
// (an Insert adds to the set) aborts the EXEC, and the whole attempt,
// including the calls of fn, is retried, at most maxEditAttempts times;
// after the first abort a group edit holds the group's lock, which keeps
// Inserts out until it is done. An error from fn, ErrNotFound or ErrCorrupt
// ends the edit with nothing written.
//
// An attempt that meets no conflict takes three round trips: WATCH of the
// ID key or set with its read, WATCH of the records with their reads (in
// batches of readBatch, each a round trip), and the MULTI/EXEC. Each WATCH
// travels in the pipeline of the reads it covers, ahead of them, so a read
// still sees nothing older than the watch. No fewer round trips are
// possible behind the Backend interface: fn runs in Go and must see the
// records before anything is written, so the writes cannot share a round
// trip with the reads; and the records a group names are known only once
// its set is read, and must be watched before they are read, so reading
// the set and the records takes two. A script could read and write in one
// round trip only if it decided the outcome itself, which would take the
// decision away from fn and the engine.
func (b *storage) Edit(ctx context.Context, sel backend.Selector, fn backend.EditFunc) ([]backend.Change, error) {
	if b.closed.Load() {
		return nil, sessionstore.ErrClosed
	}
	var (
		places []keys
		err    error
	)
	switch sel.Index {
	case backend.IndexID:
		places, err = b.routePlaces(ctx, backend.IDRoute(sel.Key))
	case backend.IndexMember:
		places, err = b.memberPlaces(ctx, sel.Key)
	case backend.IndexCustomer:
		places, err = b.customerPlaces(ctx, sel.Key)
	default:
		return nil, opError("edit", fmt.Errorf("unknown index %d", sel.Index))
	}
	if errors.Is(err, sessionstore.ErrCorrupt) {
		return nil, err
	}
	if err != nil {
		return nil, opError("edit", err)
	}
	if sel.Index == backend.IndexID {
		for _, k := range places {
			changes, err := b.editIn(ctx, k, sel, fn)
			if !errors.Is(err, sessionstore.ErrNotFound) {
				return changes, err
			}
		}
		return nil, sessionstore.ErrNotFound
	}
	// A member or customer in several places (the single-tag layout beside
	// the routed one, or a member under several customers) is edited in
	// each, atomically in each.
	all := []backend.Change{}
	for _, k := range places {
		changes, err := b.editIn(ctx, k, sel, fn)
		if err != nil {
			return nil, err
		}
		all = append(all, changes...)
	}
	return all, nil
}

// editIn is Edit in the place k.
func (b *storage) editIn(ctx context.Context, k keys, sel backend.Selector, fn backend.EditFunc) ([]backend.Change, error) {
	var watch string
	switch sel.Index {
	case backend.IndexID:
		watch = k.id(sel.Key)
	case backend.IndexMember:
		watch = k.member(sel.Key)
	default:
		watch = k.customer(sel.Key)
	}
	var lock, lockToken string // the group's lock, once this edit holds it
	defer func() {
		if lockToken != "" {
			b.unlock(ctx, lock, lockToken)
		}
	}()
	for attempt := 1; ; attempt++ {
		var (
			changes []backend.Change
			final   error // an error that ends the edit as it is
		)
		err := b.watch(ctx, func(tx *goredis.Tx) error {
			var err error
			changes, final, err = b.editAttempt(ctx, tx, k, sel, watch, fn)
			if final != nil {
				return final
			}
			return err
		}, watch)
		switch {
		case final != nil:
			return nil, final
		case err == nil:
			return changes, nil
		case !errors.Is(err, goredis.TxFailedErr):
			return nil, opError("edit", err)
		case attempt >= maxEditAttempts:
			return nil, opError("edit", fmt.Errorf("gave up after %d conflicting attempts: %w", attempt, err))
		}
		if sel.Index != backend.IndexID && lockToken == "" {
			lock = k.lock(watch)
			if lockToken, err = b.lock(ctx, lock); err != nil {
				return nil, opError("edit", err)
			}
			continue
		}
		if err := backoff(ctx, attempt); err != nil {
			return nil, opError("edit", err)
		}
	}
}

// watchFirst returns the keys Edit passes to Watch, which WATCHes them
// in a round trip of its own: none for a *goredis.Client, whose attempt
// WATCHes the key in the pipeline of its first read; the key for any
// other client (a ClusterClient needs it to find the node), whose attempt
// then WATCHes it again, which changes nothing.
func (b *storage) watchFirst(key string) []string {
	if _, ok := b.c.(*goredis.Client); ok {
		return nil
	}
	return []string{key}
}

// lock takes the lock key for lockLease and returns its token, waiting at
// most lockWait while another edit holds it.
func (b *storage) lock(ctx context.Context, key string) (string, error) {
	tok := strconv.FormatUint(rand.Uint64(), 36)
	deadline := time.Now().Add(lockWait)
	for attempt := 1; ; attempt++ {
		ok, err := b.c.SetNX(ctx, key, tok, lockLease).Result()
		if err != nil {
			return "", err
		}
		if ok {
			return tok, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("another edit held the lock for more than %v", lockWait)
		}
		if err := backoff(ctx, attempt); err != nil {
			return "", err
		}
	}
}

// unlock releases the lock key if it still holds tok. It runs even when
// ctx is done; a failure only leaves the lock to its lease.
func (b *storage) unlock(ctx context.Context, key, tok string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	_ = unlockScript.Run(ctx, b.c, []string{key}, tok).Err()
}

// backoff waits a random time below a bound that grows with attempt, or
// until ctx is done.
func backoff(ctx context.Context, attempt int) error {
	limit := min(time.Duration(attempt)*200*time.Microsecond, maxEditBackoff)
	t := time.NewTimer(rand.N(limit) + time.Microsecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// deleteStub queues the removal of a record that cannot be decoded, by
// key: the record, its ID key and its entries in the sets and the expiry
// zset, as far as the stub names them, and its entry in the watched set of
// a group edit in any case.
func (b *storage) deleteStub(ctx context.Context, p goredis.Pipeliner, k keys, hx string, stub *backend.Record, watch string, sel backend.Selector) {
	p.Del(ctx, k.record(hx))
	if stub.ID != "" {
		p.Del(ctx, k.id(stub.ID))
	}
	if m := stub.MemberID(); m != "" {
		p.SRem(ctx, k.member(m), hx)
	}
	if c := stub.CustomerID(); c != "" {
		p.SRem(ctx, k.customer(c), hx)
	}
	if sel.Index != backend.IndexID {
		p.SRem(ctx, watch, hx)
	}
	p.ZRem(ctx, k.expiry(), hx)
}

// editAttempt is one attempt of Edit on tx: it WATCHes the key watch (the
// ID key or the set of sel) and everything it reads. It returns the
// changes, or a final error (from fn, ErrNotFound, ErrCorrupt, a broken
// EditFunc contract) or a Redis error, which includes TxFailedErr when a
// watched key changed.
func (b *storage) editAttempt(ctx context.Context, tx *goredis.Tx, k keys, sel backend.Selector, watch string, fn backend.EditFunc) ([]backend.Change, error, error) {
	// go-redis UNWATCHes on closing tx only what Tx.Watch sent; the WATCHes
	// sent in pipelines here are released by the EXEC, or else by this.
	execd := false
	defer func() {
		if !execd {
			_ = tx.Unwatch(ctx).Err()
		}
	}()
	var (
		get     *goredis.StringCmd
		members *goredis.StringSliceCmd
		watched *goredis.Cmd
	)
	// Each command's error is checked below: a failed round trip fails all.
	_, _ = tx.Pipelined(ctx, func(p goredis.Pipeliner) error {
		watched = p.Do(ctx, "watch", watch)
		if sel.Index == backend.IndexID {
			get = p.Get(ctx, watch)
		} else {
			members = p.SMembers(ctx, watch)
		}
		return nil
	})
	if err := watched.Err(); err != nil {
		return nil, nil, err
	}
	var hexes []string
	if sel.Index == backend.IndexID {
		h, err := get.Result()
		switch {
		case errors.Is(err, goredis.Nil):
			return nil, sessionstore.ErrNotFound, nil
		case isWrongType(err):
			return nil, corrupt("edit", err), nil
		case err != nil:
			return nil, nil, err
		}
		hexes = []string{h}
	} else {
		var err error
		hexes, err = members.Result()
		if isWrongType(err) {
			return nil, corrupt("edit", err), nil
		}
		if err != nil {
			return nil, nil, err
		}
		if len(hexes) == 0 {
			return []backend.Change{}, nil, nil
		}
	}

	recKeys := make([]string, len(hexes))
	for i, h := range hexes {
		recKeys[i] = k.record(h)
	}
	var datas []stored
	for i := 0; i < len(hexes); i += readBatch {
		var watchRecs []string
		if i == 0 {
			watchRecs = recKeys
		}
		d, err := b.readRecords(ctx, tx, k, hexes[i:min(i+readBatch, len(hexes))], watchRecs...)
		if err != nil {
			return nil, nil, err
		}
		datas = append(datas, d...)
	}

	var (
		plan     []planned
		dangling []string // set entries whose record is gone
		curs     = make([]*backend.Record, 0, len(datas))
		curHexes = make([]string, 0, len(datas))
		bad      []string
		errs     []error
	)
	for i, d := range datas {
		h := hexes[i]
		if d.missing {
			if sel.Index == backend.IndexID {
				return nil, sessionstore.ErrNotFound, nil
			}
			dangling = append(dangling, h)
			continue
		}
		cur, err := d.decode(h)
		if err != nil {
			bad, errs = append(bad, h), append(errs, err)
			continue
		}
		if sel.Index == backend.IndexID && cur.ID != sel.Key {
			return nil, corrupt("edit", errors.New("ID key points at another session")), nil
		}
		curs, curHexes = append(curs, cur), append(curHexes, h)
	}
	// Records that cannot be decoded go to fn as stubs, named by the
	// plain fields of their hash, so that a revocation removes them too.
	stubs, err := b.stubs(ctx, tx, k, sel, bad, errs)
	if err != nil {
		return nil, nil, err
	}
	curs, curHexes = append(curs, stubs...), append(curHexes, bad...)
	for i, cur := range curs {
		h := curHexes[i]
		op, next, err := backend.Decide(fn, cur)
		if errors.Is(err, backend.ErrEditContract) {
			return nil, opError("edit", err), nil
		}
		if err != nil {
			return nil, err, nil
		}
		switch op {
		case backend.Keep:
			continue
		case backend.Delete:
			plan = append(plan, planned{hex: h, op: op, old: cur})
		case backend.Put:
			enc, err := next.MarshalBinary()
			if err != nil {
				return nil, opError("edit", err), nil
			}
			plan = append(plan, planned{hex: h, op: op, old: cur, new: next, enc: enc})
		}
	}
	if len(plan) == 0 && len(dangling) == 0 {
		return []backend.Change{}, nil, nil
	}

	_, err = tx.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		extend := map[string]int64{} // set or zset key -> longest TTL it needs
		for _, w := range plan {
			rk, ik := k.record(w.hex), k.id(w.old.ID)
			mk, ck := k.member(w.old.MemberID()), k.customer(w.old.CustomerID())
			if w.op == backend.Delete && w.old.Corrupt != nil {
				b.deleteStub(ctx, p, k, w.hex, w.old, watch, sel)
				continue
			}
			if w.op == backend.Delete {
				b.queueDelete(ctx, p, k, w.hex, w.old)
				continue
			}
			p.HSet(ctx, rk, fieldData, w.enc)
			if w.new.ExpiresAt.Equal(w.old.ExpiresAt) {
				// HSET keeps the key's TTL, and the TTLs and the expiry
				// score written with this ExpiresAt still fit it.
				continue
			}
			ttl := b.ttl(w.new.ExpiresAt)
			p.PExpire(ctx, rk, time.Duration(ttl)*time.Millisecond)
			p.PExpire(ctx, ik, time.Duration(ttl)*time.Millisecond)
			p.ZAdd(ctx, k.expiry(), goredis.Z{Score: float64(score(w.new.ExpiresAt)), Member: w.hex})
			for _, key := range []string{mk, ck, k.expiry()} {
				extend[key] = max(extend[key], ttl)
			}
		}
		for key, ttl := range extend {
			extendScript.Eval(ctx, p, []string{key}, ttl)
		}
		for _, h := range dangling {
			p.SRem(ctx, watch, h)
		}
		return nil
	})
	execd = err == nil || errors.Is(err, goredis.TxFailedErr)
	if err != nil {
		return nil, nil, err
	}
	changes := make([]backend.Change, len(plan))
	for i, w := range plan {
		changes[i] = backend.Change{Old: w.old, New: w.new}
	}
	return changes, nil, nil
}

// queueDelete queues, in p, the removal of the record stored under hex in
// the place k with its index entries.
func (b *storage) queueDelete(ctx context.Context, p goredis.Pipeliner, k keys, hex string, rec *backend.Record) {
	p.Del(ctx, k.record(hex), k.id(rec.ID))
	p.SRem(ctx, k.member(rec.MemberID()), hex)
	p.SRem(ctx, k.customer(rec.CustomerID()), hex)
	p.ZRem(ctx, k.expiry(), hex)
}
