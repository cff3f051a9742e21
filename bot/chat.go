package bot

import (
	"context"
	"errors"
	"time"
)

// Recipient addresses a message to one user, privately. A chat adapter uses
// the first of ResponseURL, ChannelID (an ephemeral message) or a direct
// message that works.
type Recipient struct {
	UserID      string `json:"user_id,omitempty"`
	ChannelID   string `json:"channel_id,omitempty"`
	ResponseURL string `json:"response_url,omitempty"`
}

// Chat is what the bot needs of a chat platform. Channel and user values
// are the platform's ids.
type Chat interface {
	// CreateChannel creates a channel and returns its id. A name already
	// taken returns an error for which IsNameTaken is true.
	CreateChannel(ctx context.Context, name string, private bool) (string, error)
	SetTopic(ctx context.Context, channel, topic string) error
	Invite(ctx context.Context, channel string, users []string) error
	// Post posts msg and returns the new message's timestamp.
	Post(ctx context.Context, channel string, msg Message) (string, error)
	// Update replaces the message at ts.
	Update(ctx context.Context, channel, ts string, msg Message) error
	Pin(ctx context.Context, channel, ts string) error
	// Notify shows msg to one user only.
	Notify(ctx context.Context, to Recipient, msg Message) error
	// Permalink returns a link to the message at ts, or to the channel
	// when ts is empty.
	Permalink(ctx context.Context, channel, ts string) (string, error)
	// FindUser resolves a handle (without the @) to a user id.
	FindUser(ctx context.Context, handle string) (string, error)
}

// GroupResolver is a Chat that knows user groups, such as Slack's; the bot
// uses it where the policy names a group instead of people.
type GroupResolver interface {
	GroupMembers(ctx context.Context, group string) ([]string, error)
}

// FileUploader is a Chat that can share files. The bot posts long texts,
// such as post-mortem drafts, as files where it can, and as messages
// elsewhere.
type FileUploader interface {
	UploadFile(ctx context.Context, channel, name, title, content string) error
}

// Errors a Chat reports in a form the bot acts on.
var (
	ErrNameTaken    = errors.New("channel name taken")
	ErrUserNotFound = errors.New("user not found")
)

// RetryAfterError is a failure the platform asked to be retried after a
// wait, such as a rate limit.
type RetryAfterError struct {
	Wait time.Duration
	Err  error
}

func (e *RetryAfterError) Error() string {
	return "retry after " + e.Wait.String() + ": " + e.Err.Error()
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// PermanentError is a failure that no retry will mend, such as a channel
// that no longer exists or a token that was revoked.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }

func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as not worth a retry.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err was marked as not worth a retry.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}
