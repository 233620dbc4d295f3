package sessionhttp

import "testing"

func TestPrefersHTML(t *testing.T) {
	for accept, want := range map[string]bool{
		"":          false,
		"*/*":       false,
		"text/html": true,
		"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8": true,
		"application/json":                        false,
		"application/json, text/html;q=0.5":       false,
		"text/html;q=0.9, application/json;q=0.9": true,
		"TEXT/HTML":             true,
		"text/html;q=0":         false,
		"application/xhtml+xml": true,
	} {
		if got := prefersHTML(accept); got != want {
			t.Errorf("prefersHTML(%q) = %v, want %v", accept, got, want)
		}
	}
}
