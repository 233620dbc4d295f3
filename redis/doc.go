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
// A Lookup is one HGET. Get is one round trip on a standalone server, a
// script doing a GET and an HGET, and two on a cluster (see Redis
// Cluster). DeleteExpired removes at most 8 sessions per script, so that
// no script holds Redis up for long. Lists and revocations cost
// O(sessions of that member or customer); DeleteExpired finds expired
// sessions in sorted sets by expiry time, so it never scans live ones.
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
// A store keeps each session in one place: a hash tag T and the keys
// under it. On a standalone server (and a failover client) there is one
// place, T = "{" + KeyPrefix + "}" (default "{mst:}"), the single-tag
// layout. Through a *goredis.ClusterClient there is one place per route,
// T = "{" + KeyPrefix + "#" + route + "}" with route in [0, 1024), the
// routed layout (see Redis Cluster); a session is in the place of its
// customer's route, backend.RouteOf(customer ID). With H the token hash in
// lowercase hex (the store never writes the token, nor any part of it):
//
//	T s:H            hash: d = the binary Record (sessionstore's record
//	                 encoding), i = session ID, m = member ID, c = customer ID
//	T id:<id>        string: H
//	T mem:<member>   set of H, one per session of the member in this place
//	T cus:<customer> set of H, one per session of the customer
//	T exp            sorted set of H, scored by expires_at in Unix
//	                 microseconds, one per session in this place
//
// and in the routed layout, in the place of the member's own route,
// backend.RouteOf(member ID):
//
//	T own:<member>   set of the routes of the member's customers (one, as a
//	                 member belongs to one customer)
//
// Create is one Lua script that writes the first five keys, sent in one
// pipeline with a script adding the route to the owner set (on a cluster
// the two go to their masters in parallel: one round trip in time).
// Extend, Revoke, RevokeMember, RevokeCustomer, UpdateMember and
// UpdateCustomer are one optimistic transaction each: WATCH the ID key or
// the member's or customer's set and the records it names, read them,
// decide, then MULTI/EXEC the record writes and their index changes
// together: three round trips when nothing conflicts, each WATCH sent in
// the pipeline of the reads it covers (fewer are not possible while the
// engine decides each record's fate in Go, see Edit), plus, in the routed
// layout, a read of the owner set first for the member-wide ones. A
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
// attempts. DeleteExpired is a Lua script per place and batch that removes
// each record with its index entries, re-checking its expiry score so that
// a session extended meanwhile stays. The sets and the sorted sets keep a
// TTL at least as long as any session they index, so an index entry never
// disappears before its session; the owner set keeps one until its
// member's sessions can no longer live, authenticated_at plus MaxTTL.
//
// # Redis Cluster
//
// Through a *goredis.ClusterClient (or the UniversalClient of
// goredis.NewUniversalClient given several addresses) a store spreads
// over every master: each customer's sessions are in the place of the
// customer's route, one slot, and 1,024 routes spread customers over all
// masters. Measured on three masters with one session for each of 1,000
// customers (TestClusterSpread), each master held 33% of the store's keys
// (32.6-34.2% over runs) and served 33% of the Lookups.
//
// Every operation stays atomic as on a single server, because everything
// it must see at once is in one slot: a session's record, its ID key and
// its member's and customer's sets. RevokeMember, RevokeCustomer,
// UpdateMember, UpdateCustomer, RevokeOthers, a member's own revocations
// and the cap on a member's sessions are each one script or one
// WATCH/MULTI/EXEC in the customer's slot. Every script declares every key
// it touches, and no script, transaction or multi-key command spans slots
// (the server refuses those with CROSSSLOT).
//
// Lookups need no second lookup to find the slot. The engine writes the
// customer's route into every token it makes, in the first two of its 37
// random characters (token.NewRouted; the checksum covers them, and 208
// bits of entropy remain), and into every session ID, in the first 12 of
// its random bits (backend.IDRoute; still a version 4 UUID). A Lookup is
// one HGET in the place the token names; Extend and Revoke start in the
// place the ID names. Forging the route of a token or ID gains an attacker
// nothing: it only says where to look, and a token authenticates only when
// its whole hash matches a stored record. Get takes two round trips on a
// cluster where it takes one on a standalone server: its record's key is
// known only once the ID key is read, and a script that read it would
// touch a key it did not declare, which during a slot migration can read
// nothing where the record exists.
//
// RevokeMember, UpdateMember, ListByMember and RevokeOthers know the
// member, not the customer: they read the member's owner set, in the
// member's own slot, and then act atomically in each customer's slot it
// names. Create adds the customer's route to the owner set in the same
// round trip as the record (and removes the record again should that
// fail), and an entry is never removed while it names a live session, so
// this is no check-then-act race: every session whose Create returned
// before the revocation began is in a slot the set names. A member found
// under several customers (which the engine does not forbid) is edited in
// each customer's slot in turn, atomically in each but not across them.
//
// Sessions written before routes, in the single-tag layout "{KeyPrefix}",
// keep working until they expire: while that layout's expiry sorted set
// exists, lookups that miss in the routed place look there too (in the
// same round trip for a Lookup), by ID and by token, member-wide and
// customer-wide operations act there too, and DeleteExpired purges it. A
// store checks whether it exists on its first call and again on every
// DeleteExpired, so a store without old sessions pays nothing for them.
// During a rolling upgrade, processes of the old version still write
// there, and see none of the new sessions; finish the upgrade before
// relying on revocations through old processes. Run no two stores whose
// KeyPrefixes differ only by a "#" and a number.
//
// What stays in one slot is one customer's sessions (with their index
// keys), so the largest customer bounds what a master must hold and serve
// for it: at under 2 KiB per session in Redis memory, a master with 4 GiB
// for sessions holds about 2 million, and a customer with 100,000 members
// signed in on two devices each takes about 400 MiB there. Throughput:
// TestClusterSpread's Lookups went 33% to each master, and
// BenchmarkClusterLookupParallel measured 14,000 Lookups a second in total
// (61-109 µs per Lookup over three runs) on three masters sharing two
// cores with the client and other work, so about 4,700 per master, bounded
// by those two cores more than by Redis; a master on a core of its own
// serves several times that. A store of N masters serves about N times
// one master's rate as long as no customer's share of the traffic exceeds
// a master's. At the rate measured here that is about 4,700 Lookups a
// second with 1 master, 14,000 with 3 (measured) and 140,000 with 30; at
// the 100,000 simple commands a second a master on a core of its own
// serves, 100,000, 300,000 and 3 million. What limits first: with few
// masters, the masters' CPU; with many, the application's own CPU (each
// Lookup hashes the token and decodes the record in the client) and the
// busiest customer, whose whole traffic goes to one master.
//
// A single store on a standalone server, and a failover (Sentinel)
// client, use the single-tag layout exactly as before.
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
// its last dial error for about a second after repeated dial failures). On
// a cluster, while one master is down the calls that need its slots fail
// so and the others are answered: TestClusterMasterRestart kills one of
// three masters and checks that no live session is reported unknown, no
// revoked one authenticates, and all are as they were once it is back.
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
