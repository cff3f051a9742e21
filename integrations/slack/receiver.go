package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"warroom/bot"
)

// Frontdoor is what the Receiver hands Slack's requests to. The Receiver
// waits for Command, Action and Submit inside Slack's three-second
// acknowledgement window.
type Frontdoor = bot.Frontdoor

// ModalOpener opens a modal for the user whose interaction produced
// triggerID. A trigger id is good for three seconds and for one modal.
type ModalOpener interface {
	OpenModal(ctx context.Context, triggerID string, m bot.Modal) error
}

// Notifier shows a message to one user only. The Notify method of a
// bot.Chat satisfies it.
type Notifier interface {
	Notify(ctx context.Context, to bot.Recipient, msg bot.Message) error
}

// The Client is what a Receiver opens modals and notifies users with.
var (
	_ ModalOpener = (*Client)(nil)
	_ Notifier    = (*Client)(nil)
)

// Defaults of ReceiverOptions.
const (
	DefaultAckWithin    = 2500 * time.Millisecond
	DefaultReplyTimeout = time.Minute
)

// ReceiverOptions configure a Receiver. Frontdoor, Opener, Notifier and
// Dedupe are required.
type ReceiverOptions struct {
	Frontdoor Frontdoor
	Opener    ModalOpener
	// Notifier delivers replies that have no response URL to go to, such
	// as the message that follows a modal submission.
	Notifier Notifier
	// Dedupe reports whether an Events API event id is seen for the first
	// time, and remembers it. Slack retries an event for up to an hour, so
	// ids must be kept at least that long. When it fails, the event is not
	// handled and Slack is asked to send it again.
	Dedupe func(ctx context.Context, eventID string) (first bool, err error)
	Log    *logrus.Entry
	// RequestID reads the request id that the server's middleware put in
	// an HTTP request's context; nil leaves HTTP requests without one.
	// Socket Mode requests use their envelope id as request id.
	RequestID func(context.Context) string
	// BotUserID is the bot's own user id, whose messages are not passed to
	// the Frontdoor. It may be empty: events name the bot's user in their
	// authorizations, and those are skipped too.
	BotUserID string
	// AckWithin is how long a Frontdoor call may take before Slack is
	// answered without it (DefaultAckWithin when zero). The reply then
	// follows through the response URL.
	AckWithin time.Duration
	// ReplyTimeout bounds a Frontdoor call and the delivery of its reply
	// after Slack was answered (DefaultReplyTimeout when zero).
	ReplyTimeout time.Duration
}

// Receiver serves Slack's slash commands, interactions and Events API
// callbacks, over HTTP or Socket Mode, and passes them to a Frontdoor.
// Its HTTP handlers expect requests that a Verifier has already checked.
type Receiver struct {
	fd           Frontdoor
	opener       ModalOpener
	notifier     Notifier
	dedupe       func(ctx context.Context, eventID string) (bool, error)
	log          *logrus.Entry
	requestID    func(context.Context) string
	botUserID    string
	ackWithin    time.Duration
	replyTimeout time.Duration

	// pending counts the goroutines still delivering replies or messages.
	pending sync.WaitGroup
}

// NewReceiver builds a Receiver. It returns an error when a required
// option is missing.
func NewReceiver(o ReceiverOptions) (*Receiver, error) {
	var missing []string
	if o.Frontdoor == nil {
		missing = append(missing, "Frontdoor")
	}
	if o.Opener == nil {
		missing = append(missing, "Opener")
	}
	if o.Notifier == nil {
		missing = append(missing, "Notifier")
	}
	if o.Dedupe == nil {
		missing = append(missing, "Dedupe")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("slack receiver: missing %s", strings.Join(missing, ", "))
	}

	r := &Receiver{
		fd:           o.Frontdoor,
		opener:       o.Opener,
		notifier:     o.Notifier,
		dedupe:       o.Dedupe,
		log:          o.Log,
		requestID:    o.RequestID,
		botUserID:    o.BotUserID,
		ackWithin:    o.AckWithin,
		replyTimeout: o.ReplyTimeout,
	}
	if r.log == nil {
		r.log = logrus.NewEntry(logrus.StandardLogger())
	}
	if r.ackWithin <= 0 {
		r.ackWithin = DefaultAckWithin
	}
	if r.replyTimeout <= 0 {
		r.replyTimeout = DefaultReplyTimeout
	}
	return r, nil
}

// Wait blocks until the replies and messages still being delivered after
// their acknowledgement are done, or until ctx ends. Call it on shutdown,
// after the HTTP server and Socket Mode have stopped taking requests.
func (r *Receiver) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		r.pending.Wait()
		close(done)
	}()

	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for slack replies in flight: %w", ctx.Err())
	}
}

// Commands serves POST /slack/commands: it answers a slash command with
// the Frontdoor's message as JSON, or with an empty body when it opened a
// modal instead.
func (r *Receiver) Commands() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !onlyPost(w, req) {
			return
		}

		sc, err := slackapi.SlashCommandParse(req)
		if err == nil && (sc.Command == "" || sc.UserID == "") {
			err = errors.New("the form has no command or no user_id")
		}
		if err != nil {
			r.badRequest(w, req, "slack.command", fmt.Errorf("parse slash command: %w", err))
			return
		}

		answer := r.command(req.Context(), r.httpRequestID(req), sc)
		if answer == nil {
			w.WriteHeader(http.StatusOK)
			return
		}
		r.writeJSON(w, answer)
	})
}

// Interactions serves POST /slack/interactions: button presses and modal
// submissions, sent as JSON in the form field "payload".
func (r *Receiver) Interactions() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !onlyPost(w, req) {
			return
		}

		ic, err := slackapi.InteractionCallbackParse(req)
		if err != nil {
			r.badRequest(w, req, "slack.interaction",
				fmt.Errorf("parse interaction payload: %w", err))
			return
		}

		answer, err := r.interaction(req.Context(), r.httpRequestID(req), ic)
		if err != nil {
			r.badRequest(w, req, "slack.interaction", err)
			return
		}
		if answer == nil {
			w.WriteHeader(http.StatusOK)
			return
		}
		r.writeJSON(w, answer)
	})
}

// Events serves POST /slack/events: it answers Slack's url_verification
// challenge and hands channel messages to the Frontdoor after the
// acknowledgement. A retried event that was handled already is
// acknowledged and otherwise ignored.
func (r *Receiver) Events() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !onlyPost(w, req) {
			return
		}

		body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, MaxBodyBytes))
		if err != nil {
			r.badRequest(w, req, "slack.event", fmt.Errorf("read event body: %w", err))
			return
		}

		var outer struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(body, &outer); err != nil {
			r.badRequest(w, req, "slack.event", fmt.Errorf("parse event: %w", err))
			return
		}
		ev, err := slackevents.ParseEvent(json.RawMessage(body),
			slackevents.OptionNoVerifyToken())
		if err != nil && outer.Type != slackevents.CallbackEvent {
			r.badRequest(w, req, "slack.event", fmt.Errorf("parse event: %w", err))
			return
		}
		if err != nil {
			// An event of a type slack-go does not know, or of a shape it
			// does not expect: nothing the bot uses, and a retry would not
			// parse any better.
			r.log.WithFields(logrus.Fields{
				logAction:  "slack.event",
				logRequest: r.httpRequestID(req),
			}).WithError(err).Debug("ignored an event that could not be parsed")
			w.WriteHeader(http.StatusOK)
			return
		}

		if ev.Type == slackevents.URLVerification {
			r.answerChallenge(w, req, ev)
			return
		}

		if n := req.Header.Get("X-Slack-Retry-Num"); n != "" {
			r.log.WithFields(logrus.Fields{
				logAction:  "slack.event",
				logRequest: r.httpRequestID(req),
				"retry":    n,
				"reason":   req.Header.Get("X-Slack-Retry-Reason"),
			}).Debug("Slack retried an event")
		}
		if err := r.event(req.Context(), r.httpRequestID(req), ev); err != nil {
			// Slack sends the event again after an error status.
			http.Error(w, "event not handled, try again", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// answerChallenge answers the url_verification request Slack sends when
// the events URL is configured.
func (r *Receiver) answerChallenge(
	w http.ResponseWriter, req *http.Request, ev slackevents.EventsAPIEvent,
) {
	uv, ok := ev.Data.(*slackevents.EventsAPIURLVerificationEvent)
	if !ok || uv.Challenge == "" {
		r.badRequest(w, req, "slack.event", errors.New("url_verification without a challenge"))
		return
	}

	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, uv.Challenge)
}

// commandAnswer is the message a slash command is answered with, over
// HTTP or as the Socket Mode acknowledgement's payload.
type commandAnswer struct {
	ResponseType string           `json:"response_type"`
	Text         string           `json:"text"`
	Blocks       []slackapi.Block `json:"blocks,omitempty"`
}

// command runs a slash command through the Frontdoor and returns what to
// answer Slack with: a message, or nil for an empty answer. When the
// Frontdoor takes longer than the acknowledgement window, the answer says
// the bot is working on it and the reply follows through the response URL.
func (r *Receiver) command(
	ctx context.Context, requestID string, sc slackapi.SlashCommand,
) *commandAnswer {
	cmd := bot.Command{
		Name:      sc.Command,
		Text:      sc.Text,
		UserID:    sc.UserID,
		ChannelID: sc.ChannelID,
		ReplyTo: bot.Recipient{
			UserID:      sc.UserID,
			ChannelID:   sc.ChannelID,
			ResponseURL: sc.ResponseURL,
		},
		RequestID: requestID,
	}
	log := r.log.WithFields(logrus.Fields{
		logAction:  "slack.command",
		logUser:    sc.UserID,
		logRequest: requestID,
		"command":  sc.Command,
	})
	log.Debug("slash command received")

	reply, inTime := guard(r, ctx, log, internalErrorReply(requestID),
		func(ctx context.Context) bot.Reply { return r.fd.Command(ctx, cmd) },
		func(ctx context.Context, reply bot.Reply) {
			r.settle(ctx, log, sc.TriggerID, cmd.ReplyTo, reply)
		})
	if !inTime {
		return newCommandAnswer(bot.Message{Text: stillWorking}, false)
	}

	msg, inChannel := r.openModal(ctx, log, sc.TriggerID, reply)
	if msg == nil {
		return nil
	}
	return newCommandAnswer(*msg, inChannel)
}

// interaction runs an interaction through the Frontdoor and returns what
// to answer Slack with: field errors for a modal submission, or nil for an
// empty answer. It returns an error for an interaction type it does not
// know.
func (r *Receiver) interaction(
	ctx context.Context, requestID string, ic slackapi.InteractionCallback,
) (*slackapi.ViewSubmissionResponse, error) {
	switch ic.Type {
	case slackapi.InteractionTypeBlockActions:
		r.blockActions(ctx, requestID, ic)
		return nil, nil

	case slackapi.InteractionTypeViewSubmission:
		return r.viewSubmission(ctx, requestID, ic), nil

	case slackapi.InteractionTypeMessageAction:
		r.blockActions(ctx, requestID, ic)
		return nil, nil

	case slackapi.InteractionTypeViewClosed, slackapi.InteractionTypeShortcut,
		slackapi.InteractionTypeBlockSuggestion,
		slackapi.InteractionTypeInteractionMessage, slackapi.InteractionTypeDialogSubmission,
		slackapi.InteractionTypeDialogCancellation, slackapi.InteractionTypeDialogSuggestion,
		slackapi.InteractionTypeWorkflowStepEdit:
		r.log.WithFields(logrus.Fields{
			logAction:  "slack.interaction",
			logUser:    ic.User.ID,
			logRequest: requestID,
			"type":     ic.Type,
		}).Debug("ignored an interaction the bot does not use")
		return nil, nil

	default:
		return nil, fmt.Errorf("unknown interaction type %q", ic.Type)
	}
}

// blockActions passes each action of a block_actions payload (usually
// one) to the Frontdoor. A modal in the reply is opened at once, while the
// trigger id is fresh; a message goes to the response URL afterwards.
func (r *Receiver) blockActions(
	ctx context.Context, requestID string, ic slackapi.InteractionCallback,
) {
	to := bot.Recipient{
		UserID:      ic.User.ID,
		ChannelID:   firstNonEmpty(ic.Channel.ID, ic.Container.ChannelID),
		ResponseURL: ic.ResponseURL,
	}
	messageTS := firstNonEmpty(ic.Container.MessageTs, ic.Message.Timestamp)
	var acts []bot.Action
	for _, a := range ic.ActionCallback.BlockActions {
		if a == nil {
			continue
		}
		acts = append(acts, bot.Action{
			ActionID:  a.ActionID,
			Value:     firstNonEmpty(a.Value, a.SelectedOption.Value),
			UserID:    ic.User.ID,
			UserName:  firstNonEmpty(ic.User.Name, ic.User.Username),
			ChannelID: to.ChannelID,
			MessageTS: messageTS,
			ReplyTo:   to,
			RequestID: requestID,
		})
	}
	if ic.Type == slackapi.InteractionTypeMessageAction && ic.CallbackID != "" {
		// A message shortcut: its callback id names it, the message is its
		// value.
		acts = append(acts, bot.Action{
			ActionID:  bot.ShortcutPrefix + ic.CallbackID,
			Value:     ic.Message.Text,
			UserID:    ic.User.ID,
			UserName:  firstNonEmpty(ic.User.Name, ic.User.Username),
			ChannelID: to.ChannelID,
			MessageTS: ic.Message.Timestamp,
			ReplyTo:   to,
			RequestID: requestID,
		})
	}
	log := r.log.WithFields(logrus.Fields{
		logAction:  "slack.interaction",
		logUser:    ic.User.ID,
		logRequest: requestID,
		"type":     ic.Type,
	})
	if len(acts) == 0 {
		log.Debug("ignored block_actions without block actions")
		return
	}

	run := func(ctx context.Context) []bot.Reply {
		replies := make([]bot.Reply, 0, len(acts))
		for _, act := range acts {
			replies = append(replies, r.fd.Action(ctx, act))
		}
		return replies
	}
	settleAll := func(ctx context.Context, replies []bot.Reply) {
		for _, reply := range replies {
			r.settle(ctx, log, ic.TriggerID, to, reply)
		}
	}
	fallback := []bot.Reply{internalErrorReply(requestID)}
	if replies, inTime := guard(r, ctx, log, fallback, run, settleAll); inTime {
		settleAll(ctx, replies)
	}
}

// viewSubmission passes a submitted modal to the Frontdoor. It returns the
// field errors to show in the modal, or nil to close it; the reply's
// message is sent to the user afterwards.
func (r *Receiver) viewSubmission(
	ctx context.Context, requestID string, ic slackapi.InteractionCallback,
) *slackapi.ViewSubmissionResponse {
	sub := bot.Submission{
		ModalID:   ic.View.CallbackID,
		Metadata:  ic.View.PrivateMetadata,
		UserID:    ic.User.ID,
		Values:    SubmissionValues(ic.View),
		ReplyTo:   bot.Recipient{UserID: ic.User.ID},
		RequestID: requestID,
	}
	if urls := ic.ResponseURLs; len(urls) > 0 {
		// The modal asked where to answer (an input with response_url_enabled).
		sub.ReplyTo.ChannelID = urls[0].ChannelID
		sub.ReplyTo.ResponseURL = urls[0].ResponseURL
	}
	log := r.log.WithFields(logrus.Fields{
		logAction:  "slack.interaction",
		logUser:    ic.User.ID,
		logRequest: requestID,
		"type":     ic.Type,
		"modal":    sub.ModalID,
	})

	reply, inTime := guard(r, ctx, log, internalErrorReply(requestID),
		func(ctx context.Context) bot.Reply { return r.fd.Submit(ctx, sub) },
		func(ctx context.Context, reply bot.Reply) {
			// The modal is closed by now: the field errors can only be told.
			if len(reply.FieldErrors) > 0 {
				reply = bot.Reply{Message: lateFieldErrors(reply.FieldErrors)}
			}
			r.settle(ctx, log, "", sub.ReplyTo, reply)
		})
	if !inTime {
		return nil
	}

	if len(reply.FieldErrors) > 0 {
		return slackapi.NewErrorsViewSubmissionResponse(reply.FieldErrors)
	}
	if reply.Modal != nil {
		log.WithField("next", reply.Modal.ID).
			Warn("a modal in answer to a submission is not shown")
		reply.Modal = nil
	}
	r.settle(ctx, log, "", sub.ReplyTo, reply)
	return nil
}

// event handles an Events API callback: it passes a person's message in a
// channel to the Frontdoor once, after the acknowledgement. It returns an
// error when the event could not be checked against those already handled;
// the caller then lets Slack send it again.
func (r *Receiver) event(
	ctx context.Context, requestID string, ev slackevents.EventsAPIEvent,
) error {
	log := r.log.WithFields(logrus.Fields{
		logAction:  "slack.event",
		logRequest: requestID,
		"type":     ev.Type,
	})
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	switch {
	case ev.Type == slackevents.AppRateLimited:
		log.Warn("Slack is dropping events: the app is over its rate limit")
		return nil
	case ev.Type != slackevents.CallbackEvent || !ok || cb == nil:
		log.Debug("ignored an event that is no event_callback")
		return nil
	}

	log = log.WithFields(logrus.Fields{"eventId": cb.EventID, "event": ev.InnerEvent.Type})
	msg, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent)
	if !ok || msg == nil {
		log.Debug("ignored an event that is no message")
		return nil
	}
	cm, ok := r.channelMessage(cb, msg)
	if !ok {
		log.Debug("ignored a message that is no person's post in a channel")
		return nil
	}
	log = log.WithField(logUser, cm.UserID)

	if cb.EventID != "" {
		first, err := r.dedupe(ctx, cb.EventID)
		if err != nil {
			log.WithError(err).Error("check event against those handled")
			return fmt.Errorf("dedupe event %s: %w", cb.EventID, err)
		}
		if !first {
			log.Debug("ignored an event handled already")
			return nil
		}
	}

	r.background(ctx, log, func(ctx context.Context) { r.fd.Message(ctx, cm) })
	return nil
}

// channelMessage returns the message a person posted in a public or
// private channel, and false for anything else: edits, deletions, joins,
// direct messages, bots' posts and the bot's own.
func (r *Receiver) channelMessage(
	cb *slackevents.EventsAPICallbackEvent, msg *slackevents.MessageEvent,
) (bot.ChannelMessage, bool) {
	if msg.SubType != "" && msg.SubType != "thread_broadcast" {
		return bot.ChannelMessage{}, false
	}
	if msg.ChannelType != slackevents.ChannelTypeChannel &&
		msg.ChannelType != slackevents.ChannelTypeGroup {
		return bot.ChannelMessage{}, false
	}
	if msg.User == "" || msg.Channel == "" || r.isBot(cb, msg.User) {
		return bot.ChannelMessage{}, false
	}

	return bot.ChannelMessage{
		ChannelID: msg.Channel,
		UserID:    msg.User,
		Text:      msg.Text,
		TS:        msg.TimeStamp,
		ThreadTS:  msg.ThreadTimeStamp,
	}, true
}

// isBot reports whether user is the bot itself, as configured or as the
// event's authorizations name it.
func (r *Receiver) isBot(cb *slackevents.EventsAPICallbackEvent, user string) bool {
	if r.botUserID != "" && user == r.botUserID {
		return true
	}
	for _, a := range cb.Authorizations {
		if a.IsBot && a.UserID == user {
			return true
		}
	}
	return false
}

// Texts the Receiver shows people on its own account.
const (
	stillWorking = ":hourglass_flowing_sand: Working on it: " +
		"the answer will appear here in a moment."
	formNotOpened = "Sorry, the form could not be opened."
)

// openModal opens reply's modal, if it has one, and returns the message to
// show the user: the reply's own, or when the modal could not be opened, a
// message that says so followed by the reply's one-line alternative.
func (r *Receiver) openModal(
	ctx context.Context, log *logrus.Entry, triggerID string, reply bot.Reply,
) (*bot.Message, bool) {
	if reply.Modal == nil {
		return reply.Message, reply.InChannel
	}

	err := errors.New("no trigger id to open it with")
	if triggerID != "" {
		err = r.opener.OpenModal(ctx, triggerID, *reply.Modal)
	}
	if err == nil {
		return nil, false
	}

	log.WithError(err).WithField("modal", reply.Modal.ID).Warn("open modal")
	text := formNotOpened
	if reply.Message != nil && reply.Message.Text != "" {
		text += " " + reply.Message.Text
	}
	return &bot.Message{Text: text}, false
}

// settle opens reply's modal now and delivers its message to the user in
// the background.
func (r *Receiver) settle(
	ctx context.Context, log *logrus.Entry, triggerID string, to bot.Recipient, reply bot.Reply,
) {
	msg, inChannel := r.openModal(ctx, log, triggerID, reply)
	if msg == nil {
		return
	}

	r.background(ctx, log, func(ctx context.Context) {
		r.deliver(ctx, log, to, *msg, inChannel)
	})
}

// deliver sends msg to the user through the response URL when Slack gave
// one, else through the Notifier.
func (r *Receiver) deliver(
	ctx context.Context, log *logrus.Entry, to bot.Recipient, msg bot.Message, inChannel bool,
) {
	if to.ResponseURL == "" {
		if err := r.notifier.Notify(ctx, to, msg); err != nil {
			log.WithError(err).Error("notify user of the reply")
		}
		return
	}

	r.respond(ctx, log, to.ResponseURL, newCommandAnswer(msg, inChannel))
}

// respond posts answer to a response URL as a new message (replace_original
// false).
func (r *Receiver) respond(
	ctx context.Context, log *logrus.Entry, responseURL string, answer *commandAnswer,
) {
	wm := &slackapi.WebhookMessage{
		ResponseType:    answer.ResponseType,
		Text:            answer.Text,
		ReplaceOriginal: false,
	}
	if len(answer.Blocks) > 0 {
		wm.Blocks = &slackapi.Blocks{BlockSet: answer.Blocks}
	}
	if err := slackapi.PostWebhookContext(ctx, responseURL, wm); err != nil {
		log.WithError(hideURL(err)).Error("post the reply to the response url")
	}
}

// guard runs call in its own goroutine and waits at most the receiver's
// acknowledgement window for it. It returns call's result and true when
// it came in time. Otherwise it returns false at once, and late receives
// the result when it comes, in the background. A panic in call is logged
// and gives fallback as the result.
func guard[T any](
	r *Receiver, ctx context.Context, log *logrus.Entry, fallback T,
	call func(context.Context) T, late func(context.Context, T),
) (T, bool) {
	// The call outlives the request when it is late, so it must not end
	// with the request's context.
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.replyTimeout)
	done := make(chan T, 1)
	r.spawn(log, func() {
		result := fallback
		defer func() { done <- result }()
		result = call(work)
	})

	timer := time.NewTimer(r.ackWithin)
	defer timer.Stop()
	select {
	case result := <-done:
		cancel()
		return result, true
	case <-timer.C:
	case <-ctx.Done():
	}
	select {
	case result := <-done:
		cancel()
		return result, true
	default:
	}

	log.WithField("ackWithin", r.ackWithin.Milliseconds()).
		Warn("the front door was too slow to answer within Slack's window; replying later")
	r.spawn(log, func() {
		defer cancel()
		late(work, <-done)
	})
	var zero T
	return zero, false
}

// background runs fn in a goroutine with a context that survives the
// request but not the receiver's reply timeout. A panic in fn is logged.
func (r *Receiver) background(ctx context.Context, log *logrus.Entry, fn func(context.Context)) {
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.replyTimeout)
	r.spawn(log, func() {
		defer cancel()
		fn(work)
	})
}

// spawn runs fn in a goroutine that Wait waits for. A panic in fn is
// logged.
func (r *Receiver) spawn(log *logrus.Entry, fn func()) {
	r.pending.Add(1)
	go func() {
		defer r.pending.Done()
		safely(log, fn)
	}()
}

// safely runs fn and logs a panic in it as an error instead of letting it
// end the program.
func safely(log *logrus.Entry, fn func()) {
	defer func() {
		if p := recover(); p != nil {
			log.WithError(fmt.Errorf("panic: %v", p)).WithField("stack", string(debug.Stack())).
				Error("recovered from a panic while handling a Slack request")
		}
	}()

	fn()
}

// internalErrorReply is the reply shown when the Frontdoor failed without
// one of its own, with the request id for the user to quote.
func internalErrorReply(requestID string) bot.Reply {
	e := bot.AsError(errors.New("front door failed"))
	text := ":warning: " + e.Message + "\n" + e.Hint
	if requestID != "" {
		text += "\n_Error id: " + requestID + "_"
	}
	return bot.Reply{Message: &bot.Message{Text: text}}
}

// lateFieldErrors tells a user that a submission the bot answered too late
// to keep the modal open was refused, and why.
func lateFieldErrors(errs map[string]string) *bot.Message {
	ids := make([]string, 0, len(errs))
	for id := range errs {
		ids = append(ids, id)
	}
	sort.Strings(ids)

	var b strings.Builder
	b.WriteString(":warning: Your form was not saved:")
	for _, id := range ids {
		b.WriteString("\n• " + errs[id])
	}
	b.WriteString("\nPlease fill it in again.")
	return &bot.Message{Text: b.String()}
}

// newCommandAnswer renders msg as the answer to a slash command.
func newCommandAnswer(msg bot.Message, inChannel bool) *commandAnswer {
	return &commandAnswer{
		ResponseType: responseType(inChannel),
		Text:         msg.Text,
		Blocks:       RenderBlocks(msg),
	}
}

// responseType is Slack's name for who sees a reply.
func responseType(inChannel bool) string {
	if inChannel {
		return slackapi.ResponseTypeInChannel
	}
	return slackapi.ResponseTypeEphemeral
}

// firstNonEmpty returns the first of values that is not empty.
func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// httpRequestID returns the id the server's middleware gave req, if any.
func (r *Receiver) httpRequestID(req *http.Request) string {
	if r.requestID == nil {
		return ""
	}
	return r.requestID(req.Context())
}

// writeJSON answers with v as JSON.
func (r *Receiver) writeJSON(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		r.log.WithError(err).Error("encode the answer to Slack")
		http.Error(w, "could not encode the answer", http.StatusInternalServerError)
		return
	}

	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// badRequest answers 400 and logs why in one warn line.
func (r *Receiver) badRequest(w http.ResponseWriter, req *http.Request, action string, err error) {
	log := r.log.WithField(logAction, action)
	if id := r.httpRequestID(req); id != "" {
		log = log.WithField(logRequest, id)
	}
	log.WithError(err).Warn("refused a malformed Slack request")

	http.Error(w, "malformed request", http.StatusBadRequest)
}

// onlyPost answers 405 to anything but a POST and reports whether the
// request may go on.
func onlyPost(w http.ResponseWriter, req *http.Request) bool {
	if req.Method == http.MethodPost {
		return true
	}
	w.Header().Set("Allow", http.MethodPost)
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}
