package commands

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"warroom/bot"
)

// addAction answers /incident action @owner <text> [--due YYYY-MM-DD].
func (r *Router) addAction(req *request, inc *bot.Incident, a args) (bot.Reply, error) {
	const usage = "/incident action @owner &lt;what&gt; [--due 2026-12-20]"
	if err := unknownFlags(a, "due"); err != nil {
		return bot.Reply{}, err
	}
	owner, err := r.user(req, a.word(0), usage)
	if err != nil {
		return bot.Reply{}, err
	}
	var due time.Time
	if s := a.flags["due"]; s != "" {
		due, err = time.ParseInLocation("2006-01-02", s, r.bot.Policy().Location)
		if err != nil {
			return bot.Reply{}, bot.Invalidf("Write the deadline as 2026-12-20.",
				"%q is not a date.", s)
		}
	}

	item, err := r.bot.AddActionItem(req.ctx, inc.ID, req.user, owner, a.rest(1), due)
	if err != nil {
		return bot.Reply{}, err
	}
	text := fmt.Sprintf("Action item AI-%d for <@%s>: %s", item.ID, item.Owner, item.Text)
	if !due.IsZero() {
		text += ", due " + due.Format("2006-01-02")
	}
	return done(text + "."), nil
}

// listActions answers /incident actions: the incident's action items, with a
// Done button on each open one.
func (r *Router) listActions(req *request, inc *bot.Incident, _ args) (bot.Reply, error) {
	items, err := r.bot.ActionItems(req.ctx, inc.ID)
	if err != nil {
		return bot.Reply{}, err
	}
	if len(items) == 0 {
		return done("No action items yet: `/incident action @owner &lt;what&gt; " +
			"[--due 2026-12-20]` adds one."), nil
	}

	blocks := []bot.Block{{Kind: bot.BlockHeader, Text: "Action items of " + inc.Ref()}}
	var buttons []bot.Button
	for _, it := range items {
		line := fmt.Sprintf("*AI-%d* <@%s>: %s", it.ID, it.Owner, it.Text)
		if !it.Due.IsZero() {
			line += " · due " + it.Due.In(r.bot.Policy().Location).Format("2006-01-02")
		}
		if it.Done() {
			line = ":white_check_mark: ~" + line + "~"
		} else {
			buttons = append(buttons, bot.Button{Label: fmt.Sprintf("Done: AI-%d", it.ID),
				Action: fmt.Sprintf("%s.%d", bot.ActionItemDone, it.ID),
				Value:  strconv.FormatInt(it.ID, 10)})
		}
		blocks = append(blocks, bot.Block{Kind: bot.BlockSection, Text: line})
	}
	for len(buttons) > 0 {
		n := min(len(buttons), 5)
		blocks = append(blocks, bot.Block{Kind: bot.BlockActions, Buttons: buttons[:n]})
		buttons = buttons[n:]
	}
	if len(blocks) > 50 {
		blocks = blocks[:50]
	}
	return bot.Reply{Message: &bot.Message{Text: "Action items of " + inc.Ref(),
		Blocks: blocks}}, nil
}

// actionItemDone answers an action item's Done button.
func (r *Router) actionItemDone(req *request, value string) (bot.Reply, error) {
	id, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
	if err != nil {
		return bot.Reply{}, bot.Invalidf("Run `/incident actions` again.",
			"That button does not name an action item.")
	}
	item, err := r.bot.CompleteActionItem(req.ctx, id, req.user)
	if err != nil {
		return bot.Reply{}, err
	}
	return done(fmt.Sprintf("AI-%d is done: %s", item.ID, item.Text)), nil
}

// postmortem answers /incident postmortem (the impact form, then the
// draft) and /incident postmortem done <link>.
func (r *Router) postmortem(req *request, inc *bot.Incident, a args) (bot.Reply, error) {
	if strings.EqualFold(a.word(0), "done") {
		if err := r.bot.PublishPostmortem(req.ctx, inc.ID, req.user, a.rest(1)); err != nil {
			return bot.Reply{}, err
		}
		return done("The post-mortem of " + inc.Ref() + " is recorded as published."), nil
	}
	return bot.Reply{Modal: postmortemModal(inc)}, nil
}

func postmortemModal(inc *bot.Incident) *bot.Modal {
	return &bot.Modal{
		ID:       modalPostmortem,
		Title:    "Post-mortem " + inc.Ref(),
		Submit:   "Draft it",
		Metadata: strconv.FormatInt(inc.ID, 10),
		Inputs: []bot.Input{
			{ID: inputUsers, Label: "Users affected", Kind: bot.InputText, Optional: true,
				Hint: "How many, which plans, for how long."},
			{ID: inputRevenue, Label: "Revenue lost", Kind: bot.InputText, Optional: true},
		},
	}
}

// actionItemForm opens the form of the "Add as action item" shortcut,
// with the message as the item's text.
func (r *Router) actionItemForm(req *request, act bot.Action) (bot.Reply, error) {
	inc, err := r.bot.IncidentInChannel(req.ctx, act.ChannelID)
	if err != nil {
		return bot.Reply{}, err
	}
	return bot.Reply{Modal: &bot.Modal{
		ID: modalActionItem, Title: "Action item", Submit: "Add",
		Metadata: strconv.FormatInt(inc.ID, 10),
		Inputs: []bot.Input{
			{ID: inputText, Label: "What is to be done", Kind: bot.InputMultiline,
				Initial: []string{bot.Unescape(act.Value)}, MaxLen: 1000},
			{ID: inputOwner, Label: "Owner", Kind: bot.InputText,
				Hint: "Their handle, such as @alice."},
			{ID: inputDue, Label: "Deadline", Kind: bot.InputText, Optional: true,
				Hint: "A date such as 2026-12-20."},
		},
	}}, nil
}

// submitActionItem adds the item the shortcut's form describes.
func (r *Router) submitActionItem(req *request, id int64, sub bot.Submission) (bot.Reply,
	error) {

	owner, err := r.user(req, strings.TrimSpace(sub.Value(inputOwner)), "@alice")
	if err != nil {
		return bot.Reply{FieldErrors: map[string]string{inputOwner: bot.AsError(err).Message}},
			nil
	}
	var due time.Time
	if s := strings.TrimSpace(sub.Value(inputDue)); s != "" {
		due, err = time.ParseInLocation("2006-01-02", s, r.bot.Policy().Location)
		if err != nil {
			return bot.Reply{FieldErrors: map[string]string{inputDue: "Write a date such as " +
				"2026-12-20."}}, nil
		}
	}
	item, err := r.bot.AddActionItem(req.ctx, id, req.user, owner,
		bot.Escape(sub.Value(inputText)), due)
	if err != nil {
		return bot.Reply{}, err
	}
	return done(fmt.Sprintf("Action item AI-%d for <@%s> added.", item.ID, item.Owner)), nil
}
