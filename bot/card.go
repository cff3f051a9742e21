package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The actions of the buttons the bot puts on its messages. Their value is
// the incident id. A checklist button's action is ActionTickStep followed
// by "." and the step's index, and its value "<id>:<step index>".
const (
	ActionAcknowledge  = "incident.acknowledge"
	ActionTakeCommand  = "incident.take_command"
	ActionUpdateStatus = "incident.update_status"
	ActionResolve      = "incident.resolve"
	ActionReopen       = "incident.reopen"
	ActionTickStep     = "incident.checklist_tick"
)

// card is the incident card: everything about the incident at a glance,
// with the buttons that move it on. It is pinned in the incident channel
// and edited in place.
func card(b *Bot, inc *Incident) Message {
	sev, _ := b.policy.Severity(inc.Severity)
	id := strconv.FormatInt(inc.ID, 10)

	fields := []Field{
		{"Severity", fmt.Sprintf("%s %s · respond within %s", sev.Name, sev.Label,
			FormatDuration(sev.Response))},
		{"Status", statusLabel(inc.Status)},
		{"Commander", mentionOr(inc.Commander, "_unassigned_")},
		{"Started", b.FormatTime(inc.DeclaredAt)},
		{"Components", componentList(b, inc)},
		{"Acknowledged", acknowledged(b, inc)},
	}
	for _, r := range Roles {
		if u := inc.Role(r); u != "" {
			fields = append(fields, Field{roleLabel(r), "<@" + u + ">"})
		}
	}
	if !inc.Open() {
		fields = append(fields,
			Field{"Resolved", b.FormatTime(inc.ResolvedAt)},
			Field{"Time to resolve", FormatDuration(inc.TimeToResolve())},
			Field{"Post-mortem due", b.FormatTime(inc.PostmortemDue)})
	}

	blocks := []Block{
		{Kind: BlockHeader,
			Text: fmt.Sprintf("%s %s: %s", severityIcon(inc), inc.Ref(), inc.Title)},
		{Kind: BlockFields, Fields: fields},
	}
	if inc.Summary != "" {
		blocks = append(blocks, Block{Kind: BlockSection, Text: inc.Summary})
	}
	if inc.Resolution != "" {
		blocks = append(blocks, Block{Kind: BlockSection, Text: "*Resolution:* " + inc.Resolution})
	}
	blocks = append(blocks, Block{Kind: BlockContext, Text: links(b, inc)})

	var buttons []Button
	if inc.Open() {
		if inc.AcknowledgedAt.IsZero() {
			buttons = append(buttons, Button{"Acknowledge", ActionAcknowledge, id, StylePrimary})
		}
		buttons = append(buttons,
			Button{"Take command", ActionTakeCommand, id, StyleDefault},
			Button{"Update status", ActionUpdateStatus, id, StyleDefault},
			Button{"Resolve", ActionResolve, id, StyleDanger})
	} else {
		buttons = append(buttons, Button{"Reopen", ActionReopen, id, StyleDefault})
	}
	blocks = append(blocks, Block{Kind: BlockActions, ID: "incident-" + id, Buttons: buttons})

	return Message{
		Text: fmt.Sprintf("%s %s %s: %s (%s)", inc.Ref(), inc.Severity, inc.Title,
			inc.Status, mentionOr(inc.Commander, "no commander")),
		Blocks: blocks,
	}
}

func links(b *Bot, inc *Incident) string {
	parts := []string{"Declared by " + mentionOr(inc.DeclaredBy, "warroom")}
	if inc.AnnounceChannel != "" {
		parts = append(parts, "announced in <#"+inc.AnnounceChannel+">")
	}
	parts = append(parts, "last update "+b.FormatTime(inc.LastUpdateAt),
		"`/incident help` lists the commands")
	return strings.Join(parts, " · ")
}

func acknowledged(b *Bot, inc *Incident) string {
	if inc.AcknowledgedAt.IsZero() {
		return "_not yet_"
	}
	return fmt.Sprintf("%s after %s", mentionOr(inc.AcknowledgedBy, "someone"),
		FormatDuration(inc.TimeToAcknowledge()))
}

func componentList(b *Bot, inc *Incident) string {
	if len(inc.Components) == 0 {
		return "_none named_"
	}
	return strings.Join(b.policy.ComponentNames(inc.Components), ", ")
}

func severityIcon(inc *Incident) string {
	switch {
	case !inc.Open():
		return ":white_check_mark:"
	case inc.Severity == "P0" || inc.Severity == "P1":
		return ":red_circle:"
	default:
		return ":large_orange_circle:"
	}
}

func statusLabel(s Status) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}

func roleLabel(r Role) string {
	switch r {
	case RoleComms:
		return "Communications"
	case RoleScribe:
		return "Scribe"
	case RoleOps:
		return "Operations"
	}
	return string(r)
}

// topic is the channel topic: severity, status, commander and title.
func topic(b *Bot, inc *Incident) string {
	t := fmt.Sprintf("%s | %s | IC: %s | %s", inc.Severity, statusLabel(inc.Status),
		mentionOr(inc.Commander, "unassigned"), inc.Title)
	if len(t) > 250 {
		t = t[:247] + "..."
	}
	return t
}

// announcement is the message in the announcements channel whose thread
// carries the incident's updates.
func announcement(b *Bot, inc *Incident) Message {
	sev, _ := b.policy.Severity(inc.Severity)
	text := fmt.Sprintf("%s *%s %s* %s: %s", severityIcon(inc), sev.Name, sev.Label,
		inc.Ref(), inc.Title)
	fields := []Field{
		{"Status", statusLabel(inc.Status)},
		{"Commander", mentionOr(inc.Commander, "_unassigned_")},
		{"Components", componentList(b, inc)},
		{"Channel", "<#" + inc.ChannelID + ">"},
	}
	return Message{
		Text: text,
		Blocks: []Block{
			{Kind: BlockSection, Text: text},
			{Kind: BlockFields, Fields: fields},
			{Kind: BlockContext, Text: "Updates follow in this thread. Started " +
				b.FormatTime(inc.DeclaredAt) + "."},
		},
	}
}

func updateMessage(inc *Incident, by, text string) Message {
	head := fmt.Sprintf(":mega: *%s update* (%s) from <@%s>", inc.Ref(),
		statusLabel(inc.Status), by)
	return Message{
		Text:   head + ": " + text,
		Blocks: []Block{{Kind: BlockSection, Text: head + "\n" + text}},
	}
}

func resolvedMessage(b *Bot, inc *Incident) Message {
	head := fmt.Sprintf(":white_check_mark: *%s resolved* by <@%s>", inc.Ref(), inc.ResolvedBy)
	fields := []Field{
		{"Time to acknowledge", FormatDuration(inc.TimeToAcknowledge())},
		{"Time to resolve", FormatDuration(inc.TimeToResolve())},
		{"Post-mortem due", b.FormatTime(inc.PostmortemDue)},
	}
	blocks := []Block{{Kind: BlockSection, Text: head}}
	if inc.Resolution != "" {
		blocks = append(blocks, Block{Kind: BlockSection, Text: inc.Resolution})
	}
	blocks = append(blocks, Block{Kind: BlockFields, Fields: fields})
	return Message{Text: head, Blocks: blocks}
}

func reminderMessage(inc *Incident, since time.Duration) Message {
	text := fmt.Sprintf(":alarm_clock: %s: no status update for %s on %s. "+
		"Post one with `/incident update &lt;text&gt;` or "+
		"`/incident status &lt;status&gt; &lt;text&gt;`.",
		mentionOr(inc.Commander, "Commander"), FormatDuration(since), inc.Ref())
	return Message{Text: text}
}

// FormatDuration shows d the way responders say it: 45s, 12m, 1h 5m,
// 2d 3h.
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh %dm", h, m)
	}
	days, h := int(d.Hours())/24, int(d.Hours())%24
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd %dh", days, h)
}
