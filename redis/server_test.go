package redis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/storetest"
)

// These tests start redis-server processes of their own, so they need the
// binary but not SESSIONSTORE_REDIS_ADDR.

// TestServerFaults kills, and then stops, the store's Redis under it:
// every call fails with an error that wraps the network cause (never
// ErrNotFound, never a panic), and once Redis is back on the same port and
// directory the same store works again with every session written before.
func TestServerFaults(t *testing.T) {
	srv := startOwnServer(t)
	c := goredis.NewClient(&goredis.Options{
		Addr: srv.addr, MaxRetries: 1, DialTimeout: time.Second, DialerRetries: 1,
		ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second,
	})
	defer c.Close()
	clk := storetest.NewClock(farStart)
	s, err := New(c, &Options{
		Options:   sessionstore.Options{Now: clk.Now, SweepInterval: -1, ExpiredRetention: -1},
		KeyPrefix: "fault:",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	var sessions []*sessionstore.MemberSession
	create := func() {
		t.Helper()
		for i := range 4 {
			ms, err := s.Create(bg, createParams(0, i%2))
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			sessions = append(sessions, ms)
		}
	}
	create()

	for _, how := range []string{"killed", "stopped"} {
		if how == "killed" {
			srv.kill()
		} else {
			srv.stop()
		}
		p := createParams(0, 0)
		first := sessions[0]
		calls := storetest.Calls(s, p, first)
		calls["Ping"] = s.Ping
		for name, call := range calls {
			ctx, cancel := context.WithTimeout(bg, 20*time.Second)
			err := call(ctx)
			cancel()
			checkServerError(t, how+" "+name, err)
		}

		srv.start()
		// go-redis keeps answering with its last dial error for up to a
		// second after repeated dial failures; the store itself needs
		// nothing.
		waitUntil(t, 10*time.Second, func() error { _, err := s.Lookup(bg, first.Token); return err })
		for _, ms := range sessions {
			got, err := s.Lookup(bg, ms.Token)
			if err != nil || got.ID != ms.ID {
				t.Fatalf("after Redis was %s and restarted: Lookup = %v, %v", how, got, err)
			}
		}
		if err := s.Ping(bg); err != nil {
			t.Fatalf("Ping after Redis was %s and restarted: %v", how, err)
		}
		create()
		if l, err := s.ListByCustomer(bg, p.Customer.ID); err != nil || len(l) != len(sessions) {
			t.Fatalf("after restart: ListByCustomer = %d sessions, %v; want %d", len(l), err, len(sessions))
		}
	}
	// Edits and purges work again too (the server forgot the scripts).
	if n, err := s.RevokeMember(bg, createParams(0, 0).Member.ID); n != len(sessions)/2 || err != nil {
		t.Errorf("RevokeMember after restart = %d, %v", n, err)
	}
	clk.Advance(2 * time.Hour)
	if n, err := s.DeleteExpired(bg); n != len(sessions)/2 || err != nil {
		t.Errorf("DeleteExpired after restart = %d, %v", n, err)
	}
}

// waitUntil calls f on a ticker until it succeeds, failing t after d.
func waitUntil(t *testing.T, d time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing after %v: %v", d, err)
		}
		<-tick.C
	}
}

// checkServerError checks that err reports a failure to reach Redis, wraps
// its cause and is no sentinel of the store.
func checkServerError(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error while Redis is down", what)
		return
	}
	for _, sentinel := range []error{sessionstore.ErrNotFound, sessionstore.ErrExpired, sessionstore.ErrInvalid, sessionstore.ErrClosed, sessionstore.ErrCorrupt} {
		if errors.Is(err, sentinel) {
			t.Errorf("%s: %v matches %v", what, err, sentinel)
		}
	}
	var netErr net.Error
	if !errors.As(err, &netErr) && !errors.Is(err, syscall.ECONNREFUSED) &&
		!errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) {
		t.Errorf("%s: %v (%T) does not wrap a network error", what, err, err)
	}
	if !strings.Contains(err.Error(), "sessionstore/redis") {
		t.Errorf("%s: %v does not say where it comes from", what, err)
	}
}

// startCluster starts a one-node Redis Cluster that owns every slot, so
// that the server enforces the cluster's rules (CROSSSLOT) on the store.
func startCluster(t *testing.T) *goredis.ClusterClient {
	t.Helper()
	srv := startOwnServer(t, "--cluster-enabled", "yes")
	c := goredis.NewClient(&goredis.Options{Addr: srv.addr})
	defer c.Close()
	args := []any{"cluster", "addslots"}
	for i := range 16384 {
		args = append(args, i)
	}
	if err := c.Do(bg, args...).Err(); err != nil {
		t.Fatalf("CLUSTER ADDSLOTS: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		info, err := c.ClusterInfo(bg).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster not ok: %q, %v", info, err)
		}
	}
	cc := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: []string{srv.addr}})
	t.Cleanup(func() { _ = cc.Close() })
	if err := cc.Ping(bg).Err(); err != nil {
		t.Fatal(err)
	}
	return cc
}

// TestCluster runs the conformance suite through a ClusterClient: any
// script or transaction whose keys spanned slots would fail with CROSSSLOT.
func TestCluster(t *testing.T) {
	cc := startCluster(t)
	n := 0
	newStore := func(t *testing.T, opts *sessionstore.Options) sessionstore.Store {
		t.Helper()
		n++
		o := &Options{KeyPrefix: fmt.Sprintf("cluster%d:", n)}
		if opts != nil {
			o.Options = *opts
		}
		s, err := New(cc, o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return corruptible{s}
	}
	storetest.Run(t, newStore)
	storetest.RunStress(t, newStore)

	// The keys of a session are in the slot of its customer's route, and
	// its member's owner set in the slot of the member's, as the server
	// computes them.
	s := newStore(t, &sessionstore.Options{SweepInterval: -1})
	p := createParams(3, 1)
	p.Member.ID = "a {tricky} member}"
	if _, err := s.Create(bg, p); err != nil {
		t.Fatal(err)
	}
	prefix := fmt.Sprintf("cluster%d:", n)
	var keys []string
	err := cc.ForEachMaster(bg, func(ctx context.Context, node *goredis.Client) error {
		ks, err := node.Keys(ctx, "{"+prefix+"#*").Result()
		keys = append(keys, ks...)
		return err
	})
	if err != nil || len(keys) != 6 {
		t.Fatalf("keys = %q, %v", keys, err)
	}
	b := newStorage(cc, prefix, sessionstore.Options{})
	place, owner := b.placeOf(p.Customer.ID), b.placeOf(p.Member.ID).owner(p.Member.ID)
	want := int64(keySlot(place.expiry()))
	for _, k := range keys {
		w := want
		if k == owner {
			w = int64(keySlot(owner))
		} else if !strings.HasPrefix(k, place.tag) {
			t.Errorf("key %q is not in the customer's place %s", k, place.tag)
		}
		if got := cc.ClusterKeySlot(bg, k).Val(); got != w || int64(keySlot(k)) != got {
			t.Errorf("key %q in slot %d (keySlot %d), want %d", k, got, keySlot(k), w)
		}
	}
}
