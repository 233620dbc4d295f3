// Package redis keeps member sessions in Redis, through a client of
// github.com/redis/go-redis/v9 that the application owns.
//
// # When to choose it
//
// Choose it when several processes or hosts serve the same portal and must
// see the same sessions: a session created by one process authenticates in
// every other at once, and a revocation through one is refused by every
// other on its very next Lookup, because nothing is cached in the process.
// Sessions survive a restart of the application, and of Redis as far as
// Redis persists its data: see Durability. For a single process the
// memory backend is faster; for a single process that must survive restarts
// without a server, the Badger backend.
//
// A Lookup is one HGET; Get is one round trip, a script doing a GET and an
// HGET. DeleteExpired removes at most 32 sessions per script, so that no
// script holds Redis up for long. Lists and revocations cost
// O(sessions of that member or customer); DeleteExpired finds expired
// sessions in a sorted set by expiry time, so it never scans live ones.
//
// # Configuring it
//
//	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
//	defer rdb.Close() // after the store's Close
//	s, err := redis.New(rdb, &redis.Options{
//		Options:   sessionstore.Options{TTL: 24 * time.Hour},
//		KeyPrefix: "portal:",
//	})
//	if err != nil { ... }
//	defer s.Close()
//
// Options embeds sessionstore.Options (token prefix, secret, TTLs, clock,
// sweep interval) and adds KeyPrefix. Stores that share a KeyPrefix on one
// Redis database share their sessions, and must then share the Secret and
// TokenPrefix too; stores with different KeyPrefixes never see each other's
// keys. Every replica's sweeper may run: their DeleteExpired calls do not
// conflict. The client's own options (timeouts, retries, pool size, TLS)
// are the application's to choose; every store call honours its context.
//
// Expiry is decided by the store's clock (Options.Now) from each session's
// expires_at, never by Redis. Redis key expiry only reclaims space: each
// session's keys get a TTL of its remaining lifetime (measured by Options.Now)
// plus one hour, so Redis drops a session the sweeper missed, for instance
// when every sweeper is disabled. Keep the clocks of the hosts in step.
//
// # Durability
//
// What survives a restart of Redis is decided by Redis's persistence
// settings, not by the store, and for a session store a lost revocation is
// worse than a lost session: a revoked token that comes back authenticates
// again. This is the Redis counterpart of the Badger store's SyncWrites.
//
//   - appendonly yes with appendfsync always: every write, revocations
//     included, is in the append-only file and fsynced before Redis
//     answers, so a revocation that returned survives a crash of Redis
//     and a failure of the machine. This is the setting to use.
//   - appendonly yes with appendfsync everysec (Redis's default for AOF):
//     a crash of the Redis process loses nothing that was answered, but a
//     failure of the machine (power, kernel) loses up to the last second
//     of writes, which may include revocations.
//   - RDB snapshots alone (save, with appendonly no): a restart brings back
//     the last snapshot, so every session revoked since then authenticates
//     again until it expires. Use them for backups, not as the only
//     persistence.
//   - Replicas acknowledge asynchronously: after a failover the new primary
//     may lack the last writes. WAIT or WAITAOF can make a caller wait for
//     them; the store does not.
//
// TestRevocationSurvivesRestart in this package shows the first and third
// cases: it revokes a session, kills Redis and starts it again.
//
// # Key layout
//
// With T = "{" + KeyPrefix + "}" (default "{mst:}") and H the token hash in
// lowercase hex (the store never writes the token, nor any part of it):
//
//	T s:H            hash: d = the binary Record (sessionstore's record
//	                 encoding), i = session ID, m = member ID, c = customer ID
//	T id:<id>        string: H
//	T mem:<member>   set of H, one per session of the member
//	T cus:<customer> set of H, one per session of the customer
//	T exp            sorted set of H, scored by expires_at in Unix microseconds
//
// Create is one Lua script that writes all five keys. Extend, Revoke,
// RevokeMember, RevokeCustomer, UpdateMember and UpdateCustomer are one
// optimistic transaction each: WATCH the ID key or the member's or
// customer's set and the records it names, read them, decide, then
// MULTI/EXEC the record writes and their index changes together: three
// round trips when nothing conflicts, each WATCH sent in the pipeline of
// the reads it covers (fewer are not possible while the engine decides
// each record's fate in Go, see Edit). A
// concurrent Create for the same member or customer adds to the watched set
// and so aborts the EXEC; the edit is then retried from the start, so
// RevokeMember never misses a session whose Create returned before it
// began. So that a stream of Creates cannot starve it, an edit of a member
// or customer that lost once takes that member's or customer's lock,
//
//	T lock:mem:<member> or T lock:cus:<customer>   string, 5 s lease
//
// which Create's script respects: a Create for a locked member or customer
// waits (at most 10 s) until the edit is done. The lock only ensures
// progress; correctness rests on WATCH alone, so a lock whose lease ran out
// under a slow edit is harmless. An edit gives up after 100 conflicting
// attempts. DeleteExpired is a Lua script per batch that removes each
// record with its index entries, re-checking its expiry score so that a
// session extended meanwhile stays. The sets and the sorted set keep a TTL
// at least as long as any session they index, so an index entry never
// disappears before its session.
//
// # Redis Cluster
//
// Every key of a store carries the same hash tag, the braces around
// KeyPrefix, so all of a store's keys are in one slot. Every script and
// every transaction therefore touches a single slot, and every operation is
// exactly as atomic on a cluster as on a single server; none needs a
// cross-slot step. Pass a *goredis.ClusterClient (or the UniversalClient of
// goredis.NewUniversalClient) to New; nothing else changes.
//
// The price is that one store does not spread over the cluster: all its
// sessions live on the shard (and its replicas) that owns the slot. Sessions
// are small (under 2 KiB each in Redis memory with a full customer snapshot
// and the index entries), so one shard holds millions. To spread load, run several stores with different KeyPrefixes,
// for instance one per tenant or region: their slots differ. A KeyPrefix
// may not contain braces, so it cannot pick a different tag.
//
// Reads that span several keys (Get, the lists) are not snapshots: they read
// the index, then the records. A session removed between the two reads is
// simply left out, which is what the caller would have seen a moment later.
//
// # Errors
//
// A Redis or network failure is returned wrapped, with the go-redis error
// as its cause (errors.Is and errors.As see it); it is never reported as
// sessionstore.ErrNotFound. The store keeps no connection state of its own:
// once Redis is back, the same store works again (go-redis may answer with
// its last dial error for about a second after repeated dial failures).
//
// A stored value that cannot be decoded (its checksum does not match, or a
// foreign write left a key of the store with the wrong Redis type) is
// sessionstore.ErrCorrupt for Lookup, Get and Extend of that session, and
// never authenticates. Lists leave it out and report it to Options.Logger.
// Revoke, RevokeMember, RevokeCustomer, UpdateMember and UpdateCustomer
// remove it by key along with the sessions they act on: the record hash
// keeps the session, member and customer IDs in plain fields beside the
// encoded record, so that every key of it can be found without decoding it.
// DeleteExpired removes it once its expiry has passed, for the same reason.
package redis
