package commands

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"warroom/bot"
)

// deployCommand answers /deploy window [env], /deploy freeze and
// /deploy unfreeze.
func (r *Router) deployCommand(req *request, a args) (bot.Reply, error) {
	sub := strings.ToLower(a.word(0))
	rest := args{words: a.words[min(1, len(a.words)):], flags: a.flags}
	switch sub {
	case "window", "":
		req.action = "deploy.window"
		return r.deployWindow(req, rest)
	case "freeze":
		req.action = "deploy.freeze"
		return r.deployFreeze(req, rest)
	case "unfreeze":
		req.action = "deploy.unfreeze"
		return r.deployUnfreeze(req)
	case "audit":
		req.action = "deploy.audit"
		return r.deployAudit(req)
	case "documented":
		req.action = "deploy.documented"
		return r.deployDocumented(req, rest)
	case "help":
		return deployHelp(), nil
	}
	return bot.Reply{}, bot.Invalidf("`/deploy help` lists them.",
		"`/deploy %s` is not a deploy command.", sub)
}

func deployHelp() bot.Reply {
	return done("`/deploy window [environment]` says whether deploys may go out now, why, " +
		"and when the next window opens.\n" +
		"`/deploy freeze &lt;reason&gt; [--until 2026-12-05T10:00]` holds every environment " +
		"with rules.\n`/deploy unfreeze` lifts the freeze (approvers and admins).\n" +
		"`/deploy audit` lists the emergency deploys still to be documented; " +
		"`/deploy documented DEPLOY-7 &lt;link&gt;` closes one.")
}

func (r *Router) deployWindow(req *request, a args) (bot.Reply, error) {
	env := a.word(0)
	if env == "" {
		env = "production"
	}
	d, err := r.bot.DecideDeploy(req.ctx, env, r.bot.Now())
	if err != nil {
		return bot.Reply{}, err
	}
	return bot.Reply{Message: decisionMessage(r.bot, d)}, nil
}

// decisionMessage shows a deploy decision.
func decisionMessage(b *bot.Bot, d bot.DeployDecision) *bot.Message {
	text := fmt.Sprintf(":large_green_circle: *%s is open* for deploys: %s.", d.Environment,
		d.Reason)
	if !d.Allowed {
		text = fmt.Sprintf(":red_circle: *%s is closed* for deploys: %s.", d.Environment,
			d.Reason)
		if !d.Next.IsZero() {
			text += "\nNext window: " + b.FormatTime(d.Next) + "."
		}
		text += "\nAn emergency deploy needs an approver's approval."
	}
	return &bot.Message{Text: text, Blocks: []bot.Block{{Kind: bot.BlockSection, Text: text},
		{Kind: bot.BlockContext, Text: "rule: " + d.Rule}}}
}

func (r *Router) deployFreeze(req *request, a args) (bot.Reply, error) {
	if err := unknownFlags(a, "until"); err != nil {
		return bot.Reply{}, err
	}
	loc := r.bot.Policy().Location
	now := r.bot.Now().In(loc)
	var until time.Time // no end until lifted
	if s := a.flags["until"]; s != "" {
		t, err := parseUntil(s, now, now, loc)
		if err != nil {
			return bot.Reply{}, bot.Invalidf("Write a time such as 2026-12-05T10:00, 18:00 "+
				"or a length such as 4h.", "--until %q is not a time: %v.", s, err)
		}
		until = t
	}

	f, err := r.bot.FreezeDeploys(req.ctx, req.user, a.rest(0), until)
	if err != nil {
		return bot.Reply{}, err
	}
	text := fmt.Sprintf(":snowflake: Deploys are frozen: %s.", f.Reason)
	if !f.To.IsZero() {
		text += " Until " + r.bot.FormatTime(f.To) + "."
	} else {
		text += " Until `/deploy unfreeze`."
	}
	return done(text), nil
}

func (r *Router) deployUnfreeze(req *request) (bot.Reply, error) {
	p := r.bot.Policy()
	allowed := len(p.Deploy.Approvers) == 0 || p.IsAdmin(req.user)
	for _, u := range p.Deploy.Approvers {
		allowed = allowed || u == req.user
	}
	if !allowed {
		return bot.Reply{}, bot.Forbiddenf("Ask one of them: "+
			mentions(p.Deploy.Approvers)+".", "Only deploy approvers may lift a freeze.")
	}
	n, err := r.bot.UnfreezeDeploys(req.ctx, req.user)
	if err != nil {
		return bot.Reply{}, err
	}
	return done(fmt.Sprintf(":sunny: Lifted %d freeze%s.", n, plural(n))), nil
}

func (r *Router) deployAudit(req *request) (bot.Reply, error) {
	list, err := r.bot.OpenFollowUps(req.ctx)
	if err != nil {
		return bot.Reply{}, err
	}
	if len(list) == 0 {
		return done("Every emergency deploy is documented."), nil
	}
	lines := make([]string, len(list))
	for i, d := range list {
		lines[i] = fmt.Sprintf("• *%s* `%s` to %s, approved by %s %s: %s", d.Ref(), d.Repo,
			d.Environment, mentionOr(d.DecidedBy, "someone"), r.bot.FormatTime(d.DecidedAt),
			d.Why)
	}
	text := fmt.Sprintf("%d emergency deploy%s to document (`/deploy documented DEPLOY-n "+
		"&lt;link&gt;` when done):\n%s", len(list), plural(len(list)),
		strings.Join(lines, "\n"))
	return done(text), nil
}

func (r *Router) deployDocumented(req *request, a args) (bot.Reply, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(strings.ToUpper(a.word(0)), "DEPLOY-"),
		10, 64)
	if err != nil {
		return bot.Reply{}, bot.Invalidf("`/deploy documented DEPLOY-7 https://...`",
			"%q is not a deploy reference.", a.word(0))
	}
	rec, err := r.bot.DocumentEmergency(req.ctx, id, req.user, a.rest(1))
	if err != nil {
		return bot.Reply{}, err
	}
	return done(rec.Ref() + " is documented."), nil
}
