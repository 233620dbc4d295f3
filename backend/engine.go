package backend

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/token"
)

// engine implements sessionstore.Store on top of a Backend. It holds every
// rule of the library: validation, tokens and their hashes, what counts as
// live, the portal URL, copying at the boundary, the closed state and the
// background sweeper, so every backend behaves the same. It is safe for
// concurrent use.
type engine struct {
	b       Backend
	private bool // b implements PrivateRecords
	opts    sessionstore.Options
	// useEvery is how often a Lookup records a use (see useInterval).
	useEvery time.Duration
	hasher   *token.Hasher
	prev     []*token.Hasher       // one per Options.PreviousSecrets
	obs      sessionstore.Observer // Options.Observer; nil means no events

	closed    atomic.Bool
	closeOnce sync.Once
	stop      chan struct{}
	sweepCtx  context.Context // cancelled by Close, ending a purge in progress
	cancel    context.CancelFunc
	swept     sync.WaitGroup
}

// purgeBatch is how many expired records DeleteExpired asks a backend to
// remove at a time, so that no lock is held over a large purge, unless the
// backend says otherwise (see PurgeBatcher).
const purgeBatch = 128

// NewStore returns a sessionstore.Store that keeps its sessions in the
// Backend that open returns. It applies opts' defaults and validates them
// (a nil opts means all defaults; a bad field is a
// *sessionstore.ValidationError), then calls open once with the result, so a
// backend sees the options exactly as the store uses them (its clock, its
// TTLs) and acquires nothing when they are bad. An error from open is
// returned as it is.
//
// The store owns the backend: its Close stops the background sweeper
// (started here unless SweepInterval is negative), waits for it, and then
// closes the backend.
func NewStore(opts *sessionstore.Options, open func(sessionstore.Options) (Backend, error)) (sessionstore.Store, error) {
	o, err := opts.WithDefaults()
	if err != nil {
		return nil, err
	}
	b, err := open(o)
	if err != nil {
		return nil, err
	}
	e := &engine{b: b, opts: o, useEvery: useInterval(o), hasher: token.NewHasher(o.Secret), obs: o.Observer, stop: make(chan struct{})}
	for _, secret := range o.PreviousSecrets {
		e.prev = append(e.prev, token.NewHasher(secret))
	}
	e.sweepCtx, e.cancel = context.WithCancel(context.Background())
	_, e.private = b.(PrivateRecords)
	if o.SweepInterval > 0 {
		e.swept.Add(1)
		go e.sweep(o.SweepInterval)
	}
	return e, nil
}

// sweep purges expired sessions every interval until Close.
func (e *engine) sweep(interval time.Duration) {
	defer e.swept.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			// A failed purge is retried at the next tick; the observer hears of it.
			if _, err := e.DeleteExpired(e.sweepCtx); err != nil {
				e.backgroundFailed(err)
			}
		}
	}
}

// check returns ErrClosed after Close, else ctx.Err().
func (e *engine) check(ctx context.Context) error {
	if e.closed.Load() {
		return sessionstore.ErrClosed
	}
	return ctx.Err()
}

func (e *engine) now() time.Time { return stamp(e.opts.Now()) }

// liveErr decides, once for every backend, whether a stored record
// authenticates at now: nil if live; ErrExpired once now >= expires_at or,
// with an idle timeout, once it has gone unused that long; ErrNotFound when
// its customer is deleted.
func (e *engine) liveErr(r *Record, now time.Time) error {
	if r.Customer.DeletedAt != nil {
		return sessionstore.ErrNotFound
	}
	if !now.Before(r.ExpiresAt) || !now.Before(e.deadline(r)) {
		return sessionstore.ErrExpired
	}
	if e.opts.IdleTimeout > 0 && !now.Before(lastUse(r).Add(e.opts.IdleTimeout)) {
		return sessionstore.ErrExpired
	}
	return nil
}

// deadline is the end of r's absolute lifetime: its chain's
// authentication plus MaxTTL. No session authenticates past it, whatever
// its expires_at says.
func (e *engine) deadline(r *Record) time.Time {
	return stamp(r.authAt().Add(e.opts.MaxTTL))
}

// authAt is when r's chain was authenticated: AuthenticatedAt, or its
// creation for a record that has none.
func (r *Record) authAt() time.Time {
	if r.AuthenticatedAt.IsZero() {
		return r.CreatedAt
	}
	return r.AuthenticatedAt
}

// lastUse is when r was last used as far as the store knows: its last
// recorded use, or its creation.
func lastUse(r *Record) time.Time {
	if r.LastUsedAt.IsZero() {
		return r.CreatedAt
	}
	return r.LastUsedAt
}

// touchEvery is the fraction of the idle timeout after which Lookup records
// a use again: a use is written at most once per IdleTimeout/touchEvery.
const touchEvery = 10

// useInterval is how often Lookup records a use: Options.LastUseInterval,
// at most a tenth of the idle timeout, or 0 for never.
func useInterval(o sessionstore.Options) time.Duration {
	every := o.LastUseInterval
	if o.IdleTimeout > 0 && (every <= 0 || every > o.IdleTimeout/touchEvery) {
		every = o.IdleTimeout / touchEvery
	}
	return max(every, 0)
}

// stale reports whether a Lookup at now should record a use of r.
func (e *engine) stale(r *Record, now time.Time) bool {
	return e.useEvery > 0 && now.Sub(lastUse(r)) >= e.useEvery
}

// out returns the caller's session for rec: rec itself when the backend's
// records are private to this call, else a deep copy.
func (e *engine) out(rec *Record) *sessionstore.MemberSession {
	if e.private {
		return rec.handOver()
	}
	return rec.session()
}

// Create implements sessionstore.Store.
func (e *engine) Create(ctx context.Context, p sessionstore.CreateParams) (*sessionstore.MemberSession, error) {
	if err := e.check(ctx); err != nil {
		return nil, err
	}
	ttl, err := e.ttl(p.TTL)
	if err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	m, c := canonMember(p.Member), canonCustomer(p.Customer)
	tok, id, err := e.newSession(c.ID)
	if err != nil {
		return nil, err
	}
	now := e.now()
	kind := p.Kind
	if kind == "" {
		kind = sessionstore.KindLink
	}
	rec := &Record{
		ID:              id,
		TokenHash:       e.hasher.Sum(tok),
		CreatedAt:       now,
		ExpiresAt:       stamp(now.Add(ttl)),
		ReturnURL:       p.ReturnURL,
		Kind:            kind,
		AuthenticatedAt: now,
		DeviceLabel:     p.DeviceLabel,
		Member:          &m,
		Customer:        &c,
	}
	var evicted []*Record
	if err := e.b.Insert(ctx, rec, e.admit(now, &evicted)); err != nil {
		return nil, err
	}
	if e.obs != nil {
		e.created(ctx, rec, evicted)
	}
	s := e.out(rec)
	s.Token = tok
	s.MemberPortalURL = portalURL(e.opts.PortalURL, tok, m.Email)
	return s, nil
}

// newSession returns the token and the ID of a new session of the
// customer customerID: both carry the customer's route (see Route).
func (e *engine) newSession(customerID string) (tok, id string, err error) {
	r := RouteOf(customerID)
	if tok, err = token.NewRouted(e.opts.TokenPrefix, int(r)); err != nil {
		return "", "", err
	}
	if id, err = newID(r); err != nil {
		return "", "", err
	}
	return tok, id, nil
}

// Lookup implements sessionstore.Store. A malformed token never reaches the
// backend.
func (e *engine) Lookup(ctx context.Context, tok string) (*sessionstore.MemberSession, error) {
	if e.obs == nil {
		s, _, err := e.lookup(ctx, tok)
		return s, err
	}
	start := e.opts.Now()
	s, rec, err := e.lookup(ctx, tok)
	e.looked(ctx, start, rec, err)
	return s, err
}

// lookup is Lookup; it also returns the record it found, if any, even when
// that is not live.
func (e *engine) lookup(ctx context.Context, tok string) (*sessionstore.MemberSession, *Record, error) {
	if err := e.check(ctx); err != nil {
		return nil, nil, err
	}
	if token.Check(tok, e.opts.TokenPrefix) != nil {
		return nil, nil, sessionstore.ErrMalformedToken
	}
	rec, err := e.find(ctx, tok)
	if err != nil {
		return nil, nil, err
	}
	now := e.now()
	if err := e.liveErr(rec, now); err != nil {
		return nil, rec, err
	}
	if e.stale(rec, now) {
		found := rec
		if rec, err = e.touch(ctx, rec.ID, now); err != nil {
			return nil, found, err
		}
	}
	s := e.out(rec)
	s.Token = tok
	s.MemberPortalURL = portalURL(e.opts.PortalURL, tok, rec.Member.Email)
	return s, rec, nil
}

// Get implements sessionstore.Store.
func (e *engine) Get(ctx context.Context, id string) (*sessionstore.MemberSession, error) {
	if err := e.check(ctx); err != nil {
		return nil, err
	}
	if !isID(id) {
		return nil, sessionstore.ErrNotFound
	}
	recs, err := e.b.Select(ctx, Selector{Index: IndexID, Key: id})
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, sessionstore.ErrNotFound
	}
	if recs[0].Corrupt != nil {
		return nil, corruptErr(recs[0])
	}
	if err := e.liveErr(recs[0], e.now()); err != nil {
		return nil, err
	}
	return e.out(recs[0]), nil
}

// ListByMember implements sessionstore.Store.
func (e *engine) ListByMember(ctx context.Context, memberID string) ([]*sessionstore.MemberSession, error) {
	return e.list(ctx, "member_id", Selector{Index: IndexMember, Key: memberID})
}

// ListByCustomer implements sessionstore.Store.
func (e *engine) ListByCustomer(ctx context.Context, customerID string) ([]*sessionstore.MemberSession, error) {
	return e.list(ctx, "customer_id", Selector{Index: IndexCustomer, Key: customerID})
}

func (e *engine) list(ctx context.Context, field string, sel Selector) ([]*sessionstore.MemberSession, error) {
	if err := e.check(ctx); err != nil {
		return nil, err
	}
	if err := sessionstore.ValidateID(field, sel.Key); err != nil {
		return nil, err
	}
	recs, err := e.b.Select(ctx, sel)
	if err != nil {
		return nil, err
	}
	now := e.now()
	out := make([]*sessionstore.MemberSession, 0, len(recs))
	for _, r := range recs {
		if r.Corrupt != nil {
			e.reportCorrupt(ctx, field, "skipped", r)
			continue
		}
		if e.liveErr(r, now) == nil {
			out = append(out, e.out(r))
		}
	}
	sortSessions(out)
	return out, nil
}

// Extend implements sessionstore.Store.
func (e *engine) Extend(ctx context.Context, id string, ttl time.Duration) (*sessionstore.MemberSession, error) {
	if err := e.check(ctx); err != nil {
		return nil, err
	}
	ttl, err := e.ttl(ttl)
	if err != nil {
		return nil, err
	}
	if !isID(id) {
		return nil, sessionstore.ErrNotFound
	}
	now := e.now()
	changes, err := e.b.Edit(ctx, Selector{Index: IndexID, Key: id}, func(cur *Record) (Op, *Record, error) {
		if cur.Corrupt != nil {
			return Keep, nil, corruptErr(cur)
		}
		if err := e.liveErr(cur, now); err != nil {
			return Keep, nil, err
		}
		next := *cur
		next.ExpiresAt = stamp(now.Add(ttl))
		if limit := e.deadline(cur); next.ExpiresAt.After(limit) {
			next.ExpiresAt = limit // the absolute lifetime of its chain
		}
		next.ModifiedAt = now
		if e.useEvery > 0 {
			next.LastUsedAt = now
		}
		return Put, &next, nil
	})
	if err != nil {
		return nil, err
	}
	if len(changes) != 1 || changes[0].New == nil {
		return nil, sessionstore.ErrNotFound
	}
	if e.obs != nil {
		e.obs.Observe(ctx, recordEvent(sessionstore.EventExtended, changes[0].New))
	}
	return e.out(changes[0].New), nil
}

// Revoke implements sessionstore.Store.
func (e *engine) Revoke(ctx context.Context, id string) error {
	return e.revokeOne(ctx, "", id)
}

// RevokeOwn implements sessionstore.Store.
func (e *engine) RevokeOwn(ctx context.Context, memberID, id string) error {
	if err := sessionstore.ValidateID("member_id", memberID); err != nil {
		return err
	}
	return e.revokeOne(ctx, memberID, id)
}

// revokeOne revokes the session id, if it is member's (any member's when
// member is ""). A session that is not a link is one Edit by ID, which
// checks its member. A link is found to be one by that Edit, which then
// aborts; the link and its device sessions go in one Edit of its member,
// which orders it with every Exchange of the link.
func (e *engine) revokeOne(ctx context.Context, member, id string) error {
	if err := e.check(ctx); err != nil {
		return err
	}
	if !isID(id) {
		return sessionstore.ErrNotFound
	}
	var owner string
	changes, err := e.b.Edit(ctx, Selector{Index: IndexID, Key: id}, func(cur *Record) (Op, *Record, error) {
		if member != "" && cur.MemberID() != member {
			return Keep, nil, sessionstore.ErrNotFound // another member's: as if unknown
		}
		if cur.Corrupt == nil && cur.Kind == sessionstore.KindLink {
			owner = cur.MemberID()
			return Keep, nil, errIsLink
		}
		return Delete, nil, nil
	})
	if errors.Is(err, errIsLink) {
		changes, err = e.b.Edit(ctx, Selector{Index: IndexMember, Key: owner}, func(cur *Record) (Op, *Record, error) {
			if cur.ID == id || (cur.Corrupt == nil && cur.LinkID == id) {
				return Delete, nil, nil
			}
			return Keep, nil, nil
		})
		if err == nil && !slices.ContainsFunc(changes, func(c Change) bool { return c.Old.ID == id }) {
			err = sessionstore.ErrNotFound // revoked meanwhile
		}
	}
	if err == nil && e.obs != nil {
		for _, c := range changes {
			e.obs.Observe(ctx, recordEvent(sessionstore.EventRevoked, c.Old))
		}
	}
	return err
}

// RevokeOthers implements sessionstore.Store: one Edit of the member,
// ordered with every Insert into it, deletes all but keepID.
func (e *engine) RevokeOthers(ctx context.Context, memberID, keepID string) (int, error) {
	if err := e.check(ctx); err != nil {
		return 0, err
	}
	if err := sessionstore.ValidateID("member_id", memberID); err != nil {
		return 0, err
	}
	now := e.now()
	changes, err := e.b.Edit(ctx, Selector{Index: IndexMember, Key: memberID}, func(cur *Record) (Op, *Record, error) {
		if cur.ID == keepID && cur.Corrupt == nil {
			return Keep, nil, nil
		}
		return Delete, nil, nil
	})
	if err != nil {
		return 0, err
	}
	live := 0
	for _, c := range changes {
		switch {
		case c.Old.Corrupt != nil:
			e.reportCorrupt(ctx, "member_id", "removed", c.Old)
		case e.liveErr(c.Old, now) == nil:
			live++
		}
		if e.obs != nil {
			e.obs.Observe(ctx, recordEvent(sessionstore.EventRevoked, c.Old))
		}
	}
	return live, nil
}

// errIsLink aborts Revoke's Edit by ID when the session is a link.
var errIsLink = errors.New("sessionstore: revoke of a link")

func deleteAll(*Record) (Op, *Record, error) { return Delete, nil, nil }

// RevokeMember implements sessionstore.Store.
func (e *engine) RevokeMember(ctx context.Context, memberID string) (int, error) {
	n, err := e.revoke(ctx, "member_id", Selector{Index: IndexMember, Key: memberID})
	if err == nil && e.obs != nil {
		e.obs.Observe(ctx, sessionstore.Event{Kind: sessionstore.EventMemberRevoked, MemberID: memberID, Count: n})
	}
	return n, err
}

// RevokeCustomer implements sessionstore.Store.
func (e *engine) RevokeCustomer(ctx context.Context, customerID string) (int, error) {
	n, err := e.revoke(ctx, "customer_id", Selector{Index: IndexCustomer, Key: customerID})
	if err == nil && e.obs != nil {
		e.obs.Observe(ctx, sessionstore.Event{Kind: sessionstore.EventCustomerRevoked, CustomerID: customerID, Count: n})
	}
	return n, err
}

func (e *engine) revoke(ctx context.Context, field string, sel Selector) (int, error) {
	if err := e.check(ctx); err != nil {
		return 0, err
	}
	if err := sessionstore.ValidateID(field, sel.Key); err != nil {
		return 0, err
	}
	now := e.now()
	changes, err := e.b.Edit(ctx, sel, deleteAll)
	if err != nil {
		return 0, err
	}
	live := 0
	for _, c := range changes {
		if c.Old.Corrupt != nil {
			e.reportCorrupt(ctx, field, "removed", c.Old)
		} else if e.liveErr(c.Old, now) == nil {
			live++
		}
	}
	return live, nil
}

// UpdateMember implements sessionstore.Store. Every updated session shares
// one snapshot of m. A record that cannot be decoded is removed: it cannot
// take the new snapshot, and must not keep the old one.
func (e *engine) UpdateMember(ctx context.Context, m sessionstore.Member) (int, error) {
	if err := e.check(ctx); err != nil {
		return 0, err
	}
	if err := m.Validate(); err != nil {
		return 0, err
	}
	snap := canonMember(m)
	now := e.now()
	changes, err := e.b.Edit(ctx, Selector{Index: IndexMember, Key: snap.ID}, func(cur *Record) (Op, *Record, error) {
		if cur.Corrupt != nil {
			return Delete, nil, nil
		}
		if e.liveErr(cur, now) != nil {
			return Keep, nil, nil
		}
		if cur.Customer.ID != snap.CustomerID {
			return Keep, nil, &sessionstore.ValidationError{Field: "member.customer_id", Reason: "differs from the customer of the member's sessions"}
		}
		next := *cur
		next.Member = &snap
		next.ModifiedAt = now
		return Put, &next, nil
	})
	return e.updated(ctx, "member_id", changes), err
}

// UpdateCustomer implements sessionstore.Store. Every updated session
// shares one snapshot of c; a deleted customer's sessions are removed.
func (e *engine) UpdateCustomer(ctx context.Context, c sessionstore.Customer) (int, error) {
	if err := e.check(ctx); err != nil {
		return 0, err
	}
	if err := c.Validate(); err != nil {
		return 0, err
	}
	snap := canonCustomer(c)
	now := e.now()
	changes, err := e.b.Edit(ctx, Selector{Index: IndexCustomer, Key: snap.ID}, func(cur *Record) (Op, *Record, error) {
		if cur.Corrupt != nil {
			return Delete, nil, nil
		}
		if e.liveErr(cur, now) != nil {
			return Keep, nil, nil
		}
		if snap.DeletedAt != nil {
			return Delete, nil, nil
		}
		next := *cur
		next.Customer = &snap
		next.ModifiedAt = now
		return Put, &next, nil
	})
	n := e.updated(ctx, "customer_id", changes)
	if err == nil && snap.DeletedAt != nil && e.obs != nil {
		e.obs.Observe(ctx, sessionstore.Event{Kind: sessionstore.EventCustomerRevoked, CustomerID: snap.ID, Count: n})
	}
	return n, err
}

// updated returns how many sound sessions an update changed, reporting the
// corrupt records it removed.
func (e *engine) updated(ctx context.Context, field string, changes []Change) int {
	n := 0
	for _, c := range changes {
		if c.Old.Corrupt != nil {
			e.reportCorrupt(ctx, field, "removed", c.Old)
		} else {
			n++
		}
	}
	return n
}

// DeleteExpired implements sessionstore.Store. It purges in batches, so
// lookups proceed between them.
func (e *engine) DeleteExpired(ctx context.Context) (int, error) {
	if err := e.check(ctx); err != nil {
		return 0, err
	}
	start := e.now()
	cutoff := start
	if e.opts.ExpiredRetention > 0 {
		cutoff = cutoff.Add(-e.opts.ExpiredRetention)
	}
	batch := purgeBatch
	if pb, ok := e.b.(PurgeBatcher); ok {
		batch = max(1, pb.PurgeBatch())
	}
	total := 0
	for {
		n, err := e.b.DeleteExpired(ctx, cutoff, batch)
		total += n
		if err == nil && n >= batch {
			err = e.check(ctx)
		}
		if err != nil || n < batch {
			if err == nil && e.obs != nil {
				e.obs.Observe(ctx, sessionstore.Event{Kind: sessionstore.EventPurged, Count: total, Duration: e.opts.Now().Sub(start)})
			}
			return total, err
		}
		// Let the lookups that waited for this batch run before the next
		// one: on a busy process the purge would otherwise take its next
		// batch first.
		runtime.Gosched()
	}
}

// Close implements sessionstore.Store: it stops the sweeper, waits for it, then
// closes the backend, returning its error. Later calls return nil.
func (e *engine) Close() error {
	var err error
	e.closeOnce.Do(func() {
		e.closed.Store(true)
		close(e.stop)
		e.cancel()
		e.swept.Wait()
		err = e.b.Close()
	})
	return err
}

// ttl returns the lifetime a Create or Extend asked for: 0 means
// Options.TTL; negative or above Options.MaxTTL is a ValidationError.
func (e *engine) ttl(ttl time.Duration) (time.Duration, error) {
	switch {
	case ttl < 0:
		return 0, &sessionstore.ValidationError{Field: "ttl", Reason: "must not be negative"}
	case ttl > e.opts.MaxTTL:
		return 0, &sessionstore.ValidationError{Field: "ttl", Reason: "must be at most MaxTTL"}
	case ttl > 0 && ttl < time.Second:
		return 0, &sessionstore.ValidationError{Field: "ttl", Reason: "must be zero (the default) or at least one second"}
	case ttl == 0:
		return e.opts.TTL, nil
	}
	return ttl, nil
}
