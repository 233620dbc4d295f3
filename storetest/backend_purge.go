package storetest

import (
	"errors"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/backend"
)

var backendPurgeTests = []backendTest{
	{"CutoffIsInclusive", testPurgeCutoff},
	{"AtMostLimit", testPurgeLimit},
	{"RepeatedCallsFinish", testPurgeRepeated},
	{"FollowsEdits", testPurgeFollowsEdits},
}

// purge calls DeleteExpired and checks its count.
func (h *backendHarness) purge(cutoff time.Time, limit, want int) {
	h.t.Helper()
	n, err := h.b.DeleteExpired(h.ctx, cutoff, limit)
	if err != nil || n != want {
		h.t.Fatalf("DeleteExpired(%v, %d) = %d, %v; want %d", cutoff, limit, n, err, want)
	}
}

// testPurgeCutoff: records expiring at or before the cutoff go, with their
// index entries, even when they expired before 1970; the others stay.
func testPurgeCutoff(h *backendHarness) {
	t0 := utcMicro(StartTime())
	var expired, live []*backend.Record
	for i, exp := range []time.Time{
		time.Unix(-5000, 0), time.Unix(-1, 999999000), time.Unix(0, 0),
		t0.Add(-time.Hour), t0.Add(-time.Microsecond), t0,
	} {
		expired = append(expired, NewRecord(i, i%2, i%3, exp))
	}
	for i, exp := range []time.Time{t0.Add(time.Microsecond), t0.Add(time.Second), t0.Add(time.Hour)} {
		live = append(live, NewRecord(100+i, i%2, i%3, exp))
	}
	// Insert in an order unlike the expiry order.
	for i := range max(len(expired), len(live)) {
		if i < len(live) {
			h.insert(live[len(live)-1-i])
		}
		if i < len(expired) {
			h.insert(expired[(i*5)%len(expired)])
		}
	}
	h.purge(t0.Add(-2*time.Hour), 100, 3) // the three before 1970 and at 1970
	h.purge(t0, 100, len(expired)-3)
	h.purge(t0, 100, 0)
	h.expectStored(live, expired)
	for _, r := range expired {
		if _, err := h.b.Edit(h.ctx, byID(r.ID), h.failEdit); !errors.Is(err, sessionstore.ErrNotFound) {
			h.t.Errorf("Edit(ID of purged record %s) = %v, want ErrNotFound", r.ID, err)
		}
	}
}

// expiredFixture inserts n records of two members of two customers that
// expired before StartTime, and two live ones, and returns them.
func expiredFixture(h *backendHarness, n int) (expired, live []*backend.Record) {
	t0 := utcMicro(StartTime())
	for i := range n {
		expired = append(expired, NewRecord(i, i%2, i%4, t0.Add(-time.Duration(i+1)*time.Minute)))
	}
	live = []*backend.Record{NewRecord(n, 0, 0, t0.Add(time.Hour)), NewRecord(n+1, 1, 1, t0.Add(time.Minute))}
	h.insert(live...)
	h.insert(expired...)
	return expired, live
}

// stillStored returns the records of recs that Find still finds.
func (h *backendHarness) stillStored(recs []*backend.Record) (stored, gone []*backend.Record) {
	h.t.Helper()
	for _, r := range recs {
		_, err := h.b.Find(h.ctx, r.TokenHash, routeOf(r))
		switch {
		case err == nil:
			stored = append(stored, r)
		case errors.Is(err, sessionstore.ErrNotFound):
			gone = append(gone, r)
		default:
			h.t.Fatalf("Find(record %s): %v", r.ID, err)
		}
	}
	return stored, gone
}

func testPurgeLimit(h *backendHarness) {
	expired, live := expiredFixture(h, 10)
	t0 := utcMicro(StartTime())
	h.purge(t0, 0, 0)
	h.purge(t0, 4, 4)
	left, gone := h.stillStored(expired)
	if len(left) != 6 {
		h.t.Fatalf("%d expired records left after purging 4 of 10, want 6", len(left))
	}
	h.expectStored(append(left, live...), gone)
	h.purge(t0, 1, 1)
	h.purge(t0, 100, 5)
	h.expectStored(live, expired)
}

func testPurgeRepeated(h *backendHarness) {
	const n, limit = 25, 4
	expired, live := expiredFixture(h, n)
	t0 := utcMicro(StartTime())
	total := 0
	for calls := 0; ; calls++ {
		if calls > n/limit+1 {
			h.t.Fatalf("DeleteExpired still removing after %d calls of limit %d, %d of %d records", calls, limit, total, n)
		}
		k, err := h.b.DeleteExpired(h.ctx, t0, limit)
		if err != nil {
			h.t.Fatal(err)
		}
		if k < 0 || k > limit {
			h.t.Fatalf("DeleteExpired(limit %d) = %d", limit, k)
		}
		if k == 0 {
			break
		}
		total += k
	}
	if total != n {
		h.t.Errorf("repeated DeleteExpired removed %d records, want %d", total, n)
	}
	h.expectStored(live, expired)
}

// testPurgeFollowsEdits: the purge sees the expiry a Put gave a record, and
// does not count records an Edit deleted.
func testPurgeFollowsEdits(h *backendHarness) {
	expired, live := expiredFixture(h, 4)
	t0 := utcMicro(StartTime())
	setExpiry := func(r *backend.Record, exp time.Time) *backend.Record {
		h.t.Helper()
		next := *r
		next.ExpiresAt = exp
		next.ModifiedAt = t0
		if _, err := h.b.Edit(h.ctx, byID(r.ID), func(*backend.Record) (backend.Op, *backend.Record, error) {
			return backend.Put, &next, nil
		}); err != nil {
			h.t.Fatal(err)
		}
		return &next
	}
	extended := setExpiry(expired[0], t0.Add(2*time.Hour))
	shortened := setExpiry(live[0], t0.Add(-time.Hour))
	if _, err := h.b.Edit(h.ctx, byID(expired[1].ID), deleteAll); err != nil {
		h.t.Fatal(err)
	}
	h.purge(t0, 100, 3) // expired[2], expired[3] and shortened
	h.expectStored([]*backend.Record{extended, live[1]}, []*backend.Record{shortened, expired[1], expired[2], expired[3]})
	h.purge(t0.Add(time.Hour), 100, 1) // live[1]
	h.purge(t0.Add(2*time.Hour), 100, 1)
	h.expectStored(nil, append(expired, live...))
}
