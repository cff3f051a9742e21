package alertmanager

import (
	"encoding/json"
	"fmt"
	"time"

	"warroom/bot"
)

// oldResolvedAt is the endsAt EncodeOld writes for a resolved alert that
// has neither an end nor a start: any time in the past says resolved.
var oldResolvedAt = time.Unix(0, 0).UTC()

// outMessage is a webhook body as Encode and EncodeOld write it.
type outMessage struct {
	Version  string `json:"version"`
	GroupKey string `json:"groupKey"`
	// TruncatedAlerts is nil in the older format, which lacks it.
	TruncatedAlerts   *int              `json:"truncatedAlerts,omitempty"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []alert           `json:"alerts"`
}

// Encode writes n as a current Alertmanager sends it: version 4, with
// truncatedAlerts and each alert's status and fingerprint (computed with
// Fingerprint when n leaves it empty). An unset time is written
// "0001-01-01T00:00:00Z", others in UTC with their fractional seconds.
// Parse(Encode(n)) equals n for any n that Parse returned.
func Encode(n bot.Notification) []byte {
	m := header(n)
	truncated := n.TruncatedAlerts
	m.TruncatedAlerts = &truncated
	for i, a := range n.Alerts {
		m.Alerts[i] = alert{
			Status:       a.Status,
			Labels:       orEmpty(a.Labels),
			Annotations:  orEmpty(a.Annotations),
			StartsAt:     formatTime(a.StartsAt),
			EndsAt:       formatTime(a.EndsAt),
			GeneratorURL: a.GeneratorURL,
			Fingerprint:  a.Fingerprint,
		}
		if m.Alerts[i].Fingerprint == "" {
			m.Alerts[i].Fingerprint = Fingerprint(a.Labels)
		}
	}
	return marshal(m)
}

// EncodeOld writes n as older senders do: no truncatedAlerts, and alerts
// without status or fingerprint, whose endsAt says whether they fire:
// "0001-01-01T00:00:00Z" for a firing alert, and for a resolved one its
// EndsAt (else its StartsAt, else 1970-01-01). Parse of the result gives
// each alert the status it has in n, as long as a resolved alert's EndsAt
// is in the past, and the fingerprint Fingerprint computes.
func EncodeOld(n bot.Notification) []byte {
	m := header(n)
	for i, a := range n.Alerts {
		ends := time.Time{}
		if a.Status == bot.AlertResolved {
			ends = a.EndsAt
			if ends.IsZero() {
				ends = a.StartsAt
			}
			if ends.IsZero() {
				ends = oldResolvedAt
			}
		}
		m.Alerts[i] = alert{
			Labels:       orEmpty(a.Labels),
			Annotations:  orEmpty(a.Annotations),
			StartsAt:     formatTime(a.StartsAt),
			EndsAt:       formatTime(ends),
			GeneratorURL: a.GeneratorURL,
		}
	}
	return marshal(m)
}

// header fills the group's fields of a body for n, alerts still empty.
func header(n bot.Notification) outMessage {
	return outMessage{
		Version:           Version,
		GroupKey:          n.GroupKey,
		Status:            n.Status,
		Receiver:          n.Receiver,
		GroupLabels:       orEmpty(n.GroupLabels),
		CommonLabels:      orEmpty(n.CommonLabels),
		CommonAnnotations: orEmpty(n.CommonAnnotations),
		ExternalURL:       n.ExternalURL,
		Alerts:            make([]alert, len(n.Alerts)),
	}
}

// marshal encodes a body. Strings, maps of strings and numbers always
// encode, so an error is a bug of this package.
func marshal(m outMessage) []byte {
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("alertmanager: encode webhook body: %v", err))
	}
	return b
}

// formatTime writes t as Alertmanager does.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return zeroTime
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// orEmpty returns m, or an empty map for nil: Alertmanager always writes
// an object.
func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
