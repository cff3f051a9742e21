package bot

import (
	"context"
	"time"
)

// Notification is one webhook call of Prometheus Alertmanager: the
// current state of one alert group.
type Notification struct {
	// GroupKey identifies the group at Alertmanager.
	GroupKey string
	Receiver string
	// Status is firing or resolved: resolved when every alert is.
	Status            string
	GroupLabels       map[string]string
	CommonLabels      map[string]string
	CommonAnnotations map[string]string
	// ExternalURL links to the Alertmanager that sent it.
	ExternalURL string
	// TruncatedAlerts counts the alerts Alertmanager left out for size.
	TruncatedAlerts int
	Alerts          []Alert
}

// Alert is one alert as Alertmanager reports it.
type Alert struct {
	// Fingerprint identifies the alert by its labels. Older senders leave
	// it out; the parser then computes one from the labels.
	Fingerprint string
	// Status is firing or resolved.
	Status      string
	Labels      map[string]string
	Annotations map[string]string
	StartsAt    time.Time
	// EndsAt is zero while the alert fires.
	EndsAt       time.Time
	GeneratorURL string
}

// The statuses of an alert and of a group.
const (
	AlertFiring   = "firing"
	AlertResolved = "resolved"
)

// Silence is a silence to create at Alertmanager for a group's labels.
type Silence struct {
	// Matchers are label names and the exact values to silence.
	Matchers  map[string]string
	StartsAt  time.Time
	EndsAt    time.Time
	CreatedBy string
	Comment   string
}

// Silencer creates silences at Alertmanager.
type Silencer interface {
	// Silence creates s and returns the silence's id.
	Silence(ctx context.Context, s Silence) (string, error)
}
