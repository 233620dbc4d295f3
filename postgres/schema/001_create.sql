-- Schema version 1: the sessions table and its indexes.
--
-- {{table}} is the quoted, optionally schema-qualified table name and
-- {{name}} the table's own name, for the index names.

CREATE TABLE {{table}} (
	token_hash   bytea       PRIMARY KEY CHECK (octet_length(token_hash) = 32),
	id           uuid        NOT NULL UNIQUE,
	member_id    text        NOT NULL,
	customer_id  text        NOT NULL,
	created_at   timestamptz NOT NULL,
	expires_at   timestamptz NOT NULL,
	modified_at  timestamptz,
	last_used_at timestamptz,
	return_url   text,
	record       bytea       NOT NULL
);

CREATE INDEX "{{name}}_member_id_idx" ON {{table}} (member_id);
CREATE INDEX "{{name}}_customer_id_idx" ON {{table}} (customer_id);
CREATE INDEX "{{name}}_expires_at_idx" ON {{table}} (expires_at);

COMMENT ON TABLE {{table}} IS
	'Member sessions of github.com/memberkit/sessionstore (postgres package). '
	'token_hash is SHA-256 or HMAC-SHA256 of the token, never the token. '
	'record is the session in sessionstore''s binary record encoding; the other '
	'columns repeat its fields for reading and indexing. Change only through the library.';
