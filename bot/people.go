package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
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
// the incident's timeline, once however often it is recorded. Messages in
// other channels are ignored.
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
		return b.recordMessage(tx, inc, m)
	})
}

func (b *Bot) recordMessage(tx Tx, inc *Incident, m ChannelMessage) error {
	at, ok := tsTime(m.TS)
	if !ok {
		at = b.clock.Now()
	}
	kind := EventMessage
	if m.Pinned || containsFold(m.Reactions, b.policy.KeyReaction) {
		kind = EventKeyMessage
	}
	return tx.AddEvent(&Event{IncidentID: inc.ID, At: at, Actor: m.UserID, Kind: kind,
		Text: m.Text, Ref: m.TS})
}

// backfill fills in the incident's timeline from the channel's history:
// messages missed while warroom was down, thread replies, pins and key
// reactions. It reads the history a page at a time.
func (b *Bot) backfill(ctx context.Context, inc *Incident) (int, error) {
	hr, ok := b.chat.(HistoryReader)
	if !ok || inc.ChannelID == "" {
		return 0, nil
	}
	added := 0
	err := hr.History(ctx, inc.ChannelID, inc.DeclaredAt.Add(-time.Minute),
		func(m ChannelMessage) error {
			if m.UserID == "" || strings.TrimSpace(m.Text) == "" {
				return nil
			}
			return b.store.Update(ctx, func(tx Tx) error {
				if err := b.recordMessage(tx, inc, m); err != nil {
					return err
				}
				added++
				return nil
			})
		})
	if err != nil {
		return added, fmt.Errorf("read the history of %s: %w", inc.ChannelName, err)
	}
	return added, nil
}
