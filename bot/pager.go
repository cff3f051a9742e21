package bot

import (
	"context"
	"time"
)

// Pager is a paging service, such as PagerDuty, that wakes people up and
// escalates on its own schedule. The bot pages through it when one is
// configured, and through chat direct messages otherwise.
type Pager interface {
	// Trigger opens an alert. A trigger with the DedupKey of an alert
	// still open changes nothing, so a repeat never pages twice.
	Trigger(ctx context.Context, t PageTrigger) error
	// Acknowledge and Resolve act on the alert opened with dedupKey.
	Acknowledge(ctx context.Context, dedupKey string) error
	Resolve(ctx context.Context, dedupKey string) error
	// Escalate raises the service's incident for dedupKey to escalation
	// level (1 is the first level), on behalf of the user with email from.
	Escalate(ctx context.Context, dedupKey string, level int, from string) error
	// OnCall lists who is on call now for the schedule or escalation
	// policy the service knows as id, lowest level first.
	OnCall(ctx context.Context, id string) ([]Shift, error)
}

// PageTrigger is what a page tells the paging service.
type PageTrigger struct {
	// DedupKey ties the trigger, acknowledgement and resolution of one
	// page together.
	DedupKey string
	Summary  string
	// Severity is critical, error, warning or info.
	Severity string
	// Source names what the page is about, such as the incident's channel.
	Source string
	// Link points responders at the incident, such as its channel.
	Link    string
	Details map[string]string
}

// Shift is one person on call at one escalation level.
type Shift struct {
	// Level is the escalation level, 1 for the first (primary).
	Level int
	// User is the paging service's id of the person; Email and Name
	// describe them.
	User  string
	Email string
	Name  string
	// Start and End bound the shift; End is zero for a shift without an
	// end.
	Start time.Time
	End   time.Time
}

// PagerEvent is something that happened at the paging service, as its
// webhook told it: an incident triggered, acknowledged, escalated,
// reassigned or resolved.
type PagerEvent struct {
	// ID is the webhook event's id.
	ID string
	// Type is the event type, such as incident.acknowledged.
	Type string
	// IncidentID is the paging service's incident id; IncidentKey its
	// dedup key (the DedupKey of the page that opened it, if the bot did).
	IncidentID  string
	IncidentKey string
	Title       string
	URL         string
	Urgency     string
	Status      string
	// Agent is who did it: a name, the service's user id, and an email
	// when the service gave one.
	Agent      string
	AgentID    string
	AgentEmail string
	// Assignees are the emails (or names) of the people it is assigned
	// to, and AssigneeIDs their ids at the service.
	Assignees   []string
	AssigneeIDs []string
	At          time.Time
}

// The PagerEvent types the bot acts on.
const (
	PagerTriggered    = "incident.triggered"
	PagerAcknowledged = "incident.acknowledged"
	PagerEscalated    = "incident.escalated"
	PagerReassigned   = "incident.reassigned"
	PagerResolved     = "incident.resolved"
)
