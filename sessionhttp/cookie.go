package sessionhttp

import (
	"net/http"
	"strings"
	"time"

	"github.com/memberkit/sessionstore"
)

// Cookie names. A Secure cookie is named DefaultSecureCookieName unless
// Cookie.Name says otherwise; an Insecure one (plain-HTTP development) is
// named DefaultCookieName.
//
// Migrating from "member_session": a deployment that upgrades with the
// default name starts reading "__Host-member_session", so every member signs
// in once more (their old cookie is ignored and expires by itself). To keep
// the old cookies working, set Cookie.Name to "member_session"; the __Host-
// prefix is what stops a sibling subdomain from planting a cookie that
// shadows yours, so switch to it when you can.
const (
	DefaultCookieName       = "member_session"
	DefaultSecureCookieName = "__Host-member_session"
)

// Cookie sets the attributes of the session cookie; Options.Cookie is the one
// place they come from. The zero value is the safe default: a persistent,
// host-only, HttpOnly, Secure, SameSite=Lax cookie named
// "__Host-member_session" with Path=/. HttpOnly is always set.
//
// New refuses a combination a browser would silently drop: a "__Host-" name
// with a Domain, a Path other than "/" or without Secure; a "__Secure-" name
// or SameSite=None without Secure; a name, Domain or Path that is not a
// valid cookie attribute.
type Cookie struct {
	// Name is the cookie's name. Default DefaultSecureCookieName when the
	// cookie is Secure and host-only with Path "/", "__Secure-member_session"
	// when it is Secure with a Domain or another Path, and
	// DefaultCookieName when Insecure.
	Name string

	// Domain, when set, sends the cookie to that domain's subdomains too.
	// Default "": host-only, the safer choice.
	Domain string

	// Path limits the cookie to a path prefix. Default "/".
	Path string

	// SameSite is http.SameSiteLaxMode (the default, also for 0),
	// SameSiteStrictMode or SameSiteNoneMode (which needs Secure).
	SameSite http.SameSite

	// BrowserSession sets a cookie without Expires and Max-Age, which the
	// browser drops when it closes. The session itself still ends at its
	// expires_at. Default false: the cookie expires with the session.
	BrowserSession bool

	// Insecure leaves out the Secure attribute so that a browser sends the
	// cookie over plain HTTP. Only for development on http://localhost-style
	// origins; never in production.
	Insecure bool
}

// The cookie name prefixes browsers enforce (RFC 6265bis, case-insensitive).
const (
	hostPrefix   = "__host-"
	securePrefix = "__secure-"
)

// resolve returns c with defaults applied, or a *sessionstore.ValidationError
// naming the first bad field.
func (c Cookie) resolve() (Cookie, error) {
	if c.Path == "" {
		c.Path = "/"
	}
	if c.SameSite == 0 {
		c.SameSite = http.SameSiteLaxMode
	}
	if c.Name == "" {
		switch {
		case c.Insecure:
			c.Name = DefaultCookieName
		case c.Domain == "" && c.Path == "/":
			c.Name = DefaultSecureCookieName
		default:
			c.Name = "__Secure-" + DefaultCookieName
		}
	}
	bad := func(field, reason string) (Cookie, error) {
		return Cookie{}, &sessionstore.ValidationError{Field: "options.cookie." + field, Reason: reason}
	}
	probe := http.Cookie{Name: c.Name, Value: "x"}
	if probe.Valid() != nil {
		return bad("name", "must be a cookie name: letters, digits and !#$%&'*+-.^_`|~")
	}
	if !strings.HasPrefix(c.Path, "/") || (&http.Cookie{Name: "n", Value: "x", Path: c.Path}).Valid() != nil {
		return bad("path", "must start with / and hold no ; or control characters")
	}
	if c.Domain != "" && (&http.Cookie{Name: "n", Value: "x", Domain: c.Domain}).Valid() != nil {
		return bad("domain", "must be a domain name such as example.com")
	}
	switch c.SameSite {
	case http.SameSiteLaxMode, http.SameSiteStrictMode:
	case http.SameSiteNoneMode:
		if c.Insecure {
			return bad("same_site", "SameSite=None needs a Secure cookie")
		}
	default:
		return bad("same_site", "must be Lax, Strict or None")
	}
	lower := strings.ToLower(c.Name)
	switch {
	case strings.HasPrefix(lower, hostPrefix):
		if c.Insecure {
			return bad("name", "a __Host- cookie must be Secure")
		}
		if c.Domain != "" {
			return bad("domain", "a __Host- cookie must not have a Domain")
		}
		if c.Path != "/" {
			return bad("path", `a __Host- cookie must have Path "/"`)
		}
	case strings.HasPrefix(lower, securePrefix):
		if c.Insecure {
			return bad("name", "a __Secure- cookie must be Secure")
		}
	}
	return c, nil
}

// write sets the cookie to tok, expiring with s (unless BrowserSession).
// Max-Age counts from the session's own creation or last change, just made,
// so it follows the store's clock.
func (c *Cookie) write(w http.ResponseWriter, tok string, s *sessionstore.MemberSession) {
	ck := c.base(tok)
	if !c.BrowserSession {
		now := s.CreatedAt
		if s.ModifiedAt != nil && s.ModifiedAt.After(now) {
			now = *s.ModifiedAt
		}
		expires := s.ExpiresAt
		maxAge := int(expires.Sub(now) / time.Second)
		if maxAge < 1 {
			maxAge = 1 // the session is live, so at least a moment
		}
		ck.Expires = expires.UTC()
		ck.MaxAge = maxAge
	}
	http.SetCookie(w, ck)
	w.Header().Set("Cache-Control", "no-store")
}

// clear tells the browser to drop the cookie.
func (c *Cookie) clear(w http.ResponseWriter) {
	ck := c.base("")
	ck.Expires = time.Unix(0, 0)
	ck.MaxAge = -1
	http.SetCookie(w, ck)
	w.Header().Set("Cache-Control", "no-store")
}

func (c *Cookie) base(value string) *http.Cookie {
	return &http.Cookie{
		Name:     c.Name,
		Value:    value,
		Path:     c.Path,
		Domain:   c.Domain,
		Secure:   !c.Insecure,
		HttpOnly: true,
		SameSite: c.SameSite,
	}
}
