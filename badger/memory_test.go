package badger

import (
	"bufio"
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/memberkit/sessionstore/storetest"
)

// TestResidentMemory measures the resident memory of a store holding many
// sessions. It runs only when SESSIONSTORE_BADGER_MEMORY is set, to the
// number of sessions (a fresh process is needed for a meaningful number):
//
//	SESSIONSTORE_BADGER_MEMORY=100000 go test -run TestResidentMemory -v ./badger/
//
// Set SESSIONSTORE_BADGER_INMEMORY=1 to measure the in-memory mode, and
// SESSIONSTORE_BADGER_HEAPPROFILE to a file name to write a heap profile
// there once the memory has settled.
func TestResidentMemory(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SESSIONSTORE_BADGER_MEMORY"))
	if n <= 0 {
		t.Skip("set SESSIONSTORE_BADGER_MEMORY to the number of sessions")
	}
	inMemory := os.Getenv("SESSIONSTORE_BADGER_INMEMORY") != ""
	base := memStats(t)
	clock := storetest.NewClock(storetest.StartTime())
	o := fakeOptions(clock)
	path := t.TempDir()
	if inMemory {
		path, o.InMemory = "", true
	}
	s, err := Open(path, &o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	opened := memStats(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < n; i += 4 {
				if _, err := s.Create(ctx, params(i%1000, i%5)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	full := memStats(t)
	// A read pass over everything, as a busy portal would do.
	for c := range 1000 {
		if _, err := s.ListByCustomer(ctx, storetest.CustomerID(c)); err != nil {
			t.Fatal(err)
		}
	}
	read := memStats(t)
	// Badger frees the buffers of its table builders once they have been
	// idle for two seconds, one every two seconds, and compactions may
	// still run: measure again over 20 seconds and keep the lowest figures.
	settled := read
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for range 40 {
		<-tick.C
		if m := memStats(t); m["VmRSS"] < settled["VmRSS"] {
			settled = m
		}
	}
	if p := os.Getenv("SESSIONSTORE_BADGER_HEAPPROFILE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.WriteHeapProfile(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	t.Logf("in-memory=%v sessions=%d", inMemory, n)
	for _, m := range []struct {
		name string
		s    map[string]int64
	}{{"before open", base}, {"opened, empty", opened}, {"after creates", full}, {"after reading all", read}, {"settled", settled}} {
		t.Logf("%-18s VmRSS %4d MiB (anon %4d MiB, file %4d MiB), VmHWM %4d MiB, Go heap in use %4d MiB",
			m.name, m.s["VmRSS"]>>10, m.s["RssAnon"]>>10, m.s["RssFile"]>>10, m.s["VmHWM"]>>10, m.s["heap"]>>20)
	}
}

// memStats returns the process's memory figures in KiB from
// /proc/self/status, and the Go heap in use in bytes, after a GC.
func memStats(t *testing.T) map[string]int64 {
	t.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 2 && fields[1] == "kB" {
			out[k], _ = strconv.ParseInt(fields[0], 10, 64)
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	out["heap"] = int64(ms.HeapInuse)
	return out
}
