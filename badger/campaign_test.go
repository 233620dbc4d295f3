package badger

import (
	"context"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/storetest"
)

// campaignTrials is how many damaged copies TestCorruptionCampaign opens.
const campaignTrials = 50

// TestCorruptionCampaign damages the files of a closed store and reopens
// it, campaignTrials times from fixed seeds: each trial flips one to three
// random bytes of its .sst and .vlog files. Opening may fail; if it
// succeeds, no call may panic, no session may come back with a field that
// differs from what was stored, and after RevokeMember and RevokeCustomer
// of every member and customer no token may authenticate.
func TestCorruptionCampaign(t *testing.T) {
	clock := storetest.NewClock(storetest.StartTime())
	o := fakeOptions(clock)
	o.MinFreeSpace = -1 // trials copy the store; the disk is not the subject
	src := t.TempDir()
	s, err := Open(src, &o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var stored []*sessionstore.MemberSession
	members, customers := map[string]bool{}, map[string]bool{}
	for i := range 300 {
		ms := mustCreate(t, s, i%12, i%36)
		stored = append(stored, ms)
		members[ms.MemberID], customers[ms.CustomerID] = true, true
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	byID := map[string]*sessionstore.MemberSession{}
	for _, ms := range stored {
		byID[ms.ID] = ms
	}

	opened := 0
	for trial := range campaignTrials {
		dir := filepath.Join(t.TempDir(), "db")
		copyDir(t, src, dir)
		rng := rand.New(rand.NewPCG(uint64(trial), 0x5e55))
		flips := flipBytes(t, rng, dir, 1+rng.IntN(3))
		s, err := Open(dir, &o)
		if err != nil {
			if !errors.Is(err, sessionstore.ErrCorrupt) && !strings.Contains(err.Error(), "table") {
				t.Logf("trial %d (%s): Open: %v", trial, flips, err)
			}
			continue // refusing a damaged store is fine
		}
		opened++
		what := func(op string) string { return "trial " + strconv.Itoa(trial) + " (" + flips + "): " + op }
		for _, ms := range stored {
			got, err := s.Lookup(ctx, ms.Token)
			if err == nil && !reflect.DeepEqual(got, ms) {
				t.Errorf("%s: Lookup returned altered session %+v, stored %+v", what("Lookup"), got, ms)
			}
		}
		for m := range members {
			l, _ := s.ListByMember(ctx, m)
			for _, got := range l {
				want, ok := byID[got.ID]
				if !ok || !reflect.DeepEqual(got, withoutToken(want)) {
					t.Errorf("%s: listed altered session %+v", what("ListByMember"), got)
				}
			}
		}
		for m := range members {
			_, _ = s.RevokeMember(ctx, m)
		}
		for c := range customers {
			_, _ = s.RevokeCustomer(ctx, c)
		}
		for _, ms := range stored {
			if got, err := s.Lookup(ctx, ms.Token); err == nil {
				t.Errorf("%s: session %s authenticates after its member and customer were revoked", what("revoke"), got.ID)
			}
		}
		_ = s.Close()
	}
	t.Logf("%d of %d damaged copies opened; the rest were refused by Open", opened, campaignTrials)
}

// withoutToken is ms as a list returns it.
func withoutToken(ms *sessionstore.MemberSession) *sessionstore.MemberSession {
	c := ms.Clone()
	c.Token, c.MemberPortalURL = "", ""
	return &c
}

// copyDir copies the regular files of src into a new directory dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// flipBytes flips n random bytes of the .sst and .vlog files in dir, each
// file chosen in proportion to its size, and says which.
func flipBytes(t *testing.T, rng *rand.Rand, dir string, n int) string {
	t.Helper()
	type file struct {
		path string
		size int64
	}
	var files []file
	var total int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".sst") || strings.HasSuffix(p, ".vlog")) {
			return err
		}
		fi, err := d.Info()
		if err != nil || fi.Size() == 0 {
			return err
		}
		files = append(files, file{p, fi.Size()})
		total += fi.Size()
		return nil
	})
	if err != nil || total == 0 {
		t.Fatalf("no table or value log files to damage: %v", err)
	}
	var what []string
	for range n {
		at := rng.Int64N(total)
		f := files[0]
		for _, c := range files {
			if at < c.size {
				f = c
				break
			}
			at -= c.size
		}
		b, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		b[at] ^= byte(1 + rng.IntN(255))
		if err := os.WriteFile(f.path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		what = append(what, filepath.Base(f.path)+"@"+strconv.FormatInt(at, 10))
	}
	return strings.Join(what, " ")
}
