// Package otelmetrics records the events of a sessionstore store and of
// the sessionhttp middleware as OpenTelemetry metrics. It uses only the
// OpenTelemetry metric API: the application picks the SDK and exporter.
//
// Wire it in one line, as the observer of the store and of the middleware:
//
//	m, err := otelmetrics.New(otel.GetMeterProvider(), nil)
//	opts := &sessionstore.Options{Observer: m}
//
// New registers these instruments on the meter
// "github.com/memberkit/sessionstore" (durations by the store's clock,
// Options.Now):
//
//	| Name                                  | Kind          | Unit        | Attributes                  |
//	|---------------------------------------|---------------|-------------|-----------------------------|
//	| sessionstore.sessions.created         | Counter       | {session}   |                             |
//	| sessionstore.lookups                  | Counter       | {lookup}    | outcome                     |
//	| sessionstore.lookup.duration          | Histogram     | s           | outcome                     |
//	| sessionstore.sessions.extended        | Counter       | {session}   |                             |
//	| sessionstore.sessions.revoked         | Counter       | {session}   | scope                       |
//	| sessionstore.sessions.evicted         | Counter       | {session}   |                             |
//	| sessionstore.sessions.rehashed        | Counter       | {session}   |                             |
//	| sessionstore.sessions.purged          | Counter       | {session}   |                             |
//	| sessionstore.purge.duration           | Histogram     | s           |                             |
//	| sessionstore.background.failures      | Counter       | {failure}   |                             |
//	| sessionstore.http.sign_ins            | Counter       | {sign_in}   | source                      |
//	| sessionstore.http.sign_outs           | Counter       | {sign_out}  | scope                       |
//	| sessionstore.http.refusals            | Counter       | {request}   | code, source                |
//	| sessionstore.sessions.stored          | Gauge (async) | {session}   |                             |
//
// Attribute values:
//
//   - outcome: "ok", or the sessionstore.Reason of a refused lookup:
//     "malformed", "unknown", "expired", "revoked", "corrupt", "error".
//   - scope: "session" (one), "member" or "customer" for revocations (the
//     count of live sessions removed); "session" or "everywhere" for
//     sign-outs.
//   - source: where the token came from: "header", "link", "cookie", or
//     "sign_in" for SignIn; "" when there was none.
//   - code: the sessionhttp error code, such as "invalid_token".
//
// sessionstore.sessions.stored is registered only when Options.Stored is
// set: it counts the sessions a backend holds, including expired ones kept
// for Options.ExpiredRetention. The memory backend counts them at no cost
// (memory.Store.Stored). The other three backends offer no count. Badger
// and Postgres could count only by reading every session: Badger keeps no
// count of its keys, and count(*) reads the whole table or one of its
// indexes. Redis could in one command, ZCARD of the sorted set that
// indexes every session by expiry ("T exp" in package redis's key layout),
// which an application may pass as Stored itself.
//
// # Duration buckets
//
// Both histograms ask for these bucket boundaries, in seconds, through the
// metric API's advisory option metric.WithExplicitBucketBoundaries:
//
//	0.00001 0.000025 0.00005   (10, 25, 50 µs)
//	0.0001  0.00025  0.0005    (100, 250, 500 µs)
//	0.001   0.0025   0.005     (1, 2.5, 5 ms)
//	0.01    0.025    0.05      (10, 25, 50 ms)
//	0.1     0.25     0.5       (100, 250, 500 ms)
//	1       2.5      5         (1, 2.5, 5 s)
//	10                         (10 s; above it, the +Inf bucket)
//
// The OpenTelemetry SDK's default boundaries (0, 5, 10, 25, ... 10000) are
// meant for milliseconds: in seconds every lookup, and most purges, would
// fall into the one bucket from 0 to 5 s. A lookup takes 1 to 20 µs on the
// memory and Badger stores and about 100 µs on Redis and Postgres, with
// tails of milliseconds; a purge takes from microseconds (nothing expired)
// to seconds (100,000 sessions on Badger or Redis; see BENCHMARKS.md).
// Three boundaries a decade from 10 µs to 10 s tell these apart in 20
// buckets; memory lookups mostly share the first one. A View configured in
// the SDK overrides the boundaries, as it overrides any advice.
package otelmetrics
