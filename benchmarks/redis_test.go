package benchmarks_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/memberkit/sessionstore/internal/benchkit"
	"github.com/memberkit/sessionstore/redis"
	"github.com/memberkit/sessionstore/token"
)

// redisAddrEnv names the Redis server of the Redis benchmarks; without it
// they are skipped.
const redisAddrEnv = "SESSIONSTORE_REDIS_ADDR"

// BenchmarkGet reads a stored session by its ID, from one goroutine and
// from GOMAXPROCS goroutines:
//
//	redis-raw-get  raw GET of the session's ID key the Redis store wrote, on the store's client
//	redis-get      sessionstore Redis Get on that store (only with SESSIONSTORE_REDIS_ADDR set)
func BenchmarkGet(b *testing.B) {
	runGroups(b, benchkit.Sizes(), []group{
		{buildRedisLookup, []string{"redis-raw-get", "redis-get"}, []string{"redis-raw-get", "redis-get"}, false},
	}, true)
}

// tripCounter is a go-redis hook that counts round trips to the server:
// every command sent on its own and every pipeline, a MULTI/EXEC
// transaction included, is one. A Watch transaction (Client.Watch) runs
// on a copy of the client's hooks, so its commands and pipelines are
// counted too. A command go-redis retries inside the hook chain counts
// once. The handshake of a new pooled connection, which also runs through
// the client's hooks, is not counted: it belongs to no operation.
type tripCounter struct{ n atomic.Int64 }

func (t *tripCounter) load() int64 { return t.n.Load() }

// handshake reports whether cmd is one a new connection starts with.
func handshake(cmd goredis.Cmder) bool {
	switch cmd.Name() {
	case "hello", "auth", "client", "select":
		return true
	}
	return false
}

// DialHook implements goredis.Hook; dialing is not a round trip of a
// command.
func (t *tripCounter) DialHook(next goredis.DialHook) goredis.DialHook { return next }

// ProcessHook implements goredis.Hook.
func (t *tripCounter) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if !handshake(cmd) {
			t.n.Add(1)
		}
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook implements goredis.Hook.
func (t *tripCounter) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		if len(cmds) > 0 && !handshake(cmds[0]) {
			t.n.Add(1)
		}
		return next(ctx, cmds)
	}
}

// redisStore is a sessionstore Redis store under a fresh key prefix, on a
// client of its own whose round trips trips counts.
type redisStore struct {
	s     *redis.Store
	c     *goredis.Client
	tag   string // the hash tag every key of the store starts with
	trips *tripCounter
}

// newRedisStore returns a redisStore, or skips b without
// SESSIONSTORE_REDIS_ADDR.
func newRedisStore(b *testing.B) *redisStore {
	addr := os.Getenv(redisAddrEnv)
	if addr == "" {
		b.Skip(redisAddrEnv + " is not set")
	}
	r := &redisStore{
		c:     goredis.NewClient(&goredis.Options{Addr: addr, PoolSize: 4 * runtime.GOMAXPROCS(0)}),
		trips: &tripCounter{},
	}
	r.c.AddHook(r.trips)
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	prefix := "bench:" + hex.EncodeToString(rnd[:]) + ":"
	r.tag = "{" + prefix + "}"
	s, err := redis.New(r.c, &redis.Options{Options: *storeOptions(), KeyPrefix: prefix})
	if err != nil {
		r.close()
		b.Fatal(err)
	}
	r.s = s
	return r
}

// close closes the store, deletes its keys and closes the client.
func (r *redisStore) close() {
	if r.s != nil {
		_ = r.s.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var keys []string
	flush := func() {
		if len(keys) > 0 {
			_ = r.c.Unlink(ctx, keys...).Err()
			keys = keys[:0]
		}
	}
	iter := r.c.Scan(ctx, 0, r.tag+"*", 1000).Iterator()
	for iter.Next(ctx) {
		if keys = append(keys, iter.Val()); len(keys) == 1000 {
			flush()
		}
	}
	flush()
	_ = r.c.Close()
}

// The keys of the sessionstore Redis store (../redis/keys.go).
func (r *redisStore) recordKey(h token.Hash) string { return r.tag + "s:" + h.String() }
func (r *redisStore) idKey(id string) string        { return r.tag + "id:" + id }
func (r *redisStore) memberKey(id string) string    { return r.tag + "mem:" + id }
func (r *redisStore) customerKey(id string) string  { return r.tag + "cus:" + id }
func (r *redisStore) expiryKey() string             { return r.tag + "exp" }

// buildRedisLookup fills a sessionstore Redis store and reads its sessions
// through it and, for the floors, with raw commands on the very client it
// uses: HGET of the record's data field and GET of the ID key.
func buildRedisLookup(b *testing.B, n int) *base {
	r := newRedisStore(b)
	tokens := fillStore(b, r.s, n)
	ctx := context.Background()
	fail := func(format string, err error) {
		r.close()
		b.Fatalf(format, err)
	}
	recKeys := make([]string, n)
	idKeys := make([]string, n)
	ids := make([]string, n)
	hasher := token.NewHasher(nil)
	for j, tok := range tokens {
		recKeys[j] = r.recordKey(hasher.Sum(tok))
		sess, err := r.s.Lookup(ctx, tok)
		if err != nil {
			fail("%v", err)
		}
		ids[j] = sess.ID
		idKeys[j] = r.idKey(sess.ID)
	}
	// The keys must be the store's: check one of each.
	if err := r.c.HGet(ctx, recKeys[0], "d").Err(); err != nil {
		fail("reading a record the Redis store wrote, by the key layout of ../redis/keys.go: %v", err)
	}
	if err := r.c.Get(ctx, idKeys[0]).Err(); err != nil {
		fail("reading an ID key the Redis store wrote: %v", err)
	}
	c, s := r.c, r.s
	return &base{
		n: n,
		ops: map[string]func(int) error{
			"redis-raw-hget": func(i int) error { return c.HGet(ctx, recKeys[i], "d").Err() },
			"redis": func(i int) error {
				_, err := s.Lookup(ctx, tokens[i])
				return err
			},
			"redis-raw-get": func(i int) error { return c.Get(ctx, idKeys[i]).Err() },
			"redis-get": func(i int) error {
				_, err := s.Get(ctx, ids[i])
				return err
			},
		},
		trips: r.trips,
		close: r.close,
	}
}
