package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// change loads incident id, lets apply change it, and stores the incident,
// the timeline event apply returns and a refresh of the card, all in one
// transaction. apply may schedule more jobs through tx.
func (b *Bot) change(ctx context.Context, id int64, by string,
	apply func(tx Tx, inc *Incident) (EventKind, string, error)) (*Incident, error) {

	var inc *Incident
	err := b.store.Update(ctx, func(tx Tx) error {
		var err error
		inc, err = tx.Incident(id)
		if errors.Is(err, ErrNotFound) {
			return NotFoundf("`/incident list` shows the open incidents.",
				"There is no incident INC-%d.", id)
		}
		if err != nil {
			return err
		}

		kind, text, err := apply(tx, inc)
		if err != nil {
			return err
		}
		if err := tx.UpdateIncident(inc); err != nil {
			return err
		}
		if err := b.addEvent(tx, inc, by, kind, text); err != nil {
			return err
		}
		if shownInChannel[kind] {
			msg := Message{Text: fmt.Sprintf(":information_source: %s (%s)", text,
				mentionOr(by, "warroom"))}
			if err := b.post(tx, inc, msg); err != nil {
				return err
			}
		}
		return b.scheduleSync(tx, inc)
	})
	if err != nil {
		return nil, fmt.Errorf("change incident %d: %w", id, err)
	}

	b.Wake()
	return inc, nil
}

// shownInChannel are the changes the bot also says in the incident
// channel; status updates, resolution and reopening have messages of their
// own.
var shownInChannel = map[EventKind]bool{
	EventAcknowledged: true,
	EventCommander:    true,
	EventRole:         true,
	EventSeverity:     true,
}

func (b *Bot) addEvent(tx Tx, inc *Incident, actor string, kind EventKind, text string) error {
	return tx.AddEvent(&Event{
		IncidentID: inc.ID,
		At:         b.clock.Now(),
		Actor:      actor,
		Kind:       kind,
		Text:       text,
	})
}

func mustBeOpen(inc *Incident) error {
	if !inc.Open() {
		return Conflictf("Reopen it first with `/incident reopen`.",
			"%s is resolved.", inc.Ref())
	}
	return nil
}

// mayLead checks that user is the incident's commander or an admin.
func (b *Bot) mayLead(inc *Incident, user, what string) error {
	if user == inc.Commander || b.policy.IsAdmin(user) {
		return nil
	}
	who := "the incident commander"
	if inc.Commander != "" {
		who = fmt.Sprintf("the incident commander (<@%s>)", inc.Commander)
	}
	if len(b.policy.Admins) > 0 {
		who += " or an incident admin (" + mentions(b.policy.Admins) + ")"
	}
	return Forbiddenf("Ask "+who+" to do it.", "Only %s may %s.", who, what)
}

// Acknowledge records that a responder has seen the incident. The first
// acknowledgement sets the time to acknowledge; later ones change nothing.
func (b *Bot) Acknowledge(ctx context.Context, id int64, by string) (*Incident, bool, error) {
	first := false
	inc, err := b.change(ctx, id, by, func(tx Tx, inc *Incident) (EventKind, string, error) {
		if err := mustBeOpen(inc); err != nil {
			return "", "", err
		}
		if !inc.AcknowledgedAt.IsZero() {
			return "", "", errAlready
		}
		first = true
		inc.AcknowledgedAt = b.clock.Now()
		inc.AcknowledgedBy = by
		b.tick(inc, AutoAcknowledged, by)
		return EventAcknowledged, fmt.Sprintf("Acknowledged after %s",
			FormatDuration(inc.TimeToAcknowledge())), nil
	})
	if errors.Is(err, errAlready) {
		inc, err = b.Incident(ctx, id)
		return inc, false, err
	}
	return inc, first, err
}

// errAlready stops a change that has already happened.
var errAlready = errors.New("already done")

// SetCommander hands command of the incident to user.
func (b *Bot) SetCommander(ctx context.Context, id int64, by, user string) (*Incident, error) {
	return b.change(ctx, id, by, func(tx Tx, inc *Incident) (EventKind, string, error) {
		if err := mustBeOpen(inc); err != nil {
			return "", "", err
		}
		if inc.Commander == user {
			return "", "", Conflictf("", "<@%s> is already the incident commander.", user)
		}
		prev := inc.Commander
		inc.Commander = user
		b.tick(inc, AutoCommander, by)
		if err := b.invite(tx, inc, user); err != nil {
			return "", "", err
		}
		text := fmt.Sprintf("<@%s> is now the incident commander", user)
		if prev != "" {
			text += fmt.Sprintf(" (was <@%s>)", prev)
		}
		return EventCommander, text, nil
	})
}

// AssignRole gives role to user.
func (b *Bot) AssignRole(ctx context.Context, id int64, by string, role Role,
	user string) (*Incident, error) {

	return b.change(ctx, id, by, func(tx Tx, inc *Incident) (EventKind, string, error) {
		if err := mustBeOpen(inc); err != nil {
			return "", "", err
		}
		if inc.Roles == nil {
			inc.Roles = map[Role]string{}
		}
		inc.Roles[role] = user
		if err := b.invite(tx, inc, user); err != nil {
			return "", "", err
		}
		return EventRole, fmt.Sprintf("<@%s> is now %s", user, role), nil
	})
}

// SetSeverity changes the severity; only the commander or an admin may.
func (b *Bot) SetSeverity(ctx context.Context, id int64, by, severity,
	reason string) (*Incident, error) {

	sev, ok := b.policy.Severity(severity)
	if !ok {
		return nil, Invalidf("Valid severities: "+strings.Join(b.policy.SeverityNames(), ", ")+".",
			"Unknown severity %q.", severity)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, Invalidf("Say why: `/incident severity "+sev.Name+" &lt;reason&gt;`.",
			"A severity change needs a reason.")
	}

	return b.change(ctx, id, by, func(tx Tx, inc *Incident) (EventKind, string, error) {
		if err := mustBeOpen(inc); err != nil {
			return "", "", err
		}
		if err := b.mayLead(inc, by, "change the severity"); err != nil {
			return "", "", err
		}
		if inc.Severity == sev.Name {
			return "", "", Conflictf("", "%s is already %s.", inc.Ref(), sev.Name)
		}
		text := fmt.Sprintf("Severity %s → %s: %s", inc.Severity, sev.Name, reason)
		inc.Severity = sev.Name
		b.tick(inc, AutoTriaged, by)
		b.announce(tx, inc, fmt.Sprintf(
			":rotating_light: %s severity changed to *%s %s* by <@%s>: %s",
			inc.Ref(), sev.Name, sev.Label, by, reason))
		return EventSeverity, text, b.scheduleReminder(tx, inc)
	})
}

// SetStatus moves the incident to an open status and posts text as the
// status update.
func (b *Bot) SetStatus(ctx context.Context, id int64, by string, status Status,
	text string) (*Incident, error) {

	text = strings.TrimSpace(text)
	if text == "" {
		return nil, Invalidf(
			"Say what changed: `/incident status "+string(status)+" &lt;text&gt;`.",
			"A status change needs a line of text for the update.")
	}
	return b.change(ctx, id, by, func(tx Tx, inc *Incident) (EventKind, string, error) {
		if err := mustBeOpen(inc); err != nil {
			return "", "", err
		}
		prev := inc.Status
		inc.Status = status
		if status == StatusIdentified || status == StatusMonitoring {
			b.tick(inc, AutoTriaged, by)
		}
		if status == StatusMonitoring {
			b.tick(inc, AutoMitigated, by)
		}
		if err := b.statusUpdate(tx, inc, by, text); err != nil {
			return "", "", err
		}
		return EventStatus, fmt.Sprintf("Status %s → %s: %s", prev, status, text), nil
	})
}

// PostUpdate posts a status update in the channel and the announcement
// thread, and restarts the reminder clock.
func (b *Bot) PostUpdate(ctx context.Context, id int64, by, text string) (*Incident, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, Invalidf("Write the update after the command: `/incident update &lt;text&gt;`.",
			"The update is empty.")
	}
	return b.change(ctx, id, by, func(tx Tx, inc *Incident) (EventKind, string, error) {
		if err := mustBeOpen(inc); err != nil {
			return "", "", err
		}
		return EventUpdate, text, b.statusUpdate(tx, inc, by, text)
	})
}

func (b *Bot) statusUpdate(tx Tx, inc *Incident, by, text string) error {
	inc.LastUpdateAt = b.clock.Now()
	b.tick(inc, AutoStatusUpdate, by)
	msg := updateMessage(inc, by, text)
	if err := b.post(tx, inc, msg); err != nil {
		return err
	}
	if err := b.postAnnouncement(tx, inc, msg); err != nil {
		return err
	}
	return b.scheduleReminder(tx, inc)
}

// AddNote puts a note on the timeline without posting anything.
func (b *Bot) AddNote(ctx context.Context, id int64, by, text string) (*Incident, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, Invalidf("Write the note after the command: `/incident note &lt;text&gt;`.",
			"The note is empty.")
	}
	return b.change(ctx, id, by, func(tx Tx, inc *Incident) (EventKind, string, error) {
		return EventNote, text, nil
	})
}

// TickStep marks step i of the checklist done by user. Ticking a step
// already done changes nothing and reports false.
func (b *Bot) TickStep(ctx context.Context, id int64, by string, i int) (*Incident, bool, error) {
	inc, err := b.change(ctx, id, by, func(tx Tx, inc *Incident) (EventKind, string, error) {
		if i < 0 || i >= len(inc.Checklist) {
			return "", "", Invalidf("`/incident checklist` shows the steps.",
				"There is no step %d on the checklist.", i+1)
		}
		if inc.Checklist[i].Done() {
			return "", "", errAlready
		}
		inc.Checklist[i].DoneBy = by
		inc.Checklist[i].DoneAt = b.clock.Now()
		return EventChecklist, fmt.Sprintf("Checklist step %d done: %s", i+1,
			inc.Checklist[i].Step), nil
	})
	if errors.Is(err, errAlready) {
		inc, err = b.Incident(ctx, id)
		return inc, false, err
	}
	return inc, err == nil, err
}

// tick marks done the checklist steps that the bot ticks by itself on the
// event auto, unless they are done already.
func (b *Bot) tick(inc *Incident, auto, by string) {
	for i := range inc.Checklist {
		item := &inc.Checklist[i]
		if item.Auto == auto && !item.Done() {
			item.DoneBy = by
			item.DoneAt = b.clock.Now()
		}
	}
}

// Resolve closes the incident: it records the times to acknowledge and to
// resolve, posts the summary and sets the post-mortem due date.
func (b *Bot) Resolve(ctx context.Context, id int64, by, summary string) (*Incident, error) {
	summary = strings.TrimSpace(summary)
	return b.change(ctx, id, by, func(tx Tx, inc *Incident) (EventKind, string, error) {
		if err := mustBeOpen(inc); err != nil {
			return "", "", Conflictf("", "%s is already resolved.", inc.Ref())
		}
		if err := b.mayLead(inc, by, "resolve the incident"); err != nil {
			return "", "", err
		}

		now := b.clock.Now()
		if inc.AcknowledgedAt.IsZero() {
			inc.AcknowledgedAt = now
			inc.AcknowledgedBy = by
		}
		inc.Status = StatusResolved
		inc.ResolvedAt = now
		inc.ResolvedBy = by
		inc.Resolution = summary
		inc.PostmortemDue = now.Add(b.policy.PostmortemDue)
		for _, auto := range []string{AutoMitigated, AutoMonitored, AutoResolved} {
			b.tick(inc, auto, by)
		}

		if err := b.resolvePages(tx, inc); err != nil {
			return "", "", err
		}
		if err := b.schedulePostmortemReminders(tx, inc); err != nil {
			return "", "", err
		}
		msg := resolvedMessage(b, inc)
		if err := b.post(tx, inc, msg); err != nil {
			return "", "", err
		}
		if err := b.postAnnouncement(tx, inc, msg); err != nil {
			return "", "", err
		}
		text := fmt.Sprintf("Resolved after %s (acknowledged after %s)",
			FormatDuration(inc.TimeToResolve()), FormatDuration(inc.TimeToAcknowledge()))
		if summary != "" {
			text += ": " + summary
		}
		return EventResolved, text, nil
	})
}

// resolvePages closes the pages of a resolved incident, so nobody is paged
// or escalated to for it any more.
func (b *Bot) resolvePages(tx Tx, inc *Incident) error {
	pages, err := tx.PagesOfIncident(inc.ID)
	if err != nil {
		return err
	}
	for _, p := range pages {
		if p.Status == PageResolved {
			continue
		}
		p.Status = PageResolved
		if err := tx.UpdatePage(p); err != nil {
			return err
		}
		if err := b.schedulePage(tx, p, jobPageSync, ""); err != nil {
			return err
		}
		if p.ViaPager && !p.FellBack {
			if err := b.schedulePage(tx, p, jobPagerResolve, ""); err != nil {
				return err
			}
		}
	}
	return nil
}

// Reopen opens a resolved incident again.
func (b *Bot) Reopen(ctx context.Context, id int64, by, reason string) (*Incident, error) {
	reason = strings.TrimSpace(reason)
	return b.change(ctx, id, by, func(tx Tx, inc *Incident) (EventKind, string, error) {
		if inc.Open() {
			return "", "", Conflictf("", "%s is still open.", inc.Ref())
		}
		if err := b.mayLead(inc, by, "reopen the incident"); err != nil {
			return "", "", err
		}

		inc.Status = StatusInvestigating
		inc.ResolvedAt = time.Time{}
		inc.ResolvedBy = ""
		inc.PostmortemDue = time.Time{}
		inc.LastUpdateAt = b.clock.Now()

		text := "Reopened"
		if reason != "" {
			text += ": " + reason
		}
		msg := Message{Text: fmt.Sprintf(":warning: <@%s> reopened %s. %s", by, inc.Ref(), reason)}
		if err := b.post(tx, inc, msg); err != nil {
			return "", "", err
		}
		if err := b.postAnnouncement(tx, inc, msg); err != nil {
			return "", "", err
		}
		return EventReopened, text, b.scheduleReminder(tx, inc)
	})
}

// invite schedules an invitation of user to the incident's channel.
func (b *Bot) invite(tx Tx, inc *Incident, user string) error {
	return b.schedule(tx, inc, jobInvite, "", inviteJob{Users: []string{user}})
}

func mentions(users []string) string {
	parts := make([]string, len(users))
	for i, u := range users {
		parts[i] = "<@" + u + ">"
	}
	return strings.Join(parts, ", ")
}
