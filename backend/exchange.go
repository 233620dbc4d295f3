package backend

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/token"
)

// exchangeAttempts bounds how often Exchange starts again when the link
// changed (an UpdateMember, UpdateCustomer or Extend of it) between
// reading it and inserting the device session.
const exchangeAttempts = 8

// errStaleLink aborts an exchange's Insert whose device session was made
// from a copy of the link that is no longer the stored one.
var errStaleLink = errors.New("sessionstore: the link changed during the exchange")

// Exchange implements sessionstore.Store. It reads the link, builds the
// device session from it, and inserts that with an Admission that runs on
// every Insert: inside the Insert's atomic step it finds the link among
// the member's stored records and refuses unless it is still there, live,
// and the same as the copy read, so a revocation either sees the device
// session or is seen by the Insert.
func (e *engine) Exchange(ctx context.Context, linkToken string, p sessionstore.ExchangeParams) (*sessionstore.MemberSession, error) {
	if err := e.check(ctx); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var tok, id string
	for attempt := 1; ; attempt++ {
		link, now, err := e.readLink(ctx, linkToken)
		if err != nil {
			return nil, err
		}
		if tok == "" {
			// The link's customer never changes, so the first is the route
			// of every attempt.
			if tok, id, err = e.newSession(link.CustomerID()); err != nil {
				return nil, err
			}
		}
		rec, err := e.device(link, id, e.hasher.Sum(tok), now, p)
		if err != nil {
			return nil, err
		}
		var evicted []*Record
		err = e.b.Insert(ctx, rec, e.admitExchange(link, rec, now, p.Consume, &evicted))
		if errors.Is(err, errStaleLink) && attempt < exchangeAttempts {
			continue
		}
		if errors.Is(err, errStaleLink) {
			return nil, fmt.Errorf("sessionstore: exchange gave up after %d attempts: the link kept changing", attempt)
		}
		if err != nil {
			return nil, err
		}
		if e.obs != nil {
			e.created(ctx, rec, evicted)
		}
		s := e.out(rec)
		s.Token = tok
		s.MemberPortalURL = portalURL(e.opts.PortalURL, tok, rec.Member.Email)
		return s, nil
	}
}

// readLink returns the live link of tok and the time it was read at. A
// refusal is reported to the observer as a failed lookup, so that guessed
// links are counted with guessed tokens.
func (e *engine) readLink(ctx context.Context, tok string) (*Record, time.Time, error) {
	start := e.opts.Now()
	link, now, err := func() (*Record, time.Time, error) {
		if token.Check(tok, e.opts.TokenPrefix) != nil {
			return nil, time.Time{}, sessionstore.ErrMalformedToken
		}
		link, err := e.find(ctx, tok)
		if err != nil {
			return nil, time.Time{}, err
		}
		now := e.now()
		if err := e.liveErr(link, now); err != nil {
			return link, now, err
		}
		if link.Kind != sessionstore.KindLink {
			return link, now, sessionstore.ErrNotLink
		}
		return link, now, nil
	}()
	if err != nil && e.obs != nil {
		e.looked(ctx, start, link, err)
	}
	if err != nil {
		return nil, now, err
	}
	return link, now, nil
}

// device returns the device session a live link makes at now: the link's
// member, customer, return URL and authentication time, and a lifetime
// that ends no later than the link.
func (e *engine) device(link *Record, id string, h token.Hash, now time.Time, p sessionstore.ExchangeParams) (*Record, error) {
	left := link.ExpiresAt.Sub(now).Truncate(time.Second)
	if left < time.Second {
		return nil, sessionstore.ErrExpired // too little left to hand out
	}
	ttl := left
	if p.TTL > 0 {
		ttl = min(p.TTL, left)
	}
	if ttl < time.Second {
		return nil, &sessionstore.ValidationError{Field: "ttl", Reason: "must be zero (the default) or at least one second"}
	}
	return &Record{
		ID:              id,
		TokenHash:       h,
		CreatedAt:       now,
		ExpiresAt:       stamp(now.Add(ttl)),
		ReturnURL:       link.ReturnURL,
		Kind:            sessionstore.KindDevice,
		AuthenticatedAt: link.authAt(),
		LinkID:          link.ID,
		DeviceLabel:     p.DeviceLabel,
		Member:          link.Member,
		Customer:        link.Customer,
	}, nil
}

// admitExchange returns the Admission of the Insert of dev, the device
// session made from link at now. Its Evict, called with every record of
// the member inside the Insert's atomic step, refuses unless link is
// stored, live and unchanged; then it makes room within
// MaxDevicesPerLink and MaxSessionsPerMember from the link's own device
// sessions only, and removes the link too when consume is set.
func (e *engine) admitExchange(link, dev *Record, now time.Time, consume bool, evicted *[]*Record) *Admission {
	return &Admission{Limit: 0, Evict: func(stored []*Record) ([]*Record, error) {
		*evicted = nil
		var cur *Record
		var live, mine, dead, evict []*Record
		for _, r := range stored {
			switch {
			case r.Corrupt != nil:
				evict = append(evict, r) // it can never authenticate
			case r.ID == link.ID:
				cur = r
			case e.liveErr(r, now) != nil:
				dead = append(dead, r)
			default:
				live = append(live, r)
				if r.LinkID == link.ID && r.Kind == sessionstore.KindDevice {
					mine = append(mine, r)
				}
			}
		}
		if cur == nil {
			return nil, sessionstore.ErrNotFound
		}
		if err := e.liveErr(cur, now); err != nil {
			return nil, err
		}
		if !sameLink(cur, link) {
			return nil, errStaleLink
		}
		slices.SortFunc(mine, oldestFirst)
		drop := 0 // how many of mine, oldest first, make way
		if max := e.opts.MaxDevicesPerLink; max > 0 && len(mine) >= max {
			if e.opts.CapPolicy == sessionstore.CapRefuse {
				return nil, sessionstore.ErrTooManySessions
			}
			drop = len(mine) - max + 1
		}
		if max := e.opts.MaxSessionsPerMember; max > 0 {
			held := len(live) + 1 - drop // the link is live too
			if consume {
				held--
			}
			if held >= max {
				if e.opts.CapPolicy == sessionstore.CapRefuse || held-max+1 > len(mine)-drop {
					return nil, sessionstore.ErrTooManySessions
				}
				drop += held - max + 1
			}
		}
		evict = append(evict, mine[:drop]...)
		evict = append(evict, e.deadBeyond(dead)...)
		if consume {
			evict = append(evict, cur)
		}
		*evicted = evict
		return evict, nil
	}}
}

// sameLink reports whether cur, the link as stored when an exchange's
// Insert commits, is still the copy the device session was made from.
func sameLink(cur, read *Record) bool {
	return cur.Kind == sessionstore.KindLink &&
		cur.ExpiresAt.Equal(read.ExpiresAt) &&
		cur.ReturnURL == read.ReturnURL &&
		cur.authAt().Equal(read.authAt()) &&
		cur.Member.Equal(*read.Member) &&
		cur.Customer.Equal(*read.Customer)
}
