package storage

import (
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"warroom/bot"
)

// groupColumns lists the alert_groups columns in the order scanGroup reads
// them and groupValues writes them, id first.
var groupColumns = []string{
	"id", "group_key", "receiver", "status", "labels", "common", "annotations",
	"external_url", "channel", "message_ts", "folded", "page_id", "incident_id",
	"silence_id", "silenced_by", "silenced_until", "truncated", "fired_at", "resolved_at",
	"updated_at",
}

var (
	selectGroup = "SELECT " + strings.Join(groupColumns, ", ") + " FROM alert_groups"

	insertGroup = "INSERT INTO alert_groups (" + strings.Join(groupColumns[1:], ", ") +
		") VALUES (" + strings.TrimSuffix(strings.Repeat("?, ", len(groupColumns)-1), ", ") +
		")"

	updateGroup = "UPDATE alert_groups SET " + strings.Join(groupColumns[1:], " = ?, ") +
		" = ? WHERE id = ?"
)

// AlertGroupByKey returns the newest alert group with the group key.
func (t *Tx) AlertGroupByKey(key string) (*bot.AlertGroup, error) {
	return t.oneGroup(fmt.Sprintf("alert group %q", key),
		" WHERE group_key = ? ORDER BY id DESC LIMIT 1", key)
}

// AlertGroup returns the alert group with the id.
func (t *Tx) AlertGroup(id int64) (*bot.AlertGroup, error) {
	return t.oneGroup(fmt.Sprintf("alert group %d", id), " WHERE id = ?", id)
}

// CreateAlertGroup stores a new alert group and sets g.ID.
func (t *Tx) CreateAlertGroup(g *bot.AlertGroup) error {
	values, err := groupValues(g)
	if err != nil {
		return fmt.Errorf("create alert group: %w", err)
	}
	res, err := t.tx.ExecContext(t.ctx, insertGroup, values...)
	if err != nil {
		return fmt.Errorf("create alert group: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("create alert group: read id: %w", err)
	}
	g.ID = id
	return nil
}

// UpdateAlertGroup overwrites the stored group with g's ID.
func (t *Tx) UpdateAlertGroup(g *bot.AlertGroup) error {
	values, err := groupValues(g)
	if err != nil {
		return fmt.Errorf("update alert group %d: %w", g.ID, err)
	}
	res, err := t.tx.ExecContext(t.ctx, updateGroup, append(values, g.ID)...)
	if err != nil {
		return fmt.Errorf("update alert group %d: %w", g.ID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("update alert group %d: %w", g.ID, bot.ErrNotFound)
	}
	return nil
}

// UpsertAlert stores an alert of a group by fingerprint and reports
// whether it is new, or its status or end changed.
func (t *Tx) UpsertAlert(groupID int64, a bot.Alert, at time.Time) (bool, error) {
	var status string
	var ends sql.NullInt64
	err := t.tx.QueryRowContext(t.ctx, "SELECT status, ends_at FROM alerts "+
		"WHERE group_id = ? AND fingerprint = ?", groupID, a.Fingerprint).Scan(&status, &ends)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("load alert %s: %w", a.Fingerprint, err)
	}
	found := err == nil
	if found && status == a.Status && fromMillis(ends).Equal(a.EndsAt.UTC().Truncate(
		time.Millisecond)) {
		return false, nil
	}

	labels, err := jsonText(a.Labels)
	if err != nil {
		return false, fmt.Errorf("encode alert labels: %w", err)
	}
	annotations, err := jsonText(a.Annotations)
	if err != nil {
		return false, fmt.Errorf("encode alert annotations: %w", err)
	}
	if found {
		_, err = t.tx.ExecContext(t.ctx, "UPDATE alerts SET status = ?, labels = ?, "+
			"annotations = ?, starts_at = ?, ends_at = ?, generator_url = ?, updated_at = ? "+
			"WHERE group_id = ? AND fingerprint = ?", a.Status, labels, annotations,
			millis(a.StartsAt), millis(a.EndsAt), a.GeneratorURL, millis(at), groupID,
			a.Fingerprint)
	} else {
		_, err = t.tx.ExecContext(t.ctx, "INSERT INTO alerts (group_id, fingerprint, status, "+
			"labels, annotations, starts_at, ends_at, generator_url, seq, updated_at) "+
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?, (SELECT count(*) FROM alerts WHERE group_id = ?), ?)",
			groupID, a.Fingerprint, a.Status, labels, annotations, millis(a.StartsAt),
			millis(a.EndsAt), a.GeneratorURL, groupID, millis(at))
	}
	if err != nil {
		return false, fmt.Errorf("store alert %s: %w", a.Fingerprint, err)
	}
	return true, nil
}

// FiringAlerts counts a group's firing alerts.
func (t *Tx) FiringAlerts(groupID int64) (int, error) {
	var n int
	err := t.tx.QueryRowContext(t.ctx, "SELECT count(*) FROM alerts WHERE group_id = ? "+
		"AND status = ?", groupID, bot.AlertFiring).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count firing alerts of group %d: %w", groupID, err)
	}
	return n, nil
}

// GroupAlerts lists a group's alerts in the order they were first seen.
func (t *Tx) GroupAlerts(groupID int64) ([]bot.StoredAlert, error) {
	rows, err := t.tx.QueryContext(t.ctx, "SELECT fingerprint, status, labels, annotations, "+
		"starts_at, ends_at, generator_url, updated_at FROM alerts WHERE group_id = ? "+
		"ORDER BY seq", groupID)
	if err != nil {
		return nil, fmt.Errorf("list alerts of group %d: %w", groupID, err)
	}
	defer rows.Close()

	var list []bot.StoredAlert
	for rows.Next() {
		var (
			a                         bot.StoredAlert
			labels, annotations       sql.NullString
			starts, ends, updatedAtMs sql.NullInt64
		)
		err := rows.Scan(&a.Fingerprint, &a.Status, &labels, &annotations, &starts, &ends,
			&a.GeneratorURL, &updatedAtMs)
		if err != nil {
			return nil, fmt.Errorf("list alerts of group %d: %w", groupID, err)
		}
		if err := fromJSON(labels, &a.Labels); err != nil {
			return nil, fmt.Errorf("alert %s: decode labels: %w", a.Fingerprint, err)
		}
		if err := fromJSON(annotations, &a.Annotations); err != nil {
			return nil, fmt.Errorf("alert %s: decode annotations: %w", a.Fingerprint, err)
		}
		a.StartsAt, a.EndsAt, a.UpdatedAt = fromMillis(starts), fromMillis(ends),
			fromMillis(updatedAtMs)
		list = append(list, a)
	}
	return list, rows.Err()
}

// FoldedGroups lists the groups folded into a channel's current storm.
func (t *Tx) FoldedGroups(channel string) ([]*bot.AlertGroup, error) {
	rows, err := t.tx.QueryContext(t.ctx, selectGroup+" WHERE channel = ? AND folded = 1 "+
		"AND storm_done = 0 ORDER BY id", channel)
	if err != nil {
		return nil, fmt.Errorf("list folded groups of %s: %w", channel, err)
	}
	defer rows.Close()

	var list []*bot.AlertGroup
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, fmt.Errorf("list folded groups of %s: %w", channel, err)
		}
		list = append(list, g)
	}
	return list, rows.Err()
}

// StormMessage returns the timestamp of the channel's storm summary, or "".
func (t *Tx) StormMessage(channel string) (string, error) {
	var ts string
	err := t.tx.QueryRowContext(t.ctx, "SELECT message_ts FROM storms WHERE channel = ?",
		channel).Scan(&ts)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("load the storm of %s: %w", channel, err)
	}
	return ts, nil
}

// SetStormMessage records the channel's storm summary.
func (t *Tx) SetStormMessage(channel, ts string) error {
	_, err := t.tx.ExecContext(t.ctx, "INSERT INTO storms (channel, message_ts) VALUES (?, ?) "+
		"ON CONFLICT (channel) DO UPDATE SET message_ts = excluded.message_ts", channel, ts)
	if err != nil {
		return fmt.Errorf("record the storm of %s: %w", channel, err)
	}
	return nil
}

// EndStorm closes the channel's storm.
func (t *Tx) EndStorm(channel string) error {
	if _, err := t.tx.ExecContext(t.ctx, "UPDATE alert_groups SET storm_done = 1 "+
		"WHERE channel = ? AND folded = 1 AND storm_done = 0", channel); err != nil {
		return fmt.Errorf("end the storm of %s: %w", channel, err)
	}
	if _, err := t.tx.ExecContext(t.ctx, "DELETE FROM storms WHERE channel = ?",
		channel); err != nil {
		return fmt.Errorf("end the storm of %s: %w", channel, err)
	}
	return nil
}

func (t *Tx) oneGroup(what, where string, args ...any) (*bot.AlertGroup, error) {
	g, err := scanGroup(t.tx.QueryRowContext(t.ctx, selectGroup+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s: %w", what, bot.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", what, err)
	}
	return g, nil
}

func groupValues(g *bot.AlertGroup) ([]any, error) {
	var jsons [3]any
	for i, m := range []map[string]string{g.Labels, g.Common, g.Annotations} {
		v, err := jsonText(maps.Clone(m))
		if err != nil {
			return nil, err
		}
		jsons[i] = v
	}
	return []any{
		g.GroupKey, g.Receiver, g.Status, jsons[0], jsons[1], jsons[2], g.ExternalURL,
		g.Channel, g.MessageTS, g.Folded, g.PageID, g.IncidentID, g.SilenceID, g.SilencedBy,
		millis(g.SilencedUntil), g.Truncated, millis(g.FiredAt), millis(g.ResolvedAt),
		millis(g.UpdatedAt),
	}, nil
}

func scanGroup(s scanner) (*bot.AlertGroup, error) {
	var (
		g                              bot.AlertGroup
		labels, common, annotations    sql.NullString
		silenced, fired, resolved, upd sql.NullInt64
	)
	err := s.Scan(&g.ID, &g.GroupKey, &g.Receiver, &g.Status, &labels, &common, &annotations,
		&g.ExternalURL, &g.Channel, &g.MessageTS, &g.Folded, &g.PageID, &g.IncidentID,
		&g.SilenceID, &g.SilencedBy, &silenced, &g.Truncated, &fired, &resolved, &upd)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		src sql.NullString
		dst *map[string]string
	}{{labels, &g.Labels}, {common, &g.Common}, {annotations, &g.Annotations}} {
		if err := fromJSON(f.src, f.dst); err != nil {
			return nil, fmt.Errorf("alert group %d: %w", g.ID, err)
		}
	}
	g.SilencedUntil, g.FiredAt = fromMillis(silenced), fromMillis(fired)
	g.ResolvedAt, g.UpdatedAt = fromMillis(resolved), fromMillis(upd)
	return &g, nil
}
