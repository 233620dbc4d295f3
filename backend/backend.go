package backend

import (
	"context"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/token"
)

// Record is one session as a backend stores it. It holds the hash of the
// token, never the token.
//
// The engine hands a backend records it will not touch again, and treats the
// records a backend returns as read-only: a backend may keep the pointers it
// is given (the memory backend shares one Member and one Customer snapshot
// between the sessions that have the same one) and return them as they are.
// Neither side modifies a Record, or the Member and Customer it points to,
// after handing it over.
type Record struct {
	ID         string
	TokenHash  token.Hash
	CreatedAt  time.Time
	ModifiedAt time.Time // zero means never modified (JSON null)
	ExpiresAt  time.Time
	LastUsedAt time.Time // zero means no use recorded yet
	ReturnURL  string    // "" means none (JSON null)

	// Kind is how the session was made; never "" in a stored record (older
	// encodings decode as KindLink).
	Kind sessionstore.SessionKind
	// AuthenticatedAt is when the session's chain was authenticated: its
	// own CreatedAt for a link or sign-in, its link's for a device session.
	AuthenticatedAt time.Time
	// LinkID is the ID of the link a device session was exchanged from.
	LinkID string
	// DeviceLabel names the session's device; "" for none.
	DeviceLabel string

	Member   *sessionstore.Member
	Customer *sessionstore.Customer

	// Corrupt is nil for a record decoded from sound bytes. For a stored
	// record that cannot be decoded, Select and Edit hand out a stub made
	// by CorruptRecord instead of failing: Corrupt is the error (wrapping
	// sessionstore.ErrCorrupt), and only the key fields are set.
	Corrupt error
}

// CorruptRecord returns the stub a backend hands out, from Select and to
// an EditFunc, for a stored record it cannot decode: err (which should
// wrap sessionstore.ErrCorrupt) in Corrupt, the token hash it is stored
// under, and whichever of its ID, member ID and customer ID the backend
// knows from its keys and indexes ("" for the others). Every other field is
// zero, so a stub is never live: its ExpiresAt is long past.
func CorruptRecord(h token.Hash, id, memberID, customerID string, err error) *Record {
	return &Record{
		ID:        id,
		TokenHash: h,
		Member:    &sessionstore.Member{ID: memberID},
		Customer:  &sessionstore.Customer{ID: customerID},
		Corrupt:   err,
	}
}

// MemberID returns the ID of the record's member.
func (r *Record) MemberID() string { return r.Member.ID }

// CustomerID returns the ID of the record's customer.
func (r *Record) CustomerID() string { return r.Customer.ID }

// Index names a way a backend finds records besides the token hash.
type Index uint8

// The indexes every backend keeps.
const (
	IndexID       Index = iota + 1 // the session ID: zero or one record
	IndexMember                    // all sessions of one member
	IndexCustomer                  // all sessions of one customer
)

// Selector picks records by one index.
type Selector struct {
	Index Index
	Key   string
}

// Op is what an EditFunc does to one record.
type Op uint8

// The edit operations.
const (
	Keep   Op = iota // leave the record as it is
	Put              // replace it with the returned record
	Delete           // remove it and its index entries
)

// EditFunc decides the fate of one stored record inside Backend.Edit. It
// must not modify cur. For Put it returns the replacement, which keeps cur's
// ID, TokenHash, member ID and customer ID. For a record that cannot be
// decoded, cur is a CorruptRecord stub and only Keep and Delete are
// allowed. An error aborts the whole edit with nothing written. A backend
// that retries a transaction calls it again.
type EditFunc func(cur *Record) (Op, *Record, error)

// Admission is how Backend.Insert makes room for a new record when its
// member is at the store's cap on sessions.
type Admission struct {
	// Limit is how many stored records the member must have before Evict
	// is needed: below it the backend may skip Evict and the reads it
	// takes, which keeps a Create one write for almost every member.
	Limit int
	// Evict decides which of the member's stored records make way: it
	// returns a subset of stored, the same pointers, to delete. It must not
	// modify them. An error aborts the Insert with nothing written and is
	// returned as it is. A backend that retries a transaction calls it
	// again.
	Evict func(stored []*Record) (evict []*Record, err error)
}

// Always reports whether Evict must be called on every Insert, whatever
// the member holds (even nothing): a Limit of 0 or less. An exchange uses
// it to check its link inside the Insert's atomic step.
func (a *Admission) Always() bool { return a.Limit <= 0 }

// Change is one record changed by Backend.Edit: Old as it was, New as it is
// now (nil when deleted).
type Change struct {
	Old *Record
	New *Record
}

// PrivateRecords is implemented by a backend whose Find, Select and Edit
// return records decoded anew for each call and shared with nothing, and
// whose Insert, Edit and Rehash keep none of the records they are given (Badger and
// Redis store encoded bytes). The engine then hands those records' snapshots
// to the caller without copying them again. The memory backend, which keeps
// and shares record pointers, does not implement it.
type PrivateRecords interface {
	PrivateRecords()
}

// PurgeBatcher is implemented by a backend that wants DeleteExpired called
// with its own batch size: PurgeBatch returns how many records one call
// should remove at most (at least 1). Each call is one lock hold or one
// transaction of the backend, which is how long a concurrent lookup may
// wait; the engine lets waiting goroutines run between calls. A backend
// without it is called with 128.
type PurgeBatcher interface {
	PurgeBatch() int
}

// Backend is the storage under a store built by NewStore. It only stores
// records and finds them by token hash, ID, member, customer or expiry time;
// it never validates, formats or decides whether a session is live. The
// engine calls it with a live context and after checking its own closed
// state.
//
// Every method is safe for concurrent use. Methods return ErrNotFound where
// documented, ErrClosed after Close, and wrap any storage failure otherwise.
type Backend interface {
	// Insert stores a new record and its index entries atomically. With a
	// non-nil admit, when the member of rec has at least admit.Limit records
	// stored (always, when admit.Always), it first calls admit.Evict with
	// them and deletes the ones it returns in the same atomic step: a
	// concurrent Insert or Edit of that member, and an Edit by ID or a
	// Rehash of any of the records Evict saw, is ordered before or after
	// the whole step, so Evict's view is never stale when the step commits.
	// An error from Evict aborts the Insert with nothing written. rec's ID
	// carries the route of its customer (IDRoute(rec.ID) ==
	// RouteOf(rec.CustomerID())), as the engine makes IDs; a backend that
	// places records by route may refuse a record whose ID does not.
	Insert(ctx context.Context, rec *Record, admit *Admission) error

	// Rehash moves the record stored under the token hash from to the hash
	// to, with its index entries, and returns it as stored afterwards: the
	// record as it is when the step commits, never an older copy, so no
	// concurrent Edit is undone. It is one atomic step, ordered like an
	// Edit with the Inserts and Edits of its member and customer. It is
	// ErrNotFound when from is no longer stored (another Rehash moved it,
	// or it was removed). A record that cannot be decoded is an error
	// wrapping sessionstore.ErrCorrupt, and stays where it is. route is
	// the token's route, as for Find.
	Rehash(ctx context.Context, from, to token.Hash, route Route) (*Record, error)

	// Find returns the record with this token hash, or ErrNotFound. A
	// stored record that cannot be decoded is an error wrapping
	// sessionstore.ErrCorrupt. route is the route the token carries
	// (TokenRoute): RouteOf the record's customer ID for every token the
	// engine made since routes exist, anything (NoRoute included) for
	// older ones. A backend that places records by route looks there, and
	// where it kept records before routes; others ignore it. It is only a
	// hint: a record is found only when its token hash matches.
	Find(ctx context.Context, h token.Hash, route Route) (*Record, error)

	// Select returns the records of one ID, member or customer, in any
	// order; an empty slice when there are none. A stored record that
	// cannot be decoded is in the result as a CorruptRecord stub, so that
	// one damaged record never hides the others.
	Select(ctx context.Context, sel Selector) ([]*Record, error)

	// Edit calls fn for every record of sel and applies what it returns,
	// all at once: a concurrent Insert into the same member or customer is
	// either seen by fn or ordered after the edit. An error from fn aborts
	// the edit with nothing changed. Selecting by an ID that is not stored
	// is ErrNotFound. It returns the changes of the attempt that committed.
	//
	// A stored record that cannot be decoded goes to fn as a
	// CorruptRecord stub. When fn deletes it, Edit removes it by key: the
	// record itself, so that its token never finds it again, and every
	// index entry of it that the backend can name without decoding it (at
	// least its entry in sel's index); an entry left behind points at
	// nothing and is dropped by DeleteExpired. Its Change has the stub as
	// Old.
	Edit(ctx context.Context, sel Selector, fn EditFunc) ([]Change, error)

	// DeleteExpired removes at most limit records whose ExpiresAt is at or
	// before cutoff, with their index entries, and returns how many it
	// removed. It holds no lock over the whole store while doing so.
	DeleteExpired(ctx context.Context, cutoff time.Time, limit int) (int, error)

	// Close releases what the backend owns. The engine calls it once, from the store's Close.
	Close() error
}
