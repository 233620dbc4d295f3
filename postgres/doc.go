// Package postgres keeps member sessions in a PostgreSQL table, through a
// pgx connection pool (github.com/jackc/pgx/v5) that the application owns.
//
// # When to choose it
//
// Choose it when the application already runs PostgreSQL: the sessions then
// live in the database that is already backed up, replicated and shared by
// every instance of the application, as Polar keeps its member sessions. A
// session created through one instance authenticates through every other at
// once, and a revocation through one is refused by every other on its very
// next Lookup, because nothing is cached in the process. Redis answers a
// Lookup faster; the memory and Badger stores faster still, for one
// process.
//
// A Lookup is one SELECT by primary key; Get, the lists and the revocations
// use the indexes on the session ID, the member, the customer; the purge
// uses the index on expires_at, so it never scans live sessions.
//
// # Setting it up
//
// The schema is created by an explicit step, Migrate, never by New. Run it
// at deployment or at start up, from as many instances as you like: it runs
// in one transaction under a transaction-level advisory lock, so one
// instance creates the tables and the others find them done. It is
// idempotent, and later versions of this package add numbered steps that it
// applies in order. New checks the recorded version and returns
// ErrNotMigrated, naming Migrate, when the schema is missing or older.
//
//	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	if err != nil { ... }
//	defer pool.Close() // after the store's Close
//	opts := &postgres.Options{
//		Options: sessionstore.Options{TTL: 24 * time.Hour},
//		Table:   "portal.member_sessions", // default "member_sessions"
//	}
//	if err := postgres.Migrate(ctx, pool, opts); err != nil { ... }
//	s, err := postgres.New(pool, opts)
//	if err != nil { ... }
//	defer s.Close()
//
// The pool stays the caller's: Close stops the store's sweeper and leaves
// the pool open. Stores on the same table share their sessions, and must
// then share the Secret and TokenPrefix too. Every instance's sweeper may
// run; their purges skip each other's rows instead of waiting.
//
// The role that runs Migrate needs CREATE on the schema (which must exist);
// the role of the application needs SELECT, INSERT, UPDATE and DELETE on the
// two tables. Expiry is decided by the store's clock (Options.Now), never
// by the database's: keep the application hosts' clocks in step.
//
// # Durability
//
// What a returned call promises across a crash is decided by the server's
// settings, not by the store, and for a session store a lost revocation is
// worse than a lost session: a revoked token that comes back authenticates
// again. Every call of the store returns once PostgreSQL has answered its
// COMMIT; synchronous_commit says what that answer means.
//
//   - synchronous_commit=on with fsync=on (PostgreSQL's defaults): COMMIT
//     answers once the transaction's WAL is flushed to disk, so a
//     revocation that returned survives a crash of PostgreSQL and a failure
//     of the machine. This is the setting to use.
//   - synchronous_commit=off: COMMIT answers before the WAL is written,
//     and the WAL writer writes it within three times wal_writer_delay
//     (200 ms by default). A crash of PostgreSQL, or pg_ctl stop -m
//     immediate, loses the transactions that returned in that window:
//     the sessions they revoked authenticate again after the restart,
//     until they expire. The database stays consistent; it is only older.
//   - fsync=off: PostgreSQL never waits for the disk. A crash of
//     PostgreSQL alone loses nothing that was written, but a failure of
//     the machine (power, kernel) can lose any recent commit and leave the
//     cluster corrupt. It is for throwaway clusters only.
//   - Streaming replication is asynchronous by default: a failover may
//     promote a standby that lacks the last commits. Name the standbys in
//     synchronous_standby_names and keep synchronous_commit at on (COMMIT
//     waits until a standby has flushed the WAL) or remote_apply (until it
//     has also applied it, so a revocation that returned is seen there
//     too). local does not wait for the standbys at all, and remote_write
//     only until a standby has handed the WAL to its operating system,
//     which a failure of the standby's machine loses.
//
// The store issues no SET (see PgBouncer below), so the setting of the
// server, the database or the application's role applies: check it with
// SHOW synchronous_commit on the application's connection, and mind that
// synchronous_commit = off set for a database or a role, for other work,
// applies to the store too. The throwaway cluster that the tests
// start (.ci/postgres.sh) runs with fsync=off and synchronous_commit=off
// for speed; never copy those settings to a server that keeps sessions.
//
// TestRevocationSurvivesCrash in this package shows the first two cases:
// it revokes sessions, stops PostgreSQL in immediate mode and starts it
// again. With synchronous_commit=on it asserts that no revocation is
// lost; with off it logs how many were, which varies with the WAL
// writer's timing (in our runs, 38 to 79 of 100, in every trial).
//
// # Schema
//
// Migrate creates, for Table T (quoted, in its schema):
//
//	T (
//	  token_hash   bytea       PRIMARY KEY, SHA-256 or HMAC-SHA256 of the token
//	  id           uuid        NOT NULL UNIQUE
//	  member_id    text        NOT NULL     indexed: T_member_id_idx
//	  customer_id  text        NOT NULL     indexed: T_customer_id_idx
//	  created_at   timestamptz NOT NULL
//	  expires_at   timestamptz NOT NULL     indexed: T_expires_at_idx
//	  modified_at  timestamptz              NULL when never modified
//	  last_used_at timestamptz              NULL before the first recorded use
//	  return_url   text                     NULL when none
//	  record       bytea       NOT NULL     the whole session, binary
//	  kind             text                 link, device or sign_in
//	  authenticated_at timestamptz          when its chain was authenticated
//	  link_id          uuid                 the link a device session came from,
//	                                        indexed: T_link_id_idx
//	  device_label     text                 NULL when none
//	)
//	T_version (version integer PRIMARY KEY, applied_at timestamptz)
//
// Schema version 2 added the last four columns; rows written before it
// hold NULL there, and their record decides (a link, authenticated when it
// was created). An application that upgrades from a version of this
// package with schema version 1 runs Migrate once more before New accepts
// the table: adding nullable columns rewrites no row, so it takes only a
// brief lock.
//
// The token is never sent to the database, nor any part of it: only its
// hash. The SQL of each step is embedded in the package (schema/*.sql).
//
// # Why the record is binary
//
// The member and customer snapshots could have been jsonb columns in Polar's
// wire format, which a DBA can read and query. They are not: the record
// column holds the session in the shared binary record encoding, the very
// bytes the Badger and Redis backends store, and the plain columns above
// repeat the fields a DBA or an index needs (IDs, times, return URL, kind,
// device label). One
// rule then encodes a session everywhere, with one fuzzed decoder that
// accepts exactly what the encoder writes, behind a CRC-32C checksum; a session read back is exactly
// the session written (every metadata kind, microsecond times, absent
// versus empty fields), where jsonb would normalize numbers and key order
// and need its own round-trip rules; and a Lookup decodes a few hundred
// bytes instead of parsing JSON, which keeps it close to the cost of the
// bare SELECT. What a DBA cannot read in SQL is the snapshot's detail
// (names, emails, metadata), which the application shows through the store.
// The store writes the plain columns and the record together, in one
// statement; do not change them by hand.
//
// # Concurrency
//
// Every store transaction runs at READ COMMITTED, set explicitly whatever
// the database's default, so that each statement sees everything that
// committed before it began. That alone makes a revocation see every
// session whose Create returned before the revocation began. The contract
// asks for more: RevokeMember, RevokeCustomer, UpdateMember and
// UpdateCustomer must each be atomic against a concurrent Create of the same
// member or customer, which must be either seen by the edit or ordered
// after it as a whole. Without a lock a Create could commit between the
// edit's read and its commit: the edit would miss it, yet the Create
// returned before the edit took effect.
//
// Transaction-level advisory locks close that window. Every member and
// every customer has a 64-bit lock key (a hash of the table's OID, the kind
// and the ID; two IDs that share a key merely wait for each other):
//
//   - Create takes the lock of its customer in shared mode
//     (pg_advisory_xact_lock_shared) and the lock of its member in exclusive
//     mode, held until it commits; then, with a snapshot taken after they
//     were granted, it inserts the row if the member has fewer sessions
//     than Options.MaxSessionsPerMember. Both statements go in one round
//     trip (a pipelined batch is one implicit transaction). A member at the
//     cap takes a transaction under the same locks that reads and locks the
//     member's rows, evicts what the engine chooses and inserts. Creates of
//     one member therefore queue, and Creates of different members of one
//     customer never wait for each other. Without a cap
//     (MaxSessionsPerMember < 0) Create is one INSERT that takes both locks
//     in shared mode.
//   - An edit of a member or a customer first takes that group's lock in
//     exclusive mode (pg_advisory_xact_lock), in a statement of its own.
//     Granting it waits for every Create of the group in progress to commit,
//     and keeps new ones waiting until the edit commits. Only then does the
//     edit read and lock the group's rows (SELECT ... ORDER BY token_hash FOR
//     UPDATE), with a snapshot that includes every Create that got the
//     lock first; it calls the engine's decision on each row and writes the
//     result in one pipelined batch before it commits.
//   - Extend, Revoke and the recording of a use (IdleTimeout) of one session
//     lock its row only (FOR UPDATE). So does the move of a session to the
//     hash of a new secret (Options.PreviousSecrets), one UPDATE of its
//     primary key: an edit that locked the row first finishes before it, and
//     one that reads the row later finds it under its new hash.
//
// Rows are always locked in token_hash order, so two edits over the same
// rows (a member's and its customer's) queue rather than deadlock. Should
// the database still report a serialization failure (40001) or a deadlock
// (40P01), the whole transaction, the engine's decisions included, is
// retried, at most 10 times with a short random backoff; then the error is
// returned, wrapped.
//
// The tests check both halves. storetest's stress test runs on two stores
// with two pools over one table: no session whose Create returned before a
// revocation began authenticates after it, and every session is counted by
// exactly one revocation or still live. Because READ COMMITTED already gives
// that much, the stress test passes without the locks too; what the locks
// add is checked directly: with an edit of a member (or customer) held open
// in one pool, a Create of that member through another pool waits on the
// advisory lock and completes only after the edit committed, without the
// edit having seen it.
//
// The lifecycle options are the engine's: it decides what to evict at the
// cap, when a use is worth recording, and how long expired sessions stay
// (Options.ExpiredRetention moves the purge's cutoff); the store only
// applies the decisions under the locks above.
//
// DeleteExpired deletes one batch at a time (the engine asks for 128) in a
// single statement: DELETE ... WHERE token_hash IN (SELECT ... WHERE
// expires_at <= cutoff ORDER BY expires_at LIMIT n FOR UPDATE SKIP LOCKED).
// It never waits for a row that an edit or another purge holds, and holds
// its own row locks only for that statement. Lookups take no row locks, so
// they never wait for a purge or an edit (MVCC).
//
// # PgBouncer and other transaction poolers
//
// The store keeps no session state on a connection: every call is one
// statement or one explicit transaction; it takes transaction-level advisory
// locks only, never session-level ones; it uses no LISTEN, no temporary
// tables, no SET. So it works through PgBouncer in transaction pooling mode,
// with one setting on the application's side: pgx's default query mode,
// QueryExecModeCacheStatement, keeps named prepared statements on each
// server connection, which a transaction pooler hands to other clients.
// Through such a pooler configure the pool with
//
//	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
//
// (unnamed statements, one round trip; QueryExecModeSimpleProtocol works
// too), unless the pooler tracks prepared statements itself (PgBouncer
// 1.21 and later with max_prepared_statements set). Every statement of the
// store casts its parameters explicitly, so it means the same in every
// mode; the tests run the conformance suite in the Exec and the simple
// protocol modes. Statement-level pooling is not supported: edits need a
// transaction.
//
// # Errors
//
// A lost connection, a statement timeout, a serialization failure that
// outlived its retries or any other database failure is returned wrapped,
// with the pgx error as its cause (errors.Is and errors.As see it, for
// instance *pgconn.PgError); it is never reported as sessionstore.ErrNotFound,
// which means only that no row matched. The store keeps no connection state
// of its own: once the database is back, the same store works again (pgx
// discards a broken connection when it is returned to the pool, so a
// few calls may fail on connections that were idle across the outage). A
// record that cannot be decoded, or whose key columns (token_hash, id,
// member_id, customer_id) disagree with it, as after an edit by hand, is
// sessionstore.ErrCorrupt for Lookup, Get and Extend of that row (a Get
// of the ID in the record finds no row once the id column was changed); to
// lists and edits the store hands it out as a stub that carries the row's
// token hash, ID, member ID and customer ID, read from the plain columns
// without decoding, so the lists leave it out and revocations and updates
// delete it by its primary key; DeleteExpired removes it once its
// expires_at has passed, since it reads that column only.
package postgres
