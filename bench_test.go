package sessionstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	goredis "github.com/redis/go-redis/v9"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/badger"
	"github.com/memberkit/sessionstore/internal/benchkit"
	"github.com/memberkit/sessionstore/memory"
	"github.com/memberkit/sessionstore/postgres"
	"github.com/memberkit/sessionstore/redis"
	"github.com/memberkit/sessionstore/storetest"
	"github.com/memberkit/sessionstore/token"
)

// The store benchmarks: storetest.Bench on every backend, the footprint of
// a session in memory and on disk, and how long lookups wait while
// DeleteExpired purges. SESSIONSTORE_BENCH_LARGE=1 adds the 1M-session
// sizes; benchmarks/run.sh runs them all and writes BENCHMARKS.md.
//
// None of them asserts a timing: they report, BENCHMARKS.md compares.

func BenchmarkMemory(b *testing.B) { storetest.Bench(b, newMemoryBench) }

func BenchmarkBadgerDisk(b *testing.B) { storetest.Bench(b, newBadgerDiskBench) }

func BenchmarkBadgerInMemory(b *testing.B) { storetest.Bench(b, newBadgerInMemoryBench) }

func BenchmarkRedis(b *testing.B) {
	skipWithoutRedis(b)
	storetest.Bench(b, newRedisBench)
}

func BenchmarkPostgres(b *testing.B) {
	skipWithoutPostgres(b)
	storetest.Bench(b, newPostgresBench)
}

func newMemoryBench(b *testing.B, opts *sessionstore.Options) sessionstore.Store {
	b.Helper()
	s, err := memory.New(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// newBadgerDiskBench opens a store in a new directory, without SyncWrites
// (the default).
func newBadgerDiskBench(b *testing.B, opts *sessionstore.Options) sessionstore.Store {
	b.Helper()
	dir, err := os.MkdirTemp(b.TempDir(), "badger")
	if err != nil {
		b.Fatal(err)
	}
	s, err := badger.Open(dir, &badger.Options{Options: *opts})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

func newBadgerInMemoryBench(b *testing.B, opts *sessionstore.Options) sessionstore.Store {
	b.Helper()
	s, err := badger.Open("", &badger.Options{Options: *opts, InMemory: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// redisAddrEnv names the Redis server of the Redis benchmarks.
const redisAddrEnv = "SESSIONSTORE_REDIS_ADDR"

func skipWithoutRedis(b *testing.B) {
	if os.Getenv(redisAddrEnv) == "" {
		b.Skip(redisAddrEnv + " is not set")
	}
}

var (
	benchRedisOnce   sync.Once
	benchRedisClient *goredis.Client
)

// newRedisBench returns a store under a KeyPrefix of its own, and deletes
// its keys when b ends.
func newRedisBench(b *testing.B, opts *sessionstore.Options) sessionstore.Store {
	b.Helper()
	benchRedisOnce.Do(func() {
		benchRedisClient = goredis.NewClient(&goredis.Options{
			Addr:     os.Getenv(redisAddrEnv),
			PoolSize: 4 * runtime.GOMAXPROCS(0),
		})
	})
	c := benchRedisClient
	if err := c.Ping(context.Background()).Err(); err != nil {
		b.Fatalf("redis at %s: %v", os.Getenv(redisAddrEnv), err)
	}
	var r [4]byte
	_, _ = rand.Read(r[:])
	prefix := "bench:" + hex.EncodeToString(r[:]) + ":"
	b.Cleanup(func() { deleteRedisKeys(b, c, prefix) })
	s, err := redis.New(c, &redis.Options{Options: *opts, KeyPrefix: prefix})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// deleteRedisKeys deletes every key of the store with this KeyPrefix.
func deleteRedisKeys(b *testing.B, c goredis.UniversalClient, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	iter := c.Scan(ctx, 0, "{"+prefix+"}*", 1000).Iterator()
	var keys []string
	flush := func() {
		if len(keys) > 0 {
			if err := c.Unlink(ctx, keys...).Err(); err != nil {
				b.Errorf("cleanup: UNLINK: %v", err)
			}
			keys = keys[:0]
		}
	}
	for iter.Next(ctx) {
		if keys = append(keys, iter.Val()); len(keys) == 1000 {
			flush()
		}
	}
	flush()
	if err := iter.Err(); err != nil {
		b.Errorf("cleanup: SCAN: %v", err)
	}
}

// postgresURLEnv names the PostgreSQL server of the Postgres benchmarks.
const postgresURLEnv = "SESSIONSTORE_POSTGRES_URL"

func skipWithoutPostgres(b *testing.B) {
	if os.Getenv(postgresURLEnv) == "" {
		b.Skip(postgresURLEnv + " is not set")
	}
}

var (
	benchPostgresOnce sync.Once
	benchPostgresPool *pgxpool.Pool
	benchPostgresErr  error
)

// postgresBenchPool returns the pool of the Postgres benchmarks, made
// once: pgx's defaults (cached prepared statements) with 4 connections
// per core.
func postgresBenchPool(b *testing.B) *pgxpool.Pool {
	b.Helper()
	benchPostgresOnce.Do(func() {
		cfg, err := pgxpool.ParseConfig(os.Getenv(postgresURLEnv))
		if err != nil {
			benchPostgresErr = err
			return
		}
		cfg.MaxConns = int32(4 * runtime.GOMAXPROCS(0))
		benchPostgresPool, benchPostgresErr = pgxpool.NewWithConfig(context.Background(), cfg)
	})
	if benchPostgresErr != nil {
		b.Fatalf("postgres at %s: %v", os.Getenv(postgresURLEnv), benchPostgresErr)
	}
	return benchPostgresPool
}

// newPostgresBench returns a store in a migrated table of a schema of its
// own, and drops the schema when b ends.
func newPostgresBench(b *testing.B, opts *sessionstore.Options) sessionstore.Store {
	b.Helper()
	s, _ := newPostgresBenchTable(b, opts)
	return s
}

// newPostgresBenchTable is newPostgresBench that also returns the table.
func newPostgresBenchTable(b *testing.B, opts *sessionstore.Options) (*postgres.Store, string) {
	b.Helper()
	p := postgresBenchPool(b)
	ctx := context.Background()
	var r [4]byte
	_, _ = rand.Read(r[:])
	schema := "bench_" + hex.EncodeToString(r[:])
	if _, err := p.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if _, err := p.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			b.Errorf("cleanup: DROP SCHEMA %s: %v", schema, err)
		}
	})
	o := &postgres.Options{Options: *opts, Table: schema + "." + postgres.DefaultTable}
	if err := postgres.Migrate(ctx, p, o); err != nil {
		b.Fatal(err)
	}
	s, err := postgres.New(p, o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s, o.Table
}

// BenchmarkPostgresLookup compares the Postgres store's Lookup of a stored
// session (impl=store) with its floor (impl=raw-select): the statement the
// store sends for a Lookup, SELECT record ... WHERE token_hash = $1, by a
// precomputed token hash, on the same pool and table, scanning the record
// into a byte slice and neither decoding it nor building a session. Both
// walk the same sessions in the same order, on a table vacuumed after it
// was filled; sizes as storetest.Bench. impl=paired interleaves the two,
// one of each per operation, and reports their times and ratio.
func BenchmarkPostgresLookup(b *testing.B) {
	skipWithoutPostgres(b)
	// Every other run (-count) measures the floor first, so that neither
	// side always runs right after the fill.
	floorFirst := postgresLookupRuns.Add(1)%2 == 0
	for _, size := range benchkit.Sizes() {
		b.Run("size="+size.Name, func(b *testing.B) { postgresLookup(b, size.N, floorFirst) })
	}
}

// postgresLookupRuns counts the runs of BenchmarkPostgresLookup, to
// alternate the order of its two sides.
var postgresLookupRuns atomic.Int64

func postgresLookup(b *testing.B, n int, floorFirst bool) {
	s, table := newPostgresBenchTable(b, benchkit.Options(benchkit.NewClock()))
	tokens := make([]string, n)
	if err := benchkit.Fill(s, 0, n, 0, func(j int, sess *sessionstore.MemberSession) {
		tokens[j] = sess.Token
	}); err != nil {
		b.Fatal(err)
	}
	hashes := make([][]byte, len(tokens))
	h := token.NewHasher(nil)
	for i, tok := range tokens {
		sum := h.Sum(tok)
		hashes[i] = sum[:]
	}
	p := postgresBenchPool(b)
	query := "SELECT record FROM " + table + " WHERE token_hash = $1::bytea"
	ctx := context.Background()
	// Settle the fresh rows as autovacuum would (hint bits, visibility
	// map, statistics), so that neither side pays for the first read of a
	// row: both walk the same rows in the same order.
	if _, err := p.Exec(ctx, "VACUUM (ANALYZE) "+table); err != nil {
		b.Fatal(err)
	}
	// step walks the sessions in an order unrelated to insertion.
	const step = 7919
	store := func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := s.Lookup(ctx, tokens[i%len(tokens)]); err != nil {
				b.Fatal(err)
			}
			i += step
		}
	}
	raw := func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		var rec []byte
		for b.Loop() {
			if err := p.QueryRow(ctx, query, hashes[i%len(hashes)]).Scan(&rec); err != nil {
				b.Fatal(err)
			}
			i += step
		}
	}
	if floorFirst {
		b.Run("impl=raw-select", raw)
		b.Run("impl=store", store)
	} else {
		b.Run("impl=store", store)
		b.Run("impl=raw-select", raw)
	}
	// paired does one of each per operation, in alternating order, and
	// times each: on a busy machine, load that comes and goes then falls
	// on both sides alike, where the two runs above may meet different
	// load. It reports store-ns/op, floor-ns/op and their ratio.
	b.Run("impl=paired", func(b *testing.B) {
		b.ReportAllocs()
		var storeNs, floorNs time.Duration
		var rec []byte
		i := 0
		for b.Loop() {
			for k := range 2 {
				t0 := time.Now()
				if (i+k)%2 == 0 {
					if _, err := s.Lookup(ctx, tokens[i%len(tokens)]); err != nil {
						b.Fatal(err)
					}
					storeNs += time.Since(t0)
				} else {
					if err := p.QueryRow(ctx, query, hashes[i%len(hashes)]).Scan(&rec); err != nil {
						b.Fatal(err)
					}
					floorNs += time.Since(t0)
				}
			}
			i += step
		}
		b.ReportMetric(float64(storeNs)/float64(b.N), "store-ns/op")
		b.ReportMetric(float64(floorNs)/float64(b.N), "floor-ns/op")
		b.ReportMetric(float64(storeNs)/float64(floorNs), "store/floor")
	})
}

// BenchmarkFootprint reports what a stored session costs: heap-B/session
// for the memory backend (the live heap the store adds, after GC), and
// disk-B/session for Badger at 100k sessions (the space its closed
// directory takes, as du counts it). Sessions are shaped as in
// storetest.Bench: 5 per member, 50 per customer. ns/op is the time to fill
// the store.
func BenchmarkFootprint(b *testing.B) {
	for i, size := range benchkit.FootprintSizes() {
		b.Run("memory/size="+size.Name, func(b *testing.B) {
			b.ReportAllocs()
			var total float64
			n := 0
			for b.Loop() {
				total += memoryHeapPerSession(b, size.N)
				n++
			}
			b.ReportMetric(total/float64(n), "heap-B/session")
		})
		if i > 0 {
			continue // Badger at the first size only: a 1M fill takes minutes
		}
		b.Run("badger/size="+size.Name, func(b *testing.B) {
			b.ReportAllocs()
			var total float64
			n := 0
			for b.Loop() {
				total += badgerDiskPerSession(b, size.N)
				n++
			}
			b.ReportMetric(total/float64(n), "disk-B/session")
		})
	}
}

func memoryHeapPerSession(b *testing.B, n int) float64 {
	before := benchkit.LiveHeap()
	s, err := memory.New(benchkit.Options(benchkit.NewClock()))
	if err != nil {
		b.Fatal(err)
	}
	if err := benchkit.Fill(s, 0, n, 0, nil); err != nil {
		b.Fatal(err)
	}
	after := benchkit.LiveHeap()
	runtime.KeepAlive(s)
	_ = s.Close()
	return (float64(after) - float64(before)) / float64(n)
}

func badgerDiskPerSession(b *testing.B, n int) float64 {
	dir, err := os.MkdirTemp(b.TempDir(), "badger")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := badger.Open(dir, &badger.Options{Options: *benchkit.Options(benchkit.NewClock())})
	if err != nil {
		b.Fatal(err)
	}
	if err := benchkit.Fill(s, 0, n, 0, nil); err != nil {
		_ = s.Close()
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	return float64(diskUsage(b, dir)) / float64(n)
}

// diskUsage returns the bytes du counts for dir (allocated blocks), or,
// where du is missing, the sum of its files' sizes.
func diskUsage(b *testing.B, dir string) int64 {
	if out, err := exec.Command("du", "-sk", dir).Output(); err == nil {
		if f := strings.Fields(string(out)); len(f) > 0 {
			if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
				return kb * 1024
			}
		}
	}
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			total += info.Size()
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return total
}

// BenchmarkSweepLatency measures how long lookups wait while DeleteExpired
// purges: the store holds size sessions of which 10% are expired (other
// shares with SESSIONSTORE_BENCH_SWEEP, see sweepSizesEnv), and
// GOMAXPROCS-1 goroutines (at least one) look up live sessions back to back
// during the purge, so that lookups and purge each have a core. It reports
// the longest lookup seen during any purge as max-lookup-us, the 99.9th
// percentile as p999-lookup-us and the lookups done as lookups/op; ns/op is
// the time of the purge.
//
// Before each purge the lookups run until the store has settled from
// being filled (see settle), so that the purge meets a store in the state
// the sweeper finds in production, where the expired sessions were written
// a TTL ago, rather than one still compacting the writes of a moment ago.
// The longest lookup of the last settled window is reported as
// idle-max-lookup-us: what lookups wait for without a purge.
func BenchmarkSweepLatency(b *testing.B) {
	backends := []struct {
		name     string
		newStore func(*testing.B, *sessionstore.Options) sessionstore.Store
		skip     func(*testing.B) // skips b without the backend's server
		server   func(*testing.B) func() int
	}{
		{"memory", newMemoryBench, nil, nil},
		{"badger", newBadgerDiskBench, nil, nil},
		{"redis", newRedisBench, skipWithoutRedis, quietRedis},
		{"postgres", newPostgresBench, skipWithoutPostgres, nil},
	}
	sizes := sweepSizes(b)
	for _, be := range backends {
		for _, size := range sizes {
			b.Run(be.name+"/size="+size.name, func(b *testing.B) {
				if be.skip != nil {
					be.skip(b)
				}
				b.ReportAllocs()
				sweepLatency(b, be.newStore, be.server, size.n, size.expired)
			})
		}
	}
}

// sweepSizesEnv names the environment variable that replaces the sizes of
// BenchmarkSweepLatency with its own: a comma-separated list of
// SESSIONS:EXPIRED counts, such as "200000:50000" for 50k expired of 200k
// (size=200k/expired=50k). Unset, the sizes are benchkit.FootprintSizes
// with 10% expired.
const sweepSizesEnv = "SESSIONSTORE_BENCH_SWEEP"

type sweepSize struct {
	name       string
	n, expired int
}

// sweepSizes returns the sizes of BenchmarkSweepLatency (see sweepSizesEnv).
func sweepSizes(b *testing.B) []sweepSize {
	env := os.Getenv(sweepSizesEnv)
	if env == "" {
		var out []sweepSize
		for _, size := range benchkit.FootprintSizes() {
			out = append(out, sweepSize{size.Name, size.N, size.N / 10})
		}
		return out
	}
	count := func(n int) string {
		switch {
		case n%1_000_000 == 0:
			return strconv.Itoa(n/1_000_000) + "M"
		case n%1000 == 0:
			return strconv.Itoa(n/1000) + "k"
		}
		return strconv.Itoa(n)
	}
	var out []sweepSize
	for f := range strings.SplitSeq(env, ",") {
		ns, es, _ := strings.Cut(strings.TrimSpace(f), ":")
		n, err1 := strconv.Atoi(ns)
		e, err2 := strconv.Atoi(es)
		if err1 != nil || err2 != nil || e <= 0 || e >= n || (n-e)%benchkit.PerCustomer != 0 || e%benchkit.PerCustomer != 0 {
			b.Fatalf("%s=%q: want SESSIONS:EXPIRED, 0 < EXPIRED < SESSIONS, both multiples of %d", sweepSizesEnv, env, benchkit.PerCustomer)
		}
		out = append(out, sweepSize{count(n) + "/expired=" + count(e), n, e})
	}
	return out
}

// sweepLatency measures lookups while DeleteExpired purges expired of n
// sessions. server, when not nil, readies the backend's server before each
// purge (see quietRedis) and returns a function that reports how many times
// the server forked since: it reports them as server-forks/op.
func sweepLatency(b *testing.B, newStore func(*testing.B, *sessionstore.Options) sessionstore.Store, server func(*testing.B) func() int, n, expired int) {
	ctx := context.Background()
	clock := benchkit.NewClock()
	start := clock.Now()
	s := newStore(b, benchkit.Options(clock))
	defer s.Close()
	live := n - expired
	tokens := make([]string, live)
	// The live sessions are made a minute before the purge on the fake
	// clock, less than Options.LastUseInterval, so that the lookups only
	// read, as they did when the expired sessions lived a minute.
	clock.Set(start.Add(sweepExpiredTTL))
	if err := benchkit.Fill(s, 0, live, 0, func(j int, sess *sessionstore.MemberSession) {
		tokens[j] = sess.Token
	}); err != nil {
		b.Fatal(err)
	}
	var (
		worst, idle time.Duration
		all         []time.Duration
		lookups     int
		purges      int
		forks       int
	)
	for b.Loop() {
		b.StopTimer()
		// The expired sessions live for sweepExpiredTTL on the fake clock,
		// which then moves past them. A backend whose server expires keys
		// on its own clock (Redis) gives their keys that long in real time,
		// so the server's own expiry does not delete the same keys during
		// the measured purge (see sweepExpiredTTL).
		clock.Set(start)
		if err := benchkit.Fill(s, 1<<40, expired, sweepExpiredTTL, nil); err != nil {
			b.Fatal(err)
		}
		clock.Set(start.Add(sweepExpiredTTL + time.Minute))
		forked := func() int { return 0 }
		if server != nil {
			forked = server(b)
		}
		l := startLookers(ctx, s, tokens, max(1, runtime.GOMAXPROCS(0)-1))
		idle = max(idle, l.settle())
		l.recording.Store(true)
		b.StartTimer()

		purged, err := s.DeleteExpired(ctx)

		b.StopTimer()
		l.recording.Store(false)
		lat, failures := l.stop()
		forks += forked()
		if err != nil {
			b.Fatal(err)
		}
		if purged != expired {
			b.Fatalf("DeleteExpired removed %d sessions, want %d", purged, expired)
		}
		if failures > 0 {
			b.Fatalf("%d lookups of live sessions failed", failures)
		}
		for _, d := range lat {
			worst = max(worst, d)
		}
		all = append(all, lat...)
		lookups += len(lat)
		purges++
		b.StartTimer()
	}
	slices.Sort(all)
	p999 := time.Duration(0)
	if len(all) > 0 {
		p999 = all[min(len(all)-1, len(all)*999/1000)]
	}
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	b.ReportMetric(us(worst), "max-lookup-us")
	b.ReportMetric(us(p999), "p999-lookup-us")
	b.ReportMetric(us(idle), "idle-max-lookup-us")
	b.ReportMetric(float64(lookups)/float64(purges), "lookups/op")
	if server != nil {
		b.ReportMetric(float64(forks)/float64(purges), "server-forks/op")
	}
}

// sweepExpiredTTL is the lifetime of the sessions that BenchmarkSweepLatency
// purges: long enough in real time to outlast one run, and shorter than
// the live sessions' (sessionstore.DefaultTTL). With the TTL of a minute it
// had before, Redis's own active expiry deleted the same 100k keys during
// the purge of a million sessions and held every command up for as long as
// 155 ms (LATENCY LATEST, event expire-cycle). In production that happens
// only when that many sessions expire in the same second; the benchmark
// measures the purge.
const sweepExpiredTTL = 20 * time.Minute

// quietRedis readies the Redis server for a purge-latency measurement and
// returns a function that reports how many times it forked since. With the
// append-only file on, the server rewrites it in a forked child whenever it
// has doubled since the last rewrite, and the fork stops every command for
// as long as copying the page tables takes: 95 ms with a million sessions
// stored, measured with LATENCY LATEST on this machine. That is the
// server's persistence, whatever the client does, not the purge's cost, so
// the rewrite the fill made due runs here, before the lookups start; a fork
// during the purge still shows in server-forks/op.
func quietRedis(b *testing.B) func() int {
	ctx := context.Background()
	c := benchRedisClient
	info := func(field string) string {
		out, err := c.Info(ctx, "persistence").Result()
		if err != nil {
			b.Fatalf("redis INFO persistence: %v", err)
		}
		for line := range strings.SplitSeq(out, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
				return v
			}
		}
		return ""
	}
	forks := func() int {
		out, err := c.Info(ctx, "stats").Result()
		if err != nil {
			b.Fatalf("redis INFO stats: %v", err)
		}
		for line := range strings.SplitSeq(out, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "total_forks:"); ok {
				n, _ := strconv.Atoi(v)
				return n
			}
		}
		return 0
	}
	busy := func() bool {
		return info("aof_rewrite_in_progress") == "1" || info("aof_rewrite_scheduled") == "1" || info("rdb_bgsave_in_progress") == "1"
	}
	// idle polls the server, which reports its own persistence work,
	// until it has none, for at most two minutes.
	idle := func() {
		deadline := time.Now().Add(2 * time.Minute)
		for busy() {
			if time.Now().After(deadline) {
				b.Fatalf("redis still rewriting or saving after two minutes")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if info("aof_enabled") == "1" {
		idle()
		if err := c.BgRewriteAOF(ctx).Err(); err != nil {
			b.Fatalf("redis BGREWRITEAOF: %v", err)
		}
		idle()
	}
	before := forks()
	return func() int { return forks() - before }
}

// lookers are goroutines looking up live sessions back to back, for
// sweepLatency.
type lookers struct {
	recording atomic.Bool  // keep the latencies of the lookups that end now
	stopping  atomic.Bool  // end the goroutines
	windowMax atomic.Int64 // the longest lookup since settle reset it, in ns
	windowN   atomic.Int64 // the lookups ended since settle reset windowMax
	failures  atomic.Int64
	wg        sync.WaitGroup
	lat       [][]time.Duration
}

func startLookers(ctx context.Context, s sessionstore.Store, tokens []string, n int) *lookers {
	l := &lookers{lat: make([][]time.Duration, n)}
	for g := range n {
		l.wg.Go(func() {
			lat := make([]time.Duration, 0, 1<<16)
			for i := g * 7919; !l.stopping.Load(); i += 104729 {
				began := l.recording.Load()
				t0 := time.Now()
				_, err := s.Lookup(ctx, tokens[i%len(tokens)])
				d := time.Since(t0)
				if began || l.recording.Load() {
					lat = append(lat, d)
				}
				if err != nil {
					l.failures.Add(1)
				}
				for m := l.windowMax.Load(); int64(d) > m && !l.windowMax.CompareAndSwap(m, int64(d)); m = l.windowMax.Load() {
				}
				l.windowN.Add(1)
			}
			l.lat[g] = lat
		})
	}
	return l
}

// Settling: lookups run in windows of settleWindow until one passes with
// no lookup slower than settledMax, or for settleLimit at most. A store
// just filled is still busy with it for a while (Badger compacts the
// fill's tables for seconds on two cores, and lookups wait tens of
// milliseconds meanwhile); the wait here is for that background work, not
// for any expiry, which the fake clock drives.
const (
	settleWindow = 200 * time.Millisecond
	settledMax   = 2 * time.Millisecond
	settleLimit  = 10 * time.Second
)

// settle waits until the store has settled and returns the longest lookup
// of the last window. A window in which no lookup ended has not settled:
// a lookup was held up for all of it.
func (l *lookers) settle() time.Duration {
	deadline := time.Now().Add(settleLimit)
	for {
		l.windowMax.Store(0)
		l.windowN.Store(0)
		time.Sleep(settleWindow)
		m := time.Duration(l.windowMax.Load())
		if l.windowN.Load() == 0 {
			m = max(m, settleWindow)
		}
		if m <= settledMax || time.Now().After(deadline) {
			return m
		}
	}
}

// stop ends the goroutines and returns the latencies they recorded and how
// many lookups failed.
func (l *lookers) stop() ([]time.Duration, int64) {
	l.stopping.Store(true)
	l.wg.Wait()
	var all []time.Duration
	for _, lat := range l.lat {
		all = append(all, lat...)
	}
	return all, l.failures.Load()
}
