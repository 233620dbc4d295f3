package otelmetrics

import (
	"context"
	"slices"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/memberkit/sessionstore"
)

// ScopeName is the name of the meter New registers its instruments on.
const ScopeName = "github.com/memberkit/sessionstore"

// durationBounds are the bucket boundaries, in seconds, of the duration
// histograms: 10 µs to 10 s in steps of 1, 2.5 and 5 per decade. The
// package documentation says why.
var durationBounds = []float64{
	0.00001, 0.000025, 0.00005,
	0.0001, 0.00025, 0.0005,
	0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05,
	0.1, 0.25, 0.5,
	1, 2.5, 5,
	10,
}

// Options configures New. A nil *Options means all defaults.
type Options struct {
	// Stored, when set, reports how many sessions the backend holds; New
	// then registers the observable gauge sessionstore.sessions.stored,
	// read at each collection. nil means no gauge.
	Stored func(ctx context.Context) (int64, error)
}

// Metrics is a sessionstore.Observer that records every event into the
// instruments listed in the package documentation. It is safe for
// concurrent use.
type Metrics struct {
	created, lookups, extended, revoked, evicted, rehashed metric.Int64Counter
	purged, failures, signIns, signOuts, refusals          metric.Int64Counter
	lookupTime, purgeTime                                  metric.Float64Histogram
	outcomes                                               map[sessionstore.Reason]metric.MeasurementOption
	scopes                                                 map[sessionstore.EventKind]metric.MeasurementOption
}

// New registers the instruments on a meter of mp and returns the Observer
// that records into them. It fails only if mp refuses an instrument.
func New(mp metric.MeterProvider, opts *Options) (*Metrics, error) {
	meter := mp.Meter(ScopeName)
	m := &Metrics{outcomes: map[sessionstore.Reason]metric.MeasurementOption{}, scopes: map[sessionstore.EventKind]metric.MeasurementOption{}}
	var err error
	counter := func(dst *metric.Int64Counter, name, unit, desc string) {
		if err == nil {
			*dst, err = meter.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		}
	}
	histogram := func(dst *metric.Float64Histogram, name, desc string) {
		if err == nil {
			*dst, err = meter.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc),
				metric.WithExplicitBucketBoundaries(slices.Clone(durationBounds)...))
		}
	}
	counter(&m.created, "sessionstore.sessions.created", "{session}", "Sessions created.")
	counter(&m.lookups, "sessionstore.lookups", "{lookup}", "Token lookups, by outcome.")
	counter(&m.extended, "sessionstore.sessions.extended", "{session}", "Sessions extended.")
	counter(&m.revoked, "sessionstore.sessions.revoked", "{session}", "Live sessions revoked, by scope.")
	counter(&m.evicted, "sessionstore.sessions.evicted", "{session}", "Sessions evicted by the per-member cap.")
	counter(&m.rehashed, "sessionstore.sessions.rehashed", "{session}", "Sessions stored again under the current secret.")
	counter(&m.purged, "sessionstore.sessions.purged", "{session}", "Expired sessions purged.")
	counter(&m.failures, "sessionstore.background.failures", "{failure}", "Failed background purges.")
	counter(&m.signIns, "sessionstore.http.sign_ins", "{sign_in}", "Browsers signed in, by token source.")
	counter(&m.signOuts, "sessionstore.http.sign_outs", "{sign_out}", "Sign-outs, by scope.")
	counter(&m.refusals, "sessionstore.http.refusals", "{request}", "Requests refused by the middleware, by code and source.")
	histogram(&m.lookupTime, "sessionstore.lookup.duration", "Duration of token lookups, by outcome.")
	histogram(&m.purgeTime, "sessionstore.purge.duration", "Duration of purges of expired sessions.")
	if err == nil && opts != nil && opts.Stored != nil {
		stored := opts.Stored
		_, err = meter.Int64ObservableGauge("sessionstore.sessions.stored",
			metric.WithUnit("{session}"), metric.WithDescription("Sessions the backend holds, expired ones kept for retention included."),
			metric.WithInt64Callback(func(ctx context.Context, o metric.Int64Observer) error {
				n, err := stored(ctx)
				if err != nil {
					return err
				}
				o.Observe(n)
				return nil
			}))
	}
	if err != nil {
		return nil, err
	}
	for _, r := range []sessionstore.Reason{"", sessionstore.ReasonMalformed, sessionstore.ReasonUnknown, sessionstore.ReasonExpired,
		sessionstore.ReasonRevoked, sessionstore.ReasonCorrupt, sessionstore.ReasonError} {
		outcome := string(r)
		if r == "" {
			outcome = "ok"
		}
		m.outcomes[r] = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", outcome)))
	}
	for kind, scope := range map[sessionstore.EventKind]string{
		sessionstore.EventRevoked: "session", sessionstore.EventMemberRevoked: "member", sessionstore.EventCustomerRevoked: "customer",
		sessionstore.EventSignedOut: "session", sessionstore.EventSignedOutEverywhere: "everywhere",
	} {
		m.scopes[kind] = metric.WithAttributeSet(attribute.NewSet(attribute.String("scope", scope)))
	}
	return m, nil
}

// Observe implements sessionstore.Observer.
func (m *Metrics) Observe(ctx context.Context, e sessionstore.Event) {
	switch e.Kind {
	case sessionstore.EventCreated:
		m.created.Add(ctx, 1)
	case sessionstore.EventLookup, sessionstore.EventLookupFailed:
		o, ok := m.outcomes[e.Reason]
		if !ok {
			o = m.outcomes[sessionstore.ReasonError]
		}
		m.lookups.Add(ctx, 1, o)
		m.lookupTime.Record(ctx, e.Duration.Seconds(), o)
	case sessionstore.EventExtended:
		m.extended.Add(ctx, 1)
	case sessionstore.EventRevoked:
		m.revoked.Add(ctx, 1, m.scopes[e.Kind])
	case sessionstore.EventMemberRevoked, sessionstore.EventCustomerRevoked:
		m.revoked.Add(ctx, int64(e.Count), m.scopes[e.Kind])
	case sessionstore.EventEvicted:
		m.evicted.Add(ctx, 1)
	case sessionstore.EventRehashed:
		m.rehashed.Add(ctx, 1)
	case sessionstore.EventPurged:
		m.purged.Add(ctx, int64(e.Count))
		m.purgeTime.Record(ctx, e.Duration.Seconds())
	case sessionstore.EventBackgroundFailed:
		m.failures.Add(ctx, 1)
	case sessionstore.EventSignedIn:
		m.signIns.Add(ctx, 1, metric.WithAttributes(attribute.String("source", e.Source)))
	case sessionstore.EventSignedOut, sessionstore.EventSignedOutEverywhere:
		m.signOuts.Add(ctx, 1, m.scopes[e.Kind])
	case sessionstore.EventRefused:
		m.refusals.Add(ctx, 1, metric.WithAttributes(attribute.String("code", e.Code), attribute.String("source", e.Source)))
	}
}
