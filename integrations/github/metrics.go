package github

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The outcome label of github_api_calls_total.
const (
	outcomeOK          = "ok"
	outcomeRateLimited = "rate_limited"
	outcomeError       = "error"
)

// The method label of the metrics: the Client's calls to GitHub.
const (
	methodReview    = "deployment_protection_rule.review"
	methodSetStatus = "deployment_status.create"
)

// Metrics counts and times the Client's calls to GitHub, by method:
// deployment_protection_rule.review and deployment_status.create. A nil
// *Metrics records nothing.
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
			Name: "github_api_calls_total",
			Help: "Calls to the GitHub REST API, " +
				"by method and outcome (ok, rate_limited, error).",
		}, []string{"method", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "github_api_call_duration_seconds",
			Help:    "How long calls to the GitHub REST API took, by method.",
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
