package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// The jobs of a page.
const (
	jobPageSend     JobKind = "page.send"
	jobPageSync     JobKind = "page.sync"
	jobPageNote     JobKind = "page.note"
	jobPagerAck     JobKind = "page.pager_ack"
	jobPageEscalate JobKind = "page.escalate"
	jobPagerResolve JobKind = "page.pager_resolve"
)

// pageJob names the page a job is about, and a note to post for
// jobPageNote.
type pageJob struct {
	Page int64  `json:"page"`
	Text string `json:"text,omitempty"`
}

// pageNote is the payload of a note about a page.
type pageNote struct{ Text string }

// pageLane keeps a page's jobs in order, behind its incident's when it has
// one, so they run once the incident channel exists.
func pageLane(p *Page) string {
	if p.IncidentID != 0 {
		return "incident:" + strconv.FormatInt(p.IncidentID, 10)
	}
	return "page:" + strconv.FormatInt(p.ID, 10)
}

// schedulePage owes a job of kind for page, due now.
func (b *Bot) schedulePage(tx Tx, p *Page, kind JobKind, key string, note ...pageNote) error {
	payload := pageJob{Page: p.ID}
	if len(note) > 0 {
		payload.Text = note[0].Text
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s job: %w", kind, err)
	}
	now := b.clock.Now()
	return tx.Schedule(&Job{Kind: kind, IncidentID: p.IncidentID, Key: key, Lane: pageLane(p),
		DueAt: now, Payload: body, CreatedAt: now})
}

// scheduleEscalation sets when the page escalates unless acknowledged.
func (b *Bot) scheduleEscalation(tx Tx, p *Page, after time.Duration) error {
	body, err := json.Marshal(pageJob{Page: p.ID})
	if err != nil {
		return fmt.Errorf("encode escalation: %w", err)
	}
	now := b.clock.Now()
	return tx.Schedule(&Job{Kind: jobPageEscalate, IncidentID: p.IncidentID,
		Key: "page-escalate:" + strconv.FormatInt(p.ID, 10), DueAt: now.Add(after),
		Payload: body, CreatedAt: now})
}

// handlePage runs a page's job.
func (b *Bot) handlePage(ctx context.Context, job Job) error {
	var p pageJob
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return Permanent(fmt.Errorf("decode %s job: %w", job.Kind, err))
	}

	if job.Kind == jobPageEscalate {
		return b.store.Update(ctx, func(tx Tx) error {
			page, err := tx.Page(p.Page)
			if err != nil || page.Acknowledged() || page.Status == PageResolved {
				return err
			}
			if err := tx.FinishJob(job.ID, b.clock.Now()); err != nil {
				return err
			}
			return b.escalate(tx, page, "")
		})
	}

	var page *Page
	err := b.store.View(ctx, func(tx Tx) error {
		var err error
		page, err = tx.Page(p.Page)
		if err == nil && page.IncidentID != 0 {
			var inc *Incident
			if inc, err = tx.Incident(page.IncidentID); err == nil {
				page.ChannelID = inc.ChannelID
			}
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("load page %d: %w", p.Page, err)
	}

	switch job.Kind {
	case jobPageSend:
		return b.sendPage(ctx, page, job)
	case jobPageSync:
		return b.syncPage(ctx, page)
	case jobPageNote:
		if page.ChannelID == "" {
			return nil
		}
		_, err := b.chat.Post(ctx, page.ChannelID, Message{Text: p.Text})
		return err
	case jobPagerAck:
		return b.pager.Acknowledge(ctx, page.DedupKey)
	case jobPagerResolve:
		return b.pager.Resolve(ctx, page.DedupKey)
	}
	return Permanent(fmt.Errorf("unknown page job %q", job.Kind))
}

// sendPage delivers a page at its current level: through the paging
// service while it works, through chat when there is none or it has
// failed for longer than the policy allows. Either way the page's message
// in its channel shows who is paged.
func (b *Bot) sendPage(ctx context.Context, page *Page, job Job) error {
	if page.Acknowledged() || page.Status == PageResolved {
		return nil
	}

	if page.ViaPager && !page.FellBack {
		err := b.pagerSend(ctx, page)
		if err == nil {
			if err := b.showPage(ctx, page); err != nil {
				return err
			}
			return b.inviteToIncident(ctx, page)
		}
		waited := b.clock.Now().Sub(page.CreatedAt)
		if waited < b.policy.OnCall.FallbackAfter && !IsPermanent(err) {
			if job.Attempts == 0 {
				b.notePage(ctx, page, fmt.Sprintf(":hourglass: %s is pending: the paging service "+
					"did not take it (%s). Retrying; after %s it goes out through Slack.",
					page.Ref(), plainError(err), FormatDuration(b.policy.OnCall.FallbackAfter)))
			}
			return err
		}
		if err := b.fallBack(ctx, page, err); err != nil {
			return err
		}
	}

	// A channel the bot cannot post in (a direct message between two
	// people, say) must not keep the page from the people it is for.
	if err := b.showPage(ctx, page); IsPermanent(err) {
		b.log.WithError(err).WithField("page", page.ID).
			Warn("cannot show the page in its channel; paging by direct message only")
		page.ChannelID = ""
	} else if err != nil {
		return err
	}
	if err := b.inviteToIncident(ctx, page); err != nil {
		return err
	}
	for _, user := range b.pagedUsers(page) {
		msg := pageMessage(b, page, true)
		if err := b.chat.Notify(ctx, Recipient{UserID: user}, msg); err != nil {
			return fmt.Errorf("direct message %s of %s: %w", user, page.Ref(), err)
		}
	}
	return nil
}

// inviteToIncident brings the people paged for an incident into its
// channel.
func (b *Bot) inviteToIncident(ctx context.Context, page *Page) error {
	if page.IncidentID == 0 || page.ChannelID == "" {
		return nil
	}
	var users []string
	for _, u := range b.pagedUsers(page) {
		if isUserID(u) {
			users = append(users, u)
		}
	}
	if len(users) == 0 {
		return nil
	}
	if err := b.chat.Invite(ctx, page.ChannelID, users); err != nil {
		return fmt.Errorf("invite the people paged by %s: %w", page.Ref(), err)
	}
	return nil
}

// pagedUsers are the people paged now: the current level's, or everyone
// on the chain once the last level did not answer either.
func (b *Bot) pagedUsers(page *Page) []string {
	if page.Repages == 0 {
		return page.Current().Users
	}
	var all []string
	for _, l := range page.Chain {
		for _, u := range l.Users {
			if !containsFold(all, u) {
				all = append(all, u)
			}
		}
	}
	return all
}

// pagerSend hands the page to the paging service: a trigger at the first
// level, an escalation after.
func (b *Bot) pagerSend(ctx context.Context, page *Page) error {
	if page.Level == 0 && page.Repages == 0 {
		link, _ := b.chat.Permalink(ctx, page.ChannelID, "")
		return b.pager.Trigger(ctx, PageTrigger{
			DedupKey: page.DedupKey,
			Summary:  page.Message,
			Severity: pagerSeverity(page.Severity, &b.policy),
			Source:   "warroom",
			Link:     link,
			Details: map[string]string{"page": page.Ref(), "severity": page.Severity,
				"paged_by": page.By},
		})
	}
	err := b.pager.Escalate(ctx, page.DedupKey, min(page.Level+1, len(page.Chain)), b.pagerFrom)
	if errors.Is(err, ErrNotFound) {
		// The service makes incidents from events a little later: an
		// escalation right after the trigger may not find it yet.
		return fmt.Errorf("the paging service has no open incident for %s yet", page.Ref())
	}
	return err
}

// pagerSeverity maps an incident severity to the paging service's scale:
// the two most severe are critical and error, the rest warning.
func pagerSeverity(sev string, p *Policy) string {
	for i, s := range p.Severities {
		if s.Name == sev {
			switch i {
			case 0:
				return "critical"
			case 1:
				return "error"
			}
		}
	}
	return "warning"
}

// fallBack records that the paging service failed for too long, so chat
// carries the page from now on.
func (b *Bot) fallBack(ctx context.Context, page *Page, cause error) error {
	err := b.store.Update(ctx, func(tx Tx) error {
		fresh, err := tx.Page(page.ID)
		if err != nil {
			return err
		}
		fresh.FellBack = true
		if err := tx.UpdatePage(fresh); err != nil {
			return err
		}
		if fresh.IncidentID == 0 {
			return nil
		}
		inc, err := tx.Incident(fresh.IncidentID)
		if err != nil {
			return err
		}
		return b.addEvent(tx, inc, "", EventPageFallback, fmt.Sprintf(
			"%s sent through Slack: the paging service failed (%s)", page.Ref(),
			plainError(cause)))
	})
	if err != nil {
		return fmt.Errorf("record fallback of %s: %w", page.Ref(), err)
	}
	page.FellBack = true
	b.notePage(ctx, page, fmt.Sprintf(":warning: The paging service failed for %s (%s): "+
		"%s goes out as Slack direct messages instead.",
		FormatDuration(b.clock.Now().Sub(page.CreatedAt)), plainError(cause), page.Ref()))
	return nil
}

// notePage posts a line about the page in its channel, best effort: the
// page itself matters more than the note.
func (b *Bot) notePage(ctx context.Context, page *Page, text string) {
	if page.ChannelID == "" {
		return
	}
	if _, err := b.chat.Post(ctx, page.ChannelID, Message{Text: text}); err != nil {
		b.log.WithError(err).WithField("page", page.ID).Warn("post a note about a page")
	}
}

// showPage posts the page's message in its channel, or edits it to show
// the current level.
func (b *Bot) showPage(ctx context.Context, page *Page) error {
	if page.ChannelID == "" {
		return nil
	}
	if page.MessageTS != "" {
		return b.chat.Update(ctx, page.ChannelID, page.MessageTS, pageMessage(b, page, false))
	}

	ts, err := b.chat.Post(ctx, page.ChannelID, pageMessage(b, page, false))
	if err != nil {
		return fmt.Errorf("post %s: %w", page.Ref(), err)
	}
	return b.store.Update(ctx, func(tx Tx) error {
		fresh, err := tx.Page(page.ID)
		if err != nil {
			return err
		}
		fresh.MessageTS = ts
		page.MessageTS = ts
		return tx.UpdatePage(fresh)
	})
}

// syncPage edits the page's message after an acknowledgement.
func (b *Bot) syncPage(ctx context.Context, page *Page) error {
	if page.ChannelID == "" || page.MessageTS == "" {
		return nil
	}
	return b.chat.Update(ctx, page.ChannelID, page.MessageTS, pageMessage(b, page, false))
}

// pageMessage shows a page: who is paged for what, and its buttons while
// nobody has answered. direct is the copy sent to the people paged.
func pageMessage(b *Bot, page *Page, direct bool) Message {
	id := strconv.FormatInt(page.ID, 10)
	head := fmt.Sprintf(":pager: *%s* %s from %s: %s", page.Ref(), page.Severity,
		mentionOr(page.By, "warroom"), page.Message)
	if direct && page.ChannelID != "" {
		head += fmt.Sprintf(" (in <#%s>)", page.ChannelID)
	}

	var state string
	switch {
	case page.Acknowledged():
		state = fmt.Sprintf(":white_check_mark: Acknowledged by %s after %s",
			mentionOr(page.AcknowledgedBy, "someone"),
			FormatDuration(page.AcknowledgedAt.Sub(page.CreatedAt)))
	case page.Status == PageResolved:
		state = "Resolved"
	default:
		state = fmt.Sprintf("Paging %s (%s) · not acknowledged · escalates at %s",
			mentions(b.pagedUsers(page)), page.Current().Name,
			b.FormatTime(page.EscalatedAt.Add(b.responseTime(page))))
		if page.Repages > 0 {
			state = fmt.Sprintf("Paging everyone (round %d) · not acknowledged",
				page.Repages)
		}
		if page.ViaPager && !page.FellBack {
			state += " · through PagerDuty"
		}
	}

	blocks := []Block{{Kind: BlockSection, Text: head}, {Kind: BlockContext, Text: state}}
	if !page.Acknowledged() && page.Status != PageResolved {
		blocks = append(blocks, Block{Kind: BlockActions, ID: "page-" + id, Buttons: []Button{
			{Label: "Acknowledge", Action: ActionPageAcknowledge, Value: id, Style: StylePrimary},
			{Label: "Escalate", Action: ActionPageEscalate, Value: id, Style: StyleDanger},
		}})
	}
	return Message{Text: head + " · " + state, Blocks: blocks}
}

// errNoPager is returned when a job needs the paging service and none is
// configured.
var errNoPager = errors.New("no paging service is configured")
