package slack

import (
	"context"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"warroom/bot"
)

var _ bot.GroupResolver = (*Client)(nil)

// groupCache remembers user groups' members for a while: approvals are
// checked inside Slack's three-second window.
type groupCache struct {
	mu      sync.Mutex
	members map[string]groupEntry
}

type groupEntry struct {
	users []string
	at    time.Time
}

// GroupMembers lists the members of a Slack user group (S...), cached for
// the user directory's time to live.
func (c *Client) GroupMembers(ctx context.Context, group string) ([]string, error) {
	c.groups.mu.Lock()
	e, ok := c.groups.members[group]
	c.groups.mu.Unlock()
	if ok && c.now().Sub(e.at) < c.userTTL {
		return e.users, nil
	}

	var users []string
	err := c.call("usergroups.users.list", func() error {
		var err error
		users, err = c.api.GetUserGroupMembersContext(ctx, group)
		return err
	})
	if err != nil {
		if ok {
			return e.users, nil
		}
		return nil, classify("usergroups.users.list of "+group, err)
	}

	c.groups.mu.Lock()
	defer c.groups.mu.Unlock()
	if c.groups.members == nil {
		c.groups.members = map[string]groupEntry{}
	}
	c.groups.members[group] = groupEntry{users: users, at: c.now()}
	return users, nil
}

var _ bot.FileUploader = (*Client)(nil)

// UploadFile shares a text file in a channel (files.getUploadURLExternal,
// the upload, files.completeUploadExternal).
func (c *Client) UploadFile(ctx context.Context, channel, name, title, content string) error {
	err := c.call("files.upload", func() error {
		_, err := c.api.UploadFileContext(ctx, slackapi.UploadFileParameters{
			Content: content, FileSize: len(content), Filename: name, Title: title,
			Channel: channel,
		})
		return err
	})
	return classify("file upload of "+name+" to "+channel, err)
}
