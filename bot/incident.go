// Package bot holds warroom's domain: incidents, their severities, roles,
// status and timeline, the response checklist, and the work the bot owes
// later. It declares the small interfaces it needs (Chat, Store, Clock) and
// imports no other package of the project.
package bot

import (
	"fmt"
	"strings"
	"time"
)

// Status is where an incident stands, as shown on the status page.
type Status string

// The statuses an incident moves through.
const (
	StatusInvestigating Status = "investigating"
	StatusIdentified    Status = "identified"
	StatusMonitoring    Status = "monitoring"
	StatusResolved      Status = "resolved"
)

// OpenStatuses are the statuses a person may set on an open incident.
var OpenStatuses = []Status{StatusInvestigating, StatusIdentified, StatusMonitoring}

// ParseStatus reads an open status by name.
func ParseStatus(s string) (Status, bool) {
	for _, st := range OpenStatuses {
		if strings.EqualFold(s, string(st)) {
			return st, true
		}
	}
	return "", false
}

// Role is a responder role other than the commander.
type Role string

// The roles a responder can hold beside the commander.
const (
	RoleComms  Role = "comms"
	RoleScribe Role = "scribe"
	RoleOps    Role = "ops"
)

// Roles lists the assignable roles in the order they are shown.
var Roles = []Role{RoleComms, RoleScribe, RoleOps}

// ParseRole reads a role by name.
func ParseRole(s string) (Role, bool) {
	for _, r := range Roles {
		if strings.EqualFold(s, string(r)) {
			return r, true
		}
	}
	return "", false
}

// Incident is one incident from declaration to resolution.
type Incident struct {
	ID         int64
	Title      string
	Summary    string
	Severity   string
	Status     Status
	Components []string
	Private    bool

	DeclaredBy string
	Commander  string
	Roles      map[Role]string

	// ChannelID is empty until the incident channel has been created.
	ChannelID   string
	ChannelName string
	// CardTS is the timestamp of the pinned incident card in the channel.
	CardTS string
	// CardPinned records that the card was pinned, so a retry does not pin
	// twice.
	CardPinned bool
	// Invited records that the responders were invited.
	Invited bool
	// AnnounceChannel and AnnounceTS locate the announcement, whose thread
	// carries the updates. Both are empty for private incidents.
	AnnounceChannel string
	AnnounceTS      string
	// Ready is set once the channel, card and announcement all exist.
	Ready bool

	// ReplyTo is where the declarer asked, for notices about the
	// declaration itself.
	ReplyTo Recipient

	DeclaredAt     time.Time
	AcknowledgedAt time.Time
	AcknowledgedBy string
	LastUpdateAt   time.Time
	ResolvedAt     time.Time
	ResolvedBy     string
	Resolution     string
	PostmortemDue  time.Time

	Checklist []ChecklistItem
}

// Ref is the short reference people quote, such as INC-42.
func (inc *Incident) Ref() string {
	return fmt.Sprintf("INC-%d", inc.ID)
}

// Open reports whether the incident is not resolved.
func (inc *Incident) Open() bool {
	return inc.Status != StatusResolved
}

// Role returns who holds role r, or "" when nobody does.
func (inc *Incident) Role(r Role) string {
	if inc.Roles == nil {
		return ""
	}
	return inc.Roles[r]
}

// TimeToAcknowledge is the time from declaration to the first
// acknowledgement, or zero when nobody has acknowledged.
func (inc *Incident) TimeToAcknowledge() time.Duration {
	if inc.AcknowledgedAt.IsZero() {
		return 0
	}
	return inc.AcknowledgedAt.Sub(inc.DeclaredAt)
}

// TimeToResolve is the time from declaration to resolution, or zero while
// the incident is open.
func (inc *Incident) TimeToResolve() time.Duration {
	if inc.ResolvedAt.IsZero() {
		return 0
	}
	return inc.ResolvedAt.Sub(inc.DeclaredAt)
}

// ChecklistItem is one step of the response procedure on one incident.
type ChecklistItem struct {
	Step string
	// Auto names the event that ticks the step by itself (see
	// ChecklistStep), or is empty for steps only people tick.
	Auto   string
	DoneBy string
	DoneAt time.Time
}

// Done reports whether the step has been ticked. DoneBy is empty when the
// bot ticked it by itself.
func (c ChecklistItem) Done() bool { return !c.DoneAt.IsZero() }
