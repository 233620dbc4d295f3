// Package sessionstore keeps member sessions: the short-lived sessions that
// let one member of a customer into a customer portal, modelled on Polar's
// MemberSession.
//
// A Store generates tokens, keeps only their hashes, looks them up, expires
// them, keeps a snapshot of the member and customer with each session, and
// revokes them one at a time or by member or customer. Backends are chosen
// by constructor: memory.New (one process), badger.Open (persistent,
// embedded), redis.New and postgres.New (many application instances; Redis,
// or the PostgreSQL database the application already runs). All of them run
// the same engine (package backend), so every rule below holds on every
// backend.
//
// # Tokens
//
// A token is Options.TokenPrefix, 37 characters of [A-Za-z0-9] from
// crypto/rand, and a 6-character base-62 CRC-32 checksum of those 37
// characters (package token). Lookup rejects a token of the wrong shape with
// ErrMalformedToken before storage is touched. Only a hash of the token is
// stored (SHA-256, or HMAC-SHA256 with Options.Secret); the raw token exists
// in the Create response alone. A MemberSession never prints or logs it, and
// its JSON writes it as "": only WithCredentials writes it, for the one
// response that must carry it.
//
// # Lifetime
//
// A session is live while now < expires_at, it is not revoked and its
// customer is not deleted. The default lifetime is one hour, absolute;
// Extend moves it explicitly. Lookup of an expired session that is still
// stored is ErrExpired, so a portal can tell an expired link from a wrong
// one. Expired sessions are purged by DeleteExpired and by a background
// sweeper every Options.SweepInterval. The store reads the time only through
// Options.Now.
//
// # Lifecycle
//
// Lookup records uses in MemberSession.LastUsedAt at most once per
// Options.LastUseInterval (default five minutes), so authenticating stays a
// read almost always. Options.IdleTimeout expires a session left unused
// that long; uses are then recorded at least every tenth of it. Options.ExpiredRetention keeps
// expired sessions (default a day) so their links keep saying ErrExpired.
// Options.MaxSessionsPerMember (default 50) caps a member's live sessions:
// a Create past it revokes the oldest in the same atomic step, on every
// backend and across processes; Options.MaxDevicesPerLink caps what one
// link opens, and Options.CapPolicy chooses between evicting and refusing
// (ErrTooManySessions). No session authenticates past its AuthenticatedAt
// + MaxTTL (a link's or sign-in's creation; a device session's link's),
// and Extend stops there.
//
// # Kinds
//
// Create makes a portal link (KindLink), or a sign-in (KindSignIn) for a
// member the application authenticated itself. Exchange trades a live link
// for one browser's device session (KindDevice) in one atomic step with
// the revocations: after RevokeMember, RevokeCustomer, an UpdateCustomer
// with DeletedAt or the link's Revoke returns, no exchange leaves a
// session that authenticates. Only links are exchangeable, and revoking a
// link ends the device sessions it opened.
//
// # Rotating the secret
//
// Sessions survive a change of Options.Secret when the old one is kept in
// Options.PreviousSecrets for a while:
//
//  1. Generate the new secret. Deploy every instance with Secret set to it
//     and PreviousSecrets set to the old one (nil if there was none, for
//     plain SHA-256). New sessions use the new secret; a token made under
//     the old one still authenticates, and its first Lookup stores it again
//     under the new secret.
//  2. Wait Options.MaxTTL: by then every session made under the old secret
//     has expired (an extended one included, since the absolute lifetime
//     ends at authenticated_at + MaxTTL, at most created_at + MaxTTL).
//  3. Deploy again without the old secret in PreviousSecrets.
//
// An instance that still runs with the old secret alone during step 1 does
// not find sessions already moved to the new one, so roll step 1 out
// everywhere before relying on it. Tokens never appear in errors or logs on
// the way.
//
// # JSON
//
// MemberSession, Member and Customer read and write Polar's wire format with
// encoding/json: snake_case keys, explicit nulls, timestamps in UTC with six
// digits of microseconds or none, the tax ID as a two-element array and
// metadata values that keep their kind. A MemberSession writes its token and
// member_portal_url as "", so that no encoder, a log handler included, ever
// writes them by accident; WithCredentials(s) writes the whole create
// response. Decoding reads both.
//
// # Errors
//
// Errors match the sentinels in this package under errors.Is; bad input is
// a *ValidationError naming the field by its JSON path, and changes nothing.
//
// # Observing
//
// Options.Observer receives an Event for everything the store does to
// sessions, and for a failed background purge; events carry IDs, never
// tokens or hashes. NewAuditLog writes the security-relevant ones to a
// log/slog logger; package otelmetrics records them as OpenTelemetry
// metrics; sessionhttp reports its sign-ins, sign-outs and refusals to the
// same Observer. Without one, the store does no work for events.
//
// # Writing a backend
//
// Package backend is the kit for another storage: implement its Backend
// interface and backend.NewStore puts every rule above on top of it;
// package storetest proves the result.
package sessionstore
