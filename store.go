package sessionstore

import (
	"context"
	"log/slog"
	"time"
)

// Store keeps member sessions. Every backend (memory, Badger, Redis, Postgres)
// implements it through the engine of package backend, so all of them
// follow the same rules.
//
// All methods are safe for concurrent use. Every method returns ctx.Err()
// when ctx is already done, and ErrClosed after Close. Sessions passed in and
// handed out never alias stored state.
type Store interface {
	// Create validates p, stores a new session with a snapshot of its member
	// and customer, and returns it with Token and MemberPortalURL filled.
	// Bad input is a *ValidationError (ErrInvalid) and stores nothing.
	Create(ctx context.Context, p CreateParams) (*MemberSession, error)

	// Lookup returns the live session for token, with Token and
	// MemberPortalURL filled from it. A token of the wrong shape is
	// ErrMalformedToken (storage is not touched); an expired session still
	// stored is ErrExpired; an unknown, revoked or purged one is ErrNotFound.
	Lookup(ctx context.Context, token string) (*MemberSession, error)

	// Get returns the live session with this ID, without Token and
	// MemberPortalURL. Errors as for Lookup.
	Get(ctx context.Context, id string) (*MemberSession, error)

	// ListByMember returns the member's live sessions, oldest first (ties
	// by ID), without tokens. It is never nil on success.
	ListByMember(ctx context.Context, memberID string) ([]*MemberSession, error)

	// ListByCustomer returns the customer's live sessions, oldest first
	// (ties by ID), without tokens. It is never nil on success.
	ListByCustomer(ctx context.Context, customerID string) ([]*MemberSession, error)

	// Extend sets a live session's expires_at to now+ttl (0 means
	// Options.TTL; above Options.MaxTTL is ErrInvalid), but never past its
	// AuthenticatedAt+MaxTTL, and its modified_at to now.
	Extend(ctx context.Context, id string, ttl time.Duration) (*MemberSession, error)

	// Exchange trades a live portal link (a KindLink session's token) for
	// a new KindDevice session of the same member, customer and return
	// URL, with its own token: one browser's session. It is one atomic
	// step with the revocations: the device session is stored only if the
	// link is still stored and live when it commits, so once Revoke of the
	// link, RevokeMember, RevokeCustomer or UpdateCustomer with DeletedAt
	// has returned, no Exchange, whenever it started, leaves a session
	// that authenticates. The device session takes the link's
	// AuthenticatedAt and never outlives the link (see ExchangeParams.TTL).
	//
	// A token of the wrong shape is ErrMalformedToken; a revoked or
	// unknown link ErrNotFound, an expired one ErrExpired; a live session
	// that is not a link ErrNotLink. Past Options.MaxDevicesPerLink the
	// link's own oldest device session makes way (or, with CapRefuse, the
	// exchange is ErrTooManySessions); an exchange never evicts a session
	// its link did not make, and is ErrTooManySessions when the member is
	// at MaxSessionsPerMember with none of the link's devices to evict.
	Exchange(ctx context.Context, linkToken string, p ExchangeParams) (*MemberSession, error)

	// Revoke removes one session; ErrNotFound if it is not stored.
	// Revoking a link also removes, in the same atomic step, every device
	// session exchanged from it: whoever held the link loses what it
	// opened.
	Revoke(ctx context.Context, id string) error

	// RevokeOwn is Revoke of a session that must belong to memberID: the
	// session of another member, like an unknown one, is ErrNotFound and
	// changes nothing, checked in the same atomic step as the removal. It
	// is what a "sign out this device" button calls with the signed-in
	// member, so that no member can end another's session by its ID.
	RevokeOwn(ctx context.Context, memberID, id string) error

	// RevokeOthers removes every session of the member but keepID (the
	// session making the request: "sign out all other devices") and
	// returns how many live ones it removed, in one atomic step with
	// RevokeMember's guarantee: no session of the member whose Create or
	// Exchange returned before the call authenticates afterwards, except
	// keepID. A device session exchanged from keepID is another session.
	// When keepID is not a session of the member, none is kept: every
	// session of the member is removed, which errs on the safe side.
	RevokeOthers(ctx context.Context, memberID, keepID string) (int, error)

	// RevokeMember removes all of the member's sessions and returns how many
	// live ones it removed. No session whose Create returned before the call
	// authenticates afterwards.
	RevokeMember(ctx context.Context, memberID string) (int, error)

	// RevokeCustomer removes all of the customer's sessions and returns how
	// many live ones it removed, with the same guarantee as RevokeMember.
	RevokeCustomer(ctx context.Context, customerID string) (int, error)

	// UpdateMember replaces the member snapshot in each of the member's live
	// sessions, sets their modified_at, and returns how many it changed. A
	// member whose CustomerID differs from its sessions' is ErrInvalid and
	// changes nothing.
	UpdateMember(ctx context.Context, m Member) (int, error)

	// UpdateCustomer replaces the customer snapshot in each of the
	// customer's live sessions, sets their modified_at, and returns how many
	// it changed. A customer with DeletedAt set ends those sessions.
	UpdateCustomer(ctx context.Context, c Customer) (int, error)

	// DeleteExpired purges the sessions whose expires_at has passed and
	// returns how many it removed.
	DeleteExpired(ctx context.Context) (int, error)

	// Close stops background work, waits for it and releases the backend.
	// It is safe to call more than once; later calls return nil.
	Close() error
}

// CreateParams is the input of Store.Create.
type CreateParams struct {
	// Member is the member the session authenticates. Member.CustomerID
	// must equal Customer.ID.
	Member Member
	// Customer is the member's customer; it must not be deleted.
	Customer Customer
	// ReturnURL is an absolute http or https URL for the portal's back
	// button; "" means none.
	ReturnURL string
	// TTL is the session's lifetime; 0 means Options.TTL. Negative or above
	// Options.MaxTTL is ErrInvalid.
	TTL time.Duration
	// Kind is KindLink (a portal link, which "" also means) or KindSignIn
	// (a member the application authenticated itself). KindDevice is
	// ErrInvalid: device sessions come only from Exchange.
	Kind SessionKind
	// DeviceLabel names the device the session is for, such as "Chrome on
	// Android" (see sessionhttp.DeviceLabel), for a "your devices" page;
	// "" for none. At most 128 characters of printable text.
	DeviceLabel string
}

// ExchangeParams is the input of Store.Exchange besides the link's token.
type ExchangeParams struct {
	// TTL is the device session's lifetime: 0 means what is left of the
	// link's, whole seconds. It never goes past the link's expires_at, and
	// a link with less than a second left is ErrExpired. Negative is
	// ErrInvalid.
	TTL time.Duration
	// Consume removes the link in the same atomic step, so that it can be
	// exchanged once only: of two exchanges racing for it, one wins and
	// the other is ErrNotFound.
	Consume bool
	// DeviceLabel names the device, as CreateParams.DeviceLabel.
	DeviceLabel string
}

// CapPolicy says what a Create or Exchange does when the member (or the
// link) already holds as many live sessions as allowed.
type CapPolicy uint8

// The cap policies.
const (
	// CapEvictOldest makes room by revoking the oldest sessions in the
	// same atomic step (for an exchange, only the link's own device
	// sessions). The default.
	CapEvictOldest CapPolicy = iota
	// CapRefuse refuses the new session with ErrTooManySessions and
	// leaves the existing ones alone.
	CapRefuse
)

// Options configures a store. A nil *Options means all defaults; a zero
// field means that field's default.
type Options struct {
	// TokenPrefix starts every token: 1-16 characters of [a-z0-9_].
	// Default "mst_".
	TokenPrefix string
	// Secret, when set, makes the stored token hash HMAC-SHA256 with this
	// key; nil means plain SHA-256. Changing it alone invalidates every
	// session; to rotate it, move the old one to PreviousSecrets.
	Secret []byte
	// PreviousSecrets are secrets Secret replaced, newest first (nil stands
	// for plain SHA-256). Lookup accepts a token whose stored hash was made
	// with one of them and stores it again under Secret, so sessions survive
	// a rotation; once MaxTTL has passed since the rotation no session can
	// still need an old secret and it can be dropped. Each entry costs an
	// extra read on a Lookup of an unknown token.
	PreviousSecrets [][]byte
	// TTL is the default session lifetime, at least one second. Default 1h.
	TTL time.Duration
	// MaxTTL is the absolute lifetime of a sign-in: it bounds Create's
	// and Extend's TTL, and no session authenticates past its
	// AuthenticatedAt+MaxTTL, however it was extended or exchanged.
	// Default 30 days.
	MaxTTL time.Duration
	// IdleTimeout, when positive, also expires a session that has not been
	// used (looked up) for that long, before its expires_at. Lookup records
	// uses at most once per IdleTimeout/10 (or LastUseInterval, when
	// shorter), so a session expires after between 90% and 100% of
	// IdleTimeout without use. Zero means no idle timeout; otherwise at
	// least one second.
	IdleTimeout time.Duration
	// LastUseInterval is how often Lookup records a use of a session in
	// MemberSession.LastUsedAt, for a "last used" column on a devices
	// page: a Lookup writes only when the last recorded use is at least
	// this old, so almost every Lookup stays a read. Zero means
	// DefaultLastUseInterval; negative means never (except as IdleTimeout
	// needs). With IdleTimeout it is at most IdleTimeout/10.
	LastUseInterval time.Duration
	// ExpiredRetention is how long an expired session is kept after it
	// expires, so that Lookup of its token says ErrExpired (a portal shows
	// "this link has expired") rather than ErrNotFound. Expired sessions
	// never authenticate and are not listed. Zero means
	// DefaultExpiredRetention; negative purges sessions as soon as they
	// expire.
	ExpiredRetention time.Duration
	// MaxSessionsPerMember caps a member's live sessions: a Create that
	// would go past it revokes the member's oldest live sessions in the same
	// atomic step, so no member ever holds more, whatever runs concurrently.
	// Zero means DefaultMaxSessionsPerMember; negative means no cap.
	MaxSessionsPerMember int
	// MaxDevicesPerLink caps the live device sessions exchanged from one
	// portal link: past it an Exchange evicts the link's own oldest device
	// session, so that whoever holds a link can never push the member's
	// other sessions out. Zero means DefaultMaxDevicesPerLink; negative
	// means no cap of its own (MaxSessionsPerMember still applies).
	MaxDevicesPerLink int
	// CapPolicy is what happens at MaxSessionsPerMember and
	// MaxDevicesPerLink: CapEvictOldest (the zero value) or CapRefuse.
	CapPolicy CapPolicy
	// PortalURL is the base of member_portal_url; "" leaves it empty.
	PortalURL string
	// Now is the store's only clock. Default time.Now; tests inject a fake.
	Now func() time.Time
	// SweepInterval is how often expired sessions are purged in the
	// background. Default 1m; negative disables the sweeper.
	SweepInterval time.Duration
	// Logger receives what the store finds wrong but cannot return as an
	// error: stored records it cannot decode, which a list skips and a
	// revocation or update removes (one Warn line each, with the session
	// ID where the backend knows it). It never receives a token. Nil
	// discards everything.
	Logger *slog.Logger
	// Observer, when set, receives an Event for each session created,
	// looked up, refused, extended, revoked, evicted, rehashed or purged,
	// and for each failure of the sweeper (see Observer). nil means no
	// events, at no cost.
	Observer Observer
}

// Defaults for Options.
const (
	DefaultTokenPrefix   = "mst_"
	DefaultTTL           = time.Hour
	DefaultMaxTTL        = 30 * 24 * time.Hour
	DefaultSweepInterval = time.Minute

	// DefaultExpiredRetention keeps an expired session a day, long enough
	// for someone who opens an emailed link the next day to be told it
	// expired.
	DefaultExpiredRetention = 24 * time.Hour
	// DefaultMaxSessionsPerMember leaves room for every browser and device
	// one person uses, with margin, while bounding what a script that
	// creates sessions in a loop can make the store hold.
	DefaultMaxSessionsPerMember = 50
	// DefaultMaxDevicesPerLink lets one link sign in a handful of browsers
	// (a laptop, a phone, a tablet, a few re-opened tabs) while keeping
	// far below DefaultMaxSessionsPerMember.
	DefaultMaxDevicesPerLink = 10
	// DefaultLastUseInterval keeps a devices page's "last used" within
	// minutes of the truth for one write per session per five minutes of
	// use.
	DefaultLastUseInterval = 5 * time.Minute
)
