package backend

import (
	"strings"

	"github.com/google/uuid"
)

// newID returns a new session ID: a random UUID (version 4) in its
// lowercase hyphenated form, carrying route r in its first 12 bits (see
// IDRoute). The other 110 random bits of a version 4 UUID stay random.
func newID(r Route) (string, error) {
	u, err := uuid.NewRandom()
	if err != nil {
		return "", err
	}
	setRoute(&u, r)
	return u.String(), nil
}

// setRoute writes r into the first 12 bits of u: the first three hex digits
// of its string form. They are random bits of a version 4 UUID, so u stays
// one.
func setRoute(u *uuid.UUID, r Route) {
	u[0] = byte(r >> 4)
	u[1] = u[1]&0x0F | byte(r&0xF)<<4
}

// IDRoute returns the route carried by a session ID: the number in its
// first three hex digits, or NoRoute when that is not below RouteCount or id
// is not an ID (see isID). IDs made before routes existed carry a random
// one, which a backend treats as a hint like any other.
func IDRoute(id string) Route {
	if len(id) < 3 {
		return NoRoute
	}
	r := 0
	for i := range 3 {
		c := id[i]
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | int(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | int(c-'a'+10)
		default:
			return NoRoute
		}
	}
	if r >= RouteCount {
		return NoRoute
	}
	return Route(r)
}

// WithRoute returns id, a session ID, with route r in place of its own, as
// the engine would have made it for a customer of route r. Backend tests use
// it to make records whose IDs carry their customer's route; id is returned
// as it is when it is no ID.
func WithRoute(id string, r Route) string {
	u, err := uuid.Parse(id)
	if err != nil || !isID(id) || r < 0 || r >= RouteCount {
		return id
	}
	setRoute(&u, r)
	return u.String()
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
