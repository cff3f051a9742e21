package commands

import (
	"strings"

	"warroom/bot"
	"warroom/runbooks"
)

// runbookCommand answers /runbook [name]: the index, or one runbook
// posted for the user, or the nearest matches when the name fits none.
func (r *Router) runbookCommand(req *request, a args) (bot.Reply, error) {
	req.action = "runbook.show"
	index := r.runbooks
	query := strings.TrimSpace(a.rest(0))
	if query == "" || strings.EqualFold(query, "list") {
		req.action = "runbook.list"
		msg := runbooks.IndexMessage(index.All())
		return bot.Reply{Message: &msg}, nil
	}

	if rb, ok := index.Find(query); ok {
		msg := rb.Message()
		return bot.Reply{Message: &msg}, nil
	}
	if near := index.Search(query); len(near) > 0 {
		msg := runbooks.IndexMessage(near)
		msg.Text = "No runbook is called " + query + "; did you mean one of these?"
		msg.Blocks = append([]bot.Block{{Kind: bot.BlockSection, Text: msg.Text}},
			msg.Blocks[1:]...)
		return bot.Reply{Message: &msg}, nil
	}
	return bot.Reply{}, bot.NotFoundf("Runbooks: "+strings.Join(index.Names(), ", ")+".",
		"No runbook is called %q.", query)
}
