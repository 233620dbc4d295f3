package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The HTTP targets read BenchmarkHTTP's lines: a request against its
// store's Lookup plus the bare handler, in time and allocations, and
// against scs.
func TestHTTPRows(t *testing.T) {
	const in = `goos: linux
BenchmarkHTTP/impl=handler/size=10k/run=serial-2   1000  40 ns/op  0 B/op  0 allocs/op
BenchmarkHTTP/impl=memory-lookup/size=10k/run=serial-2  1000  2000 ns/op  1632 B/op  4 allocs/op
BenchmarkHTTP/impl=memory/size=10k/run=serial-2  1000  2600 ns/op  2048 B/op  6 allocs/op
BenchmarkHTTP/impl=scs-memstore/size=10k/run=serial-2  1000  20000 ns/op  12192 B/op  201 allocs/op
BenchmarkHTTP/impl=redis-lookup/size=10k/run=serial-2  1000  60000 ns/op  4296 B/op  19 allocs/op
BenchmarkHTTP/impl=redis/size=10k/run=serial-2  1000  80000 ns/op  4944 B/op  21 allocs/op
BenchmarkHTTP/impl=memory-paired/size=10k/run=serial-2  1000  4700 ns/op  40 handler-ns/op  2100 lookup-ns/op  2500 request-ns/op  1.15 request/(lookup+handler)
BenchmarkHTTP/impl=memory-paired/size=10k/run=serial-2  1000  4700 ns/op  40 handler-ns/op  2100 lookup-ns/op  2500 request-ns/op  1.17 request/(lookup+handler)
`
	name := filepath.Join(t.TempDir(), "http.txt")
	if err := os.WriteFile(name, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := read([]string{name})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	write(&b, r)
	out := b.String()
	for _, want := range []string{
		"| memory: authenticated request (Required, cookie) ≤ 1.25× its Lookup + the bare handler, size=10k, run=serial | 2.60 µs / (2.00 µs + 40 ns) = **1.27×** | ≤ 1.25× | **missed** |",
		"| memory: authenticated request ≤ 4 allocations more than its Lookup + the bare handler, size=10k, run=serial | 6 allocs/op against 4 + 0: **+2** | ≤ +4 | met |",
		"| memory: authenticated request ≤ 0.25× scs's (LoadAndSave on its memstore, the handler writing the session's bytes), size=10k, run=serial | 2.60 µs / 20.00 µs = **0.13×** | ≤ 0.25× | met |",
		"| memory: the same, interleaved (impl=memory-paired), size=10k, run=serial | 2.50 µs / (2.10 µs + 40 ns) per operation; median of the per-run ratios **1.16×** | ≤ 1.25× | met |",
		"| redis: the same, interleaved (impl=redis-paired), size=10k, run=serial | not measured (HTTP/impl=redis-paired) |  | n/a |",
		"| redis: authenticated request (Required, cookie) ≤ 1.20× its Lookup + the bare handler, size=10k, run=serial | 80.00 µs / (60.00 µs + 40 ns) = **1.33×** | ≤ 1.20× | **missed** |",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("no row\n%s\nin\n%s", want, out)
		}
	}
	if strings.Contains(out, "run=parallel") || strings.Contains(out, "badger: authenticated") {
		t.Errorf("rows for benchmarks not run:\n%s", out)
	}
}
