package otelmetrics_test

import (
	"context"
	"fmt"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/memory"
	"github.com/memberkit/sessionstore/otelmetrics"
)

// Wire metrics in one line: the Observer New returns goes into
// sessionstore.Options (and sessionhttp.Options). Here a manual reader
// stands in for the exporter an application would use.
func Example() {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	metrics, err := otelmetrics.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)), nil)
	if err != nil {
		panic(err)
	}
	store, err := memory.New(&sessionstore.Options{Observer: metrics})
	if err != nil {
		panic(err)
	}
	defer store.Close()

	_, _ = store.Lookup(ctx, "mst_not_a_token")
	_, _ = store.Lookup(ctx, "mst_not_a_token")

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(ctx, &rm)
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if sum, ok := m.Data.(metricdata.Sum[int64]); ok {
			for _, p := range sum.DataPoints {
				outcome, _ := p.Attributes.Value("outcome")
				fmt.Printf("%s{outcome=%s} %d\n", m.Name, outcome.AsString(), p.Value)
			}
		}
	}
	// Output:
	// sessionstore.lookups{outcome=malformed} 2
}
