package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The jobs of alert groups.
const (
	jobAlertGroup   JobKind = "alert.group"
	jobAlertStorm   JobKind = "alert.storm"
	jobAlertSilence JobKind = "alert.silence"
)

// The actions of an alert group's buttons; their value is the group id,
// and the runbook button's the runbook's name.
const (
	ActionAlertDeclare = "alert.declare"
	ActionAlertSilence = "alert.silence"
	ActionAlertRunbook = "alert.runbook"
)

type alertJob struct {
	Group   int64  `json:"group,omitempty"`
	Channel string `json:"channel,omitempty"`
	By      string `json:"by,omitempty"`
}

// channelLane keeps the messages of one channel in order and paced.
func channelLane(channel string) string { return "channel:" + channel }

// scheduleGroup owes the post or edit of a group's message.
func (b *Bot) scheduleGroup(tx Tx, g *AlertGroup) error {
	if g.Channel == "" {
		return nil
	}
	body, err := json.Marshal(alertJob{Group: g.ID})
	if err != nil {
		return fmt.Errorf("encode alert job: %w", err)
	}
	now := b.clock.Now()
	return tx.Schedule(&Job{Kind: jobAlertGroup, Key: "alert-group:" + strconv.FormatInt(g.ID, 10),
		Lane: channelLane(g.Channel), DueAt: now, Payload: body, CreatedAt: now})
}

// scheduleStorm owes the post or edit of a channel's storm summary.
func (b *Bot) scheduleStorm(tx Tx, channel string) error {
	body, err := json.Marshal(alertJob{Channel: channel})
	if err != nil {
		return fmt.Errorf("encode storm job: %w", err)
	}
	now := b.clock.Now()
	return tx.Schedule(&Job{Kind: jobAlertStorm, Key: "alert-storm:" + channel,
		Lane: channelLane(channel), DueAt: now, Payload: body, CreatedAt: now})
}

// pace holds a post or edit in channel to the policy's pace: it returns a
// *pacedError, which postpones the job, when the channel had a message
// from the bot too recently, and otherwise counts this one. Every message
// the bot posts or edits in a channel outside incidents goes through that
// channel's lane, one job at a time, so the count is exact.
func (b *Bot) pace(channel string) error {
	every := b.policy.Alerts.PostEvery
	if every <= 0 {
		return nil
	}
	b.paceMu.Lock()
	defer b.paceMu.Unlock()

	now := b.clock.Now()
	if next := b.lastPost[channel].Add(every); now.Before(next) {
		return &pacedError{until: next}
	}
	b.lastPost[channel] = now
	return nil
}

// handleAlert runs an alert group's job.
func (b *Bot) handleAlert(ctx context.Context, job Job) error {
	var p alertJob
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return Permanent(fmt.Errorf("decode %s job: %w", job.Kind, err))
	}
	switch job.Kind {
	case jobAlertStorm:
		return b.renderStorm(ctx, p.Channel)
	case jobAlertSilence:
		return b.silence(ctx, p.Group, p.By)
	}
	return b.renderGroup(ctx, job, p.Group)
}

// renderGroup posts or edits a group's message. A new group that finds
// its channel backed up past the storm threshold is folded into the
// channel's summary instead of getting a message of its own.
func (b *Bot) renderGroup(ctx context.Context, job Job, id int64) error {
	var (
		g       *AlertGroup
		alerts  []StoredAlert
		pending int
	)
	err := b.store.View(ctx, func(tx Tx) error {
		var err error
		if g, err = tx.AlertGroup(id); err != nil {
			return err
		}
		if alerts, err = tx.GroupAlerts(id); err != nil {
			return err
		}
		pending, err = tx.PendingInLane(job.Lane)
		return err
	})
	if err != nil {
		return fmt.Errorf("load alert group %d: %w", id, err)
	}

	if g.Folded {
		return b.store.Update(ctx, func(tx Tx) error { return b.scheduleStorm(tx, g.Channel) })
	}
	if g.MessageTS == "" && pending > b.policy.Alerts.StormThreshold {
		return b.store.Update(ctx, func(tx Tx) error {
			fresh, err := tx.AlertGroup(id)
			if err != nil {
				return err
			}
			fresh.Folded = true
			if err := tx.UpdateAlertGroup(fresh); err != nil {
				return err
			}
			return b.scheduleStorm(tx, fresh.Channel)
		})
	}

	if err := b.pace(g.Channel); err != nil {
		return err
	}
	msg := b.groupMessage(g, alerts)
	if g.MessageTS != "" {
		return b.chat.Update(ctx, g.Channel, g.MessageTS, msg)
	}
	ts, err := b.chat.Post(ctx, g.Channel, msg)
	if err != nil {
		return fmt.Errorf("post alert group %d: %w", id, err)
	}
	return b.store.Update(ctx, func(tx Tx) error {
		fresh, err := tx.AlertGroup(id)
		if err != nil {
			return err
		}
		fresh.MessageTS = ts
		return tx.UpdateAlertGroup(fresh)
	})
}

// renderStorm posts or edits a channel's storm summary: every group folded
// into it, counted by alert name, and how many still fire.
func (b *Bot) renderStorm(ctx context.Context, channel string) error {
	var (
		groups []*AlertGroup
		ts     string
	)
	err := b.store.View(ctx, func(tx Tx) error {
		var err error
		if groups, err = tx.FoldedGroups(channel); err != nil {
			return err
		}
		ts, err = tx.StormMessage(channel)
		return err
	})
	if err != nil {
		return fmt.Errorf("load the storm in %s: %w", channel, err)
	}

	if err := b.pace(channel); err != nil {
		return err
	}
	msg, firing := stormMessage(groups)
	if ts != "" {
		err = b.chat.Update(ctx, channel, ts, msg)
	} else if ts, err = b.chat.Post(ctx, channel, msg); err == nil {
		err = b.store.Update(ctx, func(tx Tx) error { return tx.SetStormMessage(channel, ts) })
	}
	if err != nil {
		return fmt.Errorf("show the storm summary in %s: %w", channel, err)
	}

	// Once every folded group has resolved the storm is over: the next
	// one starts a summary of its own.
	if firing == 0 {
		return b.store.Update(ctx, func(tx Tx) error { return tx.EndStorm(channel) })
	}
	return nil
}

// stormMessage summarises the groups of a storm, and counts the firing.
func stormMessage(groups []*AlertGroup) (Message, int) {
	counts := map[string][2]int{}
	firing := 0
	for _, g := range groups {
		c := counts[g.Title()]
		c[0]++
		if g.Status == AlertFiring {
			c[1]++
			firing++
		}
		counts[g.Title()] = c
	}
	titles := make([]string, 0, len(counts))
	for t := range counts {
		titles = append(titles, t)
	}
	sort.Slice(titles, func(i, j int) bool {
		return counts[titles[i]][0] > counts[titles[j]][0] ||
			counts[titles[i]][0] == counts[titles[j]][0] && titles[i] < titles[j]
	})

	var lines []string
	for i, t := range titles {
		if i == 30 {
			lines = append(lines, fmt.Sprintf("… and %d more kinds", len(titles)-30))
			break
		}
		lines = append(lines, fmt.Sprintf("• %s: %d groups, %d firing", t, counts[t][0],
			counts[t][1]))
	}
	head := fmt.Sprintf(":cloud_with_lightning: *Alert storm*: %d groups folded here to stay "+
		"within Slack's limits, %d still firing", len(groups), firing)
	return Message{Text: head, Blocks: []Block{
		{Kind: BlockSection, Text: head},
		{Kind: BlockSection, Text: orNone(lines, "None.")},
		{Kind: BlockContext, Text: "Every alert is stored; new groups get messages of their " +
			"own again once the channel has caught up."},
	}}, firing
}

// groupMessage shows an alert group: what fires, since when, what
// resolved and after how long, with its links and buttons.
func (b *Bot) groupMessage(g *AlertGroup, alerts []StoredAlert) Message {
	id := strconv.FormatInt(g.ID, 10)
	firing := 0
	for _, a := range alerts {
		if a.Status == AlertFiring {
			firing++
		}
	}

	icon := ":large_yellow_circle:"
	switch {
	case g.Status == AlertResolved:
		icon = ":white_check_mark:"
	case strings.EqualFold(g.Severity(), "critical"):
		icon = ":red_circle:"
	case strings.EqualFold(g.Severity(), "info"):
		icon = ":information_source:"
	}
	head := fmt.Sprintf("%s *%s* %s · %d firing, %d resolved", icon, g.Title(),
		orText(g.Severity(), "no severity"), firing, len(alerts)-firing)
	if g.Status == AlertResolved {
		head = fmt.Sprintf("%s *%s* resolved after %s", icon, g.Title(),
			FormatDuration(g.ResolvedAt.Sub(g.FiredAt)))
	}

	blocks := []Block{{Kind: BlockSection, Text: head}}
	if d := g.Annotations["description"]; d != "" {
		blocks = append(blocks, Block{Kind: BlockSection, Text: d})
	}
	blocks = append(blocks, Block{Kind: BlockSection, Text: b.alertLines(alerts, g.Truncated)})

	var context []string
	context = append(context, formatLabels(g.Labelset()))
	if u := g.Annotations["runbook_url"]; u != "" {
		context = append(context, "<"+u+"|runbook>")
	}
	if g.ExternalURL != "" {
		context = append(context, "<"+g.ExternalURL+"|Alertmanager>")
	}
	if g.SilenceID != "" {
		context = append(context, fmt.Sprintf("silenced by %s until %s",
			mentionOr(g.SilencedBy, "someone"), b.FormatTime(g.SilencedUntil)))
	}
	if g.IncidentID != 0 {
		context = append(context, fmt.Sprintf("declared as INC-%d", g.IncidentID))
	}
	blocks = append(blocks, Block{Kind: BlockContext, Text: strings.Join(context, " · ")})

	var buttons []Button
	if g.Status == AlertFiring && g.PageID != 0 {
		pid := strconv.FormatInt(g.PageID, 10)
		buttons = append(buttons,
			Button{Label: "Acknowledge", Action: ActionPageAcknowledge, Value: pid,
				Style: StylePrimary},
			Button{Label: "Escalate", Action: ActionPageEscalate, Value: pid})
	}
	if g.Status == AlertFiring && g.IncidentID == 0 {
		buttons = append(buttons, Button{Label: "Declare incident", Action: ActionAlertDeclare,
			Value: id, Style: StyleDanger})
	}
	if g.Status == AlertFiring && g.SilenceID == "" && b.silencer != nil {
		buttons = append(buttons, Button{Label: "Silence 1h", Action: ActionAlertSilence,
			Value: id})
	}
	if name := g.Common["runbook"]; name != "" {
		buttons = append(buttons, Button{Label: "Runbook", Action: ActionAlertRunbook,
			Value: name})
	}
	if len(buttons) > 0 {
		blocks = append(blocks, Block{Kind: BlockActions, ID: "alert-" + id, Buttons: buttons})
	}
	return Message{Text: head, Blocks: blocks}
}

// alertLines lists a group's alerts, firing first, within the length of
// one section.
func (b *Bot) alertLines(alerts []StoredAlert, truncated int) string {
	sort.SliceStable(alerts, func(i, j int) bool {
		return alerts[i].Status == AlertFiring && alerts[j].Status != AlertFiring
	})
	var sb strings.Builder
	for i, a := range alerts {
		line := fmt.Sprintf("• %s since %s", alertName(a), b.FormatTime(a.StartsAt))
		if a.Status == AlertResolved {
			line = fmt.Sprintf("• ~%s~ resolved after %s", alertName(a),
				FormatDuration(a.EndsAt.Sub(a.StartsAt)))
		}
		if sb.Len()+len(line) > 2800 {
			fmt.Fprintf(&sb, "… and %d more", len(alerts)-i)
			break
		}
		sb.WriteString(line + "\n")
	}
	if truncated > 0 {
		fmt.Fprintf(&sb, "(%d more left out by Alertmanager)", truncated)
	}
	return sb.String()
}

func alertName(a StoredAlert) string {
	name := a.Labels["alertname"]
	var extra []string
	for _, k := range []string{"instance", "component", "service", "job"} {
		if v := a.Labels[k]; v != "" {
			extra = append(extra, v)
		}
	}
	if len(extra) > 0 {
		name += " (" + strings.Join(extra, ", ") + ")"
	}
	return name
}

// StoredAlert is one alert of a group as stored.
type StoredAlert struct {
	Alert
	UpdatedAt time.Time
}

// SilenceGroup silences a firing group at Alertmanager for the policy's
// silence length, as by asked. The silence is made by a job: Alertmanager
// may be slow, Slack is not kept waiting.
func (b *Bot) SilenceGroup(ctx context.Context, id int64, by string) (*AlertGroup, error) {
	if b.silencer == nil {
		return nil, Conflictf("Set alertmanager.url in the config.",
			"warroom does not know where Alertmanager is, so it cannot silence.")
	}
	var g *AlertGroup
	err := b.store.Update(ctx, func(tx Tx) error {
		var err error
		if g, err = tx.AlertGroup(id); err != nil {
			return err
		}
		if g.SilenceID != "" {
			return Conflictf("", "%s is already silenced by %s until %s.", g.Title(),
				mentionOr(g.SilencedBy, "someone"), b.FormatTime(g.SilencedUntil))
		}
		body, err := json.Marshal(alertJob{Group: id, By: by})
		if err != nil {
			return err
		}
		now := b.clock.Now()
		return tx.Schedule(&Job{Kind: jobAlertSilence, Key: "alert-silence:" +
			strconv.FormatInt(id, 10), DueAt: now, Payload: body, CreatedAt: now})
	})
	if errors.Is(err, ErrNotFound) {
		return nil, NotFoundf("", "That alert group is gone.")
	}
	if err != nil {
		return nil, fmt.Errorf("silence alert group %d: %w", id, err)
	}
	b.Wake()
	return g, nil
}

// silence creates the silence at Alertmanager and shows it on the group.
func (b *Bot) silence(ctx context.Context, id int64, by string) error {
	var g *AlertGroup
	err := b.store.View(ctx, func(tx Tx) error {
		var err error
		g, err = tx.AlertGroup(id)
		return err
	})
	if err != nil {
		return fmt.Errorf("load alert group %d: %w", id, err)
	}
	if g.SilenceID != "" {
		return nil
	}

	now := b.clock.Now()
	until := now.Add(b.policy.Alerts.SilenceFor)
	sid, err := b.silencer.Silence(ctx, Silence{Matchers: g.Labelset(), StartsAt: now,
		EndsAt: until, CreatedBy: by, Comment: "Silenced from Slack through warroom: " +
			g.Title()})
	if err != nil {
		return fmt.Errorf("silence %s: %w", g.Title(), err)
	}

	return b.store.Update(ctx, func(tx Tx) error {
		fresh, err := tx.AlertGroup(id)
		if err != nil {
			return err
		}
		fresh.SilenceID, fresh.SilencedBy, fresh.SilencedUntil = sid, by, until
		if err := tx.UpdateAlertGroup(fresh); err != nil {
			return err
		}
		return b.scheduleGroup(tx, fresh)
	})
}

// DeclareFromAlert declares an incident for a firing group: its title,
// the severity its label maps to, the components its labels name, and
// the group on the timeline.
func (b *Bot) DeclareFromAlert(ctx context.Context, id int64, by string,
	replyTo Recipient) (*Incident, error) {

	var g *AlertGroup
	err := b.store.View(ctx, func(tx Tx) error {
		var err error
		g, err = tx.AlertGroup(id)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return nil, NotFoundf("", "That alert group is gone.")
	}
	if err != nil {
		return nil, fmt.Errorf("load alert group %d: %w", id, err)
	}
	if g.IncidentID != 0 {
		return nil, Conflictf("", "It was declared already, as INC-%d.", g.IncidentID)
	}

	sev := b.policy.Alerts.Severities[strings.ToLower(g.Severity())]
	if _, ok := b.policy.Severity(sev); !ok {
		sev = b.policy.DefaultSeverityName()
	}
	var comps []string
	for _, l := range b.policy.Alerts.ComponentLabels {
		if c, ok := b.policy.Component(g.Common[l]); ok && !containsFold(comps, c.ID) {
			comps = append(comps, c.ID)
		}
	}
	pagerKey := ""
	if g.PageID != 0 {
		pagerKey = alertDedupKey(g)
	}

	inc, _, err := b.Declare(ctx, Declaration{Title: truncateRunes(g.Title(), MaxTitleLen),
		Summary: g.Annotations["description"], Severity: sev, Components: comps, By: by,
		ReplyTo: replyTo, PagerKey: pagerKey})
	if err != nil {
		return nil, err
	}

	err = b.store.Update(ctx, func(tx Tx) error {
		fresh, err := tx.AlertGroup(id)
		if err != nil {
			return err
		}
		fresh.IncidentID = inc.ID
		if err := tx.UpdateAlertGroup(fresh); err != nil {
			return err
		}
		text := fmt.Sprintf("Declared from the alert group %s (%s)", g.Title(),
			formatLabels(g.Labelset()))
		if err := b.addEvent(tx, inc, by, EventAlertLinked, text); err != nil {
			return err
		}
		return b.scheduleGroup(tx, fresh)
	})
	if err != nil {
		return nil, fmt.Errorf("link alert group %d to %s: %w", id, inc.Ref(), err)
	}
	b.Wake()
	return inc, nil
}
