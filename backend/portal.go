package backend

import (
	"net/url"
	"strings"
)

// portalURL returns base + "?" (or "&" when base has a query) +
// member_session_token=<tok>&email=<email>, form-encoded by net/url; "" when
// base is "". Tokens are [A-Za-z0-9_] only and need no escaping.
func portalURL(base, tok, email string) string {
	if base == "" {
		return ""
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "member_session_token=" + tok + "&email=" + url.QueryEscape(email)
}
