// Package benchmarks puts sessionstore next to its peers and floors on the
// same workload, in one test binary: the memory and Badger stores, scs's
// memstore (Find, and Find plus decoding the session), a Badger store laid
// out as scs's badgerstore does it, and the floors under each store (a
// SHA-256 and a map read under a sync.RWMutex; a raw Badger Get of a
// record; a raw Badger Set of a record and its index keys; raw rewrites and
// deletes of a customer's records on Badger and Redis; raw Redis commands on
// the Redis store's client, whose round trips a hook counts).
//
// It is a module of its own, so that the library's go.mod never requires a
// peer, and it pins benchstat with a tool directive (go tool benchstat).
// run.sh runs these benchmarks and the library's and writes BENCHMARKS.md
// at the repository root. The benchmarks are in peers_test.go, redis_test.go
// (the Redis store's plumbing), groups_test.go (group edits) and
// http_test.go (an authenticated request through sessionhttp); cmd/targets
// turns the results into the table of targets.
package benchmarks
