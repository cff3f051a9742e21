package pagerduty

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The outcome label of pagerduty_api_calls_total.
const (
	outcomeOK          = "ok"
	outcomeRateLimited = "rate_limited"
	outcomeError       = "error"
)

// Metrics counts and times the Client's calls to PagerDuty, by method:
// events.trigger, events.acknowledge, events.resolve, incidents.list,
// incidents.manage and oncalls.list. A nil *Metrics records nothing.
type Metrics struct {
	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics creates the metrics and registers them with reg; a nil reg
// leaves them unregistered. Like prometheus.MustRegister, it panics when
// reg already holds metrics of the same names.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pagerduty_api_calls_total",
			Help: "Calls to the PagerDuty REST and Events APIs, " +
				"by method and outcome (ok, rate_limited, error).",
		}, []string{"method", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pagerduty_api_call_duration_seconds",
			Help:    "How long calls to the PagerDuty REST and Events APIs took, by method.",
			Buckets: []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method"}),
	}
	if reg != nil {
		reg.MustRegister(m.calls, m.duration)
	}
	return m
}

// observe records one call.
func (m *Metrics) observe(method, outcome string, took time.Duration) {
	if m == nil {
		return
	}
	m.calls.WithLabelValues(method, outcome).Inc()
	m.duration.WithLabelValues(method).Observe(took.Seconds())
}
