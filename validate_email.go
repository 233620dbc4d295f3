package sessionstore

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// checkEmail accepts an address of at most 320 bytes of valid UTF-8 with
// exactly one '@' between a non-empty local part and a non-empty domain,
// and no character that could change how the address reads where it is
// shown: no control or format character (the latter holds the
// bidirectional overrides such as U+202E and the zero-width characters),
// no line or paragraph separator and no white space. It does not try to
// tell whether the domain exists or accepts mail: that is the sender's
// business.
func checkEmail(field, email string) error {
	if len(email) > maxEmailBytes {
		return invalid(field, "must be at most 320 bytes")
	}
	at := strings.IndexByte(email, '@')
	switch {
	case at < 0:
		return invalid(field, "must contain @")
	case at == 0:
		return invalid(field, "must have a local part before @")
	case at == len(email)-1:
		return invalid(field, "must have a domain after @")
	case strings.IndexByte(email[at+1:], '@') >= 0:
		return invalid(field, "must contain one @ only")
	}
	if printableASCII(email) {
		if strings.IndexByte(email, ' ') >= 0 {
			return invalid(field, "must not contain spaces")
		}
		return nil
	}
	for _, r := range email {
		switch {
		case r == utf8.RuneError:
			return invalid(field, "must be valid UTF-8")
		case unicode.IsControl(r):
			return invalid(field, "must not contain control characters")
		case unicode.Is(unicode.Cf, r):
			return invalid(field, "must not contain format characters such as direction overrides")
		case unicode.IsSpace(r) || unicode.In(r, unicode.Zl, unicode.Zp):
			return invalid(field, "must not contain spaces or separators")
		}
	}
	return nil
}
