package commands

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"warroom/bot"
	"warroom/runbooks"
)

// Router answers slash commands, button presses and modal submissions by
// calling the bot. Every method returns quickly: the bot stores what
// changed and leaves the chat calls to its job runner.
type Router struct {
	bot *bot.Bot
	log *logrus.Entry
	// name is the slash command, shown in help and hints.
	name string
	// runbooks is what /runbook serves.
	runbooks *runbooks.Index
}

// New returns a Router for the bot. name is the slash command, such as
// "/incident".
func New(b *bot.Bot, name string, log *logrus.Entry) *Router {
	if name == "" {
		name = "/incident"
	}
	return &Router{bot: b, log: log, name: name, runbooks: runbooks.Default()}
}

// request is what every handler needs to know about who asked and where.
type request struct {
	ctx       context.Context
	user      string
	channel   string
	replyTo   bot.Recipient
	requestID string
	action    string
	started   time.Time
}

// Command answers a slash command.
func (r *Router) Command(ctx context.Context, cmd bot.Command) bot.Reply {
	a := parseArgs(cmd.Text)
	sub := strings.ToLower(a.word(0))
	req := &request{ctx: ctx, user: cmd.UserID, channel: cmd.ChannelID, replyTo: cmd.ReplyTo,
		requestID: cmd.RequestID, action: "incident." + sub, started: time.Now()}
	if sub == "" {
		req.action = "incident.help"
	}

	var (
		reply bot.Reply
		err   error
	)
	switch strings.ToLower(cmd.Name) {
	case "/oncall":
		reply, err = r.oncallCommand(req, a)
	case "/page":
		reply, err = r.pageCommand(req, a)
	case "/runbook":
		reply, err = r.runbookCommand(req, a)
	case "/deploy":
		reply, err = r.deployCommand(req, a)
	default:
		rest := args{words: a.words[min(1, len(a.words)):], flags: a.flags}
		reply, err = r.dispatch(req, sub, rest)
	}
	return r.finish(req, reply, err)
}

func (r *Router) dispatch(req *request, sub string, a args) (bot.Reply, error) {
	switch sub {
	case "declare", "new", "open":
		return r.declare(req, a)
	case "list", "ls":
		return r.list(req)
	case "help", "", "?":
		return helpReply(r.name), nil
	}

	if _, known := channelCommands[sub]; !known {
		return bot.Reply{}, bot.Invalidf("`"+r.name+" help` lists every command.",
			"`%s %s` is not a command I know.", r.name, sub)
	}
	inc, err := r.bot.IncidentInChannel(req.ctx, req.channel)
	if err != nil {
		return r.notInIncident(req, sub, err)
	}
	return channelCommands[sub](r, req, inc, a)
}

// channelCommands act on the incident of the channel they run in.
var channelCommands = map[string]func(*Router, *request, *bot.Incident, args) (bot.Reply, error){
	"commander":   (*Router).commander,
	"lead":        (*Router).commander,
	"role":        (*Router).role,
	"severity":    (*Router).severity,
	"sev":         (*Router).severity,
	"status":      (*Router).status,
	"update":      (*Router).update,
	"note":        (*Router).note,
	"timeline":    (*Router).timeline,
	"checklist":   (*Router).checklist,
	"ack":         (*Router).acknowledge,
	"acknowledge": (*Router).acknowledge,
	"resolve":     (*Router).resolve,
	"reopen":      (*Router).reopen,
	"show":        (*Router).show,
	"action":      (*Router).addAction,
	"actions":     (*Router).listActions,
	"postmortem":  (*Router).postmortem,
}

// notInIncident answers a channel command run outside an incident
// channel, listing where it could run.
func (r *Router) notInIncident(req *request, sub string, err error) (bot.Reply, error) {
	var e *bot.Error
	if !errors.As(err, &e) || e.Code != bot.CodeNotFound {
		return bot.Reply{}, err
	}
	open, lerr := r.bot.OpenIncidents(req.ctx)
	if lerr != nil {
		return bot.Reply{}, lerr
	}

	hint := "There are no open incidents."
	if len(open) > 0 {
		names := make([]string, len(open))
		for i, inc := range open {
			names[i] = fmt.Sprintf("%s in %s", inc.Ref(), channelRef(inc))
		}
		hint = "Open incidents: " + strings.Join(names, "; ") + "."
	}
	return bot.Reply{}, bot.Invalidf(hint,
		"`%s %s` works only in an incident channel.", r.name, sub)
}

func (r *Router) declare(req *request, a args) (bot.Reply, error) {
	title := a.rest(0)
	if title == "" {
		return bot.Reply{Modal: declareModal(r.bot.Policy()),
			Message: &bot.Message{Text: "Or in one line: `" + r.name +
				" declare &lt;title&gt; [--sev P1] [--component api,stt] [--private]`"}}, nil
	}
	if err := unknownFlags(a, "severity", "components", "private", "summary"); err != nil {
		return bot.Reply{}, err
	}

	sev := a.flags["severity"]
	if sev == "" {
		sev = r.bot.Policy().DefaultSeverityName()
	}
	private, err := parseBool(a.flags["private"])
	if err != nil {
		return bot.Reply{}, err
	}

	return r.declareIncident(req, bot.Declaration{
		Title:      title,
		Summary:    a.flags["summary"],
		Severity:   sev,
		Components: splitList(a.flags["components"]),
		Private:    private,
	})
}

func (r *Router) declareIncident(req *request, d bot.Declaration) (bot.Reply, error) {
	d.By = req.user
	d.ReplyTo = req.replyTo
	inc, resumed, err := r.bot.Declare(req.ctx, d)
	if err != nil {
		return bot.Reply{}, err
	}

	req.action = "incident.declare"
	r.logger(req).WithField("incident", inc.ID).Info("incident declared")
	text := fmt.Sprintf(":rotating_light: Declared %s %s: %s. Setting up #%s now; "+
		"the link follows in a moment.", inc.Severity, inc.Ref(), inc.Title, inc.ChannelName)
	if resumed {
		text = fmt.Sprintf(":arrows_counterclockwise: %s (%s) was declared already; "+
			"finishing its setup in #%s now.", inc.Ref(), inc.Title, inc.ChannelName)
	}
	return bot.Reply{Message: &bot.Message{Text: text}}, nil
}

func (r *Router) list(req *request) (bot.Reply, error) {
	open, err := r.bot.OpenIncidents(req.ctx)
	if err != nil {
		return bot.Reply{}, err
	}
	return bot.Reply{Message: listMessage(r.bot, open, r.name)}, nil
}

func (r *Router) show(req *request, inc *bot.Incident, _ args) (bot.Reply, error) {
	return bot.Reply{Message: summaryMessage(r.bot, inc)}, nil
}

func (r *Router) commander(req *request, inc *bot.Incident, a args) (bot.Reply, error) {
	user, err := r.user(req, a.word(0), r.name+" commander @someone")
	if err != nil {
		return bot.Reply{}, err
	}
	if _, err := r.bot.SetCommander(req.ctx, inc.ID, req.user, user); err != nil {
		return bot.Reply{}, err
	}
	return done(fmt.Sprintf("<@%s> is now the incident commander of %s.", user, inc.Ref())), nil
}

func (r *Router) role(req *request, inc *bot.Incident, a args) (bot.Reply, error) {
	valid := make([]string, len(bot.Roles))
	for i, role := range bot.Roles {
		valid[i] = string(role)
	}
	usage := r.name + " role " + strings.Join(valid, "|") + " @someone"

	role, ok := bot.ParseRole(a.word(0))
	if !ok {
		return bot.Reply{}, bot.Invalidf("Use `"+usage+"`; roles: "+strings.Join(valid, ", ")+".",
			"%q is not a role.", a.word(0))
	}
	user, err := r.user(req, a.word(1), usage)
	if err != nil {
		return bot.Reply{}, err
	}
	if _, err := r.bot.AssignRole(req.ctx, inc.ID, req.user, role, user); err != nil {
		return bot.Reply{}, err
	}
	return done(fmt.Sprintf("<@%s> is now %s on %s.", user, role, inc.Ref())), nil
}

func (r *Router) severity(req *request, inc *bot.Incident, a args) (bot.Reply, error) {
	if a.word(0) == "" {
		return bot.Reply{}, bot.Invalidf("Use `"+r.name+" severity "+
			strings.Join(r.bot.Policy().SeverityNames(), "|")+" &lt;reason&gt;`.",
			"Say which severity.")
	}
	next, err := r.bot.SetSeverity(req.ctx, inc.ID, req.user, a.word(0), a.rest(1))
	if err != nil {
		return bot.Reply{}, err
	}
	return done(fmt.Sprintf("%s is now %s.", inc.Ref(), next.Severity)), nil
}

func (r *Router) status(req *request, inc *bot.Incident, a args) (bot.Reply, error) {
	names := make([]string, len(bot.OpenStatuses))
	for i, s := range bot.OpenStatuses {
		names[i] = string(s)
	}
	status, ok := bot.ParseStatus(a.word(0))
	if !ok {
		if a.word(0) == "" {
			return bot.Reply{Modal: statusModal(inc)}, nil
		}
		return bot.Reply{}, bot.Invalidf("Use `"+r.name+" status "+strings.Join(names, "|")+
			" &lt;text&gt;`; to close the incident, `"+r.name+" resolve`.",
			"%q is not a status.", a.word(0))
	}
	if _, err := r.bot.SetStatus(req.ctx, inc.ID, req.user, status, a.rest(1)); err != nil {
		return bot.Reply{}, err
	}
	return done(fmt.Sprintf("%s is now %s; the update is posted.", inc.Ref(), status)), nil
}

func (r *Router) update(req *request, inc *bot.Incident, a args) (bot.Reply, error) {
	if a.rest(0) == "" {
		return bot.Reply{Modal: statusModal(inc)}, nil
	}
	if _, err := r.bot.PostUpdate(req.ctx, inc.ID, req.user, a.rest(0)); err != nil {
		return bot.Reply{}, err
	}
	where := "here"
	if !inc.Private && inc.AnnounceChannel != "" {
		where += " and in <#" + inc.AnnounceChannel + ">"
	}
	return done("Update posted " + where + "."), nil
}

func (r *Router) note(req *request, inc *bot.Incident, a args) (bot.Reply, error) {
	if _, err := r.bot.AddNote(req.ctx, inc.ID, req.user, a.rest(0)); err != nil {
		return bot.Reply{}, err
	}
	return done("Noted on the timeline of " + inc.Ref() + "."), nil
}

func (r *Router) timeline(req *request, inc *bot.Incident, _ args) (bot.Reply, error) {
	events, err := r.bot.Timeline(req.ctx, inc.ID)
	if err != nil {
		return bot.Reply{}, err
	}
	return bot.Reply{Message: timelineMessage(r.bot, inc, events)}, nil
}

func (r *Router) checklist(req *request, inc *bot.Incident, _ args) (bot.Reply, error) {
	return bot.Reply{Message: checklistMessage(r.bot, inc)}, nil
}

func (r *Router) acknowledge(req *request, inc *bot.Incident, _ args) (bot.Reply, error) {
	return r.ack(req, inc.ID)
}

func (r *Router) ack(req *request, id int64) (bot.Reply, error) {
	inc, first, err := r.bot.Acknowledge(req.ctx, id, req.user)
	if err != nil {
		return bot.Reply{}, err
	}
	if !first {
		return done(fmt.Sprintf("%s was already acknowledged by <@%s> after %s.", inc.Ref(),
			inc.AcknowledgedBy, bot.FormatDuration(inc.TimeToAcknowledge()))), nil
	}
	return done(fmt.Sprintf("You acknowledged %s.", inc.Ref())), nil
}

func (r *Router) resolve(req *request, inc *bot.Incident, a args) (bot.Reply, error) {
	next, err := r.bot.Resolve(req.ctx, inc.ID, req.user, a.rest(0))
	if err != nil {
		return bot.Reply{}, err
	}
	return done(fmt.Sprintf("%s is resolved after %s. The post-mortem is due %s.", next.Ref(),
		bot.FormatDuration(next.TimeToResolve()), r.bot.FormatTime(next.PostmortemDue))), nil
}

func (r *Router) reopen(req *request, inc *bot.Incident, a args) (bot.Reply, error) {
	if _, err := r.bot.Reopen(req.ctx, inc.ID, req.user, a.rest(0)); err != nil {
		return bot.Reply{}, err
	}
	return done(inc.Ref() + " is open again."), nil
}

// user resolves a mention to a user id; usage is shown when none is given.
func (r *Router) user(req *request, word, usage string) (string, error) {
	if word == "" {
		return "", bot.Invalidf("Use `"+usage+"`.", "Say who.")
	}
	id, handle := mentionedUser(word)
	if id != "" {
		return id, nil
	}
	return r.bot.FindUser(req.ctx, handle)
}

// Action answers a button press.
func (r *Router) Action(ctx context.Context, act bot.Action) bot.Reply {
	req := &request{ctx: ctx, user: act.UserID, channel: act.ChannelID, replyTo: act.ReplyTo,
		requestID: act.RequestID, action: act.ActionID, started: time.Now()}
	reply, err := r.action(req, act)
	return r.finish(req, reply, err)
}

func (r *Router) action(req *request, act bot.Action) (bot.Reply, error) {
	if strings.HasPrefix(act.ActionID, bot.ActionItemDone+".") {
		return r.actionItemDone(req, act.Value)
	}
	if act.ActionID == bot.ShortcutPrefix+bot.ShortcutAddActionItem {
		return r.actionItemForm(req, act)
	}
	switch act.ActionID {
	case bot.ActionPagerAcknowledge:
		if err := r.bot.AcknowledgePagerIncident(req.ctx, act.Value, req.user); err != nil {
			return bot.Reply{}, err
		}
		return done("Acknowledged in PagerDuty."), nil
	case bot.ActionAlertRunbook:
		rb, ok := r.runbooks.Find(act.Value)
		if !ok {
			return bot.Reply{}, bot.NotFoundf("`/runbook` lists the runbooks.",
				"The alert names a runbook warroom does not have: %q.", act.Value)
		}
		msg := rb.Message()
		return bot.Reply{Message: &msg}, nil
	case bot.ActionPagerDeclare:
		key, title, _ := strings.Cut(act.Value, "|")
		modal := declareModal(r.bot.Policy())
		modal.Metadata = pagerKeyPrefix + key
		modal.Inputs[0].Initial = []string{title}
		modal.Inputs[3].Initial = []string{"From PagerDuty incident " + key + "."}
		return bot.Reply{Modal: modal}, nil
	}

	value, step, _ := strings.Cut(act.Value, ":")
	id, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return bot.Reply{}, bot.Invalidf("Use the buttons on a current incident message.",
			"That button does not name an incident.")
	}

	action := act.ActionID
	if strings.HasPrefix(action, bot.ActionTickStep+".") {
		action = bot.ActionTickStep
	}
	switch action {
	case bot.ActionPageAcknowledge, bot.ActionPageEscalate:
		return r.pageAction(req, action, id)
	case bot.ActionDeployApprove, bot.ActionDeployReject:
		if err := r.bot.MayDecideDeploy(req.ctx, req.user); err != nil {
			return bot.Reply{}, err
		}
		return bot.Reply{Modal: deployDecisionModal(id, action == bot.ActionDeployApprove,
			act.UserName)}, nil
	case bot.ActionAlertDeclare:
		inc, err := r.bot.DeclareFromAlert(req.ctx, id, req.user, req.replyTo)
		if err != nil {
			return bot.Reply{}, err
		}
		return done(fmt.Sprintf(":rotating_light: Declared %s %s: %s. Setting up #%s now.",
			inc.Severity, inc.Ref(), inc.Title, inc.ChannelName)), nil
	case bot.ActionAlertSilence:
		g, err := r.bot.SilenceGroup(req.ctx, id, req.user)
		if err != nil {
			return bot.Reply{}, err
		}
		return done(fmt.Sprintf("Silencing %s for %s at Alertmanager; the message will "+
			"show it.", g.Title(), bot.FormatDuration(r.bot.Policy().Alerts.SilenceFor))), nil
	case bot.ActionAcknowledge:
		return r.ack(req, id)
	case bot.ActionTakeCommand:
		inc, err := r.bot.SetCommander(req.ctx, id, req.user, req.user)
		if err != nil {
			return bot.Reply{}, err
		}
		return done(fmt.Sprintf("You are now the incident commander of %s.", inc.Ref())), nil
	case bot.ActionUpdateStatus:
		inc, err := r.bot.Incident(req.ctx, id)
		if err != nil {
			return bot.Reply{}, err
		}
		return bot.Reply{Modal: statusModal(inc)}, nil
	case bot.ActionResolve:
		inc, err := r.bot.Incident(req.ctx, id)
		if err != nil {
			return bot.Reply{}, err
		}
		if err := r.bot.MayLead(inc, req.user, "resolve the incident"); err != nil {
			return bot.Reply{}, err
		}
		return bot.Reply{Modal: resolveModal(inc)}, nil
	case bot.ActionReopen:
		inc, err := r.bot.Reopen(req.ctx, id, req.user, "")
		if err != nil {
			return bot.Reply{}, err
		}
		return done(inc.Ref() + " is open again."), nil
	case bot.ActionTickStep:
		i, err := strconv.Atoi(step)
		if err != nil {
			return bot.Reply{}, bot.Invalidf("Run `"+r.name+" checklist` again.",
				"That button does not name a checklist step.")
		}
		inc, _, err := r.bot.TickStep(req.ctx, id, req.user, i)
		if err != nil {
			return bot.Reply{}, err
		}
		return bot.Reply{Message: checklistMessage(r.bot, inc)}, nil
	}
	return bot.Reply{}, bot.Invalidf("", "warroom does not know the button %q.", act.ActionID)
}

// pagerKeyPrefix marks the metadata of a declaration form opened from a
// paging-service alert.
const pagerKeyPrefix = "pagerduty:"

// Submit answers a submitted modal.
func (r *Router) Submit(ctx context.Context, sub bot.Submission) bot.Reply {
	req := &request{ctx: ctx, user: sub.UserID, replyTo: sub.ReplyTo, requestID: sub.RequestID,
		action: sub.ModalID, started: time.Now()}

	reply, err := r.submit(req, sub)
	var e *bot.Error
	if errors.As(err, &e) && e.Code == bot.CodeInvalid && len(reply.FieldErrors) == 0 {
		// Keep the form open with the problem next to the first field.
		field := firstInput(sub.ModalID)
		if field != "" {
			r.logger(req).WithField("error", e.Message).Warn("form rejected")
			return bot.Reply{FieldErrors: map[string]string{field: e.Message + " " + e.Hint}}
		}
	}
	return r.finish(req, reply, err)
}

func (r *Router) submit(req *request, sub bot.Submission) (bot.Reply, error) {
	switch sub.ModalID {
	case modalDeclare:
		private := sub.Value(inputPrivate) != ""
		pagerKey, _ := strings.CutPrefix(sub.Metadata, pagerKeyPrefix)
		if pagerKey == sub.Metadata {
			pagerKey = ""
		}
		return r.declareIncident(req, bot.Declaration{
			Title:      bot.Escape(sub.Value(inputTitle)),
			Summary:    bot.Escape(sub.Value(inputSummary)),
			Severity:   sub.Value(inputSeverity),
			Components: sub.Values[inputComponents],
			Private:    private,
			PagerKey:   pagerKey,
		})
	}

	meta := sub.Metadata
	if sub.ModalID == modalDeploy {
		_, meta, _ = strings.Cut(meta, ":")
		meta, _, _ = strings.Cut(meta, "|")
	}
	id, err := strconv.ParseInt(meta, 10, 64)
	if err != nil {
		return bot.Reply{}, bot.Invalidf("Open the form again from its message.",
			"The form does not name what it is about.")
	}
	switch sub.ModalID {
	case modalActionItem:
		return r.submitActionItem(req, id, sub)
	case modalPostmortem:
		pm, err := r.bot.WritePostmortem(req.ctx, id, req.user, bot.Impact{
			UsersAffected: bot.Escape(sub.Value(inputUsers)),
			RevenueLost:   bot.Escape(sub.Value(inputRevenue))})
		if err != nil {
			return bot.Reply{}, err
		}
		return done(fmt.Sprintf("Drafting the post-mortem of INC-%d from its timeline and "+
			"channel; it will be shared in the channel as a file.", pm.IncidentID)), nil
	case modalDeploy:
		approve := strings.HasPrefix(sub.Metadata, "approve:")
		_, name, _ := strings.Cut(sub.Metadata, "|")
		rec, err := r.bot.DecideEmergency(req.ctx, id, req.user, name, approve,
			bot.Escape(sub.Value(inputReason)))
		if err != nil {
			return bot.Reply{}, err
		}
		return done(fmt.Sprintf("%s %s; GitHub is told who and why.", rec.Ref(),
			rec.Status)), nil
	case modalStatus:
		return r.submitStatus(req, id, sub)
	case modalResolve:
		inc, err := r.bot.Resolve(req.ctx, id, req.user, bot.Escape(sub.Value(inputSummary)))
		if err != nil {
			return bot.Reply{}, err
		}
		return done(fmt.Sprintf("%s is resolved after %s.", inc.Ref(),
			bot.FormatDuration(inc.TimeToResolve()))), nil
	}
	return bot.Reply{}, bot.Invalidf("", "warroom does not know the form %q.", sub.ModalID)
}

func (r *Router) submitStatus(req *request, id int64, sub bot.Submission) (bot.Reply, error) {
	text := bot.Escape(strings.TrimSpace(sub.Value(inputUpdate)))
	if text == "" {
		return bot.Reply{FieldErrors: map[string]string{inputUpdate: "Write what changed."}}, nil
	}
	inc, err := r.bot.Incident(req.ctx, id)
	if err != nil {
		return bot.Reply{}, err
	}

	status, ok := bot.ParseStatus(sub.Value(inputStatus))
	if !ok || status == inc.Status {
		_, err = r.bot.PostUpdate(req.ctx, id, req.user, text)
	} else {
		_, err = r.bot.SetStatus(req.ctx, id, req.user, status, text)
	}
	if err != nil {
		return bot.Reply{}, err
	}
	return done("Update posted on " + inc.Ref() + "."), nil
}

// Message records a message posted in an incident channel on its
// timeline.
func (r *Router) Message(ctx context.Context, msg bot.ChannelMessage) {
	if err := r.bot.RecordMessage(ctx, msg); err != nil {
		r.log.WithFields(logrus.Fields{"action": "timeline.message", "userId": msg.UserID,
			"channel": msg.ChannelID}).WithError(err).Error("record channel message")
	}
}

// finish logs the outcome of a request and turns an error into a reply
// that says what went wrong, how to do it right, and an id to quote.
func (r *Router) finish(req *request, reply bot.Reply, err error) bot.Reply {
	log := r.logger(req).WithField("duration", time.Since(req.started).Milliseconds())
	if err == nil {
		log.Info("request handled")
		return reply
	}

	e := bot.AsError(err)
	id := newErrorID()
	log = log.WithFields(logrus.Fields{"errorId": id, "code": e.Code}).WithError(err)
	if e.Code == bot.CodeInternal {
		log.Error("request failed")
	} else {
		log.Warn("request refused")
	}

	text := ":warning: " + e.Message
	if e.Hint != "" {
		text += "\n" + e.Hint
	}
	text += "\n_Error id: " + id + "_"
	return bot.Reply{Message: &bot.Message{Text: text}}
}

func (r *Router) logger(req *request) *logrus.Entry {
	return r.log.WithFields(logrus.Fields{
		"action":    req.action,
		"userId":    req.user,
		"requestId": req.requestID,
	})
}

// newErrorID returns a short id a user can quote and an operator can find
// in the log.
func newErrorID() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "E-" + string(b)
}

func done(text string) bot.Reply {
	return bot.Reply{Message: &bot.Message{Text: text}}
}

func unknownFlags(a args, known ...string) error {
	for name := range a.flags {
		ok := false
		for _, k := range known {
			ok = ok || name == k
		}
		if !ok {
			return bot.Invalidf("Flags it takes: --"+strings.Join(known, ", --")+".",
				"Unknown flag --%s.", name)
		}
	}
	return nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "", "false", "no":
		return false, nil
	case "true", "yes":
		return true, nil
	}
	return false, bot.Invalidf("Write `--private` alone.", "--private does not take %q.", s)
}
