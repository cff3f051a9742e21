// Package commands is warroom's front door: it turns slash commands, button
// presses and modal submissions into calls on the bot, and the bot's
// answers into messages and forms. It knows nothing of HTTP or of Slack's
// wire format; the chat adapters carry its requests and replies.
package commands

import (
	"regexp"
	"strings"
)

// args is a command's text split into words, with --flags taken out.
type args struct {
	words []string
	flags map[string]string
}

// boolFlags take no value.
var boolFlags = map[string]bool{"private": true}

// flagAliases map the spellings people use to one flag name.
var flagAliases = map[string]string{
	"sev":        "severity",
	"severity":   "severity",
	"component":  "components",
	"components": "components",
	"private":    "private",
	"summary":    "summary",
	"due":        "due",
	"until":      "until",
	"secondary":  "secondary",
	"schedule":   "schedule",
}

// parseArgs splits text into words and flags. A flag takes the next word
// as its value unless written --flag=value or is a boolean flag. Unknown
// flags are returned as flags with a name not in flagAliases.
func parseArgs(text string) args {
	a := args{flags: map[string]string{}}
	fields := strings.Fields(text)
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if !strings.HasPrefix(f, "--") || len(f) < 3 {
			a.words = append(a.words, f)
			continue
		}

		name, value, hasValue := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		name = strings.ToLower(name)
		if canon, ok := flagAliases[name]; ok {
			name = canon
		}
		switch {
		case hasValue:
		case boolFlags[name]:
			value = "true"
		case i+1 < len(fields) && !strings.HasPrefix(fields[i+1], "--"):
			i++
			value = fields[i]
		}
		a.flags[name] = value
	}
	return a
}

// rest joins the words from i on.
func (a args) rest(i int) string {
	if i >= len(a.words) {
		return ""
	}
	return strings.Join(a.words[i:], " ")
}

// word returns word i, or "".
func (a args) word(i int) string {
	if i >= len(a.words) {
		return ""
	}
	return a.words[i]
}

// userRef matches Slack's escaped user mention: <@U123> or <@U123|name>.
var userRef = regexp.MustCompile(`^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$`)

// mentionedUser reads a user mention: an escaped <@U123|name>, or a bare
// @handle to be looked up. It returns the id, or the handle to look up.
func mentionedUser(word string) (id, handle string) {
	if m := userRef.FindStringSubmatch(word); m != nil {
		return m[1], ""
	}
	return "", strings.TrimPrefix(word, "@")
}

// splitList reads a comma- or space-separated list.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
