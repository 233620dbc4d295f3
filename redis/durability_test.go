package redis

import (
	"errors"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/storetest"
)

// TestRevocationSurvivesRestart documents which Redis persistence keeps a
// revocation across a restart of Redis. A session is created, a snapshot
// is saved (as RDB would on its schedule), the session is revoked, and
// Redis is killed (SIGKILL) and started again on the same directory:
//
//   - appendonly yes, appendfsync always: the revocation is in the AOF
//     before RevokeMember returns, so the session stays revoked.
//   - RDB snapshots alone: the revocation came after the last snapshot,
//     so the restarted Redis has the session again, and it authenticates.
func TestRevocationSurvivesRestart(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		keeps bool
	}{
		{"AOF always", []string{"--appendonly", "yes", "--appendfsync", "always"}, true},
		{"RDB only", []string{"--appendonly", "no", "--save", "3600 1"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startOwnServer(t, tc.args...)
			c := goredis.NewClient(&goredis.Options{Addr: srv.addr, MaxRetries: -1, DialTimeout: time.Second})
			defer c.Close()
			clk := storetest.NewClock(farStart)
			s, err := New(c, &Options{Options: sessionstore.Options{Now: clk.Now, SweepInterval: -1}})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			revoked, err := s.Create(bg, createParams(0, 0))
			if err != nil {
				t.Fatal(err)
			}
			kept, err := s.Create(bg, createParams(0, 1))
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Save(bg).Err(); err != nil {
				t.Fatalf("SAVE: %v", err)
			}
			if n, err := s.RevokeMember(bg, revoked.MemberID); n != 1 || err != nil {
				t.Fatalf("RevokeMember = %d, %v", n, err)
			}
			srv.kill()
			srv.start()
			waitUntil(t, 10*time.Second, func() error { return s.Ping(bg) })
			if _, err := s.Lookup(bg, kept.Token); err != nil {
				t.Fatalf("Lookup of a session never revoked, after the restart: %v", err)
			}
			_, err = s.Lookup(bg, revoked.Token)
			switch {
			case tc.keeps && !errors.Is(err, sessionstore.ErrNotFound):
				t.Errorf("revoked session after the restart: Lookup = %v, want ErrNotFound", err)
			case !tc.keeps && err != nil:
				t.Errorf("with RDB only, the revoked session was expected back after the restart (this test documents it); Lookup = %v", err)
			}
		})
	}
}
