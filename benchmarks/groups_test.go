package benchmarks_test

import (
	"context"
	"fmt"
	"testing"

	badgerdb "github.com/dgraph-io/badger/v4"
	goredis "github.com/redis/go-redis/v9"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/internal/benchkit"
	"github.com/memberkit/sessionstore/storetest"
)

// groupSize is the one store size of BenchmarkGroupEdit: the cost of a
// group edit is that of its group's records, whatever else the store holds.
var groupSize = benchkit.Size{Name: "1k", N: 1_000}

// BenchmarkGroupEdit edits every session of one customer (50 sessions of
// 10 members) or one member (5) in a store of 1k sessions, beside raw
// floors on the same DB or client. Operation i edits the customer or
// member of session i:
//
//	badger-update-customer  sessionstore Badger UpdateCustomer, the customer's name
//	                        alternating between two values, so that every record is rewritten
//	badger-raw-rewrite      one Badger read-write transaction that iterates the customer's
//	                        index keys, reads each record they name (Get, ValueCopy) and sets
//	                        it again with one byte changed, decoding nothing
//	badger-revoke-customer  sessionstore Badger RevokeCustomer
//	badger-raw-delete       one Badger transaction deleting the customer's 50 records
//	                        and their four index keys each (keys precomputed)
//	redis-update-customer   sessionstore Redis UpdateCustomer, as for Badger
//	redis-raw-rewrite       on the store's client, one pipeline of HGETs of the data field
//	                        of the customer's 50 records (keys precomputed) and one
//	                        MULTI/EXEC setting each again with one byte changed
//	redis-revoke-customer   sessionstore Redis RevokeCustomer
//	redis-raw-delete        on the store's client, one MULTI/EXEC deleting the customer's
//	                        50 records and their ID keys and removing them from the member
//	                        and customer sets and the expiry zset (keys precomputed)
//	redis-revoke-member     sessionstore Redis RevokeMember of the member's 5 sessions
//
// A revoked customer or member is created again after each operation, with
// the timer stopped (the same members, new tokens). Each store and its
// floor share a DB or client filled for them alone, so that neither reads
// the other's deleted versions; the raw rewrites leave records that no
// longer decode, so they run after the store. The Redis
// implementations also report round-trips/op (only with
// SESSIONSTORE_REDIS_ADDR set).
func BenchmarkGroupEdit(b *testing.B) {
	runGroups(b, []benchkit.Size{groupSize}, []group{
		{buildBadgerGroups, []string{"badger-update-customer", "badger-raw-rewrite"}, nil, false},
		{buildBadgerGroups, []string{"badger-revoke-customer", "badger-raw-delete"}, nil, false},
		{buildRedisGroups, []string{"redis-update-customer", "redis-raw-rewrite"}, nil, false},
		{buildRedisGroups, []string{"redis-revoke-customer", "redis-raw-delete", "redis-revoke-member"}, nil, false},
	}, false)
}

// groupStore is a store filled by benchkit.Fill for group edits, with its
// sessions by index as Fill numbers them.
type groupStore struct {
	s        sessionstore.Store
	sessions []*sessionstore.MemberSession
	recs     []*backend.Record // the stored form of each, for the floors' keys
	renamed  []bool            // by customer: whether its name is the second one
}

// fillGroups fills s with n sessions; it calls closeFn when that fails.
func fillGroups(b *testing.B, s sessionstore.Store, n int, closeFn func()) *groupStore {
	g := &groupStore{
		s:        s,
		sessions: make([]*sessionstore.MemberSession, n),
		recs:     make([]*backend.Record, n),
		renamed:  make([]bool, n/benchkit.PerCustomer),
	}
	if err := benchkit.Fill(s, 0, n, 0, g.set); err != nil {
		closeFn()
		b.Fatal(err)
	}
	return g
}

// customer returns the range of session indexes of the customer of session
// i, and member that of its member.
func customer(i int) (first, n int) { return i - i%benchkit.PerCustomer, benchkit.PerCustomer }
func member(i int) (first, n int)   { return i - i%benchkit.PerMember, benchkit.PerMember }

// create creates sessions first to first+n-1 again.
func (g *groupStore) create(first, n int) error {
	ctx := context.Background()
	for j := first; j < first+n; j++ {
		sess, err := g.s.Create(ctx, sessionParams(j))
		if err != nil {
			return err
		}
		g.set(j, sess)
	}
	return nil
}

// set records sess as session j.
func (g *groupStore) set(j int, sess *sessionstore.MemberSession) {
	g.sessions[j], g.recs[j] = sess, record(sess)
}

func (g *groupStore) refillCustomer(i int) error { return g.create(customer(i)) }
func (g *groupStore) refillMember(i int) error   { return g.create(member(i)) }

// updateCustomer renames the customer of session i, alternating between two
// names, and checks that every one of its sessions was updated.
func (g *groupStore) updateCustomer(i int) error {
	c := storetest.NewCustomer(i / benchkit.PerCustomer)
	k := i / benchkit.PerCustomer
	g.renamed[k] = !g.renamed[k]
	name := "Acme Renamed"
	if !g.renamed[k] {
		name = "Acme"
	}
	c.Name = &name
	return wantN(g.s.UpdateCustomer(context.Background(), c))
}

func (g *groupStore) revokeCustomer(i int) error {
	return wantN(g.s.RevokeCustomer(context.Background(), g.sessions[i].Customer.ID))
}

func (g *groupStore) revokeMember(i int) error {
	n, err := g.s.RevokeMember(context.Background(), g.sessions[i].Member.ID)
	if err == nil && n != benchkit.PerMember {
		err = fmt.Errorf("revoked %d sessions of a member, want %d", n, benchkit.PerMember)
	}
	return err
}

// wantN checks that a group edit of a customer changed all its sessions.
func wantN(n int, err error) error {
	if err == nil && n != benchkit.PerCustomer {
		err = fmt.Errorf("edited %d sessions of a customer, want %d", n, benchkit.PerCustomer)
	}
	return err
}

// buildBadgerGroups fills a sessionstore Badger store and edits its
// customers through it and, for the floors, straight on its DB.
func buildBadgerGroups(b *testing.B, n int) *base {
	db, closeDB := openDB(b, rawOptions)
	s := newBadgerOn(b, db)
	closeAll := func() { _ = s.Close(); closeDB() }
	g := fillGroups(b, s, n, closeAll)
	// The keys must be the store's: check those of one session.
	if err := db.View(func(txn *badgerdb.Txn) error {
		for _, w := range rawWrites(g.recs[0], nil) {
			if _, err := txn.Get(w[0]); err != nil {
				return fmt.Errorf("key %q: %w", w[0], err)
			}
		}
		return nil
	}); err != nil {
		closeAll()
		b.Fatalf("reading the keys the Badger store wrote, by the key layout of ../badger/keys.go: %v", err)
	}
	rawDelete := func(i int) error {
		first, n := customer(i)
		return db.Update(func(txn *badgerdb.Txn) error {
			for _, rec := range g.recs[first : first+n] {
				for _, w := range rawWrites(rec, nil) {
					if err := txn.Delete(w[0]); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}
	rawRewrite := func(i int) error {
		return db.Update(func(txn *badgerdb.Txn) error {
			opts := badgerdb.DefaultIteratorOptions
			opts.PrefetchValues = false
			opts.Prefix = groupKey('c', g.sessions[i].Customer.ID, "")
			it := txn.NewIterator(opts)
			defer it.Close()
			n := 0
			for it.Rewind(); it.Valid(); it.Next() {
				h, err := it.Item().ValueCopy(nil)
				if err != nil {
					return err
				}
				key := append([]byte(keyPrefix+"h"), h...)
				item, err := txn.Get(key)
				if err != nil {
					return err
				}
				v, err := item.ValueCopy(nil)
				if err != nil {
					return err
				}
				v[len(v)-1] ^= 1
				if err := txn.Set(key, v); err != nil {
					return err
				}
				n++
			}
			if n != benchkit.PerCustomer {
				return fmt.Errorf("rewrote %d records of a customer, want %d", n, benchkit.PerCustomer)
			}
			return nil
		})
	}
	return &base{
		n: n,
		ops: map[string]func(int) error{
			"badger-update-customer": g.updateCustomer,
			"badger-revoke-customer": g.revokeCustomer,
			"badger-raw-delete":      rawDelete,
			"badger-raw-rewrite":     rawRewrite,
		},
		after: map[string]func(int) error{
			"badger-revoke-customer": g.refillCustomer,
			"badger-raw-delete":      g.refillCustomer,
		},
		close: closeAll,
	}
}

// buildRedisGroups fills a sessionstore Redis store and edits its customers
// and members through it and, for the floors, with raw commands on its
// client.
func buildRedisGroups(b *testing.B, n int) *base {
	r := newRedisStore(b)
	g := fillGroups(b, r.s, n, r.close)
	ctx := context.Background()
	// hexes returns the token hashes (hex) and record keys of the sessions
	// of the customer of session i.
	hexes := func(i int) (hx, recKeys []string) {
		first, n := customer(i)
		for _, rec := range g.recs[first : first+n] {
			hx, recKeys = append(hx, rec.TokenHash.String()), append(recKeys, r.recordKey(rec.TokenHash))
		}
		return hx, recKeys
	}
	rawDelete := func(i int) error {
		first, n := customer(i)
		hx, keys := hexes(i)
		var del *goredis.IntCmd
		_, err := r.c.TxPipelined(ctx, func(p goredis.Pipeliner) error {
			for _, rec := range g.recs[first : first+n] {
				keys = append(keys, r.idKey(rec.ID))
			}
			del = p.Del(ctx, keys...)
			for m := 0; m < n; m += benchkit.PerMember {
				p.SRem(ctx, r.memberKey(g.sessions[first+m].Member.ID), toAny(hx[m:m+benchkit.PerMember])...)
			}
			p.SRem(ctx, r.customerKey(g.sessions[first].Customer.ID), toAny(hx)...)
			p.ZRem(ctx, r.expiryKey(), toAny(hx)...)
			return nil
		})
		if err == nil && del.Val() != int64(2*n) {
			err = fmt.Errorf("deleted %d keys of %d sessions, want %d: is the key layout that of ../redis/keys.go?", del.Val(), n, 2*n)
		}
		return err
	}
	rawRewrite := func(i int) error {
		_, keys := hexes(i)
		gets := make([]*goredis.StringCmd, len(keys))
		if _, err := r.c.Pipelined(ctx, func(p goredis.Pipeliner) error {
			for j, k := range keys {
				gets[j] = p.HGet(ctx, k, "d")
			}
			return nil
		}); err != nil {
			return fmt.Errorf("reading the records by the key layout of ../redis/keys.go: %w", err)
		}
		_, err := r.c.TxPipelined(ctx, func(p goredis.Pipeliner) error {
			for j, k := range keys {
				v, _ := gets[j].Bytes()
				v[len(v)-1] ^= 1
				p.HSet(ctx, k, "d", v)
			}
			return nil
		})
		return err
	}
	return &base{
		n: n,
		ops: map[string]func(int) error{
			"redis-update-customer": g.updateCustomer,
			"redis-revoke-customer": g.revokeCustomer,
			"redis-revoke-member":   g.revokeMember,
			"redis-raw-delete":      rawDelete,
			"redis-raw-rewrite":     rawRewrite,
		},
		after: map[string]func(int) error{
			"redis-revoke-customer": g.refillCustomer,
			"redis-revoke-member":   g.refillMember,
			"redis-raw-delete":      g.refillCustomer,
		},
		trips: r.trips,
		close: r.close,
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
