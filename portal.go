package sessionstore

import (
	"net/url"
	"strings"
)

// portalURL returns base + "?" (or "&" when base has a query) +
// member_session_token=<tok>&email=<email>, form-encoded, or "" when base is
// "". Tokens are [a-z0-9_A-Z] only and need no escaping.
func portalURL(base, tok, email string) string {
	if base == "" {
		return ""
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	email = url.QueryEscape(email)
	var b strings.Builder
	b.Grow(len(base) + len(sep) + len("member_session_token=&email=") + len(tok) + len(email))
	b.WriteString(base)
	b.WriteString(sep)
	b.WriteString("member_session_token=")
	b.WriteString(tok)
	b.WriteString("&email=")
	b.WriteString(email)
	return b.String()
}
