package backend

import (
	"fmt"
	"hash/fnv"
	"testing"

	"github.com/google/uuid"

	"github.com/memberkit/sessionstore/token"
)

func TestIDCarriesRoute(t *testing.T) {
	for _, r := range []Route{0, 1, 15, 16, 255, RouteCount - 1} {
		for range 50 {
			id, err := newID(r)
			if err != nil {
				t.Fatal(err)
			}
			if !isID(id) {
				t.Fatalf("newID(%d) = %q, not an ID", r, id)
			}
			if got := IDRoute(id); got != r {
				t.Fatalf("IDRoute(newID(%d) = %q) = %d", r, id, got)
			}
			other := WithRoute(id, (r+1)%RouteCount)
			if !isID(other) || IDRoute(other) != (r+1)%RouteCount || other[3:] != id[3:] {
				t.Fatalf("WithRoute(%q, %d) = %q", id, r+1, other)
			}
		}
	}
	for _, id := range []string{"", "ab", "fff00000-0000-4000-8000-000000000000", "G0000000-0000-4000-8000-000000000000"} {
		if got := IDRoute(id); got != NoRoute {
			t.Fatalf("IDRoute(%q) = %d, want NoRoute", id, got)
		}
	}
	if got := WithRoute("not an id", 3); got != "not an id" {
		t.Fatalf("WithRoute(not an id) = %q", got)
	}
}

func TestTokenRoute(t *testing.T) {
	for _, r := range []Route{0, 61, 62, RouteCount - 1} {
		tok, err := token.NewRouted("mst_", int(r))
		if err != nil {
			t.Fatal(err)
		}
		if got := TokenRoute(tok, "mst_"); got != r {
			t.Fatalf("TokenRoute = %d, want %d", got, r)
		}
	}
	tok, err := token.NewRouted("mst_", RouteCount)
	if err != nil {
		t.Fatal(err)
	}
	if got := TokenRoute(tok, "mst_"); got != NoRoute {
		t.Fatalf("TokenRoute of route %d = %d, want NoRoute", RouteCount, got)
	}
}

// TestRouteOfSpreads checks that customer IDs of the usual shapes spread
// over the routes: no route gets more than three times its share.
func TestRouteOfSpreads(t *testing.T) {
	const n = 100 * RouteCount
	var count [RouteCount]int
	for i := range n {
		id := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "%d", i)).String()
		if i%2 == 0 {
			id = fmt.Sprintf("cus_%d", i)
		}
		r := RouteOf(id)
		if r < 0 || r >= RouteCount {
			t.Fatalf("RouteOf(%q) = %d", id, r)
		}
		count[r]++
	}
	for r, c := range count {
		if c > 3*n/RouteCount || c == 0 {
			t.Fatalf("route %d holds %d of %d keys", r, c, n)
		}
	}
}

func TestRouteOfIsFNV1a(t *testing.T) {
	for _, key := range []string{"", "a", "cus_42", "0b8d2c7e-1f3a-4e4b-9c1d-2a3b4c5d6e7f"} {
		h := fnv.New32a()
		_, _ = h.Write([]byte(key))
		if got, want := RouteOf(key), Route(h.Sum32()%RouteCount); got != want {
			t.Errorf("RouteOf(%q) = %d, want %d", key, got, want)
		}
	}
}
