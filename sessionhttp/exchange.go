package sessionhttp

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/memberkit/sessionstore"
)

// exchange answers a request with a portal link's token: it trades the
// link for this browser's own session (Store.Exchange, one atomic step with
// the revocations), sets its cookie, and redirects to the URL without the
// token (see the package documentation for the lifetime rule).
//
// A request from another site never ends the browser's current session
// (login CSRF): when the cookie holds a live session of the link's member
// the browser is sent on as it is, and when it holds another member's it
// gets a page asking whether to continue as the link's member, whose
// same-origin POST to the same URL does the exchange. A POST from another
// origin is refused.
func (a *Auth) exchange(w http.ResponseWriter, r *http.Request, tok string) {
	if r.Method == http.MethodPost {
		if err := a.crossOrigin.Check(r); err != nil {
			a.fail(w, r, &Error{Code: CodeCrossOrigin, Source: SourceLink, Err: ErrCrossOrigin})
			return
		}
	} else if crossSite(r) {
		if done := a.crossSiteLink(w, r, tok); done {
			return
		}
	}
	s, err := a.store.Exchange(r.Context(), tok, sessionstore.ExchangeParams{
		Consume:     a.oneTimeLinks,
		DeviceLabel: DeviceLabel(r.UserAgent()),
	})
	if err != nil {
		e := &Error{Code: codeOf(err), Source: SourceLink, Err: err}
		if e.Code == CodeUnavailable {
			a.logFailure(r, "exchange a portal link failed", err)
		}
		a.fail(w, r, e)
		return
	}
	a.signedIn(w, r, s, s.LinkID, string(SourceLink))
	a.redirectStripped(w, r, tok)
}

// redirectStripped answers 303 See Other to the request's URL without the
// portal-link parameters.
func (a *Auth) redirectStripped(w http.ResponseWriter, r *http.Request, tok string) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Location", strippedURL(r.URL, tok))
	w.WriteHeader(http.StatusSeeOther)
}

// crossSite reports whether a GET or HEAD request comes from another site
// or a sibling subdomain: its Sec-Fetch-Site header is "cross-site" or
// "same-site". Every current browser sends the header; a request without
// it (a browser from before 2023, or no browser) is taken as it comes, as
// net/http's CrossOriginProtection does.
func crossSite(r *http.Request) bool {
	site := r.Header.Get("Sec-Fetch-Site")
	return site == "cross-site" || site == "same-site"
}

// crossSiteLink handles a portal link opened from another site while the
// browser may be signed in. It reports whether it answered the request;
// when it did not, the exchange goes on (no live session to protect).
func (a *Auth) crossSiteLink(w http.ResponseWriter, r *http.Request, tok string) bool {
	ck := a.cookieToken(r)
	if ck == "" || len(ck) > maxTokenLen {
		return false
	}
	current, err := a.store.Lookup(r.Context(), ck)
	if err != nil {
		return false // no live session: a first sign-in, in one click
	}
	link, err := a.store.Lookup(r.Context(), tok)
	switch {
	case err != nil:
		a.fail(w, r, &Error{Code: codeOf(err), Source: SourceLink, Err: err})
		return true
	case link.Kind != sessionstore.KindLink:
		a.fail(w, r, &Error{Code: CodeInvalidToken, Source: SourceLink, Err: sessionstore.ErrNotLink})
		return true
	case link.MemberID == current.MemberID:
		// Already signed in as the link's member: keep that session.
		a.redirectStripped(w, r, tok)
		return true
	}
	current.Token, current.MemberPortalURL = "", ""
	link.Token, link.MemberPortalURL = "", ""
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Vary", "Cookie")
	a.confirmSwitch(w, r, current, link)
	return true
}

// confirmPage is the built-in page of Options.ConfirmSwitch.
var confirmPage = template.Must(template.New("confirm").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<title>Switch account?</title></head>
<body><main>
<p>You are signed in as {{.Current}}.</p>
<p>This link signs in {{.Link}}.</p>
<form method="post"><button type="submit">Continue as {{.Link}}</button></form>
<p><a href="/">Stay signed in as {{.Current}}</a></p>
</main></body></html>
`))

// writeConfirmSwitch writes confirmPage: the form posts to the request's
// own URL, so the page holds no token.
func writeConfirmSwitch(w http.ResponseWriter, r *http.Request, current, link *sessionstore.MemberSession) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; form-action 'self'; frame-ancestors 'none'")
	w.WriteHeader(http.StatusOK)
	_ = confirmPage.Execute(w, struct{ Current, Link string }{current.Member.Email, link.Member.Email})
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
