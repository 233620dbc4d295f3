package backend

import (
	"strings"
)

// portalURL returns base + "?" (or "&" when base has a query) +
// member_session_token=<tok>&email=<email>, the email form-encoded exactly
// as url.QueryEscape encodes it (FuzzPortalURL checks); "" when base is "".
// Tokens are [A-Za-z0-9_] only and need no escaping. It runs on every
// lookup, so it builds the URL in one allocation.
func portalURL(base, tok, email string) string {
	if base == "" {
		return ""
	}
	sep := byte('?')
	if strings.IndexByte(base, '?') >= 0 {
		sep = '&'
	}
	const (
		tokenParam = "member_session_token="
		emailParam = "&email="
	)
	n := len(base) + 1 + len(tokenParam) + len(tok) + len(emailParam) + len(email)
	for i := 0; i < len(email); i++ {
		if c := email[i]; c != ' ' && !unreserved(c) {
			n += 2
		}
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(base)
	b.WriteByte(sep)
	b.WriteString(tokenParam)
	b.WriteString(tok)
	b.WriteString(emailParam)
	for i := 0; i < len(email); i++ {
		switch c := email[i]; {
		case unreserved(c):
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&15])
		}
	}
	return b.String()
}

const upperHex = "0123456789ABCDEF"

// unreserved reports whether c stays as it is in a query component: the
// unreserved characters of RFC 3986, as url.QueryEscape keeps them.
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}
