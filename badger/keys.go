package badger

import (
	"encoding/binary"
	"time"

	"github.com/memberkit/sessionstore/token"
)

// Key layout. Every key of the store starts with keyPrefix, so a caller's
// own data can share the DB; the byte after it says what the key is:
//
//	P "h" hash                      → the record, in the sessionstore binary encoding
//	P "i" id                        → hash
//	P "m" len(member) member id     → hash   (member index)
//	P "c" len(customer) customer id → hash   (customer index)
//	P "e" be64(expires) id          → hash len(member) member len(customer) customer
//
// len(x) is a uvarint, so that one member's prefix never matches another's
// ("ab" and "abc"). be64(expires) is the big-endian Unix microseconds of
// ExpiresAt with the sign bit flipped, so that keys sort by time and
// DeleteExpired reads the expired entries only. An empty store has no key
// at all. No key is shared by the sessions of a group, so Creates write no
// key in common: Inserts and Edits of one member or customer are ordered
// by groupGates. (Stores written by earlier versions also hold a counter
// per member and customer under P "g", which is no longer read or
// written.)
const keyPrefix = "mst\x00"

// The tags after keyPrefix.
const (
	tagRecord   = 'h'
	tagID       = 'i'
	tagMember   = 'm'
	tagCustomer = 'c'
	tagExpiry   = 'e'
	tagCount    = 'g' // the counters of earlier versions, see above
)

const hashLen = len(token.Hash{})

func recordKey(h token.Hash) []byte {
	return appendRecordKey(make([]byte, 0, len(keyPrefix)+1+hashLen), h)
}

func appendRecordKey(k []byte, h token.Hash) []byte {
	k = append(k, keyPrefix...)
	k = append(k, tagRecord)
	return append(k, h[:]...)
}

func idKey(id string) []byte {
	return appendIDKey(make([]byte, 0, len(keyPrefix)+1+len(id)), id)
}

func appendIDKey(k []byte, id string) []byte {
	k = append(k, keyPrefix...)
	k = append(k, tagID)
	return append(k, id...)
}

// groupPrefix is the prefix of the index keys of one member (tagMember) or
// customer (tagCustomer).
func groupPrefix(tag byte, group string) []byte {
	return appendGroupPrefix(make([]byte, 0, len(keyPrefix)+1+binary.MaxVarintLen64+len(group)+36), tag, group)
}

func appendGroupPrefix(k []byte, tag byte, group string) []byte {
	k = append(k, keyPrefix...)
	k = append(k, tag)
	k = binary.AppendUvarint(k, uint64(len(group)))
	return append(k, group...)
}

// groupKey is the index key of record id in a member's or customer's group.
func groupKey(tag byte, group, id string) []byte {
	return append(groupPrefix(tag, group), id...)
}

// expiryPrefix starts every expiry index key.
var expiryPrefix = []byte(keyPrefix + string(rune(tagExpiry)))

// expiryTime is the sortable form of t: Unix microseconds with the sign bit
// flipped.
func expiryTime(t time.Time) uint64 {
	return uint64(t.UnixMicro()) ^ 1<<63
}

func expiryKey(t time.Time, id string) []byte {
	return appendExpiryKey(make([]byte, 0, len(expiryPrefix)+8+len(id)), t, id)
}

func appendExpiryKey(k []byte, t time.Time, id string) []byte {
	k = append(k, expiryPrefix...)
	k = binary.BigEndian.AppendUint64(k, expiryTime(t))
	return append(k, id...)
}

// expiryKeyTime returns the sortable time of an expiry key, or false if k is
// too short to be one.
func expiryKeyTime(k []byte) (uint64, bool) {
	if len(k) < len(expiryPrefix)+8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(k[len(expiryPrefix):]), true
}

// expiryValue is what an expiry index entry holds: everything DeleteExpired
// needs to remove the record and its index entries without decoding it, so
// that even a corrupt record is purged once expired.
func expiryValue(h token.Hash, member, customer string) []byte {
	return appendExpiryValue(make([]byte, 0, hashLen+2*binary.MaxVarintLen64+len(member)+len(customer)), h, member, customer)
}

func appendExpiryValue(v []byte, h token.Hash, member, customer string) []byte {
	v = append(v, h[:]...)
	v = binary.AppendUvarint(v, uint64(len(member)))
	v = append(v, member...)
	v = binary.AppendUvarint(v, uint64(len(customer)))
	return append(v, customer...)
}

// parseExpiryValue undoes expiryValue; ok is false for a malformed value.
func parseExpiryValue(v []byte) (h token.Hash, member, customer string, ok bool) {
	if len(v) < hashLen {
		return h, "", "", false
	}
	copy(h[:], v)
	v = v[hashLen:]
	member, v, ok = lenPrefixed(v)
	if !ok {
		return h, "", "", false
	}
	customer, v, ok = lenPrefixed(v)
	if !ok || len(v) != 0 {
		return h, "", "", false
	}
	return h, member, customer, true
}

func lenPrefixed(v []byte) (s string, rest []byte, ok bool) {
	n, w := binary.Uvarint(v)
	if w <= 0 || n > uint64(len(v)-w) {
		return "", nil, false
	}
	v = v[w:]
	return string(v[:n]), v[n:], true
}

// hashValue parses an index value holding a token hash.
func hashValue(v []byte) (token.Hash, bool) {
	var h token.Hash
	if len(v) != hashLen {
		return h, false
	}
	copy(h[:], v)
	return h, true
}
