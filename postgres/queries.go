package postgres

import (
	"strconv"
	"strings"
)

// queries are the store's statements on its table. Every parameter carries
// an explicit cast, so that they mean the same under every pgx
// QueryExecMode, including the simple protocol.
type queries struct {
	insert, insertAdmit, insertLocked, find, byID, byMember, byCustomer string
	lockID, lockMember, lockCustomer, lockAdmit                         string
	update, rehash, delete, purge                                       string
	lockHash                                                            string
}

func newQueries(t table) queries {
	// The key columns come with the record, so that a record that cannot
	// be decoded is still known by them.
	const cols = "token_hash, id::text, member_id, customer_id, record"
	sel := "SELECT " + cols + " FROM " + t.quoted + " WHERE "
	insert := "INSERT INTO " + t.quoted +
		" (token_hash, id, member_id, customer_id, created_at, expires_at, modified_at, last_used_at, return_url, record," +
		" kind, authenticated_at, link_id, device_label)"
	return queries{
		// Without a cap on sessions per member, the shared advisory locks
		// of the member and the customer are taken in the same statement,
		// before the row is written, and held until it commits: see
		// "Concurrency" in the package documentation.
		insert: insert + " SELECT " + insertValues(3) +
			" FROM (SELECT pg_advisory_xact_lock_shared($1::bigint), pg_advisory_xact_lock_shared($2::bigint)) AS locks",
		// With a cap, Insert sends lockAdmit and then insertAdmit in one
		// round trip and one implicit transaction: the member's lock is
		// taken in exclusive mode, and insertAdmit counts the member's
		// rows with a snapshot taken after it was granted. It inserts
		// nothing when the member has as many rows as the parameter after
		// the inserted columns.
		lockAdmit: "SELECT pg_advisory_xact_lock($1::bigint), pg_advisory_xact_lock_shared($2::bigint)",
		insertAdmit: insert + " SELECT " + insertValues(1) +
			" WHERE (SELECT count(*) FROM " + t.quoted + " WHERE member_id = $3::text) < $" + strconv.Itoa(len(insertTypes)+1) + "::bigint",
		// insertLocked is the insert of a transaction that holds the locks.
		insertLocked: insert + " VALUES (" + insertValues(1) + ")",
		// find reads the key columns too: a record that disagrees with
		// them never authenticates.
		find:       "SELECT id::text, member_id, customer_id, record FROM " + t.quoted + " WHERE token_hash = $1::bytea",
		byID:       sel + "id = $1::uuid",
		byMember:   sel + "member_id = $1::text",
		byCustomer: sel + "customer_id = $1::text",
		// The edits lock the rows they read, in one order so that two
		// edits over the same rows cannot deadlock.
		lockID:       sel + "id = $1::uuid FOR UPDATE",
		lockMember:   sel + "member_id = $1::text ORDER BY token_hash FOR UPDATE",
		lockCustomer: sel + "customer_id = $1::text ORDER BY token_hash FOR UPDATE",
		update: "UPDATE " + t.quoted +
			" SET expires_at = $2::timestamptz, modified_at = $3::timestamptz, last_used_at = $4::timestamptz," +
			" return_url = $5::text, record = $6::bytea WHERE token_hash = $1::bytea",
		// rehash moves a row to a new token hash, if it is still the row
		// of that session, member and customer.
		rehash: "UPDATE " + t.quoted +
			" SET token_hash = $2::bytea, expires_at = $3::timestamptz, modified_at = $4::timestamptz," +
			" last_used_at = $5::timestamptz, return_url = $6::text, record = $7::bytea" +
			" WHERE token_hash = $1::bytea AND id = $8::uuid AND member_id = $9::text AND customer_id = $10::text",
		// lockHash reads and locks the row of a token hash for Rehash.
		lockHash: sel + "token_hash = $1::bytea FOR UPDATE",
		delete:   "DELETE FROM " + t.quoted + " WHERE token_hash = ANY($1::bytea[])",
		// A batch of expired rows nobody else has locked: lookups never
		// wait on it (they take no row locks), edits and other purges
		// keep the rows they hold.
		purge: "DELETE FROM " + t.quoted + " WHERE token_hash IN (SELECT token_hash FROM " + t.quoted +
			" WHERE expires_at <= $1::timestamptz ORDER BY expires_at LIMIT $2::integer FOR UPDATE SKIP LOCKED)" +
			" AND expires_at <= $1::timestamptz",
	}
}

// insertTypes are the types of the inserted columns, in the order of
// insertArgs.
var insertTypes = []string{"bytea", "uuid", "text", "text", "timestamptz", "timestamptz", "timestamptz", "timestamptz", "text", "bytea",
	"text", "timestamptz", "uuid", "text"}

// insertValues returns the parameters of the inserted columns, numbered from
// $first, with their casts.
func insertValues(first int) string {
	vals := make([]string, len(insertTypes))
	for i, typ := range insertTypes {
		vals[i] = "$" + strconv.Itoa(first+i) + "::" + typ
	}
	return strings.Join(vals, ", ")
}
