package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// FindUser resolves a handle, with or without its @, to a user id.
func (b *Bot) FindUser(ctx context.Context, handle string) (string, error) {
	handle = strings.TrimPrefix(strings.TrimSpace(handle), "@")
	if handle == "" {
		return "", Invalidf("Mention them, like `@alice`.", "Name a person.")
	}

	id, err := b.chat.FindUser(ctx, handle)
	if errors.Is(err, ErrUserNotFound) {
		return "", NotFoundf("Mention them with @ so the name completes, like `@alice`.",
			"Nobody in this workspace is called @%s.", handle)
	}
	if err != nil {
		return "", fmt.Errorf("find user @%s: %w", handle, err)
	}
	return id, nil
}

// MayLead returns an error, for the user to read, unless user is the
// incident's commander or an incident admin. what says what they tried.
func (b *Bot) MayLead(inc *Incident, user, what string) error {
	return b.mayLead(inc, user, what)
}

// RecordMessage puts a message people posted in an incident channel on
// the incident's timeline. Messages in other channels are ignored.
func (b *Bot) RecordMessage(ctx context.Context, m ChannelMessage) error {
	if m.UserID == "" || strings.TrimSpace(m.Text) == "" {
		return nil
	}
	return b.store.Update(ctx, func(tx Tx) error {
		inc, err := tx.IncidentByChannel(m.ChannelID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return tx.AddEvent(&Event{
			IncidentID: inc.ID,
			At:         b.clock.Now(),
			Actor:      m.UserID,
			Kind:       EventMessage,
			Text:       m.Text,
		})
	})
}
