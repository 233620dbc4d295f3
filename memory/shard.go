package memory

import (
	"sync"

	"github.com/memberkit/sessionstore/token"
)

// shardCount is how many shards the hash index is split into, so that
// lookups on different cores seldom share a lock.
const shardCount = 32

// shard is one part of the hash index: the entries whose token hash falls
// in it. Find reads it under its own lock alone. Every change of its map,
// or of the record of one of its entries, is made by a holder of
// storage.mu (exclusively) that also holds the shard's lock, and a change
// of several records holds the locks of all their shards at once, so a
// Find never sees half of it.
type shard struct {
	mu sync.RWMutex
	m  map[token.Hash]*entry // nil once closed
	_  [64]byte              // keeps two shards' locks off one cache line
}

// shardMask is a set of shards, bit i for shard i.
type shardMask uint32

// shardOf returns the index of the shard of h. Token hashes are SHA-256 or
// HMAC-SHA-256 values, so their first byte spreads them evenly.
func shardOf(h token.Hash) int { return int(h[0]) % shardCount }

// maskOf returns the set holding the shard of h.
func maskOf(h token.Hash) shardMask { return 1 << shardOf(h) }

// allShards is the set of every shard.
const allShards = shardMask(1<<shardCount - 1)

// lockShards write-locks the shards of mask, in index order.
func (b *storage) lockShards(mask shardMask) {
	for i := range b.shards {
		if mask&(1<<i) != 0 {
			b.shards[i].mu.Lock()
		}
	}
}

// unlockShards unlocks the shards of mask.
func (b *storage) unlockShards(mask shardMask) {
	for i := range b.shards {
		if mask&(1<<i) != 0 {
			b.shards[i].mu.Unlock()
		}
	}
}

// entryOf returns the entry stored under h; the caller holds mu.
func (b *storage) entryOf(h token.Hash) *entry { return b.shards[shardOf(h)].m[h] }
