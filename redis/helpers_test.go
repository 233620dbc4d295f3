package redis

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	goredis "github.com/redis/go-redis/v9"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/storetest"
	"github.com/memberkit/sessionstore/token"
)

// addrEnv names the environment variable that tells the tests where the
// shared Redis server listens. .ci/redis.sh start prints it.
const addrEnv = "SESSIONSTORE_REDIS_ADDR"

var (
	sharedOnce   sync.Once
	sharedClient *goredis.Client
	sharedErr    error
)

func TestMain(m *testing.M) {
	goredis.SetLogger(quietLogger{})
	code := m.Run()
	if sharedClient != nil {
		_ = sharedClient.Close()
	}
	os.Exit(code)
}

// quietLogger shows go-redis's own log (such as its dial failures while
// a test has stopped Redis) only under go test -v.
type quietLogger struct{}

func (quietLogger) Printf(_ context.Context, format string, v ...any) {
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "go-redis: "+format+"\n", v...)
	}
}

// requireServer skips t when no Redis server is configured, except under CI,
// where a missing server is a failure.
func requireServer(t testing.TB) string {
	t.Helper()
	addr := os.Getenv(addrEnv)
	if addr == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: CI must start Redis with: eval \"$(bash .ci/redis.sh start)\"", addrEnv)
		}
		t.Skipf("%s is not set; start a server with: eval \"$(bash .ci/redis.sh start)\"", addrEnv)
	}
	return addr
}

// client returns the client of the shared server, made once for the whole
// run and closed by TestMain.
func client(t testing.TB) *goredis.Client {
	t.Helper()
	addr := requireServer(t)
	sharedOnce.Do(func() {
		c := goredis.NewClient(&goredis.Options{Addr: addr, PoolSize: 32})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Ping(ctx).Err(); err != nil {
			_ = c.Close()
			sharedErr = fmt.Errorf("no Redis at %s=%s: %w", addrEnv, addr, err)
			return
		}
		sharedClient = c
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedClient
}

// testPrefix returns a KeyPrefix no other test uses, and deletes every key
// under it when t ends.
func testPrefix(t testing.TB, c goredis.UniversalClient) string {
	t.Helper()
	var r [4]byte
	_, _ = rand.Read(r[:])
	name := strings.Map(func(c rune) rune {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '/' {
			return c
		}
		return '_'
	}, t.Name())
	if len(name) > 80 {
		name = name[len(name)-80:]
	}
	prefix := "test:" + name + ":" + hex.EncodeToString(r[:]) + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, k := range scanKeys(t, ctx, c, prefix) {
			if err := c.Del(ctx, k).Err(); err != nil {
				t.Errorf("cleanup: DEL %s: %v", k, err)
			}
		}
	})
	return prefix
}

// scanKeys returns every key of the store with this KeyPrefix, on every
// master when c is a cluster client.
func scanKeys(t testing.TB, ctx context.Context, c goredis.UniversalClient, prefix string) []string {
	t.Helper()
	scan := func(ctx context.Context, c goredis.Cmdable) ([]string, error) {
		var out []string
		// The single-tag layout's "{prefix}..." and the routed layout's
		// "{prefix#route}...".
		iter := c.Scan(ctx, 0, "{"+prefix+"[}#]*", 1000).Iterator()
		for iter.Next(ctx) {
			out = append(out, iter.Val())
		}
		return out, iter.Err()
	}
	cc, ok := c.(*goredis.ClusterClient)
	if !ok {
		out, err := scan(ctx, c)
		if err != nil {
			t.Fatalf("SCAN: %v", err)
		}
		return out
	}
	var mu sync.Mutex
	var out []string
	err := cc.ForEachMaster(ctx, func(ctx context.Context, node *goredis.Client) error {
		ks, err := scan(ctx, node)
		mu.Lock()
		out = append(out, ks...)
		mu.Unlock()
		return err
	})
	if err != nil {
		t.Fatalf("SCAN: %v", err)
	}
	return out
}

// farStart is far from wall time on purpose: TTLs must be relative to the
// store's clock.
var farStart = time.Date(2031, time.March, 4, 5, 6, 7, 891011000, time.UTC)

func strptr(s string) *string { return &s }

// testCustomer returns customer n.
func testCustomer(n int) sessionstore.Customer {
	team := sessionstore.CustomerTeam
	return sessionstore.Customer{
		ID:             fmt.Sprintf("c0ffee00-0000-4c00-8000-%012x", n),
		CreatedAt:      time.Date(2025, 11, 30, 8, 30, 0, 500000000, time.UTC),
		Email:          fmt.Sprintf("billing+%d@acme.example.com", n),
		EmailVerified:  true,
		Type:           &team,
		Name:           strptr(fmt.Sprintf("Acme %d", n)),
		Metadata:       sessionstore.Metadata{"plan": sessionstore.StringValue("pro")},
		OrganizationID: "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d",
	}
}

// testMember returns member n of customer c.
func testMember(c sessionstore.Customer, n int) sessionstore.Member {
	return sessionstore.Member{
		ID:         fmt.Sprintf("m%d-of-%s", n, c.ID),
		CreatedAt:  time.Date(2025, 12, 1, 9, 0, 0, 123456000, time.UTC),
		CustomerID: c.ID,
		Email:      fmt.Sprintf("member+%d@%s.example.com", n, c.ID[len(c.ID)-12:]),
		Role:       sessionstore.RoleMember,
	}
}

// newRecord returns a record of m and c created at now, expiring after ttl,
// with a random token hash and a random ID that carries the customer's
// route, as the engine makes them.
func newRecord(m sessionstore.Member, c sessionstore.Customer, now time.Time, ttl time.Duration) *backend.Record {
	var h token.Hash
	_, _ = rand.Read(h[:])
	id := backend.WithRoute(uuid.NewString(), backend.RouteOf(c.ID))
	now = now.UTC().Truncate(time.Microsecond)
	return &backend.Record{
		ID:        id,
		TokenHash: h,
		CreatedAt: now,
		ExpiresAt: now.Add(ttl),
		Member:    &m,
		Customer:  &c,
	}
}

// newTestBackend returns a backend on the shared server under a fresh
// prefix, with a fake clock.
func newTestBackend(t *testing.T) (*storage, *storetest.Clock, *goredis.Client, string) {
	t.Helper()
	c := client(t)
	prefix := testPrefix(t, c)
	clk := storetest.NewClock(farStart)
	return newStorage(c, prefix, sessionstore.Options{Now: clk.Now}), clk, c, prefix
}

// newTestStore returns a Store on the shared server under a fresh prefix,
// with a fake clock and no sweeper.
func newTestStore(t *testing.T, prefix string, clk *storetest.Clock) *Store {
	t.Helper()
	s, err := New(client(t), &Options{
		Options:   sessionstore.Options{Now: clk.Now, SweepInterval: -1, ExpiredRetention: -1, PortalURL: "https://polar.sh/acme/portal"},
		KeyPrefix: prefix,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// createParams returns the CreateParams of member n of customer cn.
func createParams(cn, n int) sessionstore.CreateParams {
	c := testCustomer(cn)
	return sessionstore.CreateParams{Member: testMember(c, n), Customer: c}
}

// redisServer is a redis-server process a test starts on its own port and
// directory.
type redisServer struct {
	t    *testing.T
	args []string
	addr string
	cmd  *exec.Cmd
}

// startOwnServer starts a redis-server of the test's own, with extra
// arguments, and stops it when t ends. Without the binary it skips t,
// except under CI.
func startOwnServer(t *testing.T, extra ...string) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redis-server not found under CI: %v", err)
		}
		t.Skipf("redis-server not found: %v", err)
	}
	port := freePort(t)
	s := &redisServer{t: t, addr: "127.0.0.1:" + strconv.Itoa(port)}
	s.args = append([]string{
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--dir", t.TempDir(), "--appendonly", "yes", "--appendfsync", "always",
		"--save", "", "--daemonize", "no", "--loglevel", "warning",
	}, extra...)
	s.start()
	t.Cleanup(s.kill)
	return s
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// start runs the server and waits, at most 10 seconds, until it answers
// PING.
func (s *redisServer) start() {
	s.t.Helper()
	s.cmd = exec.Command("redis-server", s.args...)
	var out bytes.Buffer
	s.cmd.Stdout, s.cmd.Stderr = &out, &out
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	c := goredis.NewClient(&goredis.Options{Addr: s.addr, MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.kill()
			s.t.Fatalf("redis-server on %s did not answer PING: %v\n%s", s.addr, err, out.String())
		}
	}
}

// kill ends the server at once (SIGKILL) and waits for it; with
// appendfsync always nothing acknowledged is lost.
func (s *redisServer) kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// stop ends the server gracefully (SIGTERM) and waits for it.
func (s *redisServer) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
}
