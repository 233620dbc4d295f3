package main

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/memory"
)

// After clicking around, GET /metrics shows the store's and the
// middleware's counters in Prometheus text format, and the audit log has
// the sign-in and sign-out; neither holds a token.
func TestMetricsAndAuditLog(t *testing.T) {
	audit := &syncBuffer{}
	var p *testPortal
	tel, err := newTelemetry(slog.New(slog.NewTextHandler(audit, nil)), nil, func(ctx context.Context) (int64, error) {
		return p.store.(*memory.Store).Stored(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Close(context.Background()) })
	p = startTestPortalOpts(t, nil, config{Observer: tel.Observer, Metrics: tel.Handler},
		func(o *sessionstore.Options) { o.Observer = tel.Observer })

	link := p.create(adaMemberID, "")
	b := p.browser()
	b.signIn(link.MemberPortalURL)
	if pg := b.post("/portal/logout", nil); pg.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", pg.StatusCode)
	}
	if pg := b.get("/portal"); pg.StatusCode != http.StatusUnauthorized {
		t.Fatalf("signed out /portal: %d", pg.StatusCode)
	}
	stranger := p.browser()
	if pg := stranger.get("/portal?member_session_token=mst_guess"); pg.StatusCode != http.StatusUnauthorized {
		t.Fatalf("guessed link: %d", pg.StatusCode)
	}

	pg := p.browser().get("/metrics")
	if pg.StatusCode != http.StatusOK || !strings.HasPrefix(pg.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", pg.StatusCode, pg.Header.Get("Content-Type"))
	}
	mustContain(t, "/metrics", pg.body,
		"# TYPE sessionstore_sessions_created_total counter",
		`sessionstore_lookups_total{otel_scope_name="github.com/memberkit/sessionstore"`,
		`outcome="ok"`, `outcome="malformed"`,
		"# TYPE sessionstore_lookup_duration_seconds histogram",
		`le="1e-05"`, `le="0.0001"`, // buckets for seconds, not the SDK's default 0, 5, 10, ...
		`sessionstore_http_sign_ins_total{otel_scope_name="github.com/memberkit/sessionstore"`,
		`sessionstore_http_sign_outs_total{`, `sessionstore_http_refusals_total{code="malformed_token"`,
		"sessionstore_sessions_stored{",
	)
	p.noLeak("/metrics", pg.body)
	tel.audit.Flush(context.Background())
	log := audit.String()
	mustContain(t, "the audit log", log, `msg="session created"`, `msg="signed in" event=signed_in`,
		`msg="signed out"`, `msg="refused summary"`, "lookups.malformed=1", "requests.malformed_token=1")
	p.noLeak("the audit log", log)
}
