package storage

import (
	"database/sql"
	"errors"
	"fmt"

	"warroom/bot"
)

const selectActionItem = "SELECT id, incident_id, owner, text, due, created_by, created_at, " +
	"done_by, done_at, issue_url FROM action_items"

// AddActionItem stores an action item and sets a.ID.
func (t *Tx) AddActionItem(a *bot.ActionItem) error {
	res, err := t.tx.ExecContext(t.ctx, "INSERT INTO action_items (incident_id, owner, text, "+
		"due, created_by, created_at, done_by, done_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		a.IncidentID, a.Owner, a.Text, millis(a.Due), a.CreatedBy, millis(a.CreatedAt),
		a.DoneBy, millis(a.DoneAt))
	if err != nil {
		return fmt.Errorf("add action item: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("add action item: read id: %w", err)
	}
	a.ID = id
	return nil
}

// UpdateActionItem overwrites the stored item with a's ID.
func (t *Tx) UpdateActionItem(a *bot.ActionItem) error {
	_, err := t.tx.ExecContext(t.ctx, "UPDATE action_items SET owner = ?, text = ?, due = ?, "+
		"done_by = ?, done_at = ?, issue_url = ? WHERE id = ?", a.Owner, a.Text, millis(a.Due),
		a.DoneBy, millis(a.DoneAt), a.IssueURL, a.ID)
	if err != nil {
		return fmt.Errorf("update action item %d: %w", a.ID, err)
	}
	return nil
}

// ActionItem returns the action item with the id.
func (t *Tx) ActionItem(id int64) (*bot.ActionItem, error) {
	a, err := scanActionItem(t.tx.QueryRowContext(t.ctx, selectActionItem+" WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("action item %d: %w", id, bot.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load action item %d: %w", id, err)
	}
	return a, nil
}

// ActionItems lists an incident's action items, oldest first.
func (t *Tx) ActionItems(incidentID int64) ([]bot.ActionItem, error) {
	rows, err := t.tx.QueryContext(t.ctx, selectActionItem+" WHERE incident_id = ? ORDER BY id",
		incidentID)
	if err != nil {
		return nil, fmt.Errorf("list action items of incident %d: %w", incidentID, err)
	}
	defer rows.Close()

	var list []bot.ActionItem
	for rows.Next() {
		a, err := scanActionItem(rows)
		if err != nil {
			return nil, fmt.Errorf("list action items of incident %d: %w", incidentID, err)
		}
		list = append(list, *a)
	}
	return list, rows.Err()
}

func scanActionItem(s scanner) (*bot.ActionItem, error) {
	var (
		a                  bot.ActionItem
		due, created, done sql.NullInt64
	)
	err := s.Scan(&a.ID, &a.IncidentID, &a.Owner, &a.Text, &due, &a.CreatedBy, &created,
		&a.DoneBy, &done, &a.IssueURL)
	if err != nil {
		return nil, err
	}
	a.Due, a.CreatedAt, a.DoneAt = fromMillis(due), fromMillis(created), fromMillis(done)
	return &a, nil
}
