package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ActionItem is something to do after an incident, with an owner and a
// deadline.
type ActionItem struct {
	ID         int64
	IncidentID int64
	Owner      string
	Text       string
	// Due is zero when no deadline was given.
	Due       time.Time
	CreatedBy string
	CreatedAt time.Time
	DoneBy    string
	DoneAt    time.Time
	// IssueURL is the GitHub issue opened for it, once it is.
	IssueURL string
}

// Done reports whether the item is done.
func (a *ActionItem) Done() bool { return !a.DoneAt.IsZero() }

// ActionItemDone is the action of an item's Done button; its value is the
// item's id.
const ActionItemDone = "action_item.done"

// ShortcutPrefix starts the ActionID of a message shortcut, followed by
// the shortcut's callback id; the Action's Value is the message's text.
const ShortcutPrefix = "shortcut."

// ShortcutAddActionItem is the callback id of the "Add as action item"
// message shortcut.
const ShortcutAddActionItem = "add_action_item"

// AddActionItem gives the incident an action item for owner, due at due
// (zero for none), and puts it on the timeline.
func (b *Bot) AddActionItem(ctx context.Context, incidentID int64, by, owner, text string,
	due time.Time) (*ActionItem, error) {

	text = strings.TrimSpace(text)
	if text == "" {
		return nil, Invalidf("`/incident action @owner &lt;what&gt; [--due 2026-12-20]`",
			"Say what is to be done.")
	}
	now := b.clock.Now()
	if !due.IsZero() && due.Before(now.Truncate(24*time.Hour)) {
		return nil, Invalidf("Give a deadline from today on.", "%s is in the past.",
			due.Format("2006-01-02"))
	}

	item := &ActionItem{IncidentID: incidentID, Owner: owner, Text: text, Due: due,
		CreatedBy: by, CreatedAt: now}
	err := b.store.Update(ctx, func(tx Tx) error {
		inc, err := tx.Incident(incidentID)
		if err != nil {
			return err
		}
		if err := tx.AddActionItem(item); err != nil {
			return err
		}
		text := fmt.Sprintf("Action item AI-%d for %s: %s", item.ID, mentionOr(owner, "nobody"),
			text)
		if !due.IsZero() {
			text += " (due " + due.Format("2006-01-02") + ")"
		}
		return b.addEvent(tx, inc, by, EventActionItem, text)
	})
	if errors.Is(err, ErrNotFound) {
		return nil, NotFoundf("", "There is no incident INC-%d.", incidentID)
	}
	if err != nil {
		return nil, fmt.Errorf("add an action item to incident %d: %w", incidentID, err)
	}
	return item, nil
}

// ActionItems lists an incident's action items in the order they were
// added.
func (b *Bot) ActionItems(ctx context.Context, incidentID int64) ([]ActionItem, error) {
	var items []ActionItem
	err := b.store.View(ctx, func(tx Tx) error {
		var err error
		items, err = tx.ActionItems(incidentID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list action items of incident %d: %w", incidentID, err)
	}
	return items, nil
}

// CompleteActionItem marks an item done by by; an item done already stays
// as it was.
func (b *Bot) CompleteActionItem(ctx context.Context, id int64, by string) (*ActionItem,
	error) {

	var item *ActionItem
	err := b.store.Update(ctx, func(tx Tx) error {
		var err error
		if item, err = tx.ActionItem(id); err != nil || item.Done() {
			return err
		}
		item.DoneBy, item.DoneAt = by, b.clock.Now()
		if err := tx.UpdateActionItem(item); err != nil {
			return err
		}
		inc, err := tx.Incident(item.IncidentID)
		if err != nil {
			return err
		}
		return b.addEvent(tx, inc, by, EventActionItem, fmt.Sprintf("Action item AI-%d done: %s",
			item.ID, item.Text))
	})
	if errors.Is(err, ErrNotFound) {
		return nil, NotFoundf("`/incident actions` lists them.", "There is no action item AI-%d.",
			id)
	}
	if err != nil {
		return nil, fmt.Errorf("complete action item %d: %w", id, err)
	}
	return item, nil
}
