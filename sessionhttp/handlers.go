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
// session (from Middleware, which must run first) belongs to a member with
// one of roles. Others are answered 403 with CodeForbidden, and a request
// without a session 401 with CodeMissingToken, through the middleware's
// error handler. With no roles at all, every request is refused.
func RequireRole(roles ...sessionstore.MemberRole) func(http.Handler) http.Handler {
	roles = slices.Clone(roles)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, cfg := fromCtx(r.Context())
			if s == nil {
				cfg.fail(w, r, &Error{Code: CodeMissingToken, Err: ErrMissingToken})
				return
			}
			if !slices.Contains(roles, s.Member.Role) {
				cfg.fail(w, r, &Error{Code: CodeForbidden, Err: ErrForbidden})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Logout returns a handler that signs the request's member out of this
// session: it revokes the session from the context (see Middleware), clears
// the session cookie (Max-Age 0) and answers 303 See Other to
// Options.SignedOutURL when the request's Accept header prefers HTML and
// that option is set, else 204 No Content.
//
// It accepts POST and DELETE only (405 otherwise), so that a link or an
// image cannot sign anyone out. A request without a session is already
// signed out: it gets the same answer, so signing out twice is not an
// error; run the middleware with Options.Optional to let such requests
// reach the handler. A store failure is 503 and leaves the cookie in place,
// since the session still works.
func Logout(store sessionstore.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowMethod(w, r) {
			return
		}
		s, cfg := fromCtx(r.Context())
		if s != nil {
			if err := store.Revoke(r.Context(), s.ID); err != nil && !errors.Is(err, sessionstore.ErrNotFound) {
				cfg.logFailure(r, "revoke failed", err)
				cfg.fail(w, r, &Error{Code: CodeUnavailable, Err: err})
				return
			}
		}
		cfg.signedOut(w, r)
	})
}

// LogoutEverywhere returns a handler that revokes every session of the
// request's member (Store.RevokeMember), clears the session cookie and
// answers as Logout does. Unlike Logout it needs a session, since without
// one it cannot know the member: a request without one is 401 with
// CodeMissingToken. POST and DELETE only; a store failure is 503.
func LogoutEverywhere(store sessionstore.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowMethod(w, r) {
			return
		}
		s, cfg := fromCtx(r.Context())
		if s == nil {
			cfg.fail(w, r, &Error{Code: CodeMissingToken, Err: ErrMissingToken})
			return
		}
		if _, err := store.RevokeMember(r.Context(), s.MemberID); err != nil {
			cfg.logFailure(r, "revoke member failed", err)
			cfg.fail(w, r, &Error{Code: CodeUnavailable, Err: err})
			return
		}
		cfg.signedOut(w, r)
	})
}

func allowMethod(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodPost || r.Method == http.MethodDelete {
		return true
	}
	w.Header().Set("Allow", "POST, DELETE")
	writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method_not_allowed"})
	return false
}

// signedOut clears the cookie (unless the middleware already did) and
// answers a successful sign-out.
func (c *config) signedOut(w http.ResponseWriter, r *http.Request) {
	if !valueOf(r.Context()).cleared {
		c.clearCookie(w)
	}
	w.Header().Set("Cache-Control", "no-store")
	if c.signedOutURL != "" && prefersHTML(r.Header.Get("Accept")) {
		w.Header().Set("Location", c.signedOutURL)
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
