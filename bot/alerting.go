package bot

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"sort"
	"strings"
	"time"
)

// AlertPolicy routes alerts to channels and says which page.
type AlertPolicy struct {
	// Routes are tried in order; the first whose labels all match wins.
	Routes []AlertRoute
	// DefaultChannel takes what no route matches; empty drops it (it is
	// still stored).
	DefaultChannel string
	// PostEvery is the least time between two messages in one channel.
	PostEvery time.Duration
	// StormThreshold is how many alert messages may wait for one channel
	// before new groups are folded into the channel's storm summary.
	StormThreshold int
	// Severities maps an alert's severity label to an incident severity,
	// for Declare incident.
	Severities map[string]string
	// ComponentLabels name the labels whose values are components.
	ComponentLabels []string
	// SilenceFor is how long the Silence button silences.
	SilenceFor time.Duration
}

// AlertRoute sends alerts whose labels match to Channel, and pages
// Page (a schedule name) when set.
type AlertRoute struct {
	Match   map[string]string
	Channel string
	Page    string
}

// route picks the route of a group's labels.
func (p *AlertPolicy) route(labels map[string]string) AlertRoute {
	for _, r := range p.Routes {
		ok := true
		for k, v := range r.Match {
			ok = ok && strings.EqualFold(labels[k], v)
		}
		if ok {
			return r
		}
	}
	return AlertRoute{Channel: p.DefaultChannel}
}

// AlertGroup is one alert group as warroom shows it: one message, edited
// as its alerts fire and resolve. A group that fires again after it
// resolved is a new AlertGroup with the same GroupKey.
type AlertGroup struct {
	ID          int64
	GroupKey    string
	Receiver    string
	Status      string
	Labels      map[string]string
	Common      map[string]string
	Annotations map[string]string
	ExternalURL string
	// Channel and MessageTS locate its message; Folded is set when a
	// storm put it in the channel's summary instead.
	Channel   string
	MessageTS string
	Folded    bool
	// PageID is the page it raised, IncidentID the incident declared
	// from it.
	PageID     int64
	IncidentID int64
	// SilenceID is Alertmanager's id of the silence made from Slack.
	SilenceID     string
	SilencedBy    string
	SilencedUntil time.Time
	// Truncated counts the alerts Alertmanager left out.
	Truncated  int
	FiredAt    time.Time
	ResolvedAt time.Time
	UpdatedAt  time.Time
}

// Labelset is the group's labels, or its alerts' common labels when it
// was grouped by nothing.
func (g *AlertGroup) Labelset() map[string]string {
	if len(g.Labels) > 0 {
		return g.Labels
	}
	return g.Common
}

// Title is what the group is about: its summary annotation, or its alert
// name.
func (g *AlertGroup) Title() string {
	for _, s := range []string{g.Annotations["summary"], g.Common["alertname"],
		g.Labels["alertname"]} {
		if s != "" {
			return s
		}
	}
	return formatLabels(g.Labelset())
}

// Severity is the group's severity label.
func (g *AlertGroup) Severity() string {
	if s := g.Common["severity"]; s != "" {
		return s
	}
	return g.Labels["severity"]
}

// formatLabels writes labels as name="value" pairs in name order.
func formatLabels(labels map[string]string) string {
	names := make([]string, 0, len(labels))
	for k := range labels {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s=%q", k, labels[k])
	}
	return strings.Join(parts, ", ")
}

// Ingest stores an Alertmanager notification: the group, each alert in
// it, and, when something changed, the edit of the group's message and
// any page it raises, all in one transaction. A notification that changes
// nothing (Alertmanager's repeat) schedules nothing.
func (b *Bot) Ingest(ctx context.Context, n Notification) (*AlertGroup, error) {
	// Routes match the labels every alert of the group shares.
	labels := maps.Clone(n.CommonLabels)
	if labels == nil {
		labels = map[string]string{}
	}
	maps.Copy(labels, n.GroupLabels)
	route := b.policy.Alerts.route(labels)

	var chain []PageLevel
	if route.Page != "" && n.Status == AlertFiring {
		var err error
		if chain, err = b.chain(ctx, route.Page); err != nil {
			return nil, fmt.Errorf("work out whom the alert pages: %w", err)
		}
	}

	var group *AlertGroup
	err := b.store.Update(ctx, func(tx Tx) error {
		var err error
		group, err = b.ingest(tx, n, route, chain)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ingest alert group %q: %w", n.GroupKey, err)
	}
	b.Wake()
	return group, nil
}

func (b *Bot) ingest(tx Tx, n Notification, route AlertRoute, chain []PageLevel) (*AlertGroup,
	error) {

	now := b.clock.Now()
	group, err := tx.AlertGroupByKey(n.GroupKey)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	fresh := group == nil || (group.Status == AlertResolved && hasFiring(n.Alerts))
	if fresh {
		if !hasFiring(n.Alerts) {
			// A resolution of a group never seen firing: nothing to show.
			return nil, nil
		}
		group = &AlertGroup{GroupKey: n.GroupKey, Channel: route.Channel, FiredAt: now}
	}
	group.Receiver = n.Receiver
	group.Labels = n.GroupLabels
	group.Common = n.CommonLabels
	group.Annotations = n.CommonAnnotations
	group.ExternalURL = n.ExternalURL
	group.Truncated = n.TruncatedAlerts
	group.UpdatedAt = now
	if fresh {
		if err := tx.CreateAlertGroup(group); err != nil {
			return nil, err
		}
	}

	changed := fresh
	for _, a := range n.Alerts {
		c, err := tx.UpsertAlert(group.ID, a, now)
		if err != nil {
			return nil, err
		}
		changed = changed || c
	}
	firing, err := tx.FiringAlerts(group.ID)
	if err != nil {
		return nil, err
	}
	status := AlertResolved
	if firing > 0 {
		status = AlertFiring
	}
	if status != group.Status {
		changed = true
		group.Status = status
		if status == AlertResolved {
			group.ResolvedAt = now
		}
	}
	if !changed {
		return group, nil
	}

	if fresh && chain != nil && group.Channel != "" {
		if err := b.alertPage(tx, group, route, chain); err != nil {
			return nil, err
		}
	}
	if err := tx.UpdateAlertGroup(group); err != nil {
		return nil, err
	}
	return group, b.scheduleGroup(tx, group)
}

// alertPage pages route's schedule for a new critical group.
func (b *Bot) alertPage(tx Tx, g *AlertGroup, route AlertRoute, chain []PageLevel) error {
	sev := b.policy.Alerts.Severities[strings.ToLower(g.Severity())]
	if _, ok := b.policy.Severity(sev); !ok {
		sev = b.policy.Severities[0].Name
	}
	page, err := b.newPage(tx, PageRequest{Target: route.Page, Message: g.Title(),
		Severity: sev, ChannelID: g.Channel, DedupKey: alertDedupKey(g)},
		nil, chain)
	if err != nil {
		return err
	}
	g.PageID = page.ID
	return nil
}

// alertDedupKey ties a group's page to the paging service's alert: a
// hash, since group keys can be longer than the service takes.
func alertDedupKey(g *AlertGroup) string {
	h := fnv.New64a()
	h.Write([]byte(g.GroupKey))
	return fmt.Sprintf("warroom-alert-%x-%d", h.Sum64(), g.ID)
}

func hasFiring(alerts []Alert) bool {
	for _, a := range alerts {
		if a.Status != AlertResolved {
			return true
		}
	}
	return false
}
