package sessionstore

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/memberkit/sessionstore/token"
)

// Engine implements Store on top of a Backend. It holds every rule of the
// library: validation, tokens and their hashes, what counts as live, the
// portal URL, copying at the boundary, the closed state and the background
// sweeper. Backend packages embed *Engine in their Store type, so every
// backend behaves the same.
//
// An Engine is safe for concurrent use.
type Engine struct {
	b       Backend
	private bool // b implements PrivateRecords
	opts    Options
	hasher  *token.Hasher

	closed    atomic.Bool
	closeOnce sync.Once
	stop      chan struct{}
	sweepCtx  context.Context // cancelled by Close, ending a purge in progress
	cancel    context.CancelFunc
	swept     sync.WaitGroup
}

// purgeBatch is how many expired records DeleteExpired asks the backend to
// remove at a time, so that no lock is held over a large purge.
const purgeBatch = 128

// NewEngine returns an Engine storing sessions in b, and starts the
// background sweeper unless opts.SweepInterval is negative. Bad options are
// a *ValidationError. The Engine owns b: Close closes it.
func NewEngine(b Backend, opts *Options) (*Engine, error) {
	o, err := opts.WithDefaults()
	if err != nil {
		return nil, err
	}
	e := &Engine{b: b, opts: o, hasher: token.NewHasher(o.Secret), stop: make(chan struct{})}
	e.sweepCtx, e.cancel = context.WithCancel(context.Background())
	_, e.private = b.(PrivateRecords)
	if o.SweepInterval > 0 {
		e.swept.Add(1)
		go e.sweep(o.SweepInterval)
	}
	return e, nil
}

// sweep purges expired sessions every interval until Close.
func (e *Engine) sweep(interval time.Duration) {
	defer e.swept.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			_, _ = e.DeleteExpired(e.sweepCtx) // a failed purge is retried at the next tick
		}
	}
}

// check returns ErrClosed after Close, else ctx.Err().
func (e *Engine) check(ctx context.Context) error {
	if e.closed.Load() {
		return ErrClosed
	}
	return ctx.Err()
}

func (e *Engine) now() time.Time { return stamp(e.opts.Now()) }

// liveErr decides, once for every backend, whether a stored record
// authenticates at now: nil if live, ErrExpired once now >= expires_at,
// ErrNotFound when its customer is deleted.
func liveErr(r *Record, now time.Time) error {
	if r.Customer.DeletedAt != nil {
		return ErrNotFound
	}
	if !now.Before(r.ExpiresAt) {
		return ErrExpired
	}
	return nil
}

// out returns the caller's session for rec: rec itself when the backend's
// records are private to this call, else a deep copy.
func (e *Engine) out(rec *Record) *MemberSession {
	if e.private {
		return rec.handOver()
	}
	return rec.session()
}

// Create implements Store.Create.
func (e *Engine) Create(ctx context.Context, p CreateParams) (*MemberSession, error) {
	if err := e.check(ctx); err != nil {
		return nil, err
	}
	ttl := p.TTL
	if err := checkTTL(ttl, e.opts.MaxTTL); err != nil {
		return nil, err
	}
	if ttl == 0 {
		ttl = e.opts.TTL
	}
	m, err := normalizeMember("member", p.Member)
	if err != nil {
		return nil, err
	}
	c, err := normalizeCustomer("customer", p.Customer)
	if err != nil {
		return nil, err
	}
	if c.DeletedAt != nil {
		return nil, invalid("customer.deleted_at", "a deleted customer cannot sign in")
	}
	if m.CustomerID != c.ID {
		return nil, invalid("member.customer_id", "must equal customer.id")
	}
	if p.ReturnURL != "" {
		if err := checkHTTPURL("return_url", p.ReturnURL); err != nil {
			return nil, err
		}
	}
	tok, err := token.New(e.opts.TokenPrefix)
	if err != nil {
		return nil, err
	}
	now := e.now()
	rec := &Record{
		ID:        newUUID(),
		TokenHash: e.hasher.Sum(tok),
		CreatedAt: now,
		ExpiresAt: stamp(now.Add(ttl)),
		ReturnURL: p.ReturnURL,
		Member:    &m,
		Customer:  &c,
	}
	if err := e.b.Insert(ctx, rec); err != nil {
		return nil, err
	}
	s := e.out(rec)
	s.Token = tok
	s.MemberPortalURL = portalURL(e.opts.PortalURL, tok, m.Email)
	return s, nil
}

// Lookup implements Store.Lookup. A malformed token never reaches the
// backend.
func (e *Engine) Lookup(ctx context.Context, tok string) (*MemberSession, error) {
	if err := e.check(ctx); err != nil {
		return nil, err
	}
	if token.Check(tok, e.opts.TokenPrefix) != nil {
		return nil, ErrMalformedToken
	}
	rec, err := e.b.Find(ctx, e.hasher.Sum(tok))
	if err != nil {
		return nil, err
	}
	if err := liveErr(rec, e.now()); err != nil {
		return nil, err
	}
	s := e.out(rec)
	s.Token = tok
	s.MemberPortalURL = portalURL(e.opts.PortalURL, tok, rec.Member.Email)
	return s, nil
}

// Get implements Store.Get.
func (e *Engine) Get(ctx context.Context, id string) (*MemberSession, error) {
	if err := e.check(ctx); err != nil {
		return nil, err
	}
	if !isUUID(id) {
		return nil, ErrNotFound
	}
	recs, err := e.b.Select(ctx, Selector{Index: IndexID, Key: id})
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, ErrNotFound
	}
	if err := liveErr(recs[0], e.now()); err != nil {
		return nil, err
	}
	return e.out(recs[0]), nil
}

// ListByMember implements Store.ListByMember.
func (e *Engine) ListByMember(ctx context.Context, memberID string) ([]*MemberSession, error) {
	return e.list(ctx, "member_id", Selector{Index: IndexMember, Key: memberID})
}

// ListByCustomer implements Store.ListByCustomer.
func (e *Engine) ListByCustomer(ctx context.Context, customerID string) ([]*MemberSession, error) {
	return e.list(ctx, "customer_id", Selector{Index: IndexCustomer, Key: customerID})
}

func (e *Engine) list(ctx context.Context, field string, sel Selector) ([]*MemberSession, error) {
	if err := e.check(ctx); err != nil {
		return nil, err
	}
	if err := checkID(field, sel.Key); err != nil {
		return nil, err
	}
	recs, err := e.b.Select(ctx, sel)
	if err != nil {
		return nil, err
	}
	now := e.now()
	out := make([]*MemberSession, 0, len(recs))
	for _, r := range recs {
		if liveErr(r, now) == nil {
			out = append(out, e.out(r))
		}
	}
	sortSessions(out)
	return out, nil
}

// Extend implements Store.Extend.
func (e *Engine) Extend(ctx context.Context, id string, ttl time.Duration) (*MemberSession, error) {
	if err := e.check(ctx); err != nil {
		return nil, err
	}
	if err := checkTTL(ttl, e.opts.MaxTTL); err != nil {
		return nil, err
	}
	if ttl == 0 {
		ttl = e.opts.TTL
	}
	if !isUUID(id) {
		return nil, ErrNotFound
	}
	now := e.now()
	changes, err := e.b.Edit(ctx, Selector{Index: IndexID, Key: id}, func(cur *Record) (Op, *Record, error) {
		if err := liveErr(cur, now); err != nil {
			return Keep, nil, err
		}
		next := *cur
		next.ExpiresAt = stamp(now.Add(ttl))
		next.ModifiedAt = now
		return Put, &next, nil
	})
	if err != nil {
		return nil, err
	}
	if len(changes) != 1 || changes[0].New == nil {
		return nil, ErrNotFound
	}
	return e.out(changes[0].New), nil
}

// Revoke implements Store.Revoke.
func (e *Engine) Revoke(ctx context.Context, id string) error {
	if err := e.check(ctx); err != nil {
		return err
	}
	if !isUUID(id) {
		return ErrNotFound
	}
	_, err := e.b.Edit(ctx, Selector{Index: IndexID, Key: id}, deleteAll)
	return err
}

func deleteAll(*Record) (Op, *Record, error) { return Delete, nil, nil }

// RevokeMember implements Store.RevokeMember.
func (e *Engine) RevokeMember(ctx context.Context, memberID string) (int, error) {
	return e.revoke(ctx, "member_id", Selector{Index: IndexMember, Key: memberID})
}

// RevokeCustomer implements Store.RevokeCustomer.
func (e *Engine) RevokeCustomer(ctx context.Context, customerID string) (int, error) {
	return e.revoke(ctx, "customer_id", Selector{Index: IndexCustomer, Key: customerID})
}

func (e *Engine) revoke(ctx context.Context, field string, sel Selector) (int, error) {
	if err := e.check(ctx); err != nil {
		return 0, err
	}
	if err := checkID(field, sel.Key); err != nil {
		return 0, err
	}
	now := e.now()
	changes, err := e.b.Edit(ctx, sel, deleteAll)
	if err != nil {
		return 0, err
	}
	live := 0
	for _, c := range changes {
		if liveErr(c.Old, now) == nil {
			live++
		}
	}
	return live, nil
}

// UpdateMember implements Store.UpdateMember. Every updated session shares
// one snapshot of m.
func (e *Engine) UpdateMember(ctx context.Context, m Member) (int, error) {
	if err := e.check(ctx); err != nil {
		return 0, err
	}
	snap, err := normalizeMember("member", m)
	if err != nil {
		return 0, err
	}
	now := e.now()
	changes, err := e.b.Edit(ctx, Selector{Index: IndexMember, Key: snap.ID}, func(cur *Record) (Op, *Record, error) {
		if liveErr(cur, now) != nil {
			return Keep, nil, nil
		}
		if cur.Customer.ID != snap.CustomerID {
			return Keep, nil, invalid("member.customer_id", "differs from the customer of the member's sessions")
		}
		next := *cur
		next.Member = &snap
		next.ModifiedAt = now
		return Put, &next, nil
	})
	return len(changes), err
}

// UpdateCustomer implements Store.UpdateCustomer. Every updated session
// shares one snapshot of c; a deleted customer's sessions are removed.
func (e *Engine) UpdateCustomer(ctx context.Context, c Customer) (int, error) {
	if err := e.check(ctx); err != nil {
		return 0, err
	}
	snap, err := normalizeCustomer("customer", c)
	if err != nil {
		return 0, err
	}
	now := e.now()
	changes, err := e.b.Edit(ctx, Selector{Index: IndexCustomer, Key: snap.ID}, func(cur *Record) (Op, *Record, error) {
		if liveErr(cur, now) != nil {
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
	return len(changes), err
}

// DeleteExpired implements Store.DeleteExpired. It purges in batches, so
// lookups proceed between them.
func (e *Engine) DeleteExpired(ctx context.Context) (int, error) {
	if err := e.check(ctx); err != nil {
		return 0, err
	}
	now := e.now()
	total := 0
	for {
		n, err := e.b.DeleteExpired(ctx, now, purgeBatch)
		total += n
		if err != nil || n < purgeBatch {
			return total, err
		}
		if err := e.check(ctx); err != nil {
			return total, err
		}
	}
}

// Close implements Store.Close: it stops the sweeper, waits for it, then
// closes the backend, returning its error. Later calls return nil.
func (e *Engine) Close() error {
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
