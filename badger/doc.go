// Package badger is a sessionstore.Store kept in a Badger database
// (github.com/dgraph-io/badger/v4): sessions on local disk, in the
// application's own process.
//
//	s, err := badger.Open("/var/lib/portal/sessions", &badger.Options{SyncWrites: true})
//	if err != nil {
//		return err
//	}
//	defer s.Close()
//
// Every method comes from the embedded sessionstore.Store, the shared engine of package backend, so the store
// follows the sessionstore.Store contract exactly as the memory and Redis
// stores do.
//
// # When to pick it
//
// Pick Badger over the memory store when sessions must survive a restart or
// a crash of the process, or when there are more of them than you want in
// the Go heap: Badger keeps them on disk and in the page cache. Pick it over
// Redis when the application runs as one process (Badger locks its
// directory: two processes cannot share it) and you would rather not run a
// server. For several application instances sharing sessions, use Redis or
// Postgres.
// InMemory gives Badger's in-memory mode, which loses everything on Close;
// it is mostly useful in tests, since the memory store is faster and
// smaller for that.
//
// # Durability
//
// Without SyncWrites, a Create, Revoke or other change that returned
// survives a crash of the process (it is in the write-ahead log, which the
// kernel holds), but the last changes may be lost if the machine itself
// fails before the kernel writes them out. With SyncWrites every change is
// fsynced before it returns: a revocation that returned is never undone by
// a power cut, at the price of one fsync per change (milliseconds on most
// disks rather than microseconds). Session stores usually want it: a lost
// Create means a user signs in again, but a lost Revoke lets a revoked
// token back in.
//
// # Storage
//
// All keys start with "mst\x00", so the store can share a DB opened by the
// caller (New) with other data. A session is one record, keyed by the
// SHA-256 (or HMAC) hash of its token and encoded in sessionstore's compact
// binary format, and four index entries: by ID, by member, by customer, and
// by expiry time. No key is shared by a member's or a customer's
// sessions, so Creates write no key in common and the Creates of a big
// team never conflict with each other. A RevokeMember or RevokeCustomer
// (or any edit of a member or customer) waits, in the process, for the
// Creates into that member or customer in flight, and holds off new ones
// until it has committed: its scan sees every Create that returned before
// it began, and none commits behind it. A Create that must make room under
// MaxSessionsPerMember waits likewise for the other Creates of its member.
// The token itself is never written. Lookup is one point read;
// listing a member's or customer's sessions scans that index only;
// DeleteExpired reads only the expired entries of the expiry index. A
// record and its index entries change in one transaction, retried when it
// conflicts with a concurrent one. Expiry follows the sessions' expires_at
// and the store's clock (Options.Now), never Badger's TTL.
//
// An edit too big for one Badger transaction (revoking or updating some
// thousands of sessions of one customer at once) is split into several,
// each atomic. DeleteExpired purges in transactions of 32 sessions, each of
// which a lookup arriving meanwhile waits for. While the store serves
// reads, it pauses after each transaction for as long as the transaction
// took (20 ms at most), leaving the lookups and Badger's own goroutines
// half of the time; with no reads it purges without pausing.
//
// Only one Store may use a DB at a time: DeleteExpired keeps in memory how
// far it has purged, and would not see the sessions another Store created
// below that point until a restart.
//
// # Settings
//
// Open tunes Badger for a session store: many small records, mostly point
// reads, and a modest write rate. Compared to Badger's defaults:
//
//   - MemTableSize 8 MiB (default 64 MiB), NumMemtables 2 (default 5): at
//     most about 30 MiB of memtables instead of 320 MiB. It also bounds a
//     transaction to about 1.2 MB or 13,000 writes, roughly 1,800 session
//     deletions, beyond which edits are split as described above.
//   - ValueThreshold 1 MiB (the maximum): every record, a few hundred bytes
//     to a few KiB, stays in the LSM tree next to its key, so a read is one
//     lookup and the value log holds nothing; its garbage collection
//     (GCInterval) then rarely finds work. ValueLogFileSize 64 MiB.
//   - No compression and BlockCacheSize 0: records are read from the
//     memory-mapped tables directly, without decompression, so a block
//     cache would only duplicate the page cache. IndexCacheSize 4 MiB
//     bounds the memory for table indexes and Bloom filters, which Badger
//     otherwise keeps in full for every table.
//   - NumCompactors 2 (default 4), metrics off, conflict detection on.
//
// Measured on linux/amd64 with 100,000 sessions of about 650 bytes each
// (some 120 MB on disk): about 15 MiB resident when opened empty; once the
// writes settle, about 23 MiB of anonymous memory (15 MiB of Go heap) plus
// about 118 MiB of the memory-mapped table files, which is page cache the
// kernel can reclaim. While 100,000 sessions are being created as fast as
// possible the peak is about 370 MiB, mostly Badger's table-building
// buffers, which it frees after two idle seconds. In InMemory mode the same
// sessions take about 130 MiB of heap.
//
// New leaves the caller's DB as the caller configured it.
//
// # Damaged data
//
// Open verifies the checksum of every block of every table file, and
// makes Badger verify each block it reads after that
// (options.OnBlockRead): a table damaged on disk is an error from Open
// wrapping sessionstore.ErrCorrupt, never a session with altered fields. Each record also carries its own CRC-32C (the
// shared record encoding), so a record damaged in any other way is
// sessionstore.ErrCorrupt for its own token and is removed by the next
// revocation or update of its member or customer (see
// sessionstore.ErrCorrupt). A panic raised inside Badger by damaged data,
// or a fault reading one of its memory-mapped files, is recovered at the
// store's boundary into an error wrapping ErrCorrupt: it does not take
// the process down. Verifying the tables makes Open read every table file
// once.
//
// When Open fails on a damaged table, the operator's choice is between
// restoring the directory from a backup and moving it aside to start
// empty; either way every session not in the restored copy is gone, and
// its members sign in again, which for sessions is the safe outcome.
// Badger's own tools (badger info, badger flatten) can show which table
// is damaged. Damage that happens while the store is running is caught by
// the block checksums, except that Badger treats an unreadable block as
// one without the key looked for: such a session is not found rather
// than reported corrupt.
//
// # A full disk
//
// Badger writes through memory-mapped files, so a write that meets a full
// disk does not fail: the kernel kills the process with SIGBUS, and
// reopening on the still-full disk crashes again. The store therefore
// keeps Options.MinFreeSpace (default 64 MiB: room for Badger to start a
// new memtable, flush the full one and compact it) free on the DB's file
// system, checking with statfs before writes (before every write once less
// than four times the margin is left, every 64 writes before that):
//
//   - Below the margin, Create, Extend, UpdateMember and UpdateCustomer
//     fail with an error wrapping syscall.ENOSPC; Lookup, Get and the
//     lists go on.
//   - Revocations and DeleteExpired only delete, so they go on until half
//     the margin is left: "sign out everywhere" keeps working after
//     creates are refused.
//   - Ping reports the shortage, so a readiness probe takes the instance
//     out of rotation; Open refuses a full disk with the same error
//     instead of crashing.
//   - Once space is freed, the same store works again at its next write;
//     nothing needs a restart.
//
// An operator who sees ENOSPC frees space on that file system (or grows
// it), and should not Close the store until then: Close flushes Badger's
// memtable to a new table file, which needs the margin too. The margin
// protects against the store's own writes; another process that fills the
// disk to the last byte can still make Badger's background flush fault.
//
// # Health
//
// Store.Ping is a readiness check: nil when the DB is open, answers a read
// and has MinFreeSpace free.
//
// # Logging
//
// Badger's own log lines go to Options.Logger, a *slog.Logger, with the
// attribute component=badger; by default they are discarded. The store's
// own reports (damaged records a list skipped or a revocation removed) go
// there too, unless the embedded sessionstore.Options.Logger is set.
package badger
