package bot

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// DeployPolicy is when deployments may go out: change windows per
// environment, freezes, and who approves an emergency.
type DeployPolicy struct {
	// Environments are the environments with rules; others follow
	// OpenByDefault.
	Environments []EnvironmentRule
	// OpenByDefault lets environments without a rule deploy at any time.
	OpenByDefault bool
	// Freezes are scheduled freezes, such as holidays.
	Freezes []Freeze
	// FreezeSeverities are the incident severities that, while an
	// incident of them is open, freeze the environments whose rule says
	// so.
	FreezeSeverities []string
	// Approvers may approve emergency deploys; so may the members of
	// ApproverGroup, a chat user group, when the chat knows groups.
	Approvers     []string
	ApproverGroup string
	// Channel is where deployments outside the policy are posted.
	Channel string
}

// EnvironmentRule is the change policy of one environment.
type EnvironmentRule struct {
	Name    string
	Windows []Window
	// FreezeOnIncident holds deploys while an incident of the policy's
	// FreezeSeverities is open.
	FreezeOnIncident bool
	// Risk is the risk of deployments to it that declare none.
	Risk string
}

// Window is a weekly change window: on Days, from Start to End after
// midnight in the policy's timezone.
type Window struct {
	Days  []time.Weekday
	Start time.Duration
	End   time.Duration
}

// Freeze holds every environment with rules between From and To.
type Freeze struct {
	ID     int64
	Reason string
	By     string
	From   time.Time
	// To is zero for a freeze that lasts until lifted.
	To time.Time
}

// in reports whether the freeze covers at.
func (f Freeze) in(at time.Time) bool {
	return !at.Before(f.From) && (f.To.IsZero() || at.Before(f.To))
}

// DeployDecision is whether a deployment may go out, and why.
type DeployDecision struct {
	Environment string
	Allowed     bool
	// Rule names what decided: open, window, outside_window,
	// manual_freeze, scheduled_freeze or incident_freeze.
	Rule   string
	Reason string
	// Next is when the environment next opens, zero when it is open or
	// no window opens within four weeks.
	Next time.Time
}

// The rules a DeployDecision names.
const (
	RuleOpen            = "open"
	RuleWindow          = "window"
	RuleOutsideWindow   = "outside_window"
	RuleManualFreeze    = "manual_freeze"
	RuleScheduledFreeze = "scheduled_freeze"
	RuleIncidentFreeze  = "incident_freeze"
)

// String describes the window, such as "Tue–Thu 10:00–16:00".
func (w Window) String() string {
	names := make([]string, len(w.Days))
	for i, d := range w.Days {
		names[i] = d.String()[:3]
	}
	days := strings.Join(names, ", ")
	if len(w.Days) > 2 && consecutive(w.Days) {
		days = names[0] + "–" + names[len(names)-1]
	}
	return fmt.Sprintf("%s %s–%s", days, clock(w.Start), clock(w.End))
}

func consecutive(days []time.Weekday) bool {
	for i := 1; i < len(days); i++ {
		if days[i] != days[i-1]+1 {
			return false
		}
	}
	return true
}

func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60)
}

// contains reports whether the window is open at at, in at's location.
func (w Window) contains(at time.Time) bool {
	for _, d := range w.Days {
		if at.Weekday() != d {
			continue
		}
		since := at.Sub(time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, at.Location()))
		if since >= w.Start && since < w.End {
			return true
		}
	}
	return false
}

// environment finds the rule of env, case-insensitively.
func (p *DeployPolicy) environment(env string) (EnvironmentRule, bool) {
	for _, e := range p.Environments {
		if strings.EqualFold(e.Name, env) {
			return e, true
		}
	}
	return EnvironmentRule{}, false
}

// DecideDeploy says whether a deployment to env may go out at at: the
// same decision the GitHub gate, /deploy window and `warroom deploy-gate`
// take.
func (b *Bot) DecideDeploy(ctx context.Context, env string, at time.Time) (DeployDecision,
	error) {

	var (
		manual []Freeze
		open   []*Incident
	)
	err := b.store.View(ctx, func(tx Tx) error {
		var err error
		if manual, err = tx.ActiveFreezes(at); err != nil {
			return err
		}
		open, err = tx.OpenIncidents()
		return err
	})
	if err != nil {
		return DeployDecision{}, fmt.Errorf("decide a deploy to %s: %w", env, err)
	}
	return b.decide(env, at.In(b.policy.Location), manual, open), nil
}

func (b *Bot) decide(env string, at time.Time, manual []Freeze, open []*Incident) DeployDecision {
	p := &b.policy.Deploy
	d := DeployDecision{Environment: env}
	rule, ok := p.environment(env)
	if !ok {
		d.Allowed, d.Rule = p.OpenByDefault, RuleOpen
		d.Reason = fmt.Sprintf("%s has no change window configured, and such environments "+
			"are open", env)
		if !p.OpenByDefault {
			d.Rule = RuleOutsideWindow
			d.Reason = fmt.Sprintf("%s has no change window configured, and such "+
				"environments are closed", env)
		}
		return d
	}

	for _, f := range manual {
		if f.in(at) {
			d.Rule = RuleManualFreeze
			d.Reason = fmt.Sprintf("deploys are frozen by %s: %s", mentionOr(f.By, "someone"),
				f.Reason)
			if !f.To.IsZero() {
				d.Reason += " (until " + b.FormatTime(f.To) + ")"
			}
			d.Next = b.nextOpen(rule, at, manual)
			return d
		}
	}
	for _, f := range p.Freezes {
		if f.in(at) {
			d.Rule = RuleScheduledFreeze
			d.Reason = fmt.Sprintf("scheduled freeze: %s, until %s", f.Reason,
				b.FormatTime(f.To))
			d.Next = b.nextOpen(rule, at, manual)
			return d
		}
	}
	if rule.FreezeOnIncident {
		for _, inc := range open {
			if containsFold(p.FreezeSeverities, inc.Severity) {
				d.Rule = RuleIncidentFreeze
				d.Reason = fmt.Sprintf("%s %s is open: %s", inc.Ref(), inc.Severity, inc.Title)
				return d
			}
		}
	}

	for _, w := range rule.Windows {
		if w.contains(at) {
			d.Allowed, d.Rule = true, RuleWindow
			d.Reason = fmt.Sprintf("inside %s's change window, %s", rule.Name, w)
			return d
		}
	}
	d.Rule = RuleOutsideWindow
	names := make([]string, len(rule.Windows))
	for i, w := range rule.Windows {
		names[i] = w.String()
	}
	d.Reason = fmt.Sprintf("outside %s's change window (%s)", rule.Name,
		orText(strings.Join(names, "; "), "none configured"))
	d.Next = b.nextOpen(rule, at, manual)
	return d
}

// nextOpen finds the next moment within four weeks when rule's window is
// open and no freeze holds, to the minute.
func (b *Bot) nextOpen(rule EnvironmentRule, at time.Time, manual []Freeze) time.Time {
	frozen := func(t time.Time) bool {
		for _, f := range append(manual, b.policy.Deploy.Freezes...) {
			if f.in(t) {
				return true
			}
		}
		return false
	}

	// Window starts are the only candidates, plus the ends of freezes
	// that fall inside a window.
	var candidates []time.Time
	day := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, at.Location())
	for i := 0; i < 28; i++ {
		d := day.AddDate(0, 0, i)
		for _, w := range rule.Windows {
			candidates = append(candidates, d.Add(w.Start))
		}
	}
	for _, f := range append(manual, b.policy.Deploy.Freezes...) {
		if !f.To.IsZero() {
			candidates = append(candidates, f.To)
		}
	}

	var best time.Time
	for _, c := range candidates {
		c = c.In(at.Location())
		if !c.After(at) || frozen(c) {
			continue
		}
		open := false
		for _, w := range rule.Windows {
			open = open || w.contains(c)
		}
		if open && (best.IsZero() || c.Before(best)) {
			best = c
		}
	}
	return best
}

// FreezeDeploys holds every environment with rules until lifted or until
// to (zero for no end).
func (b *Bot) FreezeDeploys(ctx context.Context, by, reason string, to time.Time) (*Freeze,
	error) {

	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, Invalidf("Say why: `/deploy freeze &lt;reason&gt; [--until 2026-12-05T10:00]`.",
			"A freeze needs a reason.")
	}
	now := b.clock.Now()
	if !to.IsZero() && !to.After(now) {
		return nil, Invalidf("Give a time in the future.", "The freeze would end before "+
			"it starts (%s).", b.FormatTime(to))
	}
	f := &Freeze{Reason: reason, By: by, From: now, To: to}
	err := b.store.Update(ctx, func(tx Tx) error { return tx.AddFreeze(f) })
	if err != nil {
		return nil, fmt.Errorf("freeze deploys: %w", err)
	}
	b.log.WithFields(map[string]any{"action": "deploy.freeze", "userId": by,
		"freeze": f.ID}).Info("deploys frozen")
	return f, nil
}

// UnfreezeDeploys lifts every manual freeze in force and reports how
// many it lifted.
func (b *Bot) UnfreezeDeploys(ctx context.Context, by string) (int, error) {
	var n int
	err := b.store.Update(ctx, func(tx Tx) error {
		var err error
		n, err = tx.EndFreezes(b.clock.Now(), by)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("unfreeze deploys: %w", err)
	}
	if n == 0 {
		return 0, Conflictf("`/deploy window` shows why deploys are held.",
			"No manual freeze is in force.")
	}
	b.log.WithFields(map[string]any{"action": "deploy.unfreeze", "userId": by,
		"lifted": n}).Info("deploy freezes lifted")
	return n, nil
}
