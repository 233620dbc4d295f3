package benchkit

import (
	"os"
	"runtime/debug"
)

// LargeEnv is the environment variable that adds the 1M-session size to
// Sizes and FootprintSizes when set to 1. Filling a million sessions takes
// a while and a few GB of memory, so it is off by default.
const LargeEnv = "SESSIONSTORE_BENCH_LARGE"

// Size is one store size a benchmark runs at: Name is how sub-benchmarks
// spell it ("size=" + Name), N the number of sessions stored beforehand.
type Size struct {
	Name string
	N    int
}

// Sizes returns the sizes of storetest.Bench and the peer comparisons: 1k
// and 100k sessions, and 1M when Large. Under the race detector, which
// makes the timings meaningless and filling a store ten times slower, it
// returns 1k only, so that a smoke run (go test -race -bench .
// -benchtime 1x) stays quick.
func Sizes() []Size {
	if Race() {
		return []Size{{"1k", 1_000}}
	}
	sizes := []Size{{"1k", 1_000}, {"100k", 100_000}}
	if Large() {
		sizes = append(sizes, Size{"1M", 1_000_000})
	}
	return sizes
}

// FootprintSizes returns the sizes of the footprint, heap and latency
// benchmarks: 100k, and 1M when Large; 10k under the race detector, to
// keep a smoke run quick.
func FootprintSizes() []Size {
	if Race() {
		return []Size{{"10k", 10_000}}
	}
	sizes := []Size{{"100k", 100_000}}
	if Large() {
		sizes = append(sizes, Size{"1M", 1_000_000})
	}
	return sizes
}

// Large reports whether LargeEnv is set to 1.
func Large() bool { return os.Getenv(LargeEnv) == "1" }

// Race reports whether the running binary was built with the race detector
// (go test -race), from its build information.
func Race() bool { return race }

var race = func() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}()
