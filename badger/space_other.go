//go:build !(linux || darwin || freebsd)

package badger

// freeSpace is nil where the store cannot tell free space: it then does not
// check it.
var freeSpace func(dir string) (uint64, error)
