package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/otelmetrics"
)

// telemetry is the portal's observability: one Observer, for the store and
// the middleware, writing the audit log and recording the metrics that
// Handler serves in Prometheus text format.
type telemetry struct {
	Observer sessionstore.Observer
	Handler  http.Handler
	audit    *sessionstore.AuditLog
	provider *sdkmetric.MeterProvider
}

// newTelemetry writes the audit log to logger, timing its summaries by now,
// and registers the metrics on a registry of its own. stored, when not
// nil, feeds the stored-sessions gauge.
func newTelemetry(logger *slog.Logger, now func() time.Time, stored func(context.Context) (int64, error)) (*telemetry, error) {
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, err
	}
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	metrics, err := otelmetrics.New(provider, &otelmetrics.Options{Stored: stored})
	if err != nil {
		return nil, errors.Join(err, provider.Shutdown(context.Background()))
	}
	audit := sessionstore.NewAuditLog(logger, &sessionstore.AuditOptions{Now: now})
	return &telemetry{
		Observer: sessionstore.Observers(audit, metrics),
		Handler:  promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		audit:    audit,
		provider: provider,
	}, nil
}

// Close writes the audit log's last summary and stops the metrics.
func (t *telemetry) Close(ctx context.Context) error {
	t.audit.Flush(ctx)
	return t.provider.Shutdown(ctx)
}
