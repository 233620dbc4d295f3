package backend

import (
	"net/url"
	"strings"
	"testing"
)

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

func TestIsID(t *testing.T) {
	id, err := newID(RouteOf("c"))
	if err != nil {
		t.Fatal(err)
	}
	if !isID(id) {
		t.Fatalf("isID(%q) = false for a new ID", id)
	}
	for _, s := range []string{
		"",
		strings.ToUpper(id),
		"{" + id + "}",
		"urn:uuid:" + id,
		strings.ReplaceAll(id, "-", ""),
		"0195a3c2-7f1e-7c3a-9d2b-4e5f6a7b8c9d", // version 7
		"0195a3c2-7f1e-4c3a-cd2b-4e5f6a7b8c9d", // not the RFC 4122 variant
	} {
		if isID(s) {
			t.Errorf("isID(%q) = true", s)
		}
	}
}

// FuzzPortalURL checks that portalURL encodes every email exactly as
// url.QueryEscape does.
func FuzzPortalURL(f *testing.F) {
	for _, s := range []string{"a+b@c.d", "", "x y~z", "ü@ß.de", "\x00\xff%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, email string) {
		const base = "https://p.example/portal"
		want := base + "?member_session_token=mst_x&email=" + url.QueryEscape(email)
		if got := portalURL(base, "mst_x", email); got != want {
			t.Fatalf("portalURL(%q) = %q, want %q", email, got, want)
		}
	})
}
