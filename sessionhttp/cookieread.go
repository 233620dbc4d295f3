package sessionhttp

import (
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"sync"
)

// maxCookies is net/http's default limit on the cookies of a request
// (GODEBUG httpcookiemaxnum): past it, Request.Cookie finds none.
const maxCookies = 3000

// cookieValue returns the value of the first valid cookie named name in
// r's Cookie headers, or "", as r.Cookie(name) does (same trimming, same
// checks of the value, quotes removed), but without parsing every cookie
// of the request into a new *http.Cookie. name must be a valid cookie name
// (New checks it).
//
// A request with more cookies than net/http's default limit, or a program
// that sets its own limit (httpcookiemaxnum in GODEBUG or in its default
// GODEBUG, read once), is left to r.Cookie, which applies the limit as
// configured.
func cookieValue(r *http.Request, name string) string {
	lines := r.Header["Cookie"]
	if tooManyCookies(lines) || !defaultCookieLimit() {
		if ck, err := r.Cookie(name); err == nil {
			return ck.Value
		}
		return ""
	}
	for _, line := range lines {
		line = trimSpace(line)
		var part string
		for len(line) > 0 {
			part, line, _ = strings.Cut(line, ";")
			// An empty part or a name that is not a token is never
			// name, which is one.
			k, v, _ := strings.Cut(trimSpace(part), "=")
			if trimSpace(k) != name {
				continue
			}
			if v, ok := cookieValueOK(v); ok {
				return v
			}
			// An invalid value is skipped, as net/http skips it: a later
			// cookie of the same name may still be valid.
		}
	}
	return ""
}

// tooManyCookies reports whether lines hold more than maxCookies cookies,
// counted as net/http counts them: one more than the semicolons of each
// line. Lines shorter in all than maxCookies bytes cannot, so the usual
// request is not scanned twice.
func tooManyCookies(lines []string) bool {
	size := 0
	for _, line := range lines {
		size += len(line)
	}
	if size+len(lines) <= maxCookies {
		return false
	}
	n := 0
	for _, line := range lines {
		n += strings.Count(line, ";") + 1
	}
	return n > maxCookies
}

// defaultCookieLimit reports whether net/http applies its default limit on
// the cookies of a request: neither the GODEBUG environment variable nor
// the program's default GODEBUG (go.mod's godebug lines, //go:debug
// directives) mentions httpcookiemaxnum. A GODEBUG set later by the
// program itself is not seen.
var defaultCookieLimit = sync.OnceValue(func() bool {
	def := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "DefaultGODEBUG" {
				def = s.Value
			}
		}
	}
	return !setsCookieLimit(os.Getenv("GODEBUG")) && !setsCookieLimit(def)
})

// setsCookieLimit reports whether a GODEBUG value may set
// httpcookiemaxnum. It errs on the side of yes: r.Cookie is right either
// way.
func setsCookieLimit(godebug string) bool { return strings.Contains(godebug, "httpcookiemaxnum") }

// cookieValueOK returns raw without surrounding double quotes, and whether
// every byte of that is allowed in a cookie value (RFC 6265), as net/http
// checks it.
func cookieValueOK(raw string) (string, bool) {
	if len(raw) > 1 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		raw = raw[1 : len(raw)-1]
	}
	for i := 0; i < len(raw); i++ {
		b := raw[i]
		if b < 0x20 || b >= 0x7f || b == '"' || b == ';' || b == '\\' {
			return "", false
		}
	}
	return raw, true
}

// trimSpace trims ASCII spaces, tabs, CRs and LFs, as net/textproto's
// TrimString does.
func trimSpace(s string) string {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }
