package bot

import "time"

// EventKind names what happened on an incident's timeline.
type EventKind string

// The kinds of timeline event the bot records.
const (
	EventDeclared         EventKind = "declared"
	EventChannel          EventKind = "channel_created"
	EventAcknowledged     EventKind = "acknowledged"
	EventCommander        EventKind = "commander"
	EventRole             EventKind = "role"
	EventSeverity         EventKind = "severity"
	EventStatus           EventKind = "status"
	EventUpdate           EventKind = "update"
	EventNote             EventKind = "note"
	EventChecklist        EventKind = "checklist"
	EventReminder         EventKind = "reminder"
	EventResolved         EventKind = "resolved"
	EventReopened         EventKind = "reopened"
	EventDeclareFailed    EventKind = "declare_failed"
	EventMessage          EventKind = "message"
	EventPaged            EventKind = "paged"
	EventEscalated        EventKind = "escalated"
	EventPageAcknowledged EventKind = "page_acknowledged"
	EventPageFallback     EventKind = "page_fallback"
	EventPagerUpdate      EventKind = "pager_update"
	EventAlertLinked      EventKind = "alert_linked"
	EventDeploy           EventKind = "deploy"
	EventActionItem       EventKind = "action_item"
	EventPostmortem       EventKind = "postmortem"
	// EventKeyMessage is a message people marked as important: pinned,
	// or given the policy's key reaction.
	EventKeyMessage EventKind = "key_message"
)

// Event is one entry on an incident's timeline: what happened, when, and
// who did it. Actor is a chat user id, or empty for the bot itself.
type Event struct {
	ID         int64
	IncidentID int64
	At         time.Time
	Actor      string
	Kind       EventKind
	Text       string
	// Ref is the chat message the event comes from, for messages; the
	// timeline holds each message once.
	Ref string
}
