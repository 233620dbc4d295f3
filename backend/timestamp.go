package backend

import "time"

// stamp normalizes a time the way the store keeps every time: UTC, truncated
// to the microsecond (Polar's precision), with no monotonic reading.
func stamp(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// stampPtr is stamp for a nullable time; it returns a new pointer.
func stampPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	s := stamp(*t)
	return &s
}
