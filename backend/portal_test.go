package backend

import (
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
	id, err := newID()
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
