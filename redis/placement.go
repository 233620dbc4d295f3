package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/memberkit/sessionstore/backend"
)

// The placement of records. In the single-tag layout (a standalone server)
// every key is in b.k. In the routed layout (a cluster client) a record and
// its ID key, member set, customer set and expiry entry are in the keys of
// its route, backend.RouteOf(its customer ID): one place per route, and
// each place one slot. The route of a token and of an ID leads to the
// place without a lookup; a member-wide operation reads the member's owner
// set first (memberPlaces). Sessions written in the single-tag layout
// before the store used routes stay in b.k and are still found there, as
// long as that layout holds any (legacyState).

// The values of storage.legacy.
const (
	legacyUnknown int32 = iota // not checked yet
	legacyPresent              // the single-tag layout holds sessions
	legacyAbsent               // it held none when last checked
)

// routed reports whether the store uses the routed layout.
func (b *storage) routed() bool { return b.routes != nil }

// at returns the keys of route r: b.k in the single-tag layout.
func (b *storage) at(r backend.Route) keys {
	if b.routes == nil || r < 0 || int(r) >= len(b.routes) {
		return b.k
	}
	return b.routes[r]
}

// placeOf returns the keys of the records of customer customerID.
func (b *storage) placeOf(customerID string) keys { return b.at(backend.RouteOf(customerID)) }

// legacyState reports whether the routed layout must also look in the
// single-tag layout: whether its expiry zset, which indexes every session
// it holds, exists. The answer is checked once, and again by every
// DeleteExpired (recheckLegacy), so a store that never had such sessions
// pays no round trip for them after its first call.
func (b *storage) legacyState(ctx context.Context) (bool, error) {
	switch b.legacy.Load() {
	case legacyPresent:
		return true, nil
	case legacyAbsent:
		return false, nil
	}
	return b.recheckLegacy(ctx)
}

// recheckLegacy asks Redis whether the single-tag layout holds sessions,
// and remembers the answer.
func (b *storage) recheckLegacy(ctx context.Context) (bool, error) {
	n, err := b.c.Exists(ctx, b.k.expiry()).Result()
	if err != nil {
		return false, err
	}
	if n > 0 {
		b.legacy.Store(legacyPresent)
		return true, nil
	}
	b.legacy.Store(legacyAbsent)
	return false, nil
}

// withLegacy appends b.k to places when the routed layout must also look
// in the single-tag layout.
func (b *storage) withLegacy(ctx context.Context, places []keys) ([]keys, error) {
	if !b.routed() {
		return places, nil
	}
	old, err := b.legacyState(ctx)
	if err != nil || !old {
		return places, err
	}
	return append(places, b.k), nil
}

// routePlaces returns where the record of a token or ID of route r may
// be, in the order to look: its route's place, then the single-tag layout
// while it holds sessions (a token or ID from before routes carries a
// random route, or NoRoute).
func (b *storage) routePlaces(ctx context.Context, r backend.Route) ([]keys, error) {
	if !b.routed() {
		return []keys{b.k}, nil
	}
	var places []keys
	if r != backend.NoRoute {
		places = append(places, b.at(r))
	}
	return b.withLegacy(ctx, places)
}

// customerPlaces returns where the records of a customer are.
func (b *storage) customerPlaces(ctx context.Context, customerID string) ([]keys, error) {
	return b.withLegacy(ctx, []keys{b.placeOf(customerID)})
}

// memberPlaces returns where the records of a member are: in the routed
// layout, the places its owner set names (one per customer it had
// sessions under, normally one). Insert adds a record's route to the owner
// set before it stores the record, and the set keeps a TTL beyond the
// life of every record it names, so the set read here names the place of
// every record of the member whose Insert began before this call; an
// operation then acts atomically in each place. Reading the set first is
// no check-then-act race: an entry is never removed while it names a
// record, and a record whose Insert follows the read is one the operation
// may order after itself, as it would on any backend.
func (b *storage) memberPlaces(ctx context.Context, memberID string) ([]keys, error) {
	if !b.routed() {
		return []keys{b.k}, nil
	}
	routes, err := b.c.SMembers(ctx, b.placeOf(memberID).owner(memberID)).Result()
	if isWrongType(err) {
		return nil, corrupt("owner set", err)
	}
	if err != nil {
		return nil, err
	}
	places := make([]keys, 0, len(routes)+1)
	for _, s := range routes {
		r, err := strconv.Atoi(s)
		if err != nil || r < 0 || r >= len(b.routes) {
			return nil, corrupt("owner set", fmt.Errorf("entry %q is no route", s))
		}
		places = append(places, b.routes[r])
	}
	return b.withLegacy(ctx, places)
}

// ownerTTL is how long the owner set must keep an entry for rec: until no
// session of rec's chain can be live or kept any more, its authentication
// plus MaxTTL (Extend never goes beyond), and at least its ExpiresAt.
func (b *storage) ownerTTL(rec *backend.Record) int64 {
	end := rec.AuthenticatedAt
	if end.IsZero() {
		end = rec.CreatedAt
	}
	end = end.Add(b.maxTTL)
	if rec.ExpiresAt.After(end) {
		end = rec.ExpiresAt
	}
	return b.ttl(end)
}

// checkRouted returns an error unless rec's ID carries the route of its
// customer, as the engine makes IDs: the routed layout finds a record by
// ID through it.
func (b *storage) checkRouted(rec *backend.Record) error {
	if !b.routed() {
		return nil
	}
	if want := backend.RouteOf(rec.CustomerID()); backend.IDRoute(rec.ID) != want {
		return fmt.Errorf("session ID %s does not carry its customer's route %d", rec.ID, want)
	}
	return nil
}

// watch runs fn in an optimistic transaction on the node of key. On a
// cluster client it sends nothing of its own: fn WATCHes key in the
// pipeline of its first read (a ClusterClient's Watch would first send the
// WATCH in a round trip of its own to find the node); when the node no
// longer owns the slot, it falls back to the ClusterClient's Watch, which
// follows the redirection. On any other client but a *goredis.Client the
// client's Watch WATCHes key first (see watchFirst).
func (b *storage) watch(ctx context.Context, fn func(*goredis.Tx) error, key string) error {
	cc, ok := b.c.(*goredis.ClusterClient)
	if !ok {
		return b.c.Watch(ctx, fn, b.watchFirst(key)...)
	}
	node, err := cc.MasterForKey(ctx, key)
	if err != nil {
		return err
	}
	err = node.Watch(ctx, fn)
	if !isRedirect(err) {
		return err
	}
	cc.ReloadState(ctx)
	return cc.Watch(ctx, fn, key)
}

// isRedirect reports a MOVED or ASK reply: the node does not serve the
// slot (any more).
func isRedirect(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		if s := err.Error(); strings.HasPrefix(s, "MOVED ") || strings.HasPrefix(s, "ASK ") {
			return true
		}
	}
	return false
}
