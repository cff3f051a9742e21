package bot

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Handoff posts the weekly on-call handoff in the policy's handoff
// channel: who is on call now and next on every schedule, the past week's
// pages with their times to acknowledge, and the incidents still open. It
// is owed as a job, so a Slack failure is retried like any post.
func (b *Bot) Handoff(ctx context.Context) error {
	channel := b.policy.OnCall.HandoffChannel
	if channel == "" {
		return nil
	}
	msg, err := b.handoffMessage(ctx)
	if err != nil {
		return err
	}

	err = b.store.Update(ctx, func(tx Tx) error {
		return b.postTo(tx, channel, msg)
	})
	if err != nil {
		return fmt.Errorf("schedule the handoff post: %w", err)
	}
	b.Wake()
	return nil
}

func (b *Bot) handoffMessage(ctx context.Context) (Message, error) {
	now := b.clock.Now()
	var rotas []string
	for _, s := range b.policy.OnCall.Schedules {
		r, err := b.rota(ctx, s)
		if err != nil {
			rotas = append(rotas, fmt.Sprintf("*%s*: unknown (%s)", s.Name, plainError(err)))
			continue
		}
		line := fmt.Sprintf("*%s*: %s primary, %s secondary", s.Name,
			mentionOr(r.Primary, "nobody"), mentionOr(r.Secondary, "nobody"))
		if r.NextPrimary != "" {
			line += fmt.Sprintf("; next %s and %s from %s", mentionOr(r.NextPrimary, "nobody"),
				mentionOr(r.NextSecondary, "nobody"), b.FormatTime(r.Until))
		}
		rotas = append(rotas, line)
	}

	var (
		pages []*Page
		open  []*Incident
	)
	err := b.store.View(ctx, func(tx Tx) error {
		var err error
		if pages, err = tx.PagesSince(now.Add(-7 * 24 * time.Hour)); err != nil {
			return err
		}
		open, err = tx.OpenIncidents()
		return err
	})
	if err != nil {
		return Message{}, fmt.Errorf("load the past week: %w", err)
	}

	var pageLines []string
	for _, p := range pages {
		answer := "*not acknowledged*"
		if p.Acknowledged() {
			answer = fmt.Sprintf("acknowledged by %s after %s", mentionOr(p.AcknowledgedBy,
				"someone"), FormatDuration(p.AcknowledgedAt.Sub(p.CreatedAt)))
		}
		pageLines = append(pageLines, fmt.Sprintf("%s %s %s: %s — %s", b.FormatTime(p.CreatedAt),
			p.Ref(), p.Severity, p.Message, answer))
	}
	var openLines []string
	for _, inc := range open {
		openLines = append(openLines, fmt.Sprintf("%s %s %s: %s (commander %s)", inc.Ref(),
			inc.Severity, inc.Status, inc.Title, mentionOr(inc.Commander, "nobody")))
	}

	blocks := []Block{
		{Kind: BlockHeader, Text: "On-call handoff"},
		{Kind: BlockSection, Text: orNone(rotas, "No on-call schedule is configured.")},
		{Kind: BlockSection, Text: fmt.Sprintf("*Pages in the past week (%d)*\n", len(pages)) +
			orNone(pageLines, "None.")},
		{Kind: BlockSection, Text: fmt.Sprintf("*Incidents still open (%d)*\n", len(open)) +
			orNone(openLines, "None.")},
	}
	return Message{Text: "On-call handoff", Blocks: blocks}, nil
}

func orNone(lines []string, none string) string {
	if len(lines) == 0 {
		return none
	}
	text := strings.Join(lines, "\n")
	if len(text) > 2900 {
		text = text[:2890] + "\n…"
	}
	return text
}
