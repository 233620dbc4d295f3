// Package benchkit is the plumbing of this module's benchmarks: the store
// sizes they run at, filling a store with realistic sessions, a lock-free
// fake clock, a scattered walk order and the live heap.
//
// storetest.Bench, the root package's benchmarks and the separate benchmarks
// module share it, so that every benchmark stores the same data the same
// way. It is internal: a backend author calls storetest.Bench instead.
package benchkit
