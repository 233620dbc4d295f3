package sessionhttp_test

import (
	"os"
	"strings"
	"testing"
)

// The README's HTTP example is the body of app in flow_example_test.go, so
// that ExampleNew tests what the README shows.
func TestREADMEExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("flow_example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## HTTP\n")
	if !ok {
		t.Fatal("README has no HTTP section")
	}
	_, block, ok := strings.Cut(section, "```go\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal("README's HTTP section has no go block")
	}
	lines := strings.Split(strings.TrimSpace(block), "\n")
	if len(lines) >= 30 {
		t.Errorf("the README's HTTP example has %d lines, want under 30", len(lines))
	}
	// Each line, indented one level deeper, in order in app's body.
	body := string(src)
	for _, l := range lines {
		want := "\t" + l + "\n"
		if l == "" {
			want = "\n"
		}
		i := strings.Index(body, want)
		if i < 0 {
			t.Fatalf("README line %q is not (next) in app", l)
		}
		body = body[i+len(want):]
	}
}
