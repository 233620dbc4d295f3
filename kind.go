package sessionstore

// SessionKind tells how a session was made, which decides what its token
// may be used for. Only a link is exchangeable (Store.Exchange); a device
// or sign-in session's token authenticates its holder and nothing more.
type SessionKind string

// The kinds of session.
const (
	// KindLink is a portal link: a session made by Store.Create for a
	// member_portal_url, typically sent by email or returned by an admin
	// API. Its token may be exchanged for device sessions. Sessions stored
	// before kinds were recorded count as links, the only kind the store
	// made then.
	KindLink SessionKind = "link"
	// KindDevice is one browser's or device's session, made by
	// Store.Exchange from a link. It carries the link's ID (LinkID) and
	// the time the link was made (AuthenticatedAt).
	KindDevice SessionKind = "device"
	// KindSignIn is a session made by Store.Create with Kind KindSignIn,
	// for a member the application authenticated itself (a password, a
	// passkey): sessionhttp's SignIn.
	KindSignIn SessionKind = "sign_in"
)

// Valid reports whether k is one of the three kinds.
func (k SessionKind) Valid() bool {
	return k == KindLink || k == KindDevice || k == KindSignIn
}
