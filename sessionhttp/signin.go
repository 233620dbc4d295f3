package sessionhttp

import (
	"errors"
	"net/http"
	"time"

	"github.com/memberkit/sessionstore"
)

// SignIn signs in a member the application authenticated by its own means:
// it creates a session for p (Store.Create; its errors, such as a
// *sessionstore.ValidationError, are returned as they are and set no
// cookie), sets the session cookie, ends the session the request's cookie
// held before (one browser, one session) and calls Options.OnSignIn. The
// returned session has no Token or MemberPortalURL: the cookie is the
// browser's credential. The response is marked "Cache-Control: no-store".
//
// Every call creates a new token, so a cookie planted before sign-in can
// never become a signed-in session.
func (a *Auth) SignIn(w http.ResponseWriter, r *http.Request, p sessionstore.CreateParams) (*sessionstore.MemberSession, error) {
	if p.Kind == "" {
		p.Kind = sessionstore.KindSignIn
	}
	if p.DeviceLabel == "" {
		p.DeviceLabel = DeviceLabel(r.UserAgent())
	}
	s, err := a.store.Create(r.Context(), p)
	if err != nil {
		return nil, err
	}
	a.signedIn(w, r, s, "", "sign_in")
	return s, nil
}

// signedIn finishes a sign-in that created s: it ends the request's
// earlier session (unless its ID is keep, the link being exchanged), sets
// the cookie, clears s's token and reports the sign-in. source is the
// Source of the EventSignedIn it reports.
func (a *Auth) signedIn(w http.ResponseWriter, r *http.Request, s *sessionstore.MemberSession, keep, source string) {
	a.endPrevious(r, s.ID, keep)
	a.cookie.write(w, s.Token, s)
	s.Token = ""
	s.MemberPortalURL = ""
	a.observe(r, sessionstore.EventSignedIn, s, source, 0)
	if a.onSignIn != nil {
		a.onSignIn(r, s)
	}
}

// endPrevious revokes the live session of the request's cookie, other than
// the new one and keep, which its new cookie replaces. It is best effort: a
// failure is logged and the sign-in goes on (the old session then simply
// runs out).
func (a *Auth) endPrevious(r *http.Request, newID, keep string) {
	tok := a.cookieToken(r)
	if tok == "" || len(tok) > maxTokenLen {
		return
	}
	old, err := a.store.Lookup(r.Context(), tok)
	if err != nil || old.ID == newID || old.ID == keep {
		if err != nil && codeOf(err) == CodeUnavailable {
			a.logFailure(r, "look up the replaced session failed", err)
		}
		return
	}
	if err := a.store.Revoke(r.Context(), old.ID); err != nil && !errors.Is(err, sessionstore.ErrNotFound) {
		a.logFailure(r, "revoke the replaced session failed", err)
	}
}

// Extend extends the request's session (Store.Extend: now+ttl, 0 meaning
// the store's TTL) and, when the session came from the cookie, sets the
// cookie again so that it expires with the session. It returns the
// extended session, without Token, and FromContext returns it from then on.
// A request without a session is ErrMissingToken; store errors are returned
// as they are and leave the cookie alone. Call it before writing the body.
func (a *Auth) Extend(w http.ResponseWriter, r *http.Request, ttl time.Duration) (*sessionstore.MemberSession, error) {
	v := valueOf(r.Context())
	if v.session == nil {
		return nil, ErrMissingToken
	}
	s, err := a.store.Extend(r.Context(), v.session.ID, ttl)
	if err != nil {
		return nil, err
	}
	s.Token = ""
	s.MemberPortalURL = ""
	if v.token != "" {
		a.cookie.write(w, v.token, s)
	}
	v.session = s
	return s, nil
}
