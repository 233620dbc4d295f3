package testkit

import (
	"context"
	"slices"
	"testing"

	"github.com/memberkit/sessionstore/backend"
)

// MustInsert inserts recs into b in order, failing t at the first error.
func MustInsert(t testing.TB, b backend.Backend, recs ...*backend.Record) {
	t.Helper()
	for _, r := range recs {
		if err := b.Insert(context.Background(), r, nil); err != nil {
			t.Fatalf("Insert(%s): %v", r.ID, err)
		}
	}
}

// IDs returns the IDs of recs, sorted, as an empty slice when there are
// none, so that two sets of records compare with slices.Equal.
func IDs(recs []*backend.Record) []string {
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		out = append(out, r.ID)
	}
	slices.Sort(out)
	return out
}
