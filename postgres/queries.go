package postgres

// queries are the store's statements on its table. Every parameter carries
// an explicit cast, so that they mean the same under every pgx
// QueryExecMode, including the simple protocol.
type queries struct {
	insert, find, byID, byMember, byCustomer string
	lockID, lockMember, lockCustomer         string
	update, delete, purge                    string
}

func newQueries(t table) queries {
	const cols = "token_hash, record"
	sel := "SELECT " + cols + " FROM " + t.quoted + " WHERE "
	return queries{
		// The shared advisory locks of the member and the customer are
		// taken in the same statement, before the row is written, and held
		// until it commits: see "Concurrency" in the package documentation.
		insert: "INSERT INTO " + t.quoted +
			" (token_hash, id, member_id, customer_id, created_at, expires_at, modified_at, return_url, record)" +
			" SELECT $3::bytea, $4::uuid, $5::text, $6::text, $7::timestamptz, $8::timestamptz, $9::timestamptz, $10::text, $11::bytea" +
			" FROM (SELECT pg_advisory_xact_lock_shared($1::bigint), pg_advisory_xact_lock_shared($2::bigint)) AS locks",
		find:       "SELECT record FROM " + t.quoted + " WHERE token_hash = $1::bytea",
		byID:       sel + "id = $1::uuid",
		byMember:   sel + "member_id = $1::text",
		byCustomer: sel + "customer_id = $1::text",
		// The edits lock the rows they read, in one order so that two
		// edits over the same rows cannot deadlock.
		lockID:       sel + "id = $1::uuid FOR UPDATE",
		lockMember:   sel + "member_id = $1::text ORDER BY token_hash FOR UPDATE",
		lockCustomer: sel + "customer_id = $1::text ORDER BY token_hash FOR UPDATE",
		update: "UPDATE " + t.quoted +
			" SET expires_at = $2::timestamptz, modified_at = $3::timestamptz, return_url = $4::text, record = $5::bytea" +
			" WHERE token_hash = $1::bytea",
		delete: "DELETE FROM " + t.quoted + " WHERE token_hash = ANY($1::bytea[])",
		// A batch of expired rows nobody else has locked: lookups never
		// wait on it (they take no row locks), edits and other purges
		// keep the rows they hold.
		purge: "DELETE FROM " + t.quoted + " WHERE token_hash IN (SELECT token_hash FROM " + t.quoted +
			" WHERE expires_at <= $1::timestamptz ORDER BY expires_at LIMIT $2::integer FOR UPDATE SKIP LOCKED)" +
			" AND expires_at <= $1::timestamptz",
	}
}
