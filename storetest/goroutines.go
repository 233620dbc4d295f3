package storetest

import (
	"bytes"
	"runtime"
	"testing"
	"time"
)

// CheckGoroutines fails t, listing every goroutine's stack, unless the
// number of running goroutines falls to before or fewer within ten seconds.
// Call it with runtime.NumGoroutine() taken before a store or backend was
// made, once it is closed, to prove Close stopped what the store started.
// It waits by yielding, never by sleeping.
func CheckGoroutines(t testing.TB, before int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			stacks := bytes.TrimSpace(buf[:runtime.Stack(buf, true)])
			t.Errorf("%d goroutines run after Close, %d before:\n%s", runtime.NumGoroutine(), before, stacks)
			return
		}
		runtime.Gosched()
	}
}
