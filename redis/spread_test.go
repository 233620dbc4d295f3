package redis

import (
	"context"
	"maps"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/memberkit/sessionstore"
)

// nodeCounter counts, per node, the commands and round trips a client
// sends: each command sent on its own and each pipeline (a transaction's
// included) is one round trip. Its hooks go on a client, or on every node
// client of a cluster client.
type nodeCounter struct {
	mu    sync.Mutex
	cmds  map[string]int
	trips map[string]int
}

func newNodeCounter() *nodeCounter {
	return &nodeCounter{cmds: map[string]int{}, trips: map[string]int{}}
}

func (n *nodeCounter) add(addr string, cmds int) {
	n.mu.Lock()
	n.cmds[addr] += cmds
	n.trips[addr]++
	n.mu.Unlock()
}

func (n *nodeCounter) reset() {
	n.mu.Lock()
	clear(n.cmds)
	clear(n.trips)
	n.mu.Unlock()
}

// hook returns the goredis.Hook counting for the node at addr.
func (n *nodeCounter) hook(addr string) goredis.Hook { return nodeHook{n, addr} }

type nodeHook struct {
	n    *nodeCounter
	addr string
}

func (h nodeHook) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (h nodeHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if !handshakeCmd(cmd) {
			h.n.add(h.addr, 1)
		}
		return next(ctx, cmd)
	}
}

func (h nodeHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		if len(cmds) > 0 && !handshakeCmd(cmds[0]) {
			h.n.add(h.addr, len(cmds))
		}
		return next(ctx, cmds)
	}
}

// handshakeCmd reports a command go-redis sends on its own when it opens a
// connection or learns the cluster's shape, which no store call sends.
func handshakeCmd(cmd goredis.Cmder) bool {
	switch strings.ToLower(cmd.Name()) {
	case "hello", "client", "auth", "select", "ping", "cluster", "readonly":
		return true
	}
	return false
}

// countingCluster returns a cluster client of its own whose every node
// client counts into a nodeCounter, and the masters' addresses.
func countingCluster(t testing.TB) (*goredis.ClusterClient, *nodeCounter, []string) {
	t.Helper()
	clusterClient(t) // skips without a cluster
	nc := newNodeCounter()
	cc := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: strings.Split(os.Getenv(clusterEnv), ","), PoolSize: 32})
	cc.OnNewNode(func(rdb *goredis.Client) { rdb.AddHook(nc.hook(rdb.Options().Addr)) })
	t.Cleanup(func() { _ = cc.Close() })
	var mu sync.Mutex
	var masters []string
	if err := cc.ForEachMaster(bg, func(ctx context.Context, n *goredis.Client) error {
		mu.Lock()
		masters = append(masters, n.Options().Addr)
		mu.Unlock()
		return n.Ping(ctx).Err()
	}); err != nil {
		t.Fatal(err)
	}
	sort.Strings(masters)
	return cc, nc, masters
}

// spreadCustomers is how many customers TestClusterSpread stores sessions
// for, as the target says.
const spreadCustomers = 1000

// TestClusterSpread stores one session for each of 1,000 customers in one
// store on the three-master cluster and checks that each master holds
// 20-47% of the store's keys and serves 20-47% of the commands of a Lookup
// of every session.
func TestClusterSpread(t *testing.T) {
	cc, nc, masters := countingCluster(t)
	if len(masters) != 3 {
		t.Skipf("the targets are for three masters, the cluster has %d", len(masters))
	}
	prefix := testPrefix(t, cc)
	s, err := New(cc, &Options{Options: sessionstore.Options{SweepInterval: -1}, KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	toks := make([]string, spreadCustomers)
	for i := range toks {
		ses, err := s.Create(bg, createParams(i, 0))
		if err != nil {
			t.Fatal(err)
		}
		toks[i] = ses.Token
	}

	keysAt := map[string]int{}
	total := 0
	for _, addr := range masters {
		node := goredis.NewClient(&goredis.Options{Addr: addr})
		iter := node.Scan(bg, 0, "{"+prefix+"[}#]*", 1000).Iterator()
		for iter.Next(bg) {
			keysAt[addr]++
			total++
		}
		if err := iter.Err(); err != nil {
			t.Fatal(err)
		}
		_ = node.Close()
	}

	// The first call asks once whether the store has sessions from before
	// routes (see legacyState); every Lookup after it is one HGET.
	if _, err := s.Lookup(bg, toks[0]); err != nil {
		t.Fatal(err)
	}
	nc.reset()
	for _, tok := range toks {
		if _, err := s.Lookup(bg, tok); err != nil {
			t.Fatal(err)
		}
	}
	nc.mu.Lock()
	cmdsAt := maps.Clone(nc.cmds)
	nc.mu.Unlock()
	lookups := 0
	for _, n := range cmdsAt {
		lookups += n
	}
	if lookups != spreadCustomers {
		t.Errorf("%d Lookups sent %d commands, want one each", spreadCustomers, lookups)
	}
	for _, addr := range masters {
		keyShare := float64(keysAt[addr]) / float64(total)
		cmdShare := float64(cmdsAt[addr]) / float64(lookups)
		t.Logf("master %s: %d of %d keys (%.1f%%), %d of %d Lookup commands (%.1f%%)",
			addr, keysAt[addr], total, 100*keyShare, cmdsAt[addr], lookups, 100*cmdShare)
		for what, share := range map[string]float64{"keys": keyShare, "Lookup commands": cmdShare} {
			if share < 0.20 || share > 0.47 {
				t.Errorf("master %s has %.1f%% of the %s, want 20-47%%", addr, 100*share, what)
			}
		}
	}
}
