package badger

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/storetest"
)

// TestSpaceGuard: writes that store data need the whole margin, deletes
// half of it; the free space is read again at least every recheckEvery
// writes, and before every write once it runs low.
func TestSpaceGuard(t *testing.T) {
	const mib = 1 << 20
	free, reads := uint64(1000*mib), 0
	g := newSpaceGuard("dir", 64*mib)
	g.free = func(string) (uint64, error) { reads++; return free, nil }
	for range 3 * recheckEvery {
		if err := g.allow(true); err != nil {
			t.Fatal(err)
		}
	}
	if reads > 4 {
		t.Errorf("%d statfs calls for %d writes with room to spare", reads, 3*recheckEvery)
	}
	free, reads = 100*mib, 0
	_ = g.check()
	for range 10 {
		_ = g.allow(true)
	}
	if reads != 11 {
		t.Errorf("%d statfs calls for 10 writes with little room, want one each", reads)
	}
	free = 40 * mib
	if err := g.allow(true); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("a create with 40 MiB free = %v, want ENOSPC", err)
	}
	if err := g.allow(false); err != nil {
		t.Errorf("a delete with 40 MiB free = %v, want nil", err)
	}
	free = 20 * mib
	if err := g.allow(false); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("a delete with 20 MiB free = %v, want ENOSPC", err)
	}
	if err := g.check(); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("check with 20 MiB free = %v, want ENOSPC", err)
	}
	free = 1000 * mib
	if err := g.allow(true); err != nil {
		t.Errorf("a create once space is freed = %v", err)
	}
	if newSpaceGuard("dir", -1) != nil || newSpaceGuard("dir", -1).allow(true) != nil {
		t.Error("a negative MinFreeSpace does not disable the check")
	}
}

// TestFullDisk fills a small tmpfs under a store: Create and Extend fail
// with ENOSPC instead of the process dying of SIGBUS, lookups and lists
// go on, revocations go on while half the margin is left, Open refuses a
// full disk instead of crashing, and once space is freed the same store
// works again. It mounts the tmpfs itself, so it needs root.
func TestFullDisk(t *testing.T) {
	dir := mountTmpfs(t, 128<<20)
	path := filepath.Join(dir, "db")
	clock := storetest.NewClock(storetest.StartTime())
	o := fakeOptions(clock)
	s, err := Open(path, &o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var sessions []*sessionstore.MemberSession
	for i := range 100 {
		sessions = append(sessions, mustCreate(t, s, i%5, i%10))
	}

	filler := filepath.Join(dir, "filler")
	fillDisk(t, filler)
	if err := s.Ping(ctx); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Ping on a full disk = %v, want ENOSPC", err)
	}
	if _, err := s.Create(ctx, params(1, 1)); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Create on a full disk = %v, want ENOSPC", err)
	}
	if _, err := s.Extend(ctx, sessions[0].ID, 0); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Extend on a full disk = %v, want ENOSPC", err)
	}
	for _, ms := range sessions {
		if got, err := s.Lookup(ctx, ms.Token); err != nil || got.ID != ms.ID {
			t.Fatalf("Lookup on a full disk = %v, %v", got, err)
		}
	}
	if l, err := s.ListByCustomer(ctx, sessions[0].CustomerID); err != nil || len(l) != 20 {
		t.Errorf("ListByCustomer on a full disk = %d sessions, %v", len(l), err)
	}

	// With less than the margin but more than half of it free, creates
	// are still refused and revocations go through.
	if err := os.Truncate(filler, sizeOf(t, filler)-40<<20); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, params(1, 1)); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Create with 40 MiB free = %v, want ENOSPC", err)
	}
	if n, err := s.RevokeMember(ctx, sessions[0].MemberID); n != 10 || err != nil {
		t.Errorf("RevokeMember with 40 MiB free = %d, %v; want 10", n, err)
	}
	if _, err := s.Lookup(ctx, sessions[0].Token); !errors.Is(err, sessionstore.ErrNotFound) {
		t.Errorf("Lookup of a revoked session = %v", err)
	}

	// Space freed: the same store works again, without a restart.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping once space is freed: %v", err)
	}
	ms := mustCreate(t, s, 1, 1)
	if _, err := s.Extend(ctx, ms.ID, time.Hour); err != nil {
		t.Errorf("Extend once space is freed: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Open refuses a full disk with an error, rather than crashing in a
	// loop, and opens once space is freed, with every session.
	fillDisk(t, filler)
	if s, err := Open(path, &o); !errors.Is(err, syscall.ENOSPC) {
		if err == nil {
			_ = s.Close()
		}
		t.Fatalf("Open on a full disk = %v, want ENOSPC", err)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, &o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, err := s.Lookup(ctx, ms.Token); err != nil || got.ID != ms.ID {
		t.Errorf("Lookup after reopening = %v, %v", got, err)
	}
}

// mountTmpfs mounts a tmpfs of size bytes on a new directory and unmounts
// it when t ends. Without root it skips t.
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small file system to fill needs root (CI runs as root)")
	}
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+strconv.Itoa(size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("mount tmpfs: %v: %s", err, out)
		}
		t.Skipf("cannot mount a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount: %v: %s", err, out)
		}
	})
	return dir
}

// fillDisk writes to the file path until the file system is full.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			return
		}
	}
}

func sizeOf(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
