package bot

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Frontdoor turns what people do in a chat into calls on the bot: the
// chat adapters (Slack, the terminal shell) call it, and the command router
// implements it. Command, Action and Submit answer within the chat's
// acknowledgement window, so they must be quick; slower work belongs in
// jobs.
type Frontdoor interface {
	Command(ctx context.Context, cmd Command) Reply
	Action(ctx context.Context, act Action) Reply
	Submit(ctx context.Context, sub Submission) Reply
	// Message is a message people posted in a channel the bot is in.
	Message(ctx context.Context, msg ChannelMessage)
}

// Command is a slash command as a chat front door received it.
type Command struct {
	// Name is the command, such as "/incident".
	Name      string
	Text      string
	UserID    string
	ChannelID string
	// ReplyTo is where answers after the acknowledgement go.
	ReplyTo Recipient
	// RequestID ties log lines and error ids to the request.
	RequestID string
}

// Action is a button press on a message the bot posted.
type Action struct {
	ActionID string
	Value    string
	UserID   string
	// UserName is the person's handle, for records read outside the chat.
	UserName  string
	ChannelID string
	// MessageTS is the message that carried the button.
	MessageTS string
	ReplyTo   Recipient
	RequestID string
}

// Submission is a submitted modal.
type Submission struct {
	ModalID   string
	Metadata  string
	UserID    string
	Values    map[string][]string
	ReplyTo   Recipient
	RequestID string
}

// Value returns the first value submitted for input id, or "".
func (s Submission) Value(id string) string {
	if v := s.Values[id]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Reply is the bot's immediate answer to a command, action or submission.
// The front door sends it within the chat platform's acknowledgement
// window; anything slower runs afterwards as a job.
type Reply struct {
	// Message is shown to the user who asked, and only to them unless
	// InChannel is set.
	Message   *Message
	InChannel bool
	// Modal, when set, is opened for the user instead of a message.
	Modal *Modal
	// FieldErrors, on a submission, are shown next to the inputs named
	// by the keys, and keep the modal open.
	FieldErrors map[string]string
}

// ChannelMessage is a message a person posted in a channel the bot is in.
type ChannelMessage struct {
	ChannelID string
	UserID    string
	Text      string
	TS        string
	ThreadTS  string
	// Pinned and Reactions are known for messages read from history.
	Pinned    bool
	Reactions []string
}

// HistoryReader is a Chat that can read a channel's past messages,
// thread replies included; the bot fills in the timeline from it before
// drafting a post-mortem, so messages missed live are not lost.
type HistoryReader interface {
	// History calls visit with every message of channel since since.
	History(ctx context.Context, channel string, since time.Time,
		visit func(ChannelMessage) error) error
}

// tsTime reads a chat message timestamp ("1700000000.000100").
func tsTime(ts string) (time.Time, bool) {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || s <= 0 {
		return time.Time{}, false
	}
	us, _ := strconv.ParseInt((frac + "000000")[:6], 10, 64)
	return time.Unix(s, us*1000).UTC(), true
}
