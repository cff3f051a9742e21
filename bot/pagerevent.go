package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// The actions of the buttons on an alert the paging service raised that
// the bot did not start. Their value is the paging service's incident key.
const (
	ActionPagerAcknowledge = "pager.acknowledge"
	ActionPagerDeclare     = "pager.declare"
)

// HandlePagerEvent applies what the paging service's webhook reported to
// the page it concerns: an acknowledgement there acknowledges the page
// here; a resolution closes it. An incident the bot did not start is
// posted in the alerts channel. It only stores and schedules: the paging
// service wants an answer within seconds.
func (b *Bot) HandlePagerEvent(ctx context.Context, ev PagerEvent) error {
	err := b.store.Update(ctx, func(tx Tx) error {
		page, err := tx.PageByDedupKey(ev.IncidentKey)
		if errors.Is(err, ErrNotFound) || ev.IncidentKey == "" {
			return b.foreignPagerEvent(tx, ev)
		}
		if err != nil {
			return err
		}
		return b.pagerEventOnPage(tx, page, ev)
	})
	if err != nil {
		return fmt.Errorf("apply %s of %s: %w", ev.Type, ev.IncidentID, err)
	}
	b.Wake()
	return nil
}

func (b *Bot) pagerEventOnPage(tx Tx, page *Page, ev PagerEvent) error {
	agent := b.pagerPerson(ev.AgentID, ev.AgentEmail)
	who := ev.Agent
	if agent != "" {
		who = "<@" + agent + ">"
	}
	var note string
	switch ev.Type {
	case PagerAcknowledged:
		if page.Acknowledged() || page.Status == PageResolved {
			return nil
		}
		page.Status = PageAcknowledged
		page.AcknowledgedAt = b.clock.Now()
		page.AcknowledgedBy = agent
		if err := b.pageAcknowledgedOnIncident(tx, page, page.AcknowledgedBy,
			page.AcknowledgedAt); err != nil {
			return err
		}
		note = fmt.Sprintf(":white_check_mark: %s acknowledged in PagerDuty by %s", page.Ref(),
			orText(who, "someone"))
	case PagerResolved:
		if page.Status == PageResolved {
			return nil
		}
		page.Status = PageResolved
		note = fmt.Sprintf(":white_check_mark: %s resolved in PagerDuty by %s", page.Ref(),
			orText(who, "someone"))
	case PagerEscalated, PagerReassigned:
		note = fmt.Sprintf(":arrow_up: %s %s in PagerDuty: now with %s", page.Ref(),
			strings.TrimPrefix(ev.Type, "incident."), orText(strings.Join(ev.Assignees, ", "),
				"nobody"))
	default:
		return nil
	}

	if err := tx.UpdatePage(page); err != nil {
		return err
	}
	if page.IncidentID != 0 {
		inc, err := tx.Incident(page.IncidentID)
		if err != nil {
			return err
		}
		if err := b.addEvent(tx, inc, page.AcknowledgedBy, EventPagerUpdate, note); err != nil {
			return err
		}
	}
	if err := b.schedulePage(tx, page, jobPageSync, ""); err != nil {
		return err
	}
	return b.schedulePage(tx, page, jobPageNote, "", pageNote{Text: note})
}

// foreignPagerEvent posts a newly triggered paging-service incident that
// the bot did not start in the alerts channel, with buttons to acknowledge
// it and to declare an incident for it.
func (b *Bot) foreignPagerEvent(tx Tx, ev PagerEvent) error {
	channel := b.policy.OnCall.AlertsChannel
	if ev.Type != PagerTriggered || channel == "" || ev.IncidentKey == "" {
		return nil
	}
	text := fmt.Sprintf(":rotating_light: PagerDuty: *%s* (%s)", ev.Title,
		orText(ev.Urgency, "urgency unknown"))
	if ev.URL != "" {
		text += fmt.Sprintf(" <%s|open in PagerDuty>", ev.URL)
	}
	if len(ev.Assignees) > 0 {
		text += "\nAssigned to " + strings.Join(ev.Assignees, ", ")
	}
	msg := Message{Text: text, Blocks: []Block{
		{Kind: BlockSection, Text: text},
		{Kind: BlockActions, ID: "pager-" + ev.IncidentID, Buttons: []Button{
			{Label: "Acknowledge", Action: ActionPagerAcknowledge, Value: ev.IncidentKey,
				Style: StylePrimary},
			{Label: "Declare incident", Action: ActionPagerDeclare,
				Value: ev.IncidentKey + "|" + truncateRunes(ev.Title, 120)},
		}},
	}}
	return b.postTo(tx, channel, msg)
}

// AcknowledgePagerIncident acknowledges, at the paging service, an alert
// the bot did not start.
func (b *Bot) AcknowledgePagerIncident(ctx context.Context, key, by string) error {
	if b.pager == nil {
		return Conflictf("", "No paging service is configured.")
	}
	if err := b.pager.Acknowledge(ctx, key); err != nil {
		return fmt.Errorf("acknowledge %s: %w", key, err)
	}
	b.log.WithFields(map[string]any{"action": "pager.acknowledge", "userId": by,
		"incidentKey": key}).Info("acknowledged a PagerDuty incident")
	return nil
}

// pagerPerson maps the paging service's user, by id or email, to a chat
// user id, or returns "".
func (b *Bot) pagerPerson(id, email string) string {
	if u, ok := b.policy.PagerUsers[id]; ok && id != "" {
		return u
	}
	if u, ok := b.policy.PagerUsers[strings.ToLower(email)]; ok && email != "" {
		return u
	}
	return ""
}

func orText(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
