// Package memory keeps member sessions in the process's memory: the fastest
// backend, for an application that runs as one process and can lose its
// sessions on restart (members then follow a new portal link).
//
// Lookups are one map read under a read lock, so they do not block each
// other and cost the same at a thousand sessions as at a million. Each
// member's and each customer's sessions are indexed, so lists and revokes
// cost O(sessions of that member or customer). Expiry is kept in a min-heap,
// so the sweeper finds expired sessions without scanning live ones and purges
// them in batches of 64, releasing the lock between batches.
//
// Sessions of one member share one member snapshot, and sessions of one
// customer share one customer snapshot, so a customer with many sessions
// costs its snapshot once.
package memory
