package postgres

import (
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/storetest"
)

// TestRevocationSurvivesCrash documents which setting of
// synchronous_commit keeps a revocation across a crash of PostgreSQL. In
// each trial, sessions are created and checkpointed (so that they are on
// disk whatever the setting), revoked one by one, and the server is
// stopped at once in immediate mode (SIGQUIT, what pg_ctl stop -m
// immediate sends: no shutdown checkpoint, as after a crash) and started
// again on the same directory:
//
//   - synchronous_commit=on, fsync=on (PostgreSQL's defaults): Revoke
//     returns once its commit is in the WAL on disk, so no revoked session
//     comes back.
//   - synchronous_commit=off, fsync=off (the settings of .ci/postgres.sh):
//     Revoke returns before the WAL writer has written the commit, so the
//     last revocations before the crash can be lost and their sessions
//     authenticate again. Whether they are depends on the WAL writer's
//     timing, so the count is logged, not asserted.
//
// A crash of the machine, which fsync=off also exposes, is beyond a test.
func TestRevocationSurvivesCrash(t *testing.T) {
	const trials, perTrial = 5, 20
	for _, tc := range []struct {
		name     string
		settings []string
		keeps    bool
	}{
		{"synchronous_commit=on", []string{"fsync=on", "synchronous_commit=on"}, true},
		{"synchronous_commit=off", []string{"fsync=off", "synchronous_commit=off"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startOwnServer(t, tc.settings...)
			p, err := openPool(t, srv.url, func(c *pgxpool.Config) { c.MaxConns = 2 })
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			for _, set := range tc.settings {
				name, want, _ := strings.Cut(set, "=")
				var got string
				if err := p.QueryRow(bg, "SELECT current_setting($1::text)", name).Scan(&got); err != nil || got != want {
					t.Fatalf("the server runs with %s = %q, %v; want %q", name, got, err, want)
				}
			}
			if err := Migrate(bg, p, nil); err != nil {
				t.Fatal(err)
			}
			clk := storetest.NewClock(farStart)
			s := newStore(t, p, "", &sessionstore.Options{Now: clk.Now, SweepInterval: -1})

			lost, lostTrials := 0, 0
			for trial := range trials {
				kept, err := s.Create(bg, createParams(trial, 0))
				if err != nil {
					t.Fatal(err)
				}
				revoked := make([]*sessionstore.MemberSession, perTrial)
				for i := range revoked {
					if revoked[i], err = s.Create(bg, createParams(trial, 1+i)); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := p.Exec(bg, "CHECKPOINT"); err != nil {
					t.Fatal(err)
				}
				for _, ms := range revoked {
					if err := s.Revoke(bg, ms.ID); err != nil {
						t.Fatalf("Revoke: %v", err)
					}
				}
				srv.stop(syscall.SIGQUIT)
				srv.start()
				waitUntil(t, 10*time.Second, func() error { _, err := s.Lookup(bg, kept.Token); return err })
				n := 0
				for _, ms := range revoked {
					_, err := s.Lookup(bg, ms.Token)
					switch {
					case err == nil:
						n++
					case !errors.Is(err, sessionstore.ErrNotFound):
						t.Fatalf("Lookup of a revoked session after the restart: %v", err)
					}
				}
				if n > 0 {
					lost += n
					lostTrials++
				}
			}
			t.Logf("%s: %d of %d revocations that returned were lost by an immediate stop (in %d of %d trials)",
				tc.name, lost, trials*perTrial, lostTrials, trials)
			if tc.keeps && lost > 0 {
				t.Errorf("with %s, %d revoked sessions authenticate again after the restart", tc.name, lost)
			}
		})
	}
}
