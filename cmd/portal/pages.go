package main

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/sessionhttp"
)

// page is what every template gets.
type page struct {
	Title string
	Body  any
}

func parsePages() (map[string]*template.Template, error) {
	pages := make(map[string]*template.Template)
	for _, name := range []string{"home", "portal", "team", "message"} {
		t, err := template.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("portal: template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// render writes a page. The template runs into a buffer first, so a failing
// template is a clean 500 and not half a page.
func (s *server) render(w http.ResponseWriter, status int, name, title string, body any) {
	var b strings.Builder
	if err := s.pages[name].ExecuteTemplate(&b, "layout", page{Title: title, Body: body}); err != nil {
		s.log.Error("template failed", slog.String("page", name), slog.String("error", err.Error()))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, b.String())
}

// message is the body of the message page: a heading, a paragraph, and
// optionally a link.
type message struct {
	Heading, Text string
	LinkURL       string
	LinkText      string
}

// errorPage is a message page that links to the portal's home page, which
// says how to sign in.
func (s *server) errorPage(w http.ResponseWriter, status int, heading, text string) {
	s.render(w, status, "message", heading, message{Heading: heading, Text: text, LinkURL: "/", LinkText: "How to sign in"})
}

// authError is the middleware's ErrorHandler: an HTML page per error code,
// never JSON and never a stack trace, and never the token.
func (s *server) authError(w http.ResponseWriter, r *http.Request, err error) {
	var he *sessionhttp.Error
	errors.As(err, &he)
	link := he != nil && he.Source == sessionhttp.SourceLink
	code := sessionhttp.Code(err)
	if code == sessionhttp.CodeMissingToken {
		w.Header().Set("WWW-Authenticate", "Bearer")
	} else if code != sessionhttp.CodeForbidden && code != sessionhttp.CodeUnavailable {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	switch {
	case code == sessionhttp.CodeExpired && link:
		s.errorPage(w, http.StatusUnauthorized, "This link has expired",
			"Portal links work for one hour. Ask for a new link to sign in again.")
	case code == sessionhttp.CodeExpired:
		s.errorPage(w, http.StatusUnauthorized, "Your session has expired",
			"Open a new portal link to sign in again.")
	case (code == sessionhttp.CodeInvalidToken || code == sessionhttp.CodeMalformedToken) && link:
		s.errorPage(w, http.StatusUnauthorized, "This link is not valid",
			"It may have been used to sign out, or copied incompletely. Ask for a new link.")
	case code == sessionhttp.CodeInvalidToken || code == sessionhttp.CodeMalformedToken:
		s.errorPage(w, http.StatusUnauthorized, "You have been signed out",
			"Your session has ended, perhaps from another device. Open a new portal link to sign in.")
	case code == sessionhttp.CodeMissingToken:
		s.errorPage(w, http.StatusUnauthorized, "You are not signed in",
			"Open the portal link you received to sign in.")
	case code == sessionhttp.CodeForbidden:
		s.render(w, http.StatusForbidden, "message", "Owners only", message{
			Heading: "Only the owner can see this page", Text: "Ask your team's owner to manage the team's sessions.",
			LinkURL: "/portal", LinkText: "Back to your account",
		})
	case code == sessionhttp.CodeCrossOrigin:
		s.render(w, http.StatusForbidden, "message", "This request was refused", message{
			Heading: "This request was refused", Text: "The form was sent from another site. Go back to the portal and try again.",
			LinkURL: "/portal", LinkText: "Go to your account",
		})
	case code == sessionhttp.CodeMethodNotAllowed:
		s.methodNotAllowed(w, r)
	case code == sessionhttp.CodeSessionNotFound:
		s.render(w, http.StatusNotFound, "message", "Session not found", message{
			Heading: "Session not found", Text: "That session has already ended or is not one of yours.",
			LinkURL: "/portal", LinkText: "Back to your account",
		})
	case code == sessionhttp.CodeSignInTooOld:
		s.render(w, http.StatusForbidden, "message", "Sign in again", message{
			Heading: "Please sign in again", Text: "This needs a sign-in of the last half hour. Open a new portal link, then try again.",
			LinkURL: "/portal", LinkText: "Back to your account",
		})
	default:
		s.unavailable(w)
	}
}

func (s *server) unavailable(w http.ResponseWriter) {
	s.render(w, http.StatusServiceUnavailable, "message", "Unavailable", message{
		Heading: "The portal is unavailable", Text: "Something went wrong on our side. Please try again in a moment.",
		LinkURL: "/portal", LinkText: "Try again",
	})
}

func (s *server) homePage(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "home", "", nil)
}

func (s *server) signedOutPage(w http.ResponseWriter, r *http.Request) {
	text := "You have signed out of the customer portal."
	if r.URL.Query().Has("everywhere") {
		text = "You have signed out of the customer portal on every device."
	}
	s.render(w, http.StatusOK, "message", "Signed out", message{
		Heading: "You have signed out", Text: text,
		LinkURL: "/", LinkText: "Sign in again",
	})
}

// memberView and customerView are what the pages show of a session's
// member and customer.
type memberView struct {
	Name, Email, Role string
}

type customerView struct {
	Name, Email, Type string
	Address           []string
	TaxID             string
}

type sessionView struct {
	ID               string
	Member           memberView
	Device           string // the browser's label, or what the session is
	Created, Expires string
	ExpiresIn        string
	Last             string // when it was last used; "" when not recorded yet
	Current          bool
	Link             bool // a sign-in link rather than a browser's session
}

type portalBody struct {
	Member    memberView
	Customer  customerView
	Sessions  []sessionView
	ReturnURL string
	ShowTeam  bool // owners of team customers
}

type teamBody struct {
	Customer customerView
	Sessions []sessionView
	Revoked  bool
}

func (s *server) portalPage(w http.ResponseWriter, r *http.Request) {
	sess, _ := sessionhttp.FromContext(r.Context())
	list, err := s.store.ListByMember(r.Context(), sess.MemberID)
	if err != nil {
		s.storeFailed(w, r, "list member sessions", err)
		return
	}
	body := portalBody{
		Member:   viewMember(sess.Member),
		Customer: viewCustomer(sess.Customer),
		Sessions: s.viewSessions(list, sess.ID),
		ShowTeam: sess.Member.Role == sessionstore.RoleOwner && isTeam(sess.Customer),
	}
	if sess.ReturnURL != nil {
		body.ReturnURL = *sess.ReturnURL
	}
	s.render(w, http.StatusOK, "portal", "Your account", body)
}

func isTeam(c sessionstore.Customer) bool {
	return c.Type != nil && *c.Type == sessionstore.CustomerTeam
}

func (s *server) teamPage(w http.ResponseWriter, r *http.Request) {
	sess, _ := sessionhttp.FromContext(r.Context())
	if !isTeam(sess.Customer) {
		s.render(w, http.StatusNotFound, "message", "No team", message{
			Heading: "Your account has no team", Text: "Only team accounts have a team page. Your own sessions are on your account page.",
			LinkURL: "/portal", LinkText: "Back to your account",
		})
		return
	}
	list, err := s.store.ListByCustomer(r.Context(), sess.CustomerID)
	if err != nil {
		s.storeFailed(w, r, "list customer sessions", err)
		return
	}
	// Grouped by member, each member's sessions oldest first.
	slices.SortStableFunc(list, func(a, b *sessionstore.MemberSession) int {
		return strings.Compare(viewMember(a.Member).Name+"\x00"+a.MemberID, viewMember(b.Member).Name+"\x00"+b.MemberID)
	})
	s.render(w, http.StatusOK, "team", "Team sessions", teamBody{
		Customer: viewCustomer(sess.Customer),
		Sessions: s.viewSessions(list, sess.ID),
		Revoked:  r.URL.Query().Get("revoked") == "1",
	})
}

// revokeSession is POST /portal/team/revoke (owners only): it revokes one
// session of the owner's own customer. A session of another customer is
// answered as if it did not exist. Revoking one's own session signs out.
func (s *server) revokeSession(w http.ResponseWriter, r *http.Request) {
	sess, _ := sessionhttp.FromContext(r.Context())
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, "This request was not understood", "Go back to the team page and try again.")
		return
	}
	id := r.PostForm.Get("session_id")
	if id == sess.ID {
		sessionhttp.Logout(s.store).ServeHTTP(w, r)
		return
	}
	target, err := s.store.Get(r.Context(), id)
	switch {
	case err == nil && target.CustomerID == sess.CustomerID:
	case err == nil, errors.Is(err, sessionstore.ErrNotFound), errors.Is(err, sessionstore.ErrExpired):
		s.render(w, http.StatusNotFound, "message", "Session not found", message{
			Heading: "Session not found", Text: "That session has already ended or is not one of your team's.",
			LinkURL: "/portal/team", LinkText: "Back to the team",
		})
		return
	default:
		s.storeFailed(w, r, "get session", err)
		return
	}
	if err := s.store.Revoke(r.Context(), target.ID); err != nil && !errors.Is(err, sessionstore.ErrNotFound) {
		s.storeFailed(w, r, "revoke session", err)
		return
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "session revoked by owner",
		slog.String("session_id", target.ID), slog.String("by_member_id", sess.MemberID))
	http.Redirect(w, r, "/portal/team?revoked=1", http.StatusSeeOther)
}

func (s *server) storeFailed(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.LogAttrs(r.Context(), slog.LevelError, what+" failed", slog.String("error", err.Error()))
	s.unavailable(w)
}

// ---- views ----

var roleLabels = map[sessionstore.MemberRole]string{
	sessionstore.RoleOwner:          "Owner",
	sessionstore.RoleBillingManager: "Billing manager",
	sessionstore.RoleMember:         "Member",
}

func viewMember(m sessionstore.Member) memberView {
	v := memberView{Email: m.Email, Role: roleLabels[m.Role]}
	if m.Name != nil {
		v.Name = *m.Name
	} else {
		v.Name = m.Email
	}
	return v
}

func viewCustomer(c sessionstore.Customer) customerView {
	v := customerView{Email: c.Email, Type: "Individual"}
	if c.Name != nil {
		v.Name = *c.Name
	} else {
		v.Name = c.Email
	}
	if c.Type != nil && *c.Type == sessionstore.CustomerTeam {
		v.Type = "Team"
	}
	if a := c.BillingAddress; a != nil {
		add := func(p *string) {
			if p != nil && *p != "" {
				v.Address = append(v.Address, *p)
			}
		}
		add(a.Line1)
		add(a.Line2)
		var city []string
		for _, p := range []*string{a.City, a.State, a.PostalCode} {
			if p != nil && *p != "" {
				city = append(city, *p)
			}
		}
		if len(city) > 0 {
			v.Address = append(v.Address, strings.Join(city, " "))
		}
		v.Address = append(v.Address, countryName(a.Country))
	}
	if t := c.TaxID; t != nil {
		v.TaxID = t.Value + " (" + strings.ToUpper(strings.ReplaceAll(t.Format, "_", " ")) + ")"
	}
	return v
}

func countryName(code string) string {
	switch code {
	case "US":
		return "United States"
	case "GB":
		return "United Kingdom"
	}
	return code
}

func (s *server) viewSessions(list []*sessionstore.MemberSession, current string) []sessionView {
	now := s.now()
	out := make([]sessionView, 0, len(list))
	for _, x := range list {
		v := sessionView{
			ID:        x.ID,
			Member:    viewMember(x.Member),
			Created:   formatTime(x.CreatedAt),
			Expires:   formatTime(x.ExpiresAt),
			ExpiresIn: formatLeft(x.ExpiresAt.Sub(now)),
			Current:   x.ID == current,
		}
		switch {
		case x.Kind == sessionstore.KindLink:
			v.Device, v.Link = "Sign-in link", true
		case x.DeviceLabel != "":
			v.Device = x.DeviceLabel
		default:
			v.Device = "Unknown device"
		}
		if x.LastUsedAt != nil {
			v.Last = formatTime(*x.LastUsedAt)
		}
		out = append(out, v)
	}
	return out
}

func formatTime(t time.Time) string { return t.UTC().Format("Jan 2, 2006 15:04 UTC") }

// formatLeft says how long a session has left, roughly.
func formatLeft(d time.Duration) string {
	switch {
	case d <= 0:
		return "expired"
	case d < time.Minute:
		return "less than a minute left"
	case d < 2*time.Hour:
		return fmt.Sprintf("%d min left", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h left", int(d/time.Hour))
	default:
		return fmt.Sprintf("%d days left", int(d/(24*time.Hour)))
	}
}
