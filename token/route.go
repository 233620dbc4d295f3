package token

import "io"

// RouteLen is the number of leading random characters of a routed token
// that carry its route (see NewRouted).
const RouteLen = 2

// MaxRoute is the number of routes RouteLen characters can carry: a route
// is in [0, MaxRoute).
const MaxRoute = 62 * 62

// NewRouted is New with route written into the first RouteLen of the
// RandomLen random characters, as two base-62 digits (alphabet 0-9A-Za-z,
// most significant first); the other RandomLen-RouteLen characters are
// drawn as New draws them, and the Checksum covers all RandomLen. The token
// has Polar's format, and Check accepts it like any other. A route is not
// secret: the token keeps (RandomLen-RouteLen)·log2(62) ≈ 208 bits of
// entropy. It fails like New, and when route is outside [0, MaxRoute).
func NewRouted(prefix string, route int) (string, error) {
	return NewRoutedFrom(randReader, prefix, route)
}

// NewRoutedFrom is NewRouted with r as the source of randomness.
func NewRoutedFrom(r io.Reader, prefix string, route int) (string, error) {
	if route < 0 || route >= MaxRoute {
		return "", errBadRoute
	}
	var head [RouteLen]byte
	head[0] = alphabet[route/len(alphabet)]
	head[1] = alphabet[route%len(alphabet)]
	return newToken(r, prefix, head[:])
}

// Route returns the route carried by the first RouteLen random characters
// of tok, which follow prefix: a number in [0, MaxRoute). ok is false when
// tok is too short or those characters are outside the alphabet. Route does
// not check the rest of tok (Check does); every well-formed token has a
// route, and a token made by New carries a random one. It never allocates
// and never puts tok in an error.
func Route(tok, prefix string) (route int, ok bool) {
	if len(tok) < len(prefix)+RouteLen {
		return 0, false
	}
	hi, lo := digitValue[tok[len(prefix)]], digitValue[tok[len(prefix)+1]]
	if hi == invalidDigit || lo == invalidDigit {
		return 0, false
	}
	return int(hi)*len(alphabet) + int(lo), true
}
