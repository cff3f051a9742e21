package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sirupsen/logrus"
	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"warroom/bot"
)

// SocketMode receives Slack's slash commands, interactions and events over
// a websocket that the bot opens to Slack, for a bot that Slack cannot
// reach over HTTP. It hands them to the same code as the Receiver's HTTP
// handlers. Requests arriving this way need no signature check: the
// connection itself is authenticated with the app-level token.
type SocketMode struct {
	client *socketmode.Client
	recv   *Receiver
	log    *logrus.Entry
}

// shutdownWait bounds how long Run waits for the websocket to close after
// its context ended.
const shutdownWait = 5 * time.Second

// NewSocketMode prepares a Socket Mode connection for the app-level token
// appToken (SLACK_APP_TOKEN, "xapp-..."), delivering to recv. opts
// configure the Web API client that opens the connection, such as
// slackapi.OptionAPIURL to reach a fake. It returns an error when appToken
// is empty.
func NewSocketMode(
	appToken string, recv *Receiver, log *logrus.Entry, opts ...slackapi.Option,
) (*SocketMode, error) {
	if appToken == "" {
		return nil, errors.New("slack socket mode: the app-level token is empty")
	}
	if recv == nil {
		return nil, errors.New("slack socket mode: no receiver")
	}
	if log == nil {
		log = logrus.NewEntry(logrus.StandardLogger())
	}

	opts = append(opts, slackapi.OptionAppLevelToken(appToken))
	api := slackapi.New("", opts...)
	return &SocketMode{
		client: socketmode.New(api),
		recv:   recv,
		log:    log.WithField(logAction, "slack.socketmode"),
	}, nil
}

// Run connects to Slack, reconnecting as Slack asks, and handles what
// arrives until ctx ends, when it returns nil. It returns an error when
// Slack refuses the connection for good, such as for a revoked token.
func (s *SocketMode) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	stopped := make(chan error, 1)
	go func() { stopped <- s.client.RunContext(ctx) }()

	for {
		select {
		case <-ctx.Done():
			select {
			case <-stopped:
			case <-time.After(shutdownWait):
				s.log.Warn("socket mode connection did not close in time")
			}
			return nil

		case err := <-stopped:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("run socket mode: %w", err)

		case evt := <-s.client.Events:
			// Each request in its own goroutine, so that one slow front door
			// call does not hold up the acknowledgement of the next.
			s.recv.spawn(s.log, func() { s.handle(ctx, evt) })
		}
	}
}

// handle routes one Socket Mode event to the Receiver and acknowledges it.
func (s *SocketMode) handle(ctx context.Context, evt socketmode.Event) {
	log := s.log.WithField("type", evt.Type)
	switch evt.Type {
	case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive,
		socketmode.EventTypeEventsAPI:
		if evt.Request == nil {
			log.Warn("a request without its envelope; ignored")
			return
		}
		s.handleRequest(ctx, evt)

	case socketmode.EventTypeErrorBadMessage:
		s.handleBadMessage(ctx, log, evt)

	case socketmode.EventTypeConnecting, socketmode.EventTypeHello:
		log.Debug("socket mode connecting")
	case socketmode.EventTypeConnected:
		log.Info("socket mode connected")
	case socketmode.EventTypeConnectionError, socketmode.EventTypeIncomingError,
		socketmode.EventTypeErrorWriteFailed:
		log.WithError(eventError(evt.Data)).Warn("socket mode connection trouble")
	case socketmode.EventTypeInvalidAuth:
		log.Error("Slack refused the app-level token")
	default:
		log.Debug("ignored a socket mode event")
	}
}

// handleRequest runs a slash command, interaction or Events API event
// through the Receiver and acknowledges it with the answer as payload.
func (s *SocketMode) handleRequest(ctx context.Context, evt socketmode.Event) {
	id := evt.Request.EnvelopeID
	log := s.log.WithFields(logrus.Fields{"type": evt.Type, logRequest: id})

	switch data := evt.Data.(type) {
	case slackapi.SlashCommand:
		answer := s.recv.command(ctx, id, data)
		if answer == nil {
			s.ack(ctx, log, evt.Request, nil)
			return
		}
		if err := s.client.AckCtx(ctx, id, answer); err != nil {
			// Most likely over the acknowledgement's 20 KB: the answer goes
			// to the response URL instead.
			log.WithError(err).Warn("acknowledge with the answer; sending it apart")
			s.ack(ctx, log, evt.Request, nil)
			to := bot.Recipient{UserID: data.UserID, ChannelID: data.ChannelID,
				ResponseURL: data.ResponseURL}
			s.recv.background(ctx, log, func(ctx context.Context) {
				if to.ResponseURL == "" {
					log.Error("no response url to send a command's answer to")
					return
				}
				s.recv.respond(ctx, log, to.ResponseURL, answer)
			})
		}

	case slackapi.InteractionCallback:
		answer, err := s.recv.interaction(ctx, id, data)
		if err != nil {
			log.WithError(err).Warn("refused an interaction")
		}
		if answer == nil {
			s.ack(ctx, log, evt.Request, nil)
			return
		}
		s.ack(ctx, log, evt.Request, answer)

	case slackevents.EventsAPIEvent:
		if err := s.recv.event(ctx, id, data); err != nil {
			// Left unacknowledged, the event comes again.
			return
		}
		s.ack(ctx, log, evt.Request, nil)

	default:
		log.WithField("data", fmt.Sprintf("%T", evt.Data)).Warn("a request of an unexpected shape")
		s.ack(ctx, log, evt.Request, nil)
	}
}

// handleBadMessage logs a request the Socket Mode client could not parse,
// such as an event of a type slack-go does not know, and acknowledges it
// so that Slack does not send it again.
func (s *SocketMode) handleBadMessage(
	ctx context.Context, log *logrus.Entry, evt socketmode.Event,
) {
	bad, ok := evt.Data.(*socketmode.ErrorBadMessage)
	if !ok || bad == nil {
		log.Warn("socket mode reported a bad message")
		return
	}

	var req socketmode.Request
	if err := json.Unmarshal(bad.Message, &req); err != nil || req.EnvelopeID == "" {
		log.WithError(bad.Cause).Warn("socket mode message without an envelope")
		return
	}
	log.WithError(bad.Cause).WithField(logRequest, req.EnvelopeID).
		Debug("acknowledged a socket mode message that could not be parsed")
	s.ack(ctx, log, &req, nil)
}

// ack acknowledges req, with payload when it is not nil (an untyped nil:
// a nil pointer would be sent as a JSON null).
func (s *SocketMode) ack(
	ctx context.Context, log *logrus.Entry, req *socketmode.Request, payload any,
) {
	if err := s.client.AckCtx(ctx, req.EnvelopeID, payload); err != nil {
		log.WithError(err).Error("acknowledge a socket mode request")
	}
}

// eventError returns the error a Socket Mode client event carries.
func eventError(data any) error {
	switch d := data.(type) {
	case *slackapi.ConnectionErrorEvent:
		return d.ErrorObj
	case *slackapi.IncomingEventError:
		return d.ErrorObj
	case *socketmode.ErrorWriteFailed:
		return d.Cause
	case error:
		return d
	}
	return fmt.Errorf("%T", data)
}
