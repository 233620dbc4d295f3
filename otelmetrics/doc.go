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
// for Options.ExpiredRetention. The memory backend can count them at no
// cost (memory.Store.Stored); Badger and Redis cannot without a scan, so
// they offer no count.
package otelmetrics
