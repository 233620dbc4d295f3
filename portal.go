package sessionstore

import "strings"

// portalURL returns base + "?" (or "&" when base has a query) +
// member_session_token=<tok>&email=<email>, form-encoded like
// url.QueryEscape, in one allocation; "" when base is "". Tokens are
// [A-Za-z0-9_] only and need no escaping.
func portalURL(base, tok, email string) string {
	if base == "" {
		return ""
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	var b strings.Builder
	b.Grow(len(base) + len(sep) + len("member_session_token=&email=") + len(tok) + 3*len(email))
	b.WriteString(base)
	b.WriteString(sep)
	b.WriteString("member_session_token=")
	b.WriteString(tok)
	b.WriteString("&email=")
	queryEscape(&b, email)
	return b.String()
}

// queryEscape writes s form-encoded, exactly as url.QueryEscape would.
func queryEscape(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
}
