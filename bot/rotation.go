package bot

import (
	"fmt"
	"strings"
	"time"
)

// OnCallPolicy is who gets paged and how pages escalate.
type OnCallPolicy struct {
	// Schedules are the on-call rotations; the first is the default.
	Schedules []Schedule
	// Escalation are the levels after the schedule's primary (L1) and
	// secondary (L2), such as L3 and the CTO.
	Escalation []EscalationLevel
	// PageSeverities are the severities whose declaration pages the
	// default schedule's primary by itself.
	PageSeverities []string
	// RepageEvery is how often everyone on the policy is paged again once
	// the last level has not acknowledged either.
	RepageEvery time.Duration
	// FallbackAfter is how long the bot keeps trying the paging service
	// before it pages through chat instead.
	FallbackAfter time.Duration
	// HandoffChannel gets the weekly handoff post; AlertsChannel the
	// paging service's incidents the bot did not start.
	HandoffChannel string
	AlertsChannel  string
}

// Schedule is a weekly rotation with two people on at once: the primary
// and, next in line, the secondary.
type Schedule struct {
	Name string
	// People take turns as primary in this order, one week each.
	People []string
	// Handoff is a moment when People[0] became primary; every week after
	// it, at the same weekday and time in the policy's timezone, the next
	// person takes over.
	Handoff time.Time
	// PagerDuty, when set, is the paging service's schedule
	// ("schedule:PXXXXXX") or escalation policy ("policy:PXXXXXX") that
	// says who is on call instead of People.
	PagerDuty string
}

// EscalationLevel is one level of the escalation policy beyond the
// rotation.
type EscalationLevel struct {
	Name  string
	Users []string
}

// Schedule finds a schedule by name, case-insensitively; "" is the first.
func (p *OnCallPolicy) Schedule(name string) (Schedule, bool) {
	if name == "" && len(p.Schedules) > 0 {
		return p.Schedules[0], true
	}
	for _, s := range p.Schedules {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	return Schedule{}, false
}

// ScheduleNames lists the schedules' names.
func (p *OnCallPolicy) ScheduleNames() []string {
	names := make([]string, len(p.Schedules))
	for i, s := range p.Schedules {
		names[i] = s.Name
	}
	return names
}

// Rota is who is on call on one schedule at one moment.
type Rota struct {
	Schedule  string
	Primary   string
	Secondary string
	// Until is when this rota hands over; zero when unknown.
	Until time.Time
	// NextPrimary and NextSecondary take over at Until.
	NextPrimary   string
	NextSecondary string
	// Source says where the answer came from: "rotation" or the paging
	// service.
	Source string
	// Overridden names the slots an override changed.
	Overridden []string
}

// week is the index of the rotation week that contains at.
func (s Schedule) week(at time.Time) int {
	d := at.Sub(s.Handoff)
	w := int(d / (7 * 24 * time.Hour))
	if d < 0 && d%(7*24*time.Hour) != 0 {
		w--
	}
	return w
}

// handoffAfter is the first handoff after at.
func (s Schedule) handoffAfter(at time.Time) time.Time {
	return s.Handoff.AddDate(0, 0, 7*(s.week(at)+1))
}

func (s Schedule) person(week, offset int) string {
	n := len(s.People)
	if n == 0 {
		return ""
	}
	return s.People[((week+offset)%n+n)%n]
}

// RotaAt works out the rotation at a moment, before overrides.
func (s Schedule) RotaAt(at time.Time) Rota {
	w := s.week(at)
	r := Rota{
		Schedule:      s.Name,
		Primary:       s.person(w, 0),
		Secondary:     s.person(w, 1),
		Until:         s.handoffAfter(at),
		NextPrimary:   s.person(w+1, 0),
		NextSecondary: s.person(w+1, 1),
		Source:        "rotation",
	}
	if len(s.People) < 2 {
		r.Secondary, r.NextSecondary = "", ""
	}
	return r
}

// Override puts User in a slot of a schedule for a while, over the
// rotation.
type Override struct {
	ID       int64
	Schedule string
	// Slot is "primary" or "secondary".
	Slot string
	User string
	From time.Time
	To   time.Time
	By   string
}

// The override slots.
const (
	SlotPrimary   = "primary"
	SlotSecondary = "secondary"
)

// apply puts the overrides in force at at onto r.
func (r *Rota) apply(overrides []Override, at time.Time) {
	for _, o := range overrides {
		if !strings.EqualFold(o.Schedule, r.Schedule) || at.Before(o.From) || !at.Before(o.To) {
			continue
		}
		switch o.Slot {
		case SlotSecondary:
			r.Secondary = o.User
		default:
			r.Primary = o.User
		}
		r.Overridden = append(r.Overridden, o.Slot)
	}
}

// Validate checks that the on-call policy can page someone.
func (p *OnCallPolicy) Validate() error {
	for _, s := range p.Schedules {
		if s.PagerDuty == "" && len(s.People) == 0 {
			return fmt.Errorf("on-call schedule %q has no people and no PagerDuty schedule",
				s.Name)
		}
		if s.PagerDuty == "" && s.Handoff.IsZero() {
			return fmt.Errorf("on-call schedule %q has no handoff time", s.Name)
		}
	}
	return nil
}
