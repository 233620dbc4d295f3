package postgres

import (
	"strings"

	"github.com/memberkit/sessionstore"
)

// DefaultTable is the Table of an Options that leaves it empty.
const DefaultTable = "member_sessions"

// maxTableName bounds the table's own name (without its schema), so that
// the names derived from it (the version table, the indexes) stay within
// PostgreSQL's 63-byte identifiers instead of being silently truncated.
const maxTableName = 40

// Options configures a Postgres store: the options every store has, plus
// where in the database it keeps its sessions.
type Options struct {
	sessionstore.Options

	// Table names the sessions table, optionally qualified by its schema:
	// "member_sessions" or "portal.member_sessions". Each part is a plain
	// lower-case SQL identifier ([a-z_][a-z0-9_]*, the table's own name at
	// most 40 bytes), so it means the same quoted or not; the schema must
	// already exist. Migrate also creates the table Table + "_version",
	// and indexes named after Table. Default DefaultTable.
	Table string
}

// table is a validated table name, with its quoted forms for SQL.
type table struct {
	name    string // as given, e.g. portal.member_sessions
	schema  string // "" when unqualified
	bare    string // the table's own name, e.g. member_sessions
	quoted  string // "portal"."member_sessions"
	version string // "portal"."member_sessions_version"
}

// parseTable validates an Options.Table ("" is DefaultTable).
func parseTable(name string) (table, error) {
	if name == "" {
		name = DefaultTable
	}
	bad := func(reason string) (table, error) {
		return table{}, &sessionstore.ValidationError{Field: "options.table", Reason: reason}
	}
	parts := strings.Split(name, ".")
	if len(parts) > 2 {
		return bad("must be a table name, optionally qualified by one schema name")
	}
	for _, p := range parts {
		if !isIdent(p) {
			return bad("each part must be a lower-case SQL identifier: [a-z_][a-z0-9_]*")
		}
	}
	t := table{name: name, bare: parts[len(parts)-1]}
	if len(t.bare) > maxTableName {
		return bad("the table's name must be at most 40 bytes")
	}
	if len(parts) == 2 {
		t.schema = parts[0]
		if len(t.schema) > 63 {
			return bad("the schema's name must be at most 63 bytes")
		}
	}
	t.quoted = t.qualify(t.bare)
	t.version = t.qualify(t.bare + "_version")
	return t, nil
}

// qualify returns the quoted name of the relation rel in t's schema.
func (t table) qualify(rel string) string {
	if t.schema == "" {
		return `"` + rel + `"`
	}
	return `"` + t.schema + `"."` + rel + `"`
}

// isIdent reports whether s is a non-empty lower-case SQL identifier.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
