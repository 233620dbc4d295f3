package sessionstore

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestCheckEmail(t *testing.T) {
	for _, ok := range []string{
		"a@b",
		"member+tag@example.com",
		"o'neil&co=1@example.com",
		"ünï.cödé@exämple.com",
		"jürgen.müller@exämple.de",
		strings.Repeat("a", 64) + "@" + strings.Repeat("b", 255),
	} {
		if err := checkEmail("member.email", ok); err != nil {
			t.Errorf("checkEmail(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{
		"",
		"@",
		"@example.com",
		"member@",
		"no-at-sign.example.com",
		"a@b@example.com",
		"a b@example.com",
		"evil\u202eexample.com@moc.liame", // right-to-left override
		"a\u2066b@example.com",            // left-to-right isolate
		"a\u200bb@example.com",            // zero width space
		"a\u00a0b@example.com",            // no-break space
		"a\u2028b@example.com",            // line separator
		"a\nb@example.com",                // control
		"a\x00b@example.com",              // NUL
		"a\xffb@example.com",              // not UTF-8
		strings.Repeat("a", 320) + "@example.com", // too long
	} {
		err := checkEmail("member.email", bad)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != "member.email" || !errors.Is(err, ErrInvalid) {
			t.Errorf("checkEmail(%q) = %v, want a ValidationError of member.email", bad, err)
		}
	}
}

// TestValidateEmailFields: Create's validation reaches the checks for the
// member's email and an individual customer's.
func TestValidateEmailFields(t *testing.T) {
	m := Member{ID: "m", CustomerID: "c", Email: "x\u202e@example.com", Role: RoleMember}
	var ve *ValidationError
	if err := m.Validate(); !errors.As(err, &ve) || ve.Field != "member.email" {
		t.Errorf("Member.Validate = %v, want member.email refused", err)
	}
}

// FuzzCheckEmail: checkEmail never panics, and what it accepts has one @
// between non-empty parts and none of the characters it must refuse.
func FuzzCheckEmail(f *testing.F) {
	for _, s := range []string{"a@b", "@", "a@b@c", "x\u202e@y", "ü@ö", "a b@c", "\xff@a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if checkEmail("email", s) != nil {
			return
		}
		local, domain, ok := strings.Cut(s, "@")
		if !ok || local == "" || domain == "" || strings.Contains(domain, "@") || len(s) > maxEmailBytes || !utf8.ValidString(s) {
			t.Fatalf("accepted %q", s)
		}
		for _, r := range s {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) || unicode.In(r, unicode.Zl, unicode.Zp) {
				t.Fatalf("accepted %q holding %U", s, r)
			}
		}
	})
}
