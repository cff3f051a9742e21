package commands

import (
	"fmt"
	"strconv"
	"strings"

	"warroom/bot"
)

// The modals the router opens, and their inputs.
const (
	modalDeclare = "incident.declare"
	modalStatus  = "incident.status"
	modalResolve = "incident.resolve"
	modalDeploy  = "deploy.decide"

	modalPostmortem = "incident.postmortem"
	modalActionItem = "incident.action_item"

	inputTitle      = "title"
	inputSeverity   = "severity"
	inputComponents = "components"
	inputSummary    = "summary"
	inputPrivate    = "private"
	inputStatus     = "status"
	inputUpdate     = "update"
	inputReason     = "reason"
	inputUsers      = "users"
	inputText       = "text"
	inputOwner      = "owner"
	inputDue        = "due"
	inputRevenue    = "revenue"
)

// firstInput names the input a form's error is shown next to.
func firstInput(modal string) string {
	switch modal {
	case modalDeclare:
		return inputTitle
	case modalStatus:
		return inputUpdate
	case modalResolve:
		return inputSummary
	case modalDeploy:
		return inputReason
	case modalPostmortem:
		return inputUsers
	case modalActionItem:
		return inputText
	}
	return ""
}

func declareModal(p *bot.Policy) *bot.Modal {
	sevs := make([]bot.Option, len(p.Severities))
	for i, s := range p.Severities {
		label := fmt.Sprintf("%s %s: %s", s.Name, s.Label, s.Meaning)
		sevs[i] = bot.Option{Value: s.Name, Label: truncate(label, 75)}
	}
	comps := make([]bot.Option, len(p.Components))
	for i, c := range p.Components {
		comps[i] = bot.Option{Value: c.ID, Label: c.Name}
	}
	initialSev := p.DefaultSeverityName()

	return &bot.Modal{
		ID:     modalDeclare,
		Title:  "Declare an incident",
		Submit: "Declare",
		Inputs: []bot.Input{
			{ID: inputTitle, Label: "Title", Kind: bot.InputText, MaxLen: bot.MaxTitleLen,
				Hint: "What is broken, in a few words: it names the channel."},
			{ID: inputSeverity, Label: "Severity", Kind: bot.InputSelect, Options: sevs,
				Initial: []string{initialSev}},
			{ID: inputComponents, Label: "Affected components", Kind: bot.InputMultiSelect,
				Options: comps, Optional: true},
			{ID: inputSummary, Label: "Summary", Kind: bot.InputMultiline, Optional: true,
				Hint: "What users see, since when, what you know so far."},
			{ID: inputPrivate, Label: "Visibility", Kind: bot.InputCheckbox, Optional: true,
				Options: []bot.Option{{Value: "private",
					Label: "Private: a private channel and no announcement"}}},
		},
	}
}

func statusModal(inc *bot.Incident) *bot.Modal {
	opts := make([]bot.Option, len(bot.OpenStatuses))
	for i, s := range bot.OpenStatuses {
		opts[i] = bot.Option{Value: string(s), Label: statusName(s)}
	}
	initial := string(inc.Status)
	if !inc.Open() {
		initial = string(bot.StatusInvestigating)
	}
	return &bot.Modal{
		ID:       modalStatus,
		Title:    "Status update",
		Submit:   "Post update",
		Metadata: strconv.FormatInt(inc.ID, 10),
		Inputs: []bot.Input{
			{ID: inputStatus, Label: "Status", Kind: bot.InputSelect, Options: opts,
				Initial: []string{initial}},
			{ID: inputUpdate, Label: "Update", Kind: bot.InputMultiline,
				Hint: "What changed, what is next, when the next update comes."},
		},
	}
}

func resolveModal(inc *bot.Incident) *bot.Modal {
	return &bot.Modal{
		ID:       modalResolve,
		Title:    "Resolve " + inc.Ref(),
		Submit:   "Resolve",
		Metadata: strconv.FormatInt(inc.ID, 10),
		Inputs: []bot.Input{
			{ID: inputSummary, Label: "Resolution summary", Kind: bot.InputMultiline,
				Optional: true, Hint: "What fixed it; the post-mortem starts from this."},
		},
	}
}

// deployDecisionModal asks an approver why they approve or reject a
// deployment outside the policy; GitHub records the answer.
func deployDecisionModal(id int64, approve bool, userName string) *bot.Modal {
	title, verb, meta := "Reject DEPLOY-", "Reject", "reject:"
	if approve {
		title, verb, meta = "Approve DEPLOY-", "Approve", "approve:"
	}
	return &bot.Modal{
		ID:       modalDeploy,
		Title:    title + strconv.FormatInt(id, 10),
		Submit:   verb,
		Metadata: meta + strconv.FormatInt(id, 10) + "|" + userName,
		Inputs: []bot.Input{{ID: inputReason, Label: "Why", Kind: bot.InputMultiline,
			MaxLen: 500, Hint: "Goes to GitHub with your name, and to the audit."}},
	}
}

func helpReply(name string) bot.Reply {
	lines := []string{
		"*Anywhere*",
		"`" + name + " declare` opens the form to declare an incident",
		"`" + name + " declare &lt;title&gt; [--sev P1] [--component api,stt] [--private]` " +
			"declares in one line",
		"`" + name + " list` shows the open incidents",
		"`" + name + " help` shows this",
		"",
		"*In an incident channel*",
		"`" + name + " commander @user` hands over command",
		"`" + name + " role comms|scribe|ops @user` assigns a role",
		"`" + name + " severity P0..P3 &lt;reason&gt;` changes the severity (commander or admin)",
		"`" + name + " status investigating|identified|monitoring &lt;text&gt;` " +
			"moves the status and posts the update",
		"`" + name + " update &lt;text&gt;` posts a status update here and in the announcements",
		"`" + name + " note &lt;text&gt;` adds a note to the timeline",
		"`" + name + " action @owner &lt;text&gt; [--due 2026-12-20]` adds an action item",
		"`" + name + " actions` lists the action items, with buttons to mark them done",
		"`" + name + " postmortem` drafts the post-mortem and shares it here; " +
			"`" + name + " postmortem done &lt;link&gt;` records it published",
		"`" + name + " ack` acknowledges the incident",
		"`" + name + " timeline` shows what happened, in order",
		"`" + name + " checklist` shows the response checklist with buttons to tick it",
		"`" + name + " show` shows the incident card",
		"`" + name + " resolve [summary]` resolves (commander or admin)",
		"`" + name + " reopen [reason]` reopens (commander or admin)",
	}
	text := strings.Join(lines, "\n")
	return bot.Reply{Message: &bot.Message{
		Text:   "warroom commands",
		Blocks: []bot.Block{{Kind: bot.BlockSection, Text: text}},
	}}
}

func listMessage(b *bot.Bot, open []*bot.Incident, name string) *bot.Message {
	if len(open) == 0 {
		return &bot.Message{Text: "No open incidents. `" + name +
			" declare` opens one."}
	}

	blocks := []bot.Block{{Kind: bot.BlockHeader,
		Text: fmt.Sprintf("%d open incident%s", len(open), plural(len(open)))}}
	for _, inc := range open {
		blocks = append(blocks, bot.Block{Kind: bot.BlockSection, Text: fmt.Sprintf(
			"*%s* %s · %s · %s\n%s · commander %s · started %s",
			inc.Ref(), inc.Severity, statusName(inc.Status), inc.Title, channelRef(inc),
			mention(inc.Commander), b.FormatTime(inc.DeclaredAt))})
	}
	return &bot.Message{Text: fmt.Sprintf("%d open incidents", len(open)), Blocks: blocks}
}

func summaryMessage(b *bot.Bot, inc *bot.Incident) *bot.Message {
	sev, _ := b.Policy().Severity(inc.Severity)
	text := fmt.Sprintf("*%s* %s %s · %s · %s\ncommander %s · started %s · acknowledged %s",
		inc.Ref(), sev.Name, sev.Label, statusName(inc.Status), inc.Title,
		mention(inc.Commander), b.FormatTime(inc.DeclaredAt), b.FormatTime(inc.AcknowledgedAt))
	if inc.Summary != "" {
		text += "\n" + inc.Summary
	}
	return &bot.Message{Text: text}
}

// timelineMessage lists the events, newest last, in as many sections as
// the chat's length limit needs.
func timelineMessage(b *bot.Bot, inc *bot.Incident, events []bot.Event) *bot.Message {
	var (
		blocks  []bot.Block
		section strings.Builder
	)
	blocks = append(blocks, bot.Block{Kind: bot.BlockHeader,
		Text: "Timeline of " + inc.Ref() + ": " + inc.Title})
	for _, ev := range events {
		line := fmt.Sprintf("`%s` T+%s *%s* %s — %s\n", b.FormatTime(ev.At),
			bot.FormatDuration(ev.At.Sub(inc.DeclaredAt)), ev.Kind, truncate(ev.Text, 300),
			mentionOr(ev.Actor, "warroom"))
		if section.Len()+len(line) > 2900 {
			blocks = append(blocks, bot.Block{Kind: bot.BlockSection, Text: section.String()})
			section.Reset()
		}
		section.WriteString(line)
	}
	if section.Len() > 0 {
		blocks = append(blocks, bot.Block{Kind: bot.BlockSection, Text: section.String()})
	}

	// A message holds at most 50 blocks; keep the newest.
	if len(blocks) > 50 {
		blocks = append(blocks[:1], blocks[len(blocks)-49:]...)
	}
	return &bot.Message{Text: fmt.Sprintf("Timeline of %s (%d events)", inc.Ref(), len(events)),
		Blocks: blocks}
}

func checklistMessage(b *bot.Bot, inc *bot.Incident) *bot.Message {
	var (
		lines   []string
		buttons []bot.Button
	)
	done := 0
	for i, item := range inc.Checklist {
		if item.Done() {
			done++
			lines = append(lines, fmt.Sprintf(":white_check_mark: %d. %s — %s, %s", i+1,
				item.Step, mentionOr(item.DoneBy, "warroom"), b.FormatTime(item.DoneAt)))
			continue
		}
		lines = append(lines, fmt.Sprintf(":white_large_square: %d. %s", i+1, item.Step))
		buttons = append(buttons, bot.Button{
			Label: truncate(fmt.Sprintf("Done: %d. %s", i+1, item.Step), 75),
			// Slack wants every button of a block to have its own action.
			Action: fmt.Sprintf("%s.%d", bot.ActionTickStep, i),
			Value:  fmt.Sprintf("%d:%d", inc.ID, i),
		})
	}

	blocks := []bot.Block{
		{Kind: bot.BlockHeader, Text: fmt.Sprintf("Checklist of %s: %d of %d done", inc.Ref(),
			done, len(inc.Checklist))},
		{Kind: bot.BlockSection, Text: strings.Join(lines, "\n")},
	}
	for len(buttons) > 0 {
		n := min(len(buttons), 5)
		blocks = append(blocks, bot.Block{Kind: bot.BlockActions, Buttons: buttons[:n]})
		buttons = buttons[n:]
	}
	return &bot.Message{Text: fmt.Sprintf("Checklist of %s", inc.Ref()), Blocks: blocks}
}

func channelRef(inc *bot.Incident) string {
	if inc.ChannelID == "" {
		return "#" + inc.ChannelName + " (being set up)"
	}
	return "<#" + inc.ChannelID + ">"
}

func statusName(s bot.Status) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}

func mention(user string) string { return mentionOr(user, "unassigned") }

func mentionOr(user, otherwise string) string {
	if user == "" {
		return otherwise
	}
	return "<@" + user + ">"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
