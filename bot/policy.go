package bot

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Policy is the organisation's incident policy, read from the config.
type Policy struct {
	// Location is the timezone channel names and times are shown in.
	Location *time.Location
	// Severities are ordered from most to least severe.
	Severities []Severity
	// DefaultSeverity is given to incidents declared without one.
	DefaultSeverity string
	// Components are what an incident can affect.
	Components []Component
	// Responders are invited to incidents that match their rule.
	Responders []ResponderRule
	// Admins may resolve, reopen and change the severity of any incident.
	Admins []string
	// AnnounceChannel is where incidents are announced; empty turns
	// announcements off.
	AnnounceChannel string
	// ChannelPrefix starts every incident channel name.
	ChannelPrefix string
	// Checklist is the response procedure.
	Checklist []ChecklistStep
	// PostmortemDue is how long after resolution the post-mortem is due.
	PostmortemDue time.Duration
	// KeyReaction marks a channel message as a key event, such as
	// "pushpin".
	KeyReaction string
	// PostmortemsRepo, "owner/name", gets a pull request of every draft,
	// and issues for its action items; empty turns that off.
	PostmortemsRepo string
	// GitHubUsers maps chat user ids to GitHub logins, to assign issues.
	GitHubUsers map[string]string
	// OnCall is who gets paged and how pages escalate.
	OnCall OnCallPolicy
	// Alerts routes Alertmanager's alerts.
	Alerts AlertPolicy
	// Deploy is when deployments may go out.
	Deploy DeployPolicy
	// PagerUsers maps the paging service's people, by id or lowercase
	// email, to chat user ids.
	PagerUsers map[string]string
}

// Severity is one incident severity and what it commits responders to.
type Severity struct {
	Name    string // P0
	Label   string // critical
	Meaning string
	// Response is the first-response target.
	Response time.Duration
	// UpdateEvery is how often a status update is due while open.
	UpdateEvery time.Duration
}

// ChecklistStep is one step of the response procedure. Auto names the
// event on which the bot ticks the step by itself: one of the Auto*
// constants, or empty.
type ChecklistStep struct {
	Step string
	Auto string
}

// The events on which the bot ticks checklist steps by itself.
const (
	AutoAcknowledged = "acknowledged"  // someone acknowledged
	AutoChannel      = "channel"       // the incident channel exists
	AutoCommander    = "commander"     // a commander is assigned
	AutoTriaged      = "triaged"       // severity changed or cause identified
	AutoStatusUpdate = "status_update" // a status update was posted
	AutoMitigated    = "mitigated"     // status moved to monitoring
	AutoMonitored    = "monitored"     // resolved after monitoring
	AutoResolved     = "resolved"      // the incident was resolved
	AutoPostmortem   = "postmortem"    // the post-mortem was published
)

// AutoEvents lists the valid values of ChecklistStep.Auto.
var AutoEvents = []string{AutoAcknowledged, AutoChannel, AutoCommander, AutoTriaged,
	AutoStatusUpdate, AutoMitigated, AutoMonitored, AutoResolved, AutoPostmortem}

// Component is a part of the product an incident can affect.
type Component struct {
	ID   string
	Name string
}

// ResponderRule invites Users to incidents of any of Severities that affect
// any of Components. An empty list matches everything.
type ResponderRule struct {
	Components []string
	Severities []string
	Users      []string
}

// Severity finds a severity by name, case-insensitively.
func (p *Policy) Severity(name string) (Severity, bool) {
	for _, s := range p.Severities {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	return Severity{}, false
}

// DefaultSeverityName is the severity of an incident or page declared
// without one: the configured default, else the middle one.
func (p *Policy) DefaultSeverityName() string {
	if p.DefaultSeverity != "" {
		return p.DefaultSeverity
	}
	if len(p.Severities) == 0 {
		return ""
	}
	return p.Severities[len(p.Severities)/2].Name
}

// SeverityNames lists the severity names in order.
func (p *Policy) SeverityNames() []string {
	names := make([]string, len(p.Severities))
	for i, s := range p.Severities {
		names[i] = s.Name
	}
	return names
}

// Component finds a component by id or name, case-insensitively.
func (p *Policy) Component(name string) (Component, bool) {
	for _, c := range p.Components {
		if strings.EqualFold(c.ID, name) || strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return Component{}, false
}

// ComponentIDs lists the component ids in order.
func (p *Policy) ComponentIDs() []string {
	ids := make([]string, len(p.Components))
	for i, c := range p.Components {
		ids[i] = c.ID
	}
	return ids
}

// ComponentNames returns the display names of the component ids given.
func (p *Policy) ComponentNames(ids []string) []string {
	names := make([]string, 0, len(ids))
	for _, id := range ids {
		if c, ok := p.Component(id); ok {
			names = append(names, c.Name)
		} else {
			names = append(names, id)
		}
	}
	return names
}

// IsAdmin reports whether user is an incident admin.
func (p *Policy) IsAdmin(user string) bool {
	return slices.Contains(p.Admins, user)
}

// RespondersFor lists, without repeats, the users the rules invite to an
// incident of severity sev affecting components.
func (p *Policy) RespondersFor(sev string, components []string) []string {
	var users []string
	for _, r := range p.Responders {
		if len(r.Severities) > 0 && !containsFold(r.Severities, sev) {
			continue
		}
		if len(r.Components) > 0 && !anyFold(r.Components, components) {
			continue
		}
		for _, u := range r.Users {
			if !slices.Contains(users, u) {
				users = append(users, u)
			}
		}
	}
	return users
}

// Validate checks that the policy can run incidents.
func (p *Policy) Validate() error {
	var problems []string
	if p.Location == nil {
		problems = append(problems, "no timezone")
	}
	if len(p.Severities) == 0 {
		problems = append(problems, "no severities")
	}
	for _, s := range p.Severities {
		if s.UpdateEvery <= 0 {
			problems = append(problems,
				fmt.Sprintf("severity %s: update interval must be positive", s.Name))
		}
	}
	if p.ChannelPrefix == "" {
		problems = append(problems, "no channel prefix")
	}
	if len(problems) > 0 {
		return fmt.Errorf("policy: %s", strings.Join(problems, "; "))
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func anyFold(list, of []string) bool {
	for _, s := range of {
		if containsFold(list, s) {
			return true
		}
	}
	return false
}
