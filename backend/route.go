package backend

import "github.com/memberkit/sessionstore/token"

// Route is where a backend that spreads records over shards keeps a
// record: the route of its customer, RouteOf(customerID). The engine writes
// it into every token (token.NewRouted) and every session ID (see IDRoute)
// it makes, so that such a backend finds a record from its token or ID
// without another lookup. Backends that keep one place ignore routes.
type Route int

// RouteCount is the number of routes: a route is in [0, RouteCount), or
// NoRoute. It fits in the 12 bits of an ID's route and in a token's two
// route characters.
const RouteCount = 1024

// NoRoute is the route of a token or ID that carries none: one made before
// routes existed, or by someone else. A backend looks for its record where
// it kept records before routes, if anywhere.
const NoRoute Route = -1

// RouteOf returns the route of key, a customer ID for a record's route:
// the FNV-1a hash of key modulo RouteCount. It is the one rule that maps IDs
// to routes; a backend that places other keys (a member's) by route uses
// it too.
func RouteOf(key string) Route {
	const offset, prime = 2166136261, 16777619 // FNV-1a, 32 bits
	h := uint32(offset)
	for i := range len(key) {
		h = (h ^ uint32(key[i])) * prime
	}
	return Route(h % RouteCount)
}

// TokenRoute returns the route carried by tok, a token that passed
// token.Check with prefix: NoRoute when its route characters name no route
// below RouteCount.
func TokenRoute(tok, prefix string) Route {
	r, ok := token.Route(tok, prefix)
	if !ok || r >= RouteCount {
		return NoRoute
	}
	return Route(r)
}
