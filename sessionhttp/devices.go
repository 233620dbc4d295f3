package sessionhttp

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/memberkit/sessionstore"
)

// The handlers of a "your devices" page: list the member's sessions, sign
// out one of them, sign out all the others. Each runs behind Required (the
// Auth methods wrap them), and the two sign-outs take POST or DELETE only
// and refuse cross-origin requests, as Logout does.

// SessionField is the form field (or query parameter) that names the
// session SignOutSession ends.
const SessionField = "session_id"

// ReturnField is the optional form field holding a local path (such as
// "/account/devices") that SignOutSession and SignOutOthers send a browser
// back to (303 See Other) when its Accept header prefers HTML.
const ReturnField = "return_to"

// DeviceView is one session as Sessions lists it: what a devices page
// shows, never a token.
type DeviceView struct {
	ID          string                   `json:"id"`
	Kind        sessionstore.SessionKind `json:"kind"`
	DeviceLabel string                   `json:"device_label"`
	CreatedAt   time.Time                `json:"created_at"`
	LastUsedAt  *time.Time               `json:"last_used_at"`
	ExpiresAt   time.Time                `json:"expires_at"`
	// Current marks the session of the request itself.
	Current bool `json:"current"`
}

// Sessions returns a handler, behind a.Required, that answers GET with the
// JSON {"sessions": [...]} of the signed-in member's live sessions (see
// DeviceView), oldest first, the request's own marked current. A store
// failure is 503.
func (a *Auth) Sessions() http.Handler {
	return a.Required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			a.fail(w, r, &Error{Code: CodeMethodNotAllowed, Err: ErrMethodNotAllowed})
			return
		}
		cur, _ := FromContext(r.Context())
		list, err := a.store.ListByMember(r.Context(), cur.MemberID)
		if err != nil {
			a.logFailure(r, "list sessions failed", err)
			a.fail(w, r, &Error{Code: CodeUnavailable, Err: err})
			return
		}
		views := make([]DeviceView, len(list))
		for i, s := range list {
			views[i] = DeviceView{ID: s.ID, Kind: s.Kind, DeviceLabel: s.DeviceLabel, CreatedAt: s.CreatedAt,
				LastUsedAt: s.LastUsedAt, ExpiresAt: s.ExpiresAt, Current: s.ID == cur.ID}
		}
		w.Header().Set("Cache-Control", "private, no-store")
		writeJSON(w, http.StatusOK, map[string]any{"sessions": views})
	}))
}

// SignOutSession returns a handler, behind a.Required, that ends one
// session of the signed-in member, named by the SessionField form field
// (Store.RevokeOwn): another member's session, like an unknown one, is 404
// with CodeSessionNotFound and changes nothing. Ending the request's own
// session also clears its cookie. It answers 204 No Content, or a 303 to
// the ReturnField path for a browser. POST and DELETE only, same-origin
// only; a store failure is 503.
func (a *Auth) SignOutSession() http.Handler {
	return a.Required(a.signOutForm(func(w http.ResponseWriter, r *http.Request, cur *sessionstore.MemberSession) bool {
		id := r.FormValue(SessionField)
		err := a.store.RevokeOwn(r.Context(), cur.MemberID, id)
		switch {
		case errors.Is(err, sessionstore.ErrNotFound), errors.Is(err, sessionstore.ErrInvalid):
			a.fail(w, r, &Error{Code: CodeSessionNotFound, Err: ErrSessionNotFound})
			return false
		case err != nil:
			a.logFailure(r, "revoke a session failed", err)
			a.fail(w, r, &Error{Code: CodeUnavailable, Err: err})
			return false
		}
		if id == cur.ID || id == cur.LinkID {
			a.cookie.clear(w)
		}
		a.observe(r, sessionstore.EventSignedOut, &sessionstore.MemberSession{ID: id, MemberID: cur.MemberID, CustomerID: cur.CustomerID}, "device", 0)
		return true
	}))
}

// SignOutOthers returns a handler, behind a.Required, that ends every
// session of the signed-in member but the request's own
// (Store.RevokeOthers, atomic with concurrent sign-ins), and answers as
// SignOutSession does. POST and DELETE only, same-origin only; a store
// failure is 503.
func (a *Auth) SignOutOthers() http.Handler {
	return a.Required(a.signOutForm(func(w http.ResponseWriter, r *http.Request, cur *sessionstore.MemberSession) bool {
		n, err := a.store.RevokeOthers(r.Context(), cur.MemberID, cur.ID)
		if err != nil {
			a.logFailure(r, "revoke the other sessions failed", err)
			a.fail(w, r, &Error{Code: CodeUnavailable, Err: err})
			return false
		}
		a.observe(r, sessionstore.EventSignedOutEverywhere, cur, "others", n)
		return true
	}))
}

// signOutForm wraps a sign-out action with the method and cross-origin
// checks and the answer: 303 to the ReturnField path for a browser, else
// 204. act reports whether it succeeded (it answered the failure itself).
func (a *Auth) signOutForm(act func(http.ResponseWriter, *http.Request, *sessionstore.MemberSession) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.allowSignOut(w, r) {
			return
		}
		cur, _ := FromContext(r.Context())
		if !act(w, r, cur) {
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if to := r.FormValue(ReturnField); localPath(to) && prefersHTML(r.Header.Get("Accept")) {
			w.Header().Set("Location", to)
			w.WriteHeader(http.StatusSeeOther)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// localPath reports whether p is a path on this host: it starts with one
// "/" and not "//" or "/\", which browsers read as another host.
func localPath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "/\\")
}
