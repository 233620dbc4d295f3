package token

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestNewRoutedCarriesRoute(t *testing.T) {
	for _, route := range []int{0, 1, 61, 62, 1023, MaxRoute - 1} {
		tok, err := NewRouted(knownPrefix, route)
		if err != nil {
			t.Fatalf("NewRouted(%d): %v", route, err)
		}
		if err := Check(tok, knownPrefix); err != nil {
			t.Fatalf("Check(NewRouted(%d)) = %v", route, err)
		}
		if got, ok := Route(tok, knownPrefix); !ok || got != route {
			t.Fatalf("Route(NewRouted(%d)) = %d, %v", route, got, ok)
		}
	}
	for _, route := range []int{-1, MaxRoute} {
		if _, err := NewRouted(knownPrefix, route); err == nil {
			t.Fatalf("NewRouted(%d) succeeded", route)
		}
	}
}

func TestRouteOfKnownToken(t *testing.T) {
	// knownRandom starts with "4f": 4·62 + 41.
	if got, ok := Route(knownToken, knownPrefix); !ok || got != 4*62+41 {
		t.Fatalf("Route(known token) = %d, %v", got, ok)
	}
	for _, bad := range []string{"", knownPrefix, knownPrefix + "4", knownPrefix + "-f" + knownRandom[2:]} {
		if _, ok := Route(bad, knownPrefix); ok {
			t.Fatalf("Route(%q) ok", bad)
		}
	}
}

// FuzzRoute checks that a routed token from any source and route is
// well-formed and gives its route back, that the other random characters
// stay uniform draws of the source, and that Route never panics and agrees
// with the obvious reading of any input.
func FuzzRoute(f *testing.F) {
	f.Add(bytes.Repeat([]byte{7}, 64), 0, knownToken)
	f.Add([]byte(strings.Repeat("\xff\x01", 64)), MaxRoute-1, knownPrefix+"zz")
	f.Add([]byte{}, 17, "")
	f.Fuzz(func(t *testing.T, src []byte, route int, any string) {
		if got, ok := Route(any, knownPrefix); ok {
			rest := any[len(knownPrefix):]
			want := strings.IndexByte(alphabet, rest[0])*62 + strings.IndexByte(alphabet, rest[1])
			if got != want || got < 0 || got >= MaxRoute {
				t.Fatalf("Route(%q) = %d, want %d", any, got, want)
			}
		}
		tok, err := NewRoutedFrom(bytes.NewReader(src), knownPrefix, route)
		if route < 0 || route >= MaxRoute {
			if !errors.Is(err, errBadRoute) {
				t.Fatalf("NewRoutedFrom(route %d) = %v, want errBadRoute", route, err)
			}
			return
		}
		if err != nil {
			return // a short source
		}
		if err := Check(tok, knownPrefix); err != nil {
			t.Fatalf("Check(%q) = %v", tok, err)
		}
		if got, ok := Route(tok, knownPrefix); !ok || got != route {
			t.Fatalf("Route(%q) = %d, %v, want %d", tok, got, ok, route)
		}
		plain, err := NewFrom(bytes.NewReader(src), knownPrefix)
		if err != nil {
			return // New needs RouteLen more accepted bytes
		}
		// The characters after the route are the source's draws, in order.
		body, pbody := tok[len(knownPrefix):], plain[len(knownPrefix):]
		if body[RouteLen:RandomLen] != pbody[:RandomLen-RouteLen] {
			t.Fatalf("routed %q and plain %q differ after the route", tok, plain)
		}
	})
}
