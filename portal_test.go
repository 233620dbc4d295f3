package sessionstore

import (
	"net/url"
	"strings"
	"testing"
)

func TestQueryEscapeMatchesNetURL(t *testing.T) {
	for _, s := range []string{"", "a@b.com", "a+tag@example.com", "sp ace@x", "ü@ß.de", "%&=?#/:", "~-_.", "\x00\xff"} {
		var b strings.Builder
		queryEscape(&b, s)
		if got, want := b.String(), url.QueryEscape(s); got != want {
			t.Errorf("queryEscape(%q) = %q, want %q", s, got, want)
		}
	}
}

func FuzzQueryEscape(f *testing.F) {
	f.Add("member+x@example.com")
	f.Fuzz(func(t *testing.T, s string) {
		var b strings.Builder
		queryEscape(&b, s)
		if got, want := b.String(), url.QueryEscape(s); got != want {
			t.Fatalf("queryEscape(%q) = %q, want %q", s, got, want)
		}
	})
}

func TestPortalURL(t *testing.T) {
	tests := []struct{ base, want string }{
		{"", ""},
		{"https://p.example/acme/portal", "https://p.example/acme/portal?member_session_token=mst_x&email=a%2Bb%40c.d"},
		{"https://p.example/portal?org=acme", "https://p.example/portal?org=acme&member_session_token=mst_x&email=a%2Bb%40c.d"},
	}
	for _, tt := range tests {
		if got := portalURL(tt.base, "mst_x", "a+b@c.d"); got != tt.want {
			t.Errorf("portalURL(%q) = %q, want %q", tt.base, got, tt.want)
		}
	}
}
