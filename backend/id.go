package backend

import (
	"strings"

	"github.com/google/uuid"
)

// newID returns a new session ID: a random UUID (version 4) in its
// lowercase hyphenated form.
func newID() (string, error) {
	u, err := uuid.NewRandom()
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// isID reports whether s can be a session ID: a version 4 UUID written
// exactly as newID writes one. Any other spelling of a UUID (upper case,
// braces, a urn: prefix) is no session's ID, so it never reaches a backend.
func isID(s string) bool {
	if len(s) != 36 || strings.ContainsAny(s, "ABCDEF") {
		return false // uuid.Parse reads 36 bytes as the hyphenated form, in either case
	}
	u, err := uuid.Parse(s)
	return err == nil && u.Version() == 4 && u.Variant() == uuid.RFC4122
}
