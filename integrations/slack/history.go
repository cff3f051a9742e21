package slack

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	slackapi "github.com/slack-go/slack"

	"warroom/bot"
)

var _ bot.HistoryReader = (*Client)(nil)

// historyPage is how many messages one history call asks for.
const historyPage = 200

// History reads a channel's messages since since, a page at a time, with
// each thread's replies after its parent, and passes them to visit. When
// Slack rate-limits a page, it waits as long as Slack asks and reads the
// page again.
func (c *Client) History(ctx context.Context, channel string, since time.Time,
	visit func(bot.ChannelMessage) error) error {

	params := &slackapi.GetConversationHistoryParameters{ChannelID: channel,
		Limit: historyPage, Oldest: slackTS(since)}
	for {
		var resp *slackapi.GetConversationHistoryResponse
		err := c.patiently(ctx, "conversations.history", func() error {
			var err error
			resp, err = c.api.GetConversationHistoryContext(ctx, params)
			return err
		})
		if err != nil {
			return classify("conversations.history of "+channel, err)
		}

		for _, m := range resp.Messages {
			if err := visit(c.channelMessage(channel, m)); err != nil {
				return err
			}
			if m.ReplyCount > 0 {
				if err := c.replies(ctx, channel, m.Timestamp, visit); err != nil {
					return err
				}
			}
		}
		if !resp.HasMore || resp.ResponseMetaData.NextCursor == "" {
			return nil
		}
		params.Cursor = resp.ResponseMetaData.NextCursor
	}
}

// replies reads one thread's replies, without its parent.
func (c *Client) replies(ctx context.Context, channel, ts string,
	visit func(bot.ChannelMessage) error) error {

	params := &slackapi.GetConversationRepliesParameters{ChannelID: channel, Timestamp: ts,
		Limit: historyPage}
	for {
		var (
			msgs []slackapi.Message
			more bool
			next string
		)
		err := c.patiently(ctx, "conversations.replies", func() error {
			var err error
			msgs, more, next, err = c.api.GetConversationRepliesContext(ctx, params)
			return err
		})
		if err != nil {
			return classify("conversations.replies of "+channel, err)
		}
		for _, m := range msgs {
			if m.Timestamp == ts {
				continue
			}
			if err := visit(c.channelMessage(channel, m)); err != nil {
				return err
			}
		}
		if !more || next == "" {
			return nil
		}
		params.Cursor = next
	}
}

// patiently makes a call, waiting out Slack's rate limits up to ten
// times.
func (c *Client) patiently(ctx context.Context, method string, fn func() error) error {
	for try := 0; ; try++ {
		err := c.call(method, fn)
		var limited *slackapi.RateLimitedError
		if !errors.As(err, &limited) || try == 9 {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait out a rate limit: %w", ctx.Err())
		case <-time.After(limited.RetryAfter):
		}
	}
}

// channelMessage reads a message of history; messages that are not
// people talking (joins, topic changes, bots, warroom itself) come back
// without a user, which the bot skips.
func (c *Client) channelMessage(channel string, m slackapi.Message) bot.ChannelMessage {
	cm := bot.ChannelMessage{ChannelID: channel, UserID: m.User, Text: m.Text, TS: m.Timestamp,
		ThreadTS: m.ThreadTimestamp, Pinned: len(m.PinnedTo) > 0}
	for _, r := range m.Reactions {
		cm.Reactions = append(cm.Reactions, r.Name)
	}
	if m.SubType != "" && m.SubType != "thread_broadcast" {
		cm.UserID = ""
	}
	c.mu.Lock()
	self := c.botUserID
	c.mu.Unlock()
	if m.BotID != "" || (self != "" && m.User == self) {
		cm.UserID = ""
	}
	return cm
}

// slackTS writes t as a Slack timestamp.
func slackTS(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.Unix(), 10) + ".000000"
}
