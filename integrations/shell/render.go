package shell

import (
	"io"
	"os"
	"regexp"
	"strings"
	"unicode/utf8"

	"warroom/bot"
)

// ANSI styles, used only on a terminal.
const (
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
	ansiRed   = "\x1b[31m"
	ansiGreen = "\x1b[32m"
	ansiCyan  = "\x1b[36m"
	ansiReset = "\x1b[0m"
)

// wantColour reports whether w is a terminal that should get colour: a
// character device, with NO_COLOR unset.
func wantColour(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	return isTerminal(w)
}

// isTerminal reports whether v is a file that is a character device.
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	if err != nil {
		return false
	}
	return info.Mode()&os.ModeCharDevice != 0
}

// paint wraps s in an ANSI style when the chat prints in colour.
func (c *Chat) paint(style, s string) string {
	if !c.colour || s == "" {
		return s
	}
	return style + s + ansiReset
}

// markupRef matches one piece of Slack markup in angle brackets: a
// mention, a channel, a special mention or a link.
var markupRef = regexp.MustCompile(`<([^<>\s][^<>]*)>`)

// boldRef matches *bold* text in mrkdwn.
var boldRef = regexp.MustCompile(`\*([^*\n]+)\*`)

// emoji shows the shortcodes the bot uses as the pictures Slack shows.
var emoji = strings.NewReplacer(
	":rotating_light:", "🚨",
	":red_circle:", "🔴",
	":large_orange_circle:", "🟠",
	":white_check_mark:", "✅",
	":white_large_square:", "⬜",
	":warning:", "⚠️",
	":x:", "❌",
	":mega:", "📣",
	":alarm_clock:", "⏰",
	":information_source:", "ℹ️",
	":arrows_counterclockwise:", "🔄",
	":pager:", "📟",
	":hourglass:", "⏳",
	":arrow_up:", "⬆️",
	":large_green_circle:", "🟢",
	":large_yellow_circle:", "🟡",
	":snowflake:", "❄️",
	":sunny:", "☀️",
	":no_entry:", "⛔",
	":cloud_with_lightning:", "🌩️",
)

// plainLocked turns mrkdwn into text for a person: <@U1> becomes @handle,
// <#C1> becomes #name, <url|label> becomes "label (url)", and the escaped
// &lt; &gt; &amp; become < > &.
func (c *Chat) plainLocked(s string) string {
	s = markupRef.ReplaceAllStringFunc(s, func(ref string) string {
		target, label, labelled := strings.Cut(ref[1:len(ref)-1], "|")
		switch {
		case strings.HasPrefix(target, "@"):
			id := target[1:]
			if p, ok := c.personByIDLocked(id); ok {
				return "@" + p.Handle
			}
			if labelled {
				return "@" + strings.TrimPrefix(label, "@")
			}
			return "@" + id
		case strings.HasPrefix(target, "#"):
			if ch := c.findLocked(target[1:]); ch != nil {
				return "#" + ch.name
			}
			if labelled {
				return "#" + label
			}
			return target
		case strings.HasPrefix(target, "!"):
			// <!here>, <!channel>, <!subteam^S1|@oncall>, <!date^...|text>.
			if labelled {
				return label
			}
			return "@" + target[1:]
		case labelled && label != target:
			return label + " (" + target + ")"
		}
		return target
	})
	s = bot.Unescape(s)
	s = emoji.Replace(s)

	if c.colour {
		s = boldRef.ReplaceAllString(s, ansiBold+"$1"+ansiReset)
	}
	return s
}

// formatLocked lays out a message under head, such as "[#general]
// warroom:": on the same line when it is one line long, else indented
// below it.
func (c *Chat) formatLocked(head string, msg bot.Message) string {
	body := c.bodyLocked(msg)
	if len(body) == 1 {
		return head + " " + strings.TrimSpace(body[0]) + "\n"
	}

	var sb strings.Builder
	sb.WriteString(head + "\n")
	for _, line := range body {
		sb.WriteString("  " + line + "\n")
	}
	return sb.String()
}

// bodyLocked renders a message as lines: its blocks when it has any, else
// its text. Headers are title lines, fields "Label: value" lines, sections
// indented text, context dimmed after a dot, and buttons in brackets.
func (c *Chat) bodyLocked(msg bot.Message) []string {
	if len(msg.Blocks) == 0 {
		return lines(c.plainLocked(msg.Text))
	}

	var out []string
	for _, b := range msg.Blocks {
		switch b.Kind {
		case bot.BlockHeader:
			out = append(out, c.paint(ansiBold, "== "+c.plainLocked(b.Text)+" =="))
		case bot.BlockFields:
			for _, f := range b.Fields {
				value := lines(c.plainLocked(f.Value))
				out = append(out, c.paint(ansiBold, f.Label+":")+" "+value[0])
				for _, more := range value[1:] {
					out = append(out, "  "+more)
				}
			}
		case bot.BlockContext:
			for _, line := range lines(c.plainLocked(b.Text)) {
				out = append(out, c.paint(ansiDim, "· "+line))
			}
		case bot.BlockActions:
			out = append(out, c.buttonRow(b.Buttons))
		case bot.BlockDivider:
			out = append(out, c.paint(ansiDim, "----"))
		default:
			for _, line := range lines(c.plainLocked(b.Text)) {
				out = append(out, "  "+line)
			}
		}
	}
	if len(out) == 0 {
		return lines(c.plainLocked(msg.Text))
	}
	return out
}

// buttonRow shows buttons as "[Acknowledge] [Resolve]", coloured by style
// on a terminal.
func (c *Chat) buttonRow(buttons []bot.Button) string {
	row := make([]string, len(buttons))
	for i, b := range buttons {
		style := ansiCyan
		switch b.Style {
		case bot.StylePrimary:
			style = ansiGreen
		case bot.StyleDanger:
			style = ansiRed
		}
		row[i] = c.paint(style, "["+b.Label+"]")
	}
	return strings.Join(row, " ")
}

// summaryLocked is a message's first line of text, for one-line notices.
func (c *Chat) summaryLocked(msg bot.Message) string {
	text := msg.Text
	if text == "" && len(msg.Blocks) > 0 {
		text = msg.Blocks[0].Text
	}
	return lines(c.plainLocked(text))[0]
}

// slackTextLocked writes what a person typed the way Slack delivers it to
// an app: & < > escaped, @handle of a known person as <@ID|handle> (or
// <@ID> when labels is false), #name of a known channel as <#ID|name>, and
// @here, @channel, @everyone as <!here> and so on.
func (c *Chat) slackTextLocked(text string, labels bool) string {
	var sb strings.Builder
	last := 0
	for _, m := range wordRef.FindAllStringSubmatchIndex(text, -1) {
		sb.WriteString(bot.Escape(text[last:m[2]]))
		sb.WriteString(c.slackWordLocked(text[m[2]:m[3]], text[m[4]:m[5]], labels))
		last = m[1]
	}
	sb.WriteString(bot.Escape(text[last:]))
	return sb.String()
}

// wordRef matches an @mention or #channel at the start of a word.
var wordRef = regexp.MustCompile(`(?:^|[\s(,;:])([@#])([\p{L}\p{N}][\p{L}\p{N}._-]*)`)

// slackWordLocked writes one @word or #word as Slack would, keeping any
// trailing punctuation that is not part of the name.
func (c *Chat) slackWordLocked(sigil, word string, labels bool) string {
	name, tail := word, ""
	for {
		if ref, ok := c.refLocked(sigil, name, labels); ok {
			return ref + bot.Escape(tail)
		}
		trimmed := strings.TrimRight(name, "._-")
		if trimmed == name || trimmed == "" {
			return bot.Escape(sigil + word)
		}
		tail = name[len(trimmed):] + tail
		name = trimmed
	}
}

// refLocked is Slack's markup for @name or #name, if it names someone or
// something the chat knows.
func (c *Chat) refLocked(sigil, name string, labels bool) (string, bool) {
	if sigil == "#" {
		ch := c.byNameLocked(name)
		if ch == nil {
			return "", false
		}
		return "<#" + ch.id + "|" + ch.name + ">", true
	}

	switch lower := strings.ToLower(name); lower {
	case "here", "channel", "everyone":
		return "<!" + lower + ">", true
	}
	p, ok := c.personByHandleLocked(name)
	if !ok {
		return "", false
	}
	if !labels {
		return "<@" + p.ID + ">", true
	}
	return "<@" + p.ID + "|" + p.Handle + ">", true
}

// lines splits s into lines, always at least one.
func lines(s string) []string {
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}

// shorten cuts s to at most n runes, marking the cut.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
