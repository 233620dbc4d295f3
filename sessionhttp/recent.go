package sessionhttp

import (
	"net/http"
	"time"
)

// RequireRecentSignIn returns middleware for sensitive routes (changing
// who may sign in, removing a team member, billing): it lets through, as
// Required does, only sessions whose member proved who they are within
// maxAge, that is whose AuthenticatedAt (the creation of the portal link
// or the sign-in the session comes from) is at most maxAge before now.
// Others are answered 403 with CodeSignInTooOld, or, for a browser when
// Options.SignInURL is set, redirected there to sign in again. A device
// session keeps its link's AuthenticatedAt, so exchanging an old link
// again does not make a sign-in recent.
func (a *Auth) RequireRecentSignIn(maxAge time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return a.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, _ := FromContext(r.Context())
			if s == nil {
				a.fail(w, r, &Error{Code: CodeMissingToken, Err: ErrMissingToken})
				return
			}
			if a.now().Sub(s.AuthenticatedAt) > maxAge {
				a.fail(w, r, &Error{Code: CodeSignInTooOld, Err: ErrSignInTooOld})
				return
			}
			next.ServeHTTP(w, r)
		}))
	}
}
