package redis

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
	"github.com/memberkit/sessionstore/storetest"
)

// clusterEnv names the environment variable that lists the masters of the
// shared Redis Cluster, comma-separated. .ci/redis-cluster.sh start prints
// it.
const clusterEnv = "SESSIONSTORE_REDIS_CLUSTER_ADDRS"

var (
	clusterOnce   sync.Once
	sharedCluster *goredis.ClusterClient
	clusterErr    error
)

// clusterClient returns a client of the shared cluster, made once for the
// whole run. Without the variable it skips t, except under CI, where a
// missing cluster is a failure.
func clusterClient(t testing.TB) *goredis.ClusterClient {
	t.Helper()
	addrs := os.Getenv(clusterEnv)
	if addrs == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: CI must start a cluster with: eval \"$(bash .ci/redis-cluster.sh start)\"", clusterEnv)
		}
		t.Skipf("%s is not set; start a cluster with: eval \"$(bash .ci/redis-cluster.sh start)\"", clusterEnv)
	}
	clusterOnce.Do(func() {
		c := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: strings.Split(addrs, ","), PoolSize: 32})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.ForEachMaster(ctx, func(ctx context.Context, n *goredis.Client) error { return n.Ping(ctx).Err() }); err != nil {
			_ = c.Close()
			clusterErr = fmt.Errorf("no Redis Cluster at %s=%s: %w", clusterEnv, addrs, err)
			return
		}
		sharedCluster = c
	})
	if clusterErr != nil {
		t.Fatal(clusterErr)
	}
	return sharedCluster
}

// newClusterStore is the storetest factory on the shared cluster: a store
// under a prefix of its own, removed when t ends.
func newClusterStore(t *testing.T, opts *sessionstore.Options) sessionstore.Store {
	t.Helper()
	c := clusterClient(t)
	o := &Options{KeyPrefix: testPrefix(t, c)}
	if opts != nil {
		o.Options = *opts
	}
	s, err := New(c, o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return corruptible{s}
}

func TestClusterConformance(t *testing.T) {
	clusterClient(t)
	storetest.Run(t, newClusterStore)
}

func TestClusterProperties(t *testing.T) {
	clusterClient(t)
	storetest.RunProperties(t, newClusterStore)
}

func TestClusterStress(t *testing.T) {
	clusterClient(t)
	storetest.RunStress(t, newClusterStore)
}

// TestClusterBackendSuite runs the backend-level suite on the cluster and
// checks every index entry afterwards, as TestBackendSuite does.
func TestClusterBackendSuite(t *testing.T) {
	clusterClient(t)
	storetest.RunBackend(t, func(t *testing.T) backend.Backend {
		c := clusterClient(t)
		prefix := testPrefix(t, c)
		clk := storetest.NewClock(farStart)
		b := newStorage(c, prefix, sessionstore.Options{Now: clk.Now})
		t.Cleanup(func() { checkConsistent(t, b, c, prefix) })
		return b
	})
}
