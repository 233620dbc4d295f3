package redis

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/storetest"
)

// startOwnCluster starts three Redis Cluster masters of the test's own,
// with append-only files fsynced on every write, the slots split in
// thirds, and returns them with a cluster client.
func startOwnCluster(t *testing.T) ([]*redisServer, *goredis.ClusterClient) {
	t.Helper()
	srvs := make([]*redisServer, 3)
	for i := range srvs {
		srvs[i] = startOwnServer(t, "--cluster-enabled", "yes")
	}
	for i, srv := range srvs {
		c := goredis.NewClient(&goredis.Options{Addr: srv.addr})
		lo, hi := i*16384/3, (i+1)*16384/3-1
		if err := c.Do(bg, "cluster", "addslotsrange", lo, hi).Err(); err != nil {
			t.Fatalf("CLUSTER ADDSLOTSRANGE: %v", err)
		}
		if i > 0 {
			host, port, _ := net.SplitHostPort(srvs[0].addr)
			if err := c.Do(bg, "cluster", "meet", host, port).Err(); err != nil {
				t.Fatalf("CLUSTER MEET: %v", err)
			}
		}
		_ = c.Close()
	}
	waitClusterOK(t, srvs)
	addrs := make([]string, len(srvs))
	for i, srv := range srvs {
		addrs[i] = srv.addr
	}
	cc := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: addrs, MaxRetries: 1, DialTimeout: time.Second, MaxRedirects: 3})
	t.Cleanup(func() { _ = cc.Close() })
	return srvs, cc
}

// waitClusterOK waits, at most 20 seconds, until every server says the
// cluster is ok with all of them in it.
func waitClusterOK(t *testing.T, srvs []*redisServer) {
	t.Helper()
	waitUntil(t, 20*time.Second, func() error {
		for _, srv := range srvs {
			c := goredis.NewClient(&goredis.Options{Addr: srv.addr, MaxRetries: -1})
			info, err := c.ClusterInfo(bg).Result()
			_ = c.Close()
			if err != nil {
				return err
			}
			if !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d", len(srvs))) {
				return fmt.Errorf("%s: not ok yet", srv.addr)
			}
		}
		return nil
	})
}

// TestClusterMasterRestart kills one master of a three-master cluster
// under a store: while it is down, every call that needs it fails with a
// wrapped error (never ErrNotFound for a live session, never a success for
// a revoked one), and the other masters answer right; once it is back, with
// its append-only file, every session is as it was: the live ones
// authenticate, the revoked ones stay revoked.
func TestClusterMasterRestart(t *testing.T) {
	srvs, cc := startOwnCluster(t)
	clk := storetest.NewClock(farStart)
	s, err := New(cc, &Options{Options: sessionstore.Options{Now: clk.Now, SweepInterval: -1}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const customers = 30
	type session struct {
		tok, id, member string
		revoked         bool
	}
	var all []session
	for i := range customers {
		p := createParams(i, 0)
		ses, err := s.Create(bg, p)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, session{ses.Token, ses.ID, p.Member.ID, i%3 == 0})
	}
	for _, ses := range all {
		if ses.revoked {
			if n, err := s.RevokeMember(bg, ses.member); n != 1 || err != nil {
				t.Fatalf("RevokeMember = %d, %v", n, err)
			}
		}
	}

	// check looks every session up and returns how many failed with an
	// error; a wrong answer fails t.
	check := func(when string) (failed int) {
		for _, ses := range all {
			_, err := s.Lookup(bg, ses.tok)
			_, gerr := s.Get(bg, ses.id)
			for _, err := range []error{err, gerr} {
				switch {
				case err == nil && ses.revoked:
					t.Errorf("%s: a revoked session authenticates", when)
				case errors.Is(err, sessionstore.ErrNotFound) && !ses.revoked:
					t.Errorf("%s: a live session is reported not found", when)
				case errors.Is(err, sessionstore.ErrExpired), errors.Is(err, sessionstore.ErrCorrupt):
					t.Errorf("%s: %v", when, err)
				case err != nil && !errors.Is(err, sessionstore.ErrNotFound):
					failed++
					if !strings.HasPrefix(err.Error(), "sessionstore/redis: ") {
						t.Errorf("%s: error %q does not say where it comes from", when, err)
					}
				}
			}
		}
		return failed
	}
	if n := check("before the restart"); n != 0 {
		t.Fatalf("%d lookups failed before the restart", n)
	}

	down := srvs[1]
	down.kill()
	failed := check("while a master is down")
	if failed == 0 || failed == 2*len(all) {
		t.Errorf("with one of three masters down, %d of %d calls failed", failed, 2*len(all))
	}
	// A revocation while a master is down: it either succeeds, and the
	// session stays revoked, or fails with an error, and then its outcome
	// is unknown to the caller, so the session is left out of the checks.
	for j, ses := range all {
		if ses.revoked {
			continue
		}
		_, err := s.RevokeMember(bg, ses.member)
		switch {
		case err == nil:
			all[j].revoked = true
		case errors.Is(err, sessionstore.ErrNotFound):
			t.Errorf("RevokeMember while a master is down: %v", err)
		default:
			all = append(all[:j], all[j+1:]...)
		}
		break
	}

	down.start()
	waitClusterOK(t, srvs)
	waitUntil(t, 20*time.Second, func() error {
		for _, ses := range all {
			if _, err := s.Lookup(bg, ses.tok); err != nil && !errors.Is(err, sessionstore.ErrNotFound) {
				return err
			}
		}
		return nil
	})
	if n := check("after the restart"); n != 0 {
		t.Errorf("%d lookups failed after the restart", n)
	}
}
