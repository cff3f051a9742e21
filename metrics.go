package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"
)

// httpMetrics counts and times the requests the server answers.
type httpMetrics struct {
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "warroom_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by endpoint and outcome.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"endpoint", "outcome"}),
	}
	reg.MustRegister(m.duration)
	return m
}

// outcome groups an HTTP status into ok, client_error or server_error.
func outcome(status int) string {
	switch {
	case status >= 500:
		return "server_error"
	case status >= 400:
		return "client_error"
	}
	return "ok"
}

// openIncidents reports the open incidents by severity from the store at
// every scrape, so the gauge is right after a restart too.
type openIncidents struct {
	count func(context.Context) (map[string]int, error)
	desc  *prometheus.Desc
	log   *logrus.Entry
}

func newOpenIncidents(count func(context.Context) (map[string]int, error),
	log *logrus.Entry) *openIncidents {

	return &openIncidents{
		count: count,
		desc: prometheus.NewDesc("warroom_incidents_open",
			"Incidents not yet resolved, by severity.", []string{"severity"}, nil),
		log: log,
	}
}

func (o *openIncidents) Describe(ch chan<- *prometheus.Desc) { ch <- o.desc }

func (o *openIncidents) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()

	counts, err := o.count(ctx)
	if err != nil {
		o.log.WithError(err).WithField(fieldAction, "metrics.collect").
			Error("count open incidents")
		return
	}
	for sev, n := range counts {
		ch <- prometheus.MustNewConstMetric(o.desc, prometheus.GaugeValue, float64(n), sev)
	}
}
