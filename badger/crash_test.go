package badger

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/memberkit/sessionstore/storetest"
)

// crashDirEnv names the directory of the child process of TestCrash.
const crashDirEnv = "SESSIONSTORE_BADGER_CRASH_DIR"

// TestCrash kills a process that is creating sessions with SyncWrites, and
// checks that every session whose Create had returned survives, with all
// its index entries, and that no index entry is left dangling.
func TestCrash(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		crashChild(t, dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrash$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var tokens []string
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		tok, ok := strings.CutPrefix(sc.Text(), "TOKEN ")
		if !ok {
			continue
		}
		tokens = append(tokens, tok)
		if len(tokens) == 300 && !killed {
			// SIGKILL: no deferred Close, no flush, in the middle of
			// whatever the child's goroutines are writing.
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	// Lines already in the pipe are sessions whose Create returned too.
	err = cmd.Wait()
	if !killed {
		t.Fatalf("the child ended before printing 300 tokens (%d): %v", len(tokens), err)
	}
	t.Logf("child killed after printing %d tokens", len(tokens))

	clock := storetest.NewClock(storetest.StartTime())
	o := fakeOptions(clock)
	s, err := Open(dir, &o)
	if err != nil {
		t.Fatalf("reopening after the crash: %v", err)
	}
	defer s.Close()
	ctx := context.Background()
	for _, tok := range tokens {
		if _, err := s.Lookup(ctx, tok); err != nil {
			t.Errorf("a session whose Create returned before the crash: Lookup = %v", err)
		}
	}
	c := checkConsistency(t, s.b.db, false)
	if c.records < len(tokens) {
		t.Errorf("%d records after the crash, fewer than the %d printed tokens", c.records, len(tokens))
	}
	// The store is fully usable: revoke everything through the indexes.
	total := 0
	for cust := range 3 {
		n, err := s.RevokeCustomer(ctx, storetest.CustomerID(cust))
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	if total != c.records {
		t.Errorf("revoked %d sessions of %d records", total, c.records)
	}
	if n := countKeys(t, s.b.db, []byte(keyPrefix)); n != 0 {
		t.Errorf("%d keys left after revoking everything", n)
	}
}

// crashChild creates sessions from several goroutines until it is killed,
// printing each token once its Create has returned.
func crashChild(t *testing.T, dir string) {
	clock := storetest.NewClock(storetest.StartTime())
	o := fakeOptions(clock)
	o.SyncWrites = true
	s, err := Open(dir, &o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	deadline := time.Now().Add(time.Minute) // in case the parent is gone
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				ms, err := s.Create(ctx, params(g%3, i%4))
				if errors.Is(err, context.Canceled) {
					return
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, "child:", err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Fprintf(w, "TOKEN %s\n", ms.Token)
				w.Flush()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	os.Exit(3) // never reached unless the parent failed to kill us
}
