package sessionhttp

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/memberkit/sessionstore"
)

// RequireRole returns middleware that lets through only requests whose
// session (from the middleware, which must run first) belongs to a member
// with one of roles. Others are answered 403 with CodeForbidden, and a
// request without a session 401 with CodeMissingToken, through the
// middleware's error handler. With no roles at all, every request is
// refused. Auth.Role combines it with Auth.Required.
func RequireRole(roles ...sessionstore.MemberRole) func(http.Handler) http.Handler {
	roles = slices.Clone(roles)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			v := valueOf(r.Context())
			if v.session == nil {
				v.auth.fail(w, r, &Error{Code: CodeMissingToken, Err: ErrMissingToken})
				return
			}
			if !slices.Contains(roles, v.session.Member.Role) {
				v.auth.fail(w, r, &Error{Code: CodeForbidden, Err: ErrForbidden})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Logout returns a handler that signs the request's browser out: it revokes
// the session from the context (see Middleware) and nothing else, clears
// the session cookie (Max-Age 0) and answers 303 See Other to
// Options.SignedOutURL when the request's Accept header prefers HTML and
// that option is set, else 204 No Content.
//
// It accepts POST and DELETE only (405 with CodeMethodNotAllowed and an
// Allow header otherwise), so that a link or an image cannot sign anyone
// out, and refuses a cross-origin request (403 with CodeCrossOrigin, see
// Options.CrossOriginProtection). A request without a session, or with a
// stale cookie, is already signed out: its cookie is cleared and it gets
// the same answer, so signing out twice is not an error (the middleware
// lets such a request through to Logout even in Required mode). A store
// failure is 503 and leaves the cookie in place, since the session still
// works. Auth.Logout is Logout behind its own middleware.
func Logout(store sessionstore.Store) http.Handler { return &signOut{store: store} }

// LogoutEverywhere returns a handler that revokes every session of the
// request's member (Store.RevokeMember): each device's and the portal
// links'. It clears the session cookie and answers as Logout does, with
// Options.SignedOutEverywhereURL. Unlike Logout it needs a session, since
// without one it cannot know the member: a request without one is 401 with
// CodeMissingToken (a stale cookie is cleared by the middleware). POST and
// DELETE only, same-origin only; a store failure is 503.
func LogoutEverywhere(store sessionstore.Store) http.Handler {
	return &signOut{store: store, everywhere: true}
}

// Logout is Logout(store) behind a.Optional: a self-contained sign-out
// handler.
func (a *Auth) Logout() http.Handler { return a.Optional(Logout(a.store)) }

// LogoutEverywhere is LogoutEverywhere(store) behind a.Required.
func (a *Auth) LogoutEverywhere() http.Handler { return a.Required(LogoutEverywhere(a.store)) }

// allowSignOut answers a sign-out request that is not a same-origin POST
// or DELETE (405 or 403) and reports whether it may go on.
func (a *Auth) allowSignOut(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPost && r.Method != http.MethodDelete {
		w.Header().Set("Allow", "POST, DELETE")
		a.fail(w, r, &Error{Code: CodeMethodNotAllowed, Err: ErrMethodNotAllowed})
		return false
	}
	if err := a.crossOrigin.Check(r); err != nil {
		a.fail(w, r, &Error{Code: CodeCrossOrigin, Err: ErrCrossOrigin})
		return false
	}
	return true
}

// signOut is the handler of Logout and LogoutEverywhere.
type signOut struct {
	store      sessionstore.Store
	everywhere bool
}

func (h *signOut) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v := valueOf(r.Context())
	a := v.auth
	if !a.allowSignOut(w, r) {
		return
	}
	s := v.session
	switch {
	case s == nil && h.everywhere:
		a.fail(w, r, &Error{Code: CodeMissingToken, Err: ErrMissingToken})
		return
	case s == nil:
	case h.everywhere:
		n, err := h.store.RevokeMember(r.Context(), s.MemberID)
		if err != nil {
			a.logFailure(r, "revoke member failed", err)
			a.fail(w, r, &Error{Code: CodeUnavailable, Err: err})
			return
		}
		a.observe(r, sessionstore.EventSignedOutEverywhere, s, "", n)
	default:
		if err := h.store.Revoke(r.Context(), s.ID); err != nil && !errors.Is(err, sessionstore.ErrNotFound) {
			a.logFailure(r, "revoke failed", err)
			a.fail(w, r, &Error{Code: CodeUnavailable, Err: err})
			return
		}
		a.observe(r, sessionstore.EventSignedOut, s, "", 0)
	}
	if !v.cleared {
		a.cookie.clear(w)
	}
	w.Header().Set("Cache-Control", "no-store")
	to := a.signedOutURL
	if h.everywhere {
		to = a.signedOutEverywhereURL
	}
	if to != "" && prefersHTML(r.Header.Get("Accept")) {
		w.Header().Set("Location", to)
		w.WriteHeader(http.StatusSeeOther)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// prefersHTML reports whether an Accept header ranks HTML above zero and at
// least as high as JSON. Wildcards count for neither, so "*/*" (fetch's
// default) is not a preference for HTML.
func prefersHTML(accept string) bool {
	htmlQ, jsonQ := -1.0, -1.0
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, _ := strings.Cut(part, ";")
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "text/html", "application/xhtml+xml":
			htmlQ = max(htmlQ, q)
		case "application/json":
			jsonQ = max(jsonQ, q)
		}
	}
	return htmlQ > 0 && htmlQ >= jsonQ
}
