// Package token makes, checks and hashes member session tokens in the
// format Polar uses for its member session tokens.
//
// # Format
//
// A token is a prefix, RandomLen (37) random characters and a ChecksumLen
// (6) character checksum, with no separators:
//
//	polar_mst_4fJq9LrT2vXb7NcW1kPz8YhD3sGm6EaQ0uRtB0ICCd7
//	\________/\___________________________________/\____/
//	  prefix          37 random, [A-Za-z0-9]       checksum
//
// The prefix is 1 to 16 characters of [a-z0-9_] (see ValidPrefix); it names
// what the token is, so a leaked token is recognisable by secret scanners
// and by people. The random characters are drawn uniformly from the 62
// letters and digits with crypto/rand, by rejection sampling so that no
// character is more likely than another: 37 characters carry
// 37·log2(62) ≈ 220 bits of entropy. The checksum is the CRC-32 (IEEE) of
// the random part written in base 62 (alphabet 0-9A-Za-z, most significant
// digit first) and left-padded with '0' to 6 characters; see Checksum.
//
// # Routes
//
// NewRouted makes a token whose first RouteLen (2) random characters are a
// route, a number below MaxRoute (3844) written as two base-62 digits,
// that a store uses to find the token's record without a lookup (the Redis
// store on Redis Cluster picks the slot from it); Route reads it back. The
// route is not secret, and the Checksum still covers all 37 characters, so a
// routed token has exactly the format above and the remaining 35 random
// characters carry 35·log2(62) ≈ 208 bits of entropy. Forging the route of
// a token gains nothing: it only says where to look, and a token is found
// only when its whole Hash matches a stored one. A token from New carries a
// random route, which a store treats as a hint like any other.
//
// # Why a checksum
//
// The checksum is not a security feature: anyone can compute it. It lets
// Check reject mistyped, truncated or made-up tokens, and lets secret
// scanners tell a real token from a look-alike, without a database lookup.
// A CRC-32 catches every single-character substitution in the random part.
// Check runs in time that depends only on the lengths involved, never
// allocates, and returns errors that match ErrMalformed and never contain
// the token, so they are safe to log.
//
// # Hashing at rest
//
// A store keeps only the Hash of a token, never the token itself, so a
// leaked database does not yield usable sessions. Because a token carries
// ~208 bits of entropy or more, a single fast hash is enough: there is nothing to
// brute-force, and no salt or slow KDF is needed. A Hasher computes the
// Hash: plain SHA-256 by default, or HMAC-SHA256 under a server secret
// (NewHasher) so that stored hashes are useless without that secret too.
// Hasher.Sum is safe for concurrent use and does not allocate in the
// steady state.
package token
