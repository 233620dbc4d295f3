//go:build !race

package badger

// raceEnabled reports whether the race detector is on, to scale down the
// largest tests.
const raceEnabled = false
