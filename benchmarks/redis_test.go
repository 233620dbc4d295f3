package benchmarks_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"runtime"
	"testing"

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

// buildRedisLookup fills a sessionstore Redis store under a fresh key
// prefix and reads its sessions through it and, for the floors, with raw
// commands on the very client it uses: HGET of the record's data field
// (by the key layout of ../redis/keys.go) and GET of the ID key.
func buildRedisLookup(b *testing.B, n int) *base {
	addr := os.Getenv(redisAddrEnv)
	if addr == "" {
		b.Skip(redisAddrEnv + " is not set")
	}
	c := goredis.NewClient(&goredis.Options{Addr: addr, PoolSize: 4 * runtime.GOMAXPROCS(0)})
	ctx := context.Background()
	var r [4]byte
	_, _ = rand.Read(r[:])
	prefix := "bench:" + hex.EncodeToString(r[:]) + ":"
	cleanup := func() {
		iter := c.Scan(ctx, 0, "{"+prefix+"}*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
		_ = c.Close()
	}
	s, err := redis.New(c, &redis.Options{Options: *storeOptions(), KeyPrefix: prefix})
	if err != nil {
		cleanup()
		b.Fatal(err)
	}
	tokens := fillStore(b, s, n)
	fail := func(format string, err error) {
		_ = s.Close()
		cleanup()
		b.Fatalf(format, err)
	}
	tag := "{" + prefix + "}"
	recKeys := make([]string, n)
	idKeys := make([]string, n)
	ids := make([]string, n)
	hasher := token.NewHasher(nil)
	for j, tok := range tokens {
		recKeys[j] = tag + "s:" + hasher.Sum(tok).String()
		sess, err := s.Lookup(ctx, tok)
		if err != nil {
			fail("%v", err)
		}
		ids[j] = sess.ID
		idKeys[j] = tag + "id:" + sess.ID
	}
	// The keys must be the store's: check one of each.
	if err := c.HGet(ctx, recKeys[0], "d").Err(); err != nil {
		fail("reading a record the Redis store wrote, by the key layout of ../redis/keys.go: %v", err)
	}
	if err := c.Get(ctx, idKeys[0]).Err(); err != nil {
		fail("reading an ID key the Redis store wrote: %v", err)
	}
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
		close: func() { _ = s.Close(); cleanup() },
	}
}
