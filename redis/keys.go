package redis

// The fields of a record hash. d is the encoded Record; i, m and c repeat
// its ID, member ID and customer ID so that purgeScript can remove its
// index entries without decoding it.
const (
	fieldData     = "d"
	fieldID       = "i"
	fieldMember   = "m"
	fieldCustomer = "c"
)

// keys names a store's keys. Every key starts with the hash tag
// "{" + KeyPrefix + "}".
type keys struct{ tag string }

func newKeys(prefix string) keys { return keys{tag: "{" + prefix + "}"} }

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

// expiry is the sorted set of all token hashes (hex) scored by ExpiresAt
// in Unix microseconds.
func (k keys) expiry() string { return k.tag + "exp" }
