package benchkit

import "runtime"

// LiveHeap returns the bytes of live heap after two garbage collections,
// for footprint benchmarks that compare it before and after filling a store.
func LiveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
