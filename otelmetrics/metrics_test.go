package otelmetrics_test

import (
	"context"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/memory"
	"github.com/memberkit/sessionstore/otelmetrics"
	"github.com/memberkit/sessionstore/storetest"
)

// tickingClock advances by step at every reading, so an operation's
// duration is step times the readings it takes.
type tickingClock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

func (c *tickingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(c.step)
	return c.now
}

// collect reads every metric of the sessionstore scope, by name.
func collect(t *testing.T, r *sdkmetric.ManualReader) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != otelmetrics.ScopeName {
			t.Errorf("scope %q", sm.Scope.Name)
		}
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// matches reports whether set has key=value ("" key matches every set).
func matches(set attribute.Set, key, value string) bool {
	if key == "" {
		return true
	}
	v, ok := set.Value(attribute.Key(key))
	return ok && v.AsString() == value
}

// total returns the sum of m's int64 points with key=value.
func total(t *testing.T, m metricdata.Metrics, key, value string) int64 {
	t.Helper()
	var n int64
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			if matches(p.Attributes, key, value) {
				n += p.Value
			}
		}
	case metricdata.Gauge[int64]:
		for _, p := range d.DataPoints {
			if matches(p.Attributes, key, value) {
				n += p.Value
			}
		}
	default:
		t.Fatalf("%s: data %T, want int64 sum or gauge", m.Name, m.Data)
	}
	return n
}

// A scripted run on the memory store reads back through the SDK's manual
// reader: counters by outcome and scope, durations in seconds, the gauge.
func TestInstrumentsReadBack(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = mp.Shutdown(context.Background()) }()
	clock := &tickingClock{now: storetest.StartTime(), step: time.Millisecond}
	var store *memory.Store
	m, err := otelmetrics.New(mp, &otelmetrics.Options{Stored: func(ctx context.Context) (int64, error) { return store.Stored(ctx) }})
	if err != nil {
		t.Fatal(err)
	}
	store, err = memory.New(&sessionstore.Options{Observer: m, Now: clock.Now, SweepInterval: -1, MaxSessionsPerMember: 2, ExpiredRetention: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	cust := storetest.NewCustomer(1)
	p := sessionstore.CreateParams{Member: storetest.NewMember(cust.ID, 1), Customer: cust}
	var made []*sessionstore.MemberSession
	for range 3 {
		s, err := store.Create(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, s)
	}
	for _, s := range made {
		_, _ = store.Lookup(ctx, s.Token) // the first was evicted
	}
	_, _ = store.Lookup(ctx, "nonsense")
	_, _ = store.Extend(ctx, made[2].ID, 0)
	_ = store.Revoke(ctx, made[2].ID)
	_, _ = store.RevokeMember(ctx, p.Member.ID)
	if _, err := store.DeleteExpired(ctx); err != nil {
		t.Fatal(err)
	}
	m.Observe(ctx, sessionstore.Event{Kind: sessionstore.EventRefused, Code: "invalid_token", Status: 401, Source: "cookie"})
	m.Observe(ctx, sessionstore.Event{Kind: sessionstore.EventSignedIn, Source: "link"})

	got := collect(t, reader)
	for _, c := range []struct {
		name, key, value string
		want             int64
	}{
		{"sessionstore.sessions.created", "", "", 3},
		{"sessionstore.lookups", "outcome", "ok", 2},
		{"sessionstore.lookups", "outcome", "unknown", 1},
		{"sessionstore.lookups", "outcome", "malformed", 1},
		{"sessionstore.sessions.evicted", "", "", 1},
		{"sessionstore.sessions.extended", "", "", 1},
		{"sessionstore.sessions.revoked", "scope", "session", 1},
		{"sessionstore.sessions.revoked", "scope", "member", 1},
		{"sessionstore.sessions.purged", "", "", 0},
		{"sessionstore.http.refusals", "code", "invalid_token", 1},
		{"sessionstore.http.sign_ins", "source", "link", 1},
		{"sessionstore.sessions.stored", "", "", 0},
	} {
		m, ok := got[c.name]
		if !ok {
			t.Errorf("no metric %s", c.name)
			continue
		}
		if n := total(t, m, c.key, c.value); n != c.want {
			t.Errorf("%s{%s=%q} = %d, want %d", c.name, c.key, c.value, n, c.want)
		}
	}
	for _, name := range []string{"sessionstore.lookup.duration", "sessionstore.purge.duration"} {
		h, ok := got[name].Data.(metricdata.Histogram[float64])
		if !ok || got[name].Unit != "s" {
			t.Fatalf("%s: %T unit %q, want a float histogram in s", name, got[name].Data, got[name].Unit)
		}
		var count uint64
		var sum float64
		for _, p := range h.DataPoints {
			count, sum = count+p.Count, sum+p.Sum
		}
		if count == 0 || sum <= 0 || sum > float64(count) {
			t.Errorf("%s: %d samples summing to %gs, want positive milliseconds", name, count, sum)
		}
	}
}

// bucket returns the bounds (lower, upper] of the bucket holding the one
// sample of histogram m; upper is +Inf for the last bucket.
func bucket(t *testing.T, m metricdata.Metrics) (lower, upper float64) {
	t.Helper()
	h, ok := m.Data.(metricdata.Histogram[float64])
	if !ok || len(h.DataPoints) != 1 || h.DataPoints[0].Count != 1 {
		t.Fatalf("%s: %+v, want one float histogram point of one sample", m.Name, m.Data)
	}
	p := h.DataPoints[0]
	lower, upper = math.Inf(-1), math.Inf(1)
	for i, n := range p.BucketCounts {
		if n == 0 {
			continue
		}
		if i > 0 {
			lower = p.Bounds[i-1]
		}
		if i < len(p.Bounds) {
			upper = p.Bounds[i]
		}
	}
	return lower, upper
}

// The duration histograms have buckets for seconds, not the SDK's default
// ones for milliseconds (0, 5, 10, ...), in which a 20 µs lookup and a 2 s
// purge both fall into (0, 5].
func TestDurationBuckets(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = mp.Shutdown(context.Background()) }()
	m, err := otelmetrics.New(mp, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m.Observe(ctx, sessionstore.Event{Kind: sessionstore.EventLookup, Duration: 20 * time.Microsecond})
	m.Observe(ctx, sessionstore.Event{Kind: sessionstore.EventPurged, Count: 100000, Duration: 2 * time.Second})

	got := collect(t, reader)
	for _, c := range []struct {
		name         string
		lower, upper float64
	}{
		{"sessionstore.lookup.duration", 0.00001, 0.000025},
		{"sessionstore.purge.duration", 1, 2.5},
	} {
		if lower, upper := bucket(t, got[c.name]); lower != c.lower || upper != c.upper {
			t.Errorf("%s: sample in bucket (%g, %g], want (%g, %g]", c.name, lower, upper, c.lower, c.upper)
		}
	}
	want := []float64{0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
		0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10} // as the package doc lists them
	for _, name := range []string{"sessionstore.lookup.duration", "sessionstore.purge.duration"} {
		if b := got[name].Data.(metricdata.Histogram[float64]).DataPoints[0].Bounds; !slices.Equal(b, want) {
			t.Errorf("%s: bounds %v, want %v", name, b, want)
		}
	}
}
