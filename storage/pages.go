package storage

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"warroom/bot"
)

// pageColumns lists the pages columns in the order scanPage reads them and
// pageValues writes them, id first.
var pageColumns = []string{
	"id", "incident_id", "target", "message", "severity", "paged_by", "dedup_key", "status",
	"chain", "level", "repages", "channel_id", "message_ts", "via_pager", "fell_back",
	"created_at", "escalated_at", "acknowledged_at", "acknowledged_by",
}

var (
	selectPage = "SELECT " + strings.Join(pageColumns, ", ") + " FROM pages"

	insertPage = "INSERT INTO pages (" + strings.Join(pageColumns[1:], ", ") +
		") VALUES (" + strings.TrimSuffix(strings.Repeat("?, ", len(pageColumns)-1), ", ") + ")"

	updatePage = "UPDATE pages SET " + strings.Join(pageColumns[1:], " = ?, ") +
		" = ? WHERE id = ?"
)

// CreatePage stores a new page and sets p.ID.
func (t *Tx) CreatePage(p *bot.Page) error {
	values, err := pageValues(p)
	if err != nil {
		return fmt.Errorf("create page: %w", err)
	}
	res, err := t.tx.ExecContext(t.ctx, insertPage, values...)
	if err != nil {
		return fmt.Errorf("create page: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("create page: read id: %w", err)
	}
	p.ID = id
	return nil
}

// UpdatePage overwrites the stored page with p's ID.
func (t *Tx) UpdatePage(p *bot.Page) error {
	values, err := pageValues(p)
	if err != nil {
		return fmt.Errorf("update page %d: %w", p.ID, err)
	}
	res, err := t.tx.ExecContext(t.ctx, updatePage, append(values, p.ID)...)
	if err != nil {
		return fmt.Errorf("update page %d: %w", p.ID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("update page %d: %w", p.ID, bot.ErrNotFound)
	}
	return nil
}

// Page returns the page with the id.
func (t *Tx) Page(id int64) (*bot.Page, error) {
	return t.onePage(fmt.Sprintf("page %d", id), " WHERE id = ?", id)
}

// PageByDedupKey returns the newest page with the dedup key.
func (t *Tx) PageByDedupKey(key string) (*bot.Page, error) {
	return t.onePage(fmt.Sprintf("page with dedup key %q", key),
		" WHERE dedup_key = ? ORDER BY id DESC LIMIT 1", key)
}

// PagesOfIncident lists an incident's pages, oldest first.
func (t *Tx) PagesOfIncident(incidentID int64) ([]*bot.Page, error) {
	list, err := t.pages(" WHERE incident_id = ? ORDER BY id", incidentID)
	if err != nil {
		return nil, fmt.Errorf("list pages of incident %d: %w", incidentID, err)
	}
	return list, nil
}

// PagesSince lists the pages made at or after since, oldest first.
func (t *Tx) PagesSince(since time.Time) ([]*bot.Page, error) {
	list, err := t.pages(" WHERE created_at >= ? ORDER BY id", millis(since))
	if err != nil {
		return nil, fmt.Errorf("list pages since %s: %w", since.Format(time.RFC3339), err)
	}
	return list, nil
}

func (t *Tx) onePage(what, where string, args ...any) (*bot.Page, error) {
	row := t.tx.QueryRowContext(t.ctx, selectPage+where, args...)
	p, err := scanPage(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s: %w", what, bot.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", what, err)
	}
	return p, nil
}

func (t *Tx) pages(where string, args ...any) ([]*bot.Page, error) {
	rows, err := t.tx.QueryContext(t.ctx, selectPage+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	list := []*bot.Page{}
	for rows.Next() {
		p, err := scanPage(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, p)
	}
	return list, rows.Err()
}

func pageValues(p *bot.Page) ([]any, error) {
	chain, err := jsonText(p.Chain)
	if err != nil {
		return nil, fmt.Errorf("encode chain: %w", err)
	}
	return []any{
		p.IncidentID, p.Target, p.Message, p.Severity, p.By, p.DedupKey, string(p.Status),
		chain, p.Level, p.Repages, p.ChannelID, p.MessageTS, p.ViaPager, p.FellBack,
		millis(p.CreatedAt), millis(p.EscalatedAt), millis(p.AcknowledgedAt), p.AcknowledgedBy,
	}, nil
}

func scanPage(s scanner) (*bot.Page, error) {
	var (
		p                      bot.Page
		status                 string
		chain                  sql.NullString
		created, escalated, ak sql.NullInt64
	)
	err := s.Scan(&p.ID, &p.IncidentID, &p.Target, &p.Message, &p.Severity, &p.By, &p.DedupKey,
		&status, &chain, &p.Level, &p.Repages, &p.ChannelID, &p.MessageTS, &p.ViaPager,
		&p.FellBack, &created, &escalated, &ak, &p.AcknowledgedBy)
	if err != nil {
		return nil, err
	}

	p.Status = bot.PageStatus(status)
	p.CreatedAt = fromMillis(created)
	p.EscalatedAt = fromMillis(escalated)
	p.AcknowledgedAt = fromMillis(ak)
	if err := fromJSON(chain, &p.Chain); err != nil {
		return nil, fmt.Errorf("page %d: decode chain: %w", p.ID, err)
	}
	return &p, nil
}

// AddOverride stores an on-call override and sets o.ID.
func (t *Tx) AddOverride(o *bot.Override) error {
	res, err := t.tx.ExecContext(t.ctx, "INSERT INTO oncall_overrides "+
		"(schedule, slot, user_id, starts_at, ends_at, created_by) VALUES (?, ?, ?, ?, ?, ?)",
		o.Schedule, o.Slot, o.User, millis(o.From), millis(o.To), o.By)
	if err != nil {
		return fmt.Errorf("add override on %s: %w", o.Schedule, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("add override on %s: read id: %w", o.Schedule, err)
	}
	o.ID = id
	return nil
}

// Overrides lists the overrides of a schedule in force at at, oldest
// first, so a later override wins when applied in order.
func (t *Tx) Overrides(schedule string, at time.Time) ([]bot.Override, error) {
	rows, err := t.tx.QueryContext(t.ctx, "SELECT id, schedule, slot, user_id, starts_at, "+
		"ends_at, created_by FROM oncall_overrides WHERE schedule = ? COLLATE NOCASE "+
		"AND starts_at <= ? AND ends_at > ? ORDER BY id", schedule, millis(at), millis(at))
	if err != nil {
		return nil, fmt.Errorf("list overrides of %s: %w", schedule, err)
	}
	defer rows.Close()

	var list []bot.Override
	for rows.Next() {
		var (
			o        bot.Override
			from, to sql.NullInt64
		)
		err := rows.Scan(&o.ID, &o.Schedule, &o.Slot, &o.User, &from, &to, &o.By)
		if err != nil {
			return nil, fmt.Errorf("list overrides of %s: %w", schedule, err)
		}
		o.From, o.To = fromMillis(from), fromMillis(to)
		list = append(list, o)
	}
	return list, rows.Err()
}
