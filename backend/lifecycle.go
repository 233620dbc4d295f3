package backend

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/memberkit/sessionstore"
)

// find returns the record of tok: stored under the hash of the current
// secret, or under one of Options.PreviousSecrets, in which case it is moved
// to the current hash first, so the next Lookup of tok is one read again.
// Rehash moves the record as it is when it commits, so no concurrent write
// is undone; when a concurrent Lookup moved it first, it is found under the
// current hash. The token itself never reaches an error.
func (e *engine) find(ctx context.Context, tok string) (*Record, error) {
	h := e.hasher.Sum(tok)
	route := TokenRoute(tok, e.opts.TokenPrefix)
	rec, err := e.b.Find(ctx, h, route)
	if len(e.prev) == 0 || !errors.Is(err, sessionstore.ErrNotFound) {
		return rec, err
	}
	for _, hasher := range e.prev {
		old := hasher.Sum(tok)
		if old == h {
			continue
		}
		rec, err := e.b.Rehash(ctx, old, h, route)
		if errors.Is(err, sessionstore.ErrNotFound) {
			// Not stored under old: either never was, or a concurrent
			// Lookup moved it to h just now.
			if rec, err := e.b.Find(ctx, h, route); !errors.Is(err, sessionstore.ErrNotFound) {
				return rec, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if e.obs != nil {
			e.obs.Observe(ctx, recordEvent(sessionstore.EventRehashed, rec))
		}
		return rec, nil
	}
	return nil, sessionstore.ErrNotFound
}

// touch records a use of the session id at now, unless a concurrent Lookup
// already recorded one recently enough, and returns the record as stored
// afterwards. A session that stopped being live meanwhile is its liveErr.
func (e *engine) touch(ctx context.Context, id string, now time.Time) (*Record, error) {
	var seen *Record
	changes, err := e.b.Edit(ctx, Selector{Index: IndexID, Key: id}, func(cur *Record) (Op, *Record, error) {
		seen = cur
		if cur.Corrupt != nil {
			return Keep, nil, corruptErr(cur)
		}
		if err := e.liveErr(cur, now); err != nil {
			return Keep, nil, err
		}
		if !e.stale(cur, now) {
			return Keep, nil, nil
		}
		next := *cur
		next.LastUsedAt = now
		return Put, &next, nil
	})
	if err != nil {
		return nil, err
	}
	if len(changes) == 1 && changes[0].New != nil {
		return changes[0].New, nil
	}
	return seen, nil
}

// admit returns the Admission of a Create at now, or nil without a cap on
// sessions per member. It makes room for the new session by evicting the
// member's oldest live sessions beyond MaxSessionsPerMember-1, and bounds
// what expired sessions the member leaves behind too: of those still kept
// for ExpiredRetention, only the newest MaxSessionsPerMember stay, so a
// member's storage is bounded whatever TTLs its sessions are made with. A
// record the backend could not decode is evicted whenever it is seen.
// Each call of Evict stores what it returned in *evicted, so after an
// Insert that succeeded it holds the choice of the attempt that committed.
func (e *engine) admit(now time.Time, evicted *[]*Record) *Admission {
	limit := e.opts.MaxSessionsPerMember
	if limit <= 0 {
		return nil
	}
	return &Admission{Limit: limit, Evict: func(stored []*Record) ([]*Record, error) {
		*evicted = nil
		if len(stored) < limit {
			return nil, nil
		}
		var live, dead, evict []*Record
		for _, r := range stored {
			if r.Corrupt != nil {
				evict = append(evict, r) // it can never authenticate
				continue
			}
			if e.liveErr(r, now) == nil {
				live = append(live, r)
			} else {
				dead = append(dead, r)
			}
		}
		if len(live) >= limit {
			if e.opts.CapPolicy == sessionstore.CapRefuse {
				return nil, sessionstore.ErrTooManySessions
			}
			slices.SortFunc(live, oldestFirst)
			evict = append(evict, live[:len(live)-limit+1]...)
		}
		evict = append(evict, e.deadBeyond(dead)...)
		*evicted = evict
		return evict, nil
	}}
}

// deadBeyond returns the records of dead (a member's records that no
// longer authenticate) to remove beyond the MaxSessionsPerMember newest,
// which stay for ExpiredRetention.
func (e *engine) deadBeyond(dead []*Record) []*Record {
	limit := e.opts.MaxSessionsPerMember
	if limit <= 0 || len(dead) <= limit {
		return nil
	}
	slices.SortFunc(dead, oldestFirst)
	return dead[:len(dead)-limit]
}

// oldestFirst orders records by creation, ties by ID.
func oldestFirst(a, b *Record) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}
