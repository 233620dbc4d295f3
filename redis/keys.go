package redis

import (
	"strconv"

	"github.com/memberkit/sessionstore/backend"
)

// The fields of a record hash. d is the encoded Record; i, m and c repeat
// its ID, member ID and customer ID so that purgeScript can remove its
// index entries without decoding it.
const (
	fieldData     = "d"
	fieldID       = "i"
	fieldMember   = "m"
	fieldCustomer = "c"
)

// keys names the keys of one place of a store: every key starts with its
// hash tag, so all of them are in one slot. The single-tag layout has one
// place, tag "{" + KeyPrefix + "}"; the routed layout one per route, tag
// "{" + KeyPrefix + "#" + route + "}" (see placement).
type keys struct{ tag string }

func newKeys(prefix string) keys { return keys{tag: "{" + prefix + "}"} }

// routeKeys returns the keys of route r of the store with this prefix.
func routeKeys(prefix string, r backend.Route) keys {
	return keys{tag: "{" + prefix + "#" + strconv.Itoa(int(r)) + "}"}
}

// record is the hash holding one record, by token hash in hex.
func (k keys) record(hexHash string) string { return k.tag + "s:" + hexHash }

// id is the string mapping a session ID to its token hash in hex.
func (k keys) id(id string) string { return k.tag + "id:" + id }

// member is the set of the token hashes (hex) of a member's records.
func (k keys) member(id string) string { return k.tag + "mem:" + id }

// customer is the set of the token hashes (hex) of a customer's records.
func (k keys) customer(id string) string { return k.tag + "cus:" + id }

// lock is the lock of the member or customer set key set.
func (k keys) lock(set string) string { return k.tag + "lock:" + set[len(k.tag):] }

// expiry is the sorted set of the token hashes (hex) of the place's
// records, scored by ExpiresAt in Unix microseconds.
func (k keys) expiry() string { return k.tag + "exp" }

// owner is, in the routed layout, the set of the routes (decimal) of the
// customers a member has had sessions under, kept in the member's own
// place, RouteOf(member ID): it is how a member-wide operation finds the
// places of the member's records. See storage.memberPlaces.
func (k keys) owner(memberID string) string { return k.tag + "own:" + memberID }
