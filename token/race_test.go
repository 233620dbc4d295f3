//go:build race

package token

// raceEnabled reports a -race build, under which sync.Pool drops items at
// random, so pooled paths are allowed to allocate.
const raceEnabled = true
