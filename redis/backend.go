package redis

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/token"
)

// ttlMargin is how long Redis keeps a record after its ExpiresAt before it
// reclaims the key by itself. Redis key expiry only reclaims space: whether
// a session is live is decided by the Engine from ExpiresAt, and expired
// records are normally purged by DeleteExpired long before.
const ttlMargin = time.Hour

// Edit's optimistic transaction is retried at most maxEditAttempts times,
// waiting a random time up to a growing bound (at most maxEditBackoff)
// between attempts.
const (
	maxEditAttempts = 100
	maxEditBackoff  = 20 * time.Millisecond
)

// maxPurgeRounds bounds how many batches one DeleteExpired call picks from
// the expiry zset: more than one only when entries whose record Redis
// already reclaimed (which are not counted) took places in a batch.
const maxPurgeRounds = 16

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

// readBatch bounds how many commands one pipelined read sends.
const readBatch = 512

// The fields of a record hash. d is the encoded Record; i, m and c repeat
// its ID, member ID and customer ID so that purgeScript can remove its
// index entries without decoding it.
const (
	fieldData     = "d"
	fieldID       = "i"
	fieldMember   = "m"
	fieldCustomer = "c"
)

// keys names a store's keys. Every key starts with the hash tag
// "{" + KeyPrefix + "}".
type keys struct{ tag string }

func newKeys(prefix string) keys { return keys{tag: "{" + prefix + "}"} }

// record is the hash holding one record, by token hash in hex.
func (k keys) record(hexHash string) string { return k.tag + "s:" + hexHash }

// id is the string mapping a session ID to its token hash in hex.
func (k keys) id(id string) string { return k.tag + "id:" + id }

// member is the set of the token hashes (hex) of a member's records.
func (k keys) member(id string) string { return k.tag + "mem:" + id }

// customer is the set of the token hashes (hex) of a customer's records.
func (k keys) customer(id string) string { return k.tag + "cus:" + id }

// lock is the lock of the member or customer set key set.
func (k keys) lock(set string) string { return k.tag + "lock:" + set[len(k.tag):] }

// expiry is the sorted set of all token hashes (hex) scored by ExpiresAt
// in Unix microseconds.
func (k keys) expiry() string { return k.tag + "exp" }

// storage implements backend.Backend on a Redis client.
type storage struct {
	c      goredis.UniversalClient
	k      keys
	now    func() time.Time
	closed atomic.Bool
}

var _ backend.Backend = (*storage)(nil)

func newStorage(c goredis.UniversalClient, prefix string, now func() time.Time) *storage {
	if now == nil {
		now = time.Now
	}
	return &storage{c: c, k: newKeys(prefix), now: now}
}

// opError wraps a failure of operation op with the package's prefix.
func opError(op string, err error) error {
	return fmt.Errorf("sessionstore/redis: %s: %w", op, err)
}

// isLocked reports insertScript's reply while an Edit holds a lock.
func isLocked(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "LOCKED ")
}

// isWrongType reports a WRONGTYPE reply: a key of ours holds a value of
// another type, which only a foreign write can cause.
func isWrongType(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "WRONGTYPE")
}

// corrupt wraps a WRONGTYPE reply or a bad record so that it matches both
// sessionstore.ErrCorrupt and the cause.
func corrupt(op string, err error) error {
	if errors.Is(err, sessionstore.ErrCorrupt) {
		return opError(op, err)
	}
	return opError(op, fmt.Errorf("%w: %w", sessionstore.ErrCorrupt, err))
}

// ttl is how long Redis keeps a record expiring at exp: relative to the
// store's clock, so that a fake clock far from wall time still gives a
// sensible TTL, plus ttlMargin.
func (b *storage) ttl(exp time.Time) int64 {
	d := exp.Sub(b.now())
	if d < 0 {
		d = 0
	}
	return (d + ttlMargin).Milliseconds()
}

// score is a record's score in the expiry zset.
func score(t time.Time) int64 { return t.UnixMicro() }

// decode decodes the data of the record stored under hexHash, and checks
// that it is the record the key names.
func decode(data []byte, hexHash string) (*backend.Record, error) {
	r := new(backend.Record)
	if err := r.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	if r.TokenHash.String() != hexHash {
		return nil, fmt.Errorf("%w: record stored under another token hash", sessionstore.ErrCorrupt)
	}
	return r, nil
}

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

// Find implements backend.Backend: one HGET.
func (b *storage) Find(ctx context.Context, h token.Hash) (*backend.Record, error) {
	if b.closed.Load() {
		return nil, sessionstore.ErrClosed
	}
	hx := h.String()
	data, err := b.c.HGet(ctx, b.k.record(hx), fieldData).Bytes()
	switch {
	case errors.Is(err, goredis.Nil):
		return nil, sessionstore.ErrNotFound
	case isWrongType(err):
		return nil, corrupt("find", err)
	case err != nil:
		return nil, opError("find", err)
	}
	r, err := decode(data, hx)
	if err != nil {
		return nil, corrupt("find", err)
	}
	return r, nil
}

// Select implements backend.Backend. By ID it reads the ID key, then
// the record; by member or customer it reads the set, then its records in
// pipelined batches. Entries whose record is gone are skipped, and so are
// records of a member or customer that cannot be decoded (they cannot
// authenticate either); a corrupt record selected by ID is ErrCorrupt.
func (b *storage) Select(ctx context.Context, sel backend.Selector) ([]*backend.Record, error) {
	if b.closed.Load() {
		return nil, sessionstore.ErrClosed
	}
	var (
		hexes []string
		err   error
	)
	switch sel.Index {
	case backend.IndexID:
		var h string
		h, err = b.c.Get(ctx, b.k.id(sel.Key)).Result()
		if errors.Is(err, goredis.Nil) {
			return []*backend.Record{}, nil
		}
		hexes = []string{h}
	case backend.IndexMember:
		hexes, err = b.c.SMembers(ctx, b.k.member(sel.Key)).Result()
	case backend.IndexCustomer:
		hexes, err = b.c.SMembers(ctx, b.k.customer(sel.Key)).Result()
	default:
		return nil, opError("select", fmt.Errorf("unknown index %d", sel.Index))
	}
	if isWrongType(err) {
		return nil, corrupt("select", err)
	}
	if err != nil {
		return nil, opError("select", err)
	}
	out := make([]*backend.Record, 0, len(hexes))
	for len(hexes) > 0 {
		n := min(len(hexes), readBatch)
		datas, err := b.readRecords(ctx, b.c, hexes[:n])
		if err != nil {
			return nil, opError("select", err)
		}
		for i, d := range datas {
			if d.missing {
				continue
			}
			r, err := d.decode(hexes[i])
			if err != nil {
				if sel.Index == backend.IndexID {
					return nil, corrupt("select", err)
				}
				continue
			}
			if sel.Index == backend.IndexID && r.ID != sel.Key {
				return nil, corrupt("select", errors.New("ID key points at another session"))
			}
			out = append(out, r)
		}
		hexes = hexes[n:]
	}
	return out, nil
}

// stored is one record's data as read: missing when the key is gone, err
// when it holds something other than a record hash.
type stored struct {
	data    []byte
	missing bool
	err     error
}

func (s stored) decode(hexHash string) (*backend.Record, error) {
	if s.err != nil {
		return nil, fmt.Errorf("%w: %w", sessionstore.ErrCorrupt, s.err)
	}
	return decode(s.data, hexHash)
}

// readRecords reads the data of the records of hexes in one pipeline on c
// (the client, or a transaction's connection). A server error other than
// WRONGTYPE fails the whole read.
func (b *storage) readRecords(ctx context.Context, c goredis.Cmdable, hexes []string) ([]stored, error) {
	cmds := make([]*goredis.StringCmd, len(hexes))
	_, err := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, h := range hexes {
			cmds[i] = p.HGet(ctx, b.k.record(h), fieldData)
		}
		return nil
	})
	if err != nil && !errors.Is(err, goredis.Nil) && !isWrongType(err) {
		return nil, err
	}
	out := make([]stored, len(hexes))
	for i, cmd := range cmds {
		data, err := cmd.Bytes()
		switch {
		case errors.Is(err, goredis.Nil):
			out[i].missing = true
		case isWrongType(err):
			out[i].err = err
		case err != nil:
			return nil, err
		default:
			out[i].data = data
		}
	}
	return out, nil
}

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
func (b *storage) Edit(ctx context.Context, sel backend.Selector, fn backend.EditFunc) ([]backend.Change, error) {
	if b.closed.Load() {
		return nil, sessionstore.ErrClosed
	}
	var watch string
	switch sel.Index {
	case backend.IndexID:
		watch = b.k.id(sel.Key)
	case backend.IndexMember:
		watch = b.k.member(sel.Key)
	case backend.IndexCustomer:
		watch = b.k.customer(sel.Key)
	default:
		return nil, opError("edit", fmt.Errorf("unknown index %d", sel.Index))
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
		err := b.c.Watch(ctx, func(tx *goredis.Tx) error {
			var err error
			changes, final, err = b.editAttempt(ctx, tx, sel, watch, fn)
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
			lock = b.k.lock(watch)
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

// editAttempt is one attempt of Edit on tx, whose WATCH already covers the
// key watch. It returns the changes, or a final error (from fn, ErrNotFound,
// ErrCorrupt, a broken EditFunc contract) or a Redis error, which includes
// TxFailedErr when a watched key changed.
func (b *storage) editAttempt(ctx context.Context, tx *goredis.Tx, sel backend.Selector, watch string, fn backend.EditFunc) ([]backend.Change, error, error) {
	var hexes []string
	if sel.Index == backend.IndexID {
		h, err := tx.Get(ctx, watch).Result()
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
		hexes, err = tx.SMembers(ctx, watch).Result()
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
		recKeys[i] = b.k.record(h)
	}
	if err := tx.Watch(ctx, recKeys...).Err(); err != nil {
		return nil, nil, err
	}
	var datas []stored
	for i := 0; i < len(hexes); i += readBatch {
		d, err := b.readRecords(ctx, tx, hexes[i:min(i+readBatch, len(hexes))])
		if err != nil {
			return nil, nil, err
		}
		datas = append(datas, d...)
	}

	var (
		plan     []planned
		dangling []string // set entries whose record is gone
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
			if sel.Index == backend.IndexID {
				return nil, corrupt("edit", err), nil
			}
			continue // it cannot authenticate; DeleteExpired removes it in time
		}
		if sel.Index == backend.IndexID && cur.ID != sel.Key {
			return nil, corrupt("edit", errors.New("ID key points at another session")), nil
		}
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

	_, err := tx.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		extend := map[string]int64{} // set or zset key -> longest TTL it needs
		for _, w := range plan {
			rk, ik := b.k.record(w.hex), b.k.id(w.old.ID)
			mk, ck := b.k.member(w.old.MemberID()), b.k.customer(w.old.CustomerID())
			if w.op == backend.Delete {
				p.Del(ctx, rk, ik)
				p.SRem(ctx, mk, w.hex)
				p.SRem(ctx, ck, w.hex)
				p.ZRem(ctx, b.k.expiry(), w.hex)
				continue
			}
			ttl := b.ttl(w.new.ExpiresAt)
			p.HSet(ctx, rk, fieldData, w.enc)
			p.PExpire(ctx, rk, time.Duration(ttl)*time.Millisecond)
			p.PExpire(ctx, ik, time.Duration(ttl)*time.Millisecond)
			p.ZAdd(ctx, b.k.expiry(), goredis.Z{Score: float64(score(w.new.ExpiresAt)), Member: w.hex})
			for _, k := range []string{mk, ck, b.k.expiry()} {
				extend[k] = max(extend[k], ttl)
			}
		}
		for k, ttl := range extend {
			extendScript.Eval(ctx, p, []string{k}, ttl)
		}
		for _, h := range dangling {
			p.SRem(ctx, watch, h)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	changes := make([]backend.Change, len(plan))
	for i, w := range plan {
		changes[i] = backend.Change{Old: w.old, New: w.new}
	}
	return changes, nil, nil
}

// DeleteExpired implements backend.Backend. It picks expired records
// from the expiry zset (so live ones are never scanned), reads their index
// fields, and removes them with purgeScript, in batches of at most limit.
// Entries whose record Redis already reclaimed are cleaned up on the way but
// not counted.
func (b *storage) DeleteExpired(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	if b.closed.Load() {
		return 0, sessionstore.ErrClosed
	}
	removed := 0
	upTo := strconv.FormatInt(score(cutoff), 10)
	for round := 0; removed < limit && round < maxPurgeRounds; round++ {
		hexes, err := b.c.ZRangeByScore(ctx, b.k.expiry(), &goredis.ZRangeBy{
			Min: "-inf", Max: upTo, Count: int64(limit - removed),
		}).Result()
		if err != nil {
			return removed, opError("delete expired", err)
		}
		if len(hexes) == 0 {
			break
		}
		n, err := b.purge(ctx, cutoff, hexes)
		removed += n
		if err != nil {
			return removed, opError("delete expired", err)
		}
	}
	return removed, nil
}

// purge removes the records of hexes that are still expired at cutoff.
func (b *storage) purge(ctx context.Context, cutoff time.Time, hexes []string) (int, error) {
	cmds := make([]*goredis.SliceCmd, len(hexes))
	_, err := b.c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, h := range hexes {
			cmds[i] = p.HMGet(ctx, b.k.record(h), fieldID, fieldMember, fieldCustomer)
		}
		return nil
	})
	if err != nil && !isWrongType(err) {
		return 0, err
	}
	var full, bare []string
	fullKeys := []string{b.k.expiry()}
	var bareKeys []string
	for i, cmd := range cmds {
		h := hexes[i]
		v, err := cmd.Result()
		if err == nil && len(v) == 3 {
			id, ok1 := v[0].(string)
			m, ok2 := v[1].(string)
			c, ok3 := v[2].(string)
			if ok1 && ok2 && ok3 {
				full = append(full, h)
				fullKeys = append(fullKeys, b.k.record(h), b.k.id(id), b.k.member(m), b.k.customer(c))
				continue
			}
		}
		bare = append(bare, h)
		bareKeys = append(bareKeys, b.k.record(h))
	}
	args := make([]any, 0, 2+len(hexes))
	args = append(args, strconv.FormatInt(score(cutoff), 10), len(full))
	for _, h := range full {
		args = append(args, h)
	}
	for _, h := range bare {
		args = append(args, h)
	}
	n, err := purgeScript.Run(ctx, b.c, append(fullKeys, bareKeys...), args...).Int()
	if err != nil {
		return 0, err
	}
	return n, nil
}

// PrivateRecords implements backend.PrivateRecords: every record this
// backend returns is decoded anew from stored bytes, and it keeps none it is
// given, so the Engine hands records out without another copy.
func (b *storage) PrivateRecords() {}

// Close implements backend.Backend. The client is the caller's and
// stays open.
func (b *storage) Close() error {
	b.closed.Store(true)
	return nil
}
