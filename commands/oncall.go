package commands

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"warroom/bot"
)

// oncallCommand answers /oncall [schedule] and /oncall override.
func (r *Router) oncallCommand(req *request, a args) (bot.Reply, error) {
	switch strings.ToLower(a.word(0)) {
	case "override":
		req.action = "oncall.override"
		return r.override(req, args{words: a.words[1:], flags: a.flags})
	case "help":
		return oncallHelp(), nil
	}

	req.action = "oncall.show"
	rota, err := r.bot.OnCall(req.ctx, a.word(0))
	if err != nil {
		return bot.Reply{}, err
	}
	return bot.Reply{Message: rotaMessage(r.bot, rota)}, nil
}

func oncallHelp() bot.Reply {
	return done("`/oncall [schedule]` shows who is on call now and next.\n" +
		"`/oncall override @someone &lt;from&gt; &lt;to&gt; [--secondary] [--schedule name]` " +
		"puts someone on call for a while; times are `now`, `2026-12-05T10:00`, " +
		"`2026-12-05`, `18:00` (today) or, for the end, a length such as `12h`.")
}

func rotaMessage(b *bot.Bot, r bot.Rota) *bot.Message {
	text := fmt.Sprintf("*%s* on call now: primary %s, secondary %s", r.Schedule,
		mentionOr(r.Primary, "nobody"), mentionOr(r.Secondary, "nobody"))
	if !r.Until.IsZero() {
		text += ", until " + b.FormatTime(r.Until)
	}
	if r.NextPrimary != "" {
		text += fmt.Sprintf("\nNext: primary %s, secondary %s", mentionOr(r.NextPrimary,
			"nobody"), mentionOr(r.NextSecondary, "nobody"))
	}
	context := "From " + r.Source
	if r.Source == "rotation" {
		context = "From the rotation in the config"
	}
	if len(r.Overridden) > 0 {
		context += "; overridden: " + strings.Join(r.Overridden, ", ")
	}
	return &bot.Message{Text: text, Blocks: []bot.Block{
		{Kind: bot.BlockSection, Text: text}, {Kind: bot.BlockContext, Text: context}}}
}

func (r *Router) override(req *request, a args) (bot.Reply, error) {
	const usage = "`/oncall override @someone &lt;from&gt; &lt;to&gt; [--secondary]`, " +
		"such as `/oncall override @alice now 12h`."
	if err := unknownFlags(a, "secondary", "schedule"); err != nil {
		return bot.Reply{}, err
	}
	if len(a.words) < 3 {
		return bot.Reply{}, bot.Invalidf("Use "+usage, "Say who, from when and until when.")
	}
	user, err := r.user(req, a.word(0), "/oncall override @someone <from> <to>")
	if err != nil {
		return bot.Reply{}, err
	}

	loc := r.bot.Policy().Location
	now := r.bot.Now().In(loc)
	from, err := parseWhen(a.word(1), now, loc)
	if err != nil {
		return bot.Reply{}, bot.Invalidf("Use "+usage, "%q is not a time: %v.", a.word(1), err)
	}
	to, err := parseUntil(a.word(2), from, now, loc)
	if err != nil {
		return bot.Reply{}, bot.Invalidf("Use "+usage, "%q is not a time or a length: %v.",
			a.word(2), err)
	}
	slot := bot.SlotPrimary
	if a.flags["secondary"] != "" {
		slot = bot.SlotSecondary
	}

	o, err := r.bot.AddOverride(req.ctx, bot.Override{Schedule: a.flags["schedule"],
		Slot: slot, User: user, From: from, To: to, By: req.user})
	if err != nil {
		return bot.Reply{}, err
	}
	return done(fmt.Sprintf("<@%s> is %s on call for %s from %s until %s.", o.User, o.Slot,
		o.Schedule, r.bot.FormatTime(o.From), r.bot.FormatTime(o.To))), nil
}

// parseWhen reads a moment: now, 2026-12-05T10:00, 2026-12-05 or 18:00
// (today), in loc.
func parseWhen(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if strings.EqualFold(s, "now") {
		return now, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	if t, err := time.ParseInLocation("15:04", s, loc); err == nil {
		y, m, d := now.Date()
		return time.Date(y, m, d, t.Hour(), t.Minute(), 0, 0, loc), nil
	}
	return time.Time{}, fmt.Errorf("write now, 2026-12-05T10:00, 2026-12-05 or 18:00")
}

// parseUntil reads the end of a span: a moment, or a length after from
// such as 12h or 3d.
func parseUntil(s string, from, now time.Time, loc *time.Location) (time.Time, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 {
			return from.AddDate(0, 0, n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return from.Add(d), nil
	}
	return parseWhen(s, now, loc)
}

// pageCommand answers /page <schedule|@user> <message> [--sev P1].
func (r *Router) pageCommand(req *request, a args) (bot.Reply, error) {
	req.action = "page.create"
	const usage = "`/page &lt;schedule|@someone&gt; &lt;message&gt; [--sev P1]`"
	if err := unknownFlags(a, "severity"); err != nil {
		return bot.Reply{}, err
	}
	if a.word(0) == "" || strings.EqualFold(a.word(0), "help") {
		return bot.Reply{}, bot.Invalidf("Use "+usage+"; `/oncall` shows who is on call.",
			"Say whom to page and why.")
	}

	target := a.word(0)
	if id, handle := mentionedUser(target); id != "" {
		target = id
	} else if strings.HasPrefix(target, "@") {
		id, err := r.bot.FindUser(req.ctx, handle)
		if err != nil {
			return bot.Reply{}, err
		}
		target = id
	}

	page, err := r.bot.Page(req.ctx, bot.PageRequest{Target: target, Message: a.rest(1),
		Severity: a.flags["severity"], By: req.user, ChannelID: req.channel})
	if err != nil {
		return bot.Reply{}, err
	}
	lvl := page.Current()
	return done(fmt.Sprintf("Paging %s (%s) with %s; unless someone acknowledges, it "+
		"escalates in %s.", mentions(lvl.Users), lvl.Name, page.Ref(),
		bot.FormatDuration(pageWait(r.bot, page)))), nil
}

func pageWait(b *bot.Bot, p *bot.Page) time.Duration {
	sev, _ := b.Policy().Severity(p.Severity)
	return sev.Response
}

// pageAction answers the Acknowledge and Escalate buttons of a page.
func (r *Router) pageAction(req *request, action string, id int64) (bot.Reply, error) {
	if action == bot.ActionPageEscalate {
		page, err := r.bot.EscalatePage(req.ctx, id, req.user)
		if err != nil {
			return bot.Reply{}, err
		}
		if page.Repages > 0 {
			return done(fmt.Sprintf("%s has no level left: paging everyone on it again.",
				page.Ref())), nil
		}
		return done(fmt.Sprintf("%s escalated to %s (%s).", page.Ref(), page.Current().Name,
			mentions(page.Current().Users))), nil
	}

	page, first, err := r.bot.AcknowledgePage(req.ctx, id, req.user)
	if err != nil {
		return bot.Reply{}, err
	}
	if !first {
		return done(fmt.Sprintf("%s was already acknowledged by %s.", page.Ref(),
			mentionOr(page.AcknowledgedBy, "someone"))), nil
	}
	return done(fmt.Sprintf("You acknowledged %s after %s.", page.Ref(),
		bot.FormatDuration(page.AcknowledgedAt.Sub(page.CreatedAt)))), nil
}

func mentions(users []string) string {
	parts := make([]string, len(users))
	for i, u := range users {
		parts[i] = mentionOr(u, "nobody")
	}
	return strings.Join(parts, ", ")
}
