package sessionhttp

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/memberkit/sessionstore"
)

// exchange answers a GET or HEAD request with a live portal link: it
// creates this browser's own session from the link's session, sets its
// cookie, and redirects to the URL without the token (see the package
// documentation for the lifetime rule).
func (a *Auth) exchange(w http.ResponseWriter, r *http.Request, link *sessionstore.MemberSession) {
	left := link.ExpiresAt.Sub(a.now()).Truncate(time.Second)
	if left < time.Second {
		// Too little left to hand out; the store refuses a TTL this short.
		a.fail(w, r, &Error{Code: CodeExpired, Source: SourceLink, Err: sessionstore.ErrExpired})
		return
	}
	if a.oneTimeLinks {
		// Revoke first: of two exchanges racing for the link, only the one
		// whose revoke removed it goes on.
		if err := a.store.Revoke(r.Context(), link.ID); err != nil {
			if errors.Is(err, sessionstore.ErrNotFound) {
				a.fail(w, r, &Error{Code: CodeInvalidToken, Source: SourceLink, Err: err})
				return
			}
			a.logFailure(r, "revoke one-time link failed", err)
			a.fail(w, r, &Error{Code: CodeUnavailable, Source: SourceLink, Err: err})
			return
		}
	}
	p := sessionstore.CreateParams{Member: link.Member, Customer: link.Customer, TTL: left}
	if link.ReturnURL != nil {
		p.ReturnURL = *link.ReturnURL
	}
	if _, err := a.signIn(w, r, p, link.ID, string(SourceLink)); err != nil {
		a.logFailure(r, "create device session failed", err)
		a.fail(w, r, &Error{Code: CodeUnavailable, Source: SourceLink, Err: err})
		return
	}
	w.Header().Set("Location", strippedURL(r.URL, r.URL.Query().Get(TokenParam)))
	w.WriteHeader(http.StatusSeeOther)
}

// strippedURL returns u as a local reference (path and query) without the
// portal-link parameters, for the exchange redirect. The order and encoding
// of the other parameters are kept. It never contains tok.
func strippedURL(u *url.URL, tok string) string {
	path := u.EscapedPath()
	// Keep it a path on this host: "//evil.example/x" in Location would be
	// read as another host.
	path = "/" + strings.TrimLeft(path, "/\\")
	var kept []string
	for part := range strings.SplitSeq(u.RawQuery, "&") {
		if part == "" || strings.Contains(part, ";") {
			continue // Go's query parser refuses ';' too
		}
		key, _, _ := strings.Cut(part, "=")
		if k, err := url.QueryUnescape(key); err == nil {
			key = k
		}
		if key == TokenParam || key == EmailParam {
			continue
		}
		kept = append(kept, part)
	}
	loc := path
	if len(kept) > 0 {
		loc += "?" + strings.Join(kept, "&")
	}
	if strings.Contains(loc, tok) {
		// The token hid elsewhere in the URL: send the browser to the path
		// alone, or to the root if even the path holds it.
		loc = path
		if strings.Contains(loc, tok) {
			loc = "/"
		}
	}
	return loc
}
