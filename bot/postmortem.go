package bot

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Impact is what the people running the incident say it cost.
type Impact struct {
	UsersAffected string
	RevenueLost   string
}

// DraftPostmortem writes a post-mortem draft of the incident in Markdown,
// following the organisation's template, from what warroom saw: every
// line comes from the timeline. Secrets that appear in it are redacted.
func (b *Bot) DraftPostmortem(ctx context.Context, id int64, impact Impact) (string, error) {
	inc, err := b.Incident(ctx, id)
	if err != nil {
		return "", err
	}
	events, err := b.Timeline(ctx, id)
	if err != nil {
		return "", err
	}
	items, err := b.ActionItems(ctx, id)
	if err != nil {
		return "", err
	}
	return Redact(b.postmortem(inc, events, items, impact)), nil
}

func (b *Bot) postmortem(inc *Incident, events []Event, items []ActionItem,
	impact Impact) string {

	var sb strings.Builder
	sev, _ := b.policy.Severity(inc.Severity)
	w := func(format string, args ...any) { fmt.Fprintf(&sb, format, args...) }

	w("# Post-mortem: %s %s\n\n", inc.Ref(), plainMarkup(inc.Title))
	if inc.Open() {
		w("> **Draft of an incident still open** (%s): the timeline stops at %s.\n\n",
			inc.Status, b.FormatTime(b.clock.Now()))
	}
	w("_Drafted by warroom from the incident's timeline; every line comes from a message or " +
		"an action. Edit it into the final post-mortem._\n\n")

	w("## Incident summary\n\n")
	if inc.Summary != "" {
		w("%s\n\n", plainMarkup(inc.Summary))
	}
	w("| | |\n| --- | --- |\n")
	w("| Severity | %s %s |\n", sev.Name, sev.Label)
	w("| Components | %s |\n", orText(strings.Join(b.policy.ComponentNames(inc.Components),
		", "), "none named"))
	w("| Commander | %s |\n", person(inc.Commander))
	w("| Started | %s |\n", b.FormatTime(inc.DeclaredAt))
	w("| Detected | %s |\n", b.FormatTime(detected(inc, events)))
	w("| Acknowledged | %s |\n", b.FormatTime(inc.AcknowledgedAt))
	w("| Resolved | %s |\n", b.FormatTime(inc.ResolvedAt))
	w("| Time to acknowledge | %s |\n", durationOr(inc.TimeToAcknowledge()))
	w("| Time to resolve | %s |\n\n", durationOr(inc.TimeToResolve()))

	w("## Timeline\n\nTimes in %s; T+ counts from the declaration.\n\n", b.policy.Location)
	b.writeTimeline(&sb, inc, events)

	w("\n## Root cause analysis\n\n")
	writeQuoted(&sb, events, func(ev Event) bool {
		return ev.Kind == EventNote || (ev.Kind == EventStatus &&
			strings.Contains(ev.Text, "→ "+string(StatusIdentified)))
	}, "_Nothing was marked identified. What caused it, and why was it possible?_")

	w("\n## Impact\n\n")
	w("- Users affected: %s\n", orText(plainMarkup(impact.UsersAffected), "_to fill in_"))
	w("- Revenue lost: %s\n", orText(plainMarkup(impact.RevenueLost), "_to fill in_"))
	w("- Duration: %s\n", durationOr(inc.TimeToResolve()))

	w("\n## Mitigation steps taken\n\n")
	writeQuoted(&sb, events, func(ev Event) bool {
		monitoring := strings.Contains(ev.Text, "→ "+string(StatusMonitoring))
		return ev.Kind == EventStatus && monitoring || ev.Kind == EventResolved
	}, "_Nothing was marked monitoring. What stopped the harm?_")

	w("\n## Action items\n\n| Owner | Action | Deadline | Done |\n| --- | --- | --- | --- |\n")
	for _, it := range items {
		due, done := "_none set_", ""
		if !it.Due.IsZero() {
			due = it.Due.In(b.policy.Location).Format("2006-01-02")
		}
		if it.Done() {
			done = "done " + it.DoneAt.In(b.policy.Location).Format("2006-01-02")
		}
		w("| %s | %s | %s | %s |\n", person(it.Owner), tableCell(plainMarkup(it.Text)), due,
			done)
	}
	if len(items) == 0 {
		w("| _someone_ | _what will stop it happening again_ | _a date_ | |\n")
	}

	w("\n## Lessons learned\n\n")
	w("- What went well?\n- What went wrong?\n- Where were we lucky?\n")
	w("- Did the alerts, pages and runbooks help, and how fast did they reach the right " +
		"people?\n")
	return sb.String()
}

// writeTimeline lists the events in full and condenses the conversation
// between them to a count of messages and speakers.
func (b *Bot) writeTimeline(sb *strings.Builder, inc *Incident, events []Event) {
	var (
		chat     int
		speakers = map[string]bool{}
	)
	flush := func() {
		if chat == 0 {
			return
		}
		fmt.Fprintf(sb, "- … %d message%s in the channel from %d %s\n", chat, plural(chat),
			len(speakers), pluralWord(len(speakers), "person", "people"))
		chat = 0
		clear(speakers)
	}
	for _, ev := range events {
		// Everything warroom saw happen is shown in full; of the channel's
		// conversation, only the messages people marked as key.
		if ev.Kind == EventMessage {
			chat++
			speakers[ev.Actor] = true
			continue
		}
		flush()
		when := "`" + b.FormatTime(ev.At) + "`"
		if ev.Ref != "" && inc.ChannelID != "" {
			when = fmt.Sprintf("[%s](%s)", when, messageLink(inc.ChannelID, ev.Ref))
		}
		fmt.Fprintf(sb, "- %s (T+%s) **%s** %s — %s\n", when,
			FormatDuration(ev.At.Sub(inc.DeclaredAt)), strings.ReplaceAll(string(ev.Kind), "_",
				" "), plainMarkup(ev.Text), person(ev.Actor))
	}
	flush()
}

// messageLink links to a Slack message from anywhere: Slack sends the
// reader on to the workspace the channel belongs to.
func messageLink(channel, ts string) string {
	return "https://slack.com/archives/" + channel + "/p" + strings.ReplaceAll(ts, ".", "")
}

func writeQuoted(sb *strings.Builder, events []Event, pick func(Event) bool, none string) {
	n := 0
	for _, ev := range events {
		if pick(ev) {
			fmt.Fprintf(sb, "- %s (%s)\n", plainMarkup(ev.Text), person(ev.Actor))
			n++
		}
	}
	if n == 0 {
		sb.WriteString(none + "\n")
	}
}

// detected is when the first sign of the incident reached warroom: an
// alert linked to it, or its declaration.
func detected(inc *Incident, events []Event) time.Time {
	for _, ev := range events {
		if ev.Kind == EventAlertLinked || ev.Kind == EventPaged {
			return ev.At
		}
	}
	return inc.DeclaredAt
}

// tableCell keeps text from breaking a Markdown table.
func tableCell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}

func durationOr(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return FormatDuration(d)
}

func person(user string) string {
	if user == "" {
		return "warroom"
	}
	return "@" + user
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// mentionMarkup matches chat mentions and links: <@U1>, <#C1|name>,
// <https://x|label>.
var mentionMarkup = regexp.MustCompile(`<([@#!]?)([^<>|]+)(?:\|([^<>]*))?>`)

// plainMarkup turns chat markup into Markdown text: mentions become
// @ids, links Markdown links, and escaped characters themselves.
func plainMarkup(s string) string {
	s = mentionMarkup.ReplaceAllStringFunc(s, func(m string) string {
		parts := mentionMarkup.FindStringSubmatch(m)
		switch parts[1] {
		case "@":
			return "@" + parts[2]
		case "#":
			return "#" + orText(parts[3], parts[2])
		case "!":
			return "@" + orText(parts[3], parts[2])
		}
		if parts[3] != "" {
			return "[" + parts[3] + "](" + parts[2] + ")"
		}
		return parts[2]
	})
	return Unescape(s)
}

// secretPatterns match tokens and secrets people paste into incident
// channels.
var secretPatterns = []*regexp.Regexp{
	regexp.MustCompile(`xox[abposr]-[A-Za-z0-9-]{10,}`),
	regexp.MustCompile(`xapp-[A-Za-z0-9-]{10,}`),
	regexp.MustCompile(`gh[pousr]_[A-Za-z0-9]{30,}`),
	regexp.MustCompile(`github_pat_[A-Za-z0-9_]{40,}`),
	regexp.MustCompile(`AKIA[0-9A-Z]{16}`),
	regexp.MustCompile(`sk_(live|test)_[A-Za-z0-9]{16,}`),
	regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?` +
		`-----END [A-Z ]*PRIVATE KEY-----`),
	regexp.MustCompile(`(?i)\b(bearer|token)\s+[A-Za-z0-9._~+/=-]{16,}`),
	regexp.MustCompile(`(?i)\b(password|passwd|secret|api[_-]?key)\s*[:=]\s*\S+`),
	regexp.MustCompile(`eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}`),
}

// Redact replaces the tokens and secrets in s with [redacted].
func Redact(s string) string {
	for _, re := range secretPatterns {
		s = re.ReplaceAllString(s, "[redacted]")
	}
	return s
}
