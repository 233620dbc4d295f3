package postgres

import (
	"errors"
	"strings"
	"testing"

	"github.com/memberkit/sessionstore"
)

// FuzzParseTable checks that parseTable never panics, refuses with a
// *ValidationError, and accepts only names whose quoted forms are exactly
// the parts between double quotes: nothing a name holds can escape the
// identifier into the SQL around it.
func FuzzParseTable(f *testing.F) {
	for _, s := range []string{"", "member_sessions", "portal.member_sessions", "a.b.c", `x"; DROP TABLE y; --`, "Ab", "_", "a..b", "ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		tb, err := parseTable(name)
		if err != nil {
			var ve *sessionstore.ValidationError
			if !errors.As(err, &ve) || ve.Field != "options.table" {
				t.Fatalf("parseTable(%q) = %v, want a ValidationError of options.table", name, err)
			}
			return
		}
		if name == "" {
			name = DefaultTable
		}
		want := `"` + strings.ReplaceAll(name, ".", `"."`) + `"`
		if tb.quoted != want || tb.name != name {
			t.Fatalf("parseTable(%q): quoted %s, name %s; want %s", name, tb.quoted, tb.name, want)
		}
		for _, c := range name {
			if !(c == '_' || c == '.' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
				t.Fatalf("parseTable accepted %q, which holds %q", name, c)
			}
		}
		if !strings.HasSuffix(tb.version, `_version"`) || strings.Count(tb.version, `"`) != strings.Count(tb.quoted, `"`) {
			t.Fatalf("parseTable(%q): version table %s", name, tb.version)
		}
	})
}
