package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"warroom/bot"
)

var _ bot.Tx = (*Tx)(nil)

// ErrChannelNameUsed is wrapped by the error CreateIncident and
// UpdateIncident return when another incident has the channel name.
var ErrChannelNameUsed = errors.New("channel name used by another incident")

// Tx is a transaction handed to the function given to Update or View. It
// implements bot.Tx and is valid only until that function returns.
type Tx struct {
	ctx context.Context
	tx  *sql.Tx
}

// unresolved is the condition on incidents for an open one. It is spelled
// out, not bound, so that SQLite can use the partial index incidents_open.
const unresolved = "status <> '" + string(bot.StatusResolved) + "'"

// incidentColumns lists the incidents columns in the order scanIncident
// reads them and incidentValues writes them, id first.
var incidentColumns = []string{
	"id", "title", "summary", "severity", "status", "components", "private",
	"declared_by", "commander", "roles",
	"channel_id", "channel_name", "card_ts", "card_pinned", "invited",
	"announce_channel", "announce_ts", "ready", "reply_to",
	"declared_at", "acknowledged_at", "acknowledged_by", "last_update_at",
	"resolved_at", "resolved_by", "resolution", "postmortem_due", "checklist",
}

var (
	selectIncident = "SELECT " + strings.Join(incidentColumns, ", ") + " FROM incidents"

	insertIncident = "INSERT INTO incidents (" + strings.Join(incidentColumns[1:], ", ") +
		") VALUES (" + strings.TrimSuffix(strings.Repeat("?, ", len(incidentColumns)-1), ", ") +
		")"

	updateIncident = "UPDATE incidents SET " +
		strings.Join(incidentColumns[1:], " = ?, ") + " = ? WHERE id = ?"
)

// CreateIncident stores a new incident and sets inc.ID. A channel name
// another incident has fails with an error wrapping ErrChannelNameUsed.
func (t *Tx) CreateIncident(inc *bot.Incident) error {
	values, err := incidentValues(inc)
	if err != nil {
		return fmt.Errorf("create incident: %w", err)
	}

	res, err := t.tx.ExecContext(t.ctx, insertIncident, values...)
	if isConstraint(err, sqlite3.ErrConstraintUnique) {
		return fmt.Errorf("create incident: channel name %q: %w", inc.ChannelName,
			ErrChannelNameUsed)
	}
	if err != nil {
		return fmt.Errorf("create incident: %w", err)
	}

	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("create incident: read id: %w", err)
	}
	inc.ID = id
	return nil
}

// UpdateIncident overwrites the stored incident with inc.ID. It returns an
// error wrapping bot.ErrNotFound when there is none, and one wrapping
// ErrChannelNameUsed when another incident has the channel name.
func (t *Tx) UpdateIncident(inc *bot.Incident) error {
	values, err := incidentValues(inc)
	if err != nil {
		return fmt.Errorf("update incident %d: %w", inc.ID, err)
	}

	res, err := t.tx.ExecContext(t.ctx, updateIncident, append(values, inc.ID)...)
	if isConstraint(err, sqlite3.ErrConstraintUnique) {
		return fmt.Errorf("update incident %d: channel name %q: %w", inc.ID,
			inc.ChannelName, ErrChannelNameUsed)
	}
	if err != nil {
		return fmt.Errorf("update incident %d: %w", inc.ID, err)
	}

	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update incident %d: %w", inc.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("update incident %d: %w", inc.ID, bot.ErrNotFound)
	}
	return nil
}

// Incident returns the incident with the given id, or an error wrapping
// bot.ErrNotFound.
func (t *Tx) Incident(id int64) (*bot.Incident, error) {
	row := t.tx.QueryRowContext(t.ctx, selectIncident+" WHERE id = ?", id)
	inc, err := scanIncident(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("incident %d: %w", id, bot.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load incident %d: %w", id, err)
	}
	return inc, nil
}

// IncidentByChannel returns the incident whose channel is channelID, or
// an error wrapping bot.ErrNotFound. An empty channelID is no incident's.
func (t *Tx) IncidentByChannel(channelID string) (*bot.Incident, error) {
	row := t.tx.QueryRowContext(t.ctx, selectIncident+
		" WHERE channel_id = ? AND channel_id <> '' ORDER BY id LIMIT 1", channelID)
	inc, err := scanIncident(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("incident of channel %q: %w", channelID, bot.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load incident of channel %q: %w", channelID, err)
	}
	return inc, nil
}

// ChannelNameUsed reports whether any incident, open or resolved, has the
// channel name. The empty name is never used.
func (t *Tx) ChannelNameUsed(name string) (bool, error) {
	var used bool
	err := t.tx.QueryRowContext(t.ctx,
		"SELECT EXISTS (SELECT 1 FROM incidents WHERE channel_name = ? AND channel_name <> '')",
		name).Scan(&used)
	if err != nil {
		return false, fmt.Errorf("check channel name %q: %w", name, err)
	}
	return used, nil
}

// OpenIncidents lists the incidents not resolved, oldest first.
func (t *Tx) OpenIncidents() ([]*bot.Incident, error) {
	list, err := t.incidents(" WHERE " + unresolved + " ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("list open incidents: %w", err)
	}
	return list, nil
}

// UnreadyIncident finds the oldest open incident that declaredBy declared
// with title (compared without regard to ASCII case) whose channel, card or
// announcement is not made yet.
func (t *Tx) UnreadyIncident(declaredBy, title string) (*bot.Incident, error) {
	list, err := t.incidents(" WHERE ready = 0 AND "+unresolved+
		" AND declared_by = ? AND title = ? COLLATE NOCASE ORDER BY id LIMIT 1",
		declaredBy, title)
	if err != nil {
		return nil, fmt.Errorf("find unready incident %q: %w", title, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("unready incident %q: %w", title, bot.ErrNotFound)
	}
	return list[0], nil
}

// incidents runs selectIncident with the clauses in where.
func (t *Tx) incidents(where string, args ...any) ([]*bot.Incident, error) {
	rows, err := t.tx.QueryContext(t.ctx, selectIncident+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	list := []*bot.Incident{}
	for rows.Next() {
		inc, err := scanIncident(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, inc)
	}
	return list, rows.Err()
}

// CountOpenBySeverity counts the incidents not resolved per severity name.
// Severities with no open incident are absent from the map.
func (t *Tx) CountOpenBySeverity() (map[string]int, error) {
	rows, err := t.tx.QueryContext(t.ctx,
		"SELECT severity, count(*) FROM incidents WHERE "+unresolved+" GROUP BY severity")
	if err != nil {
		return nil, fmt.Errorf("count open incidents: %w", err)
	}
	defer rows.Close()

	counts := map[string]int{}
	for rows.Next() {
		var (
			severity string
			n        int
		)
		if err := rows.Scan(&severity, &n); err != nil {
			return nil, fmt.Errorf("count open incidents: %w", err)
		}
		counts[severity] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count open incidents: %w", err)
	}
	return counts, nil
}

// AddEvent appends ev to its incident's timeline and sets ev.ID. It
// returns an error wrapping bot.ErrNotFound when the incident does not
// exist.
func (t *Tx) AddEvent(ev *bot.Event) error {
	if ev.Ref != "" {
		var seen bool
		err := t.tx.QueryRowContext(t.ctx, "SELECT EXISTS (SELECT 1 FROM events WHERE "+
			"incident_id = ? AND ref = ?)", ev.IncidentID, ev.Ref).Scan(&seen)
		if err != nil {
			return fmt.Errorf("check event %s of incident %d: %w", ev.Ref, ev.IncidentID, err)
		}
		if seen {
			ev.ID = 0
			return nil
		}
	}
	res, err := t.tx.ExecContext(t.ctx,
		"INSERT INTO events (incident_id, at, actor, kind, text, ref) VALUES (?, ?, ?, ?, ?, ?)",
		ev.IncidentID, millis(ev.At), ev.Actor, string(ev.Kind), ev.Text, ev.Ref)
	if isConstraint(err, sqlite3.ErrConstraintForeignKey) {
		return fmt.Errorf("add %s event: incident %d: %w", ev.Kind, ev.IncidentID,
			bot.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("add %s event to incident %d: %w", ev.Kind, ev.IncidentID, err)
	}

	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("add %s event to incident %d: read id: %w", ev.Kind,
			ev.IncidentID, err)
	}
	ev.ID = id
	return nil
}

// Timeline lists an incident's events by time, and in the order they were
// added when two have the same time. An unknown incident has no events.
func (t *Tx) Timeline(incidentID int64) ([]bot.Event, error) {
	rows, err := t.tx.QueryContext(t.ctx, "SELECT id, incident_id, at, actor, kind, text, ref "+
		"FROM events WHERE incident_id = ? ORDER BY at, id", incidentID)
	if err != nil {
		return nil, fmt.Errorf("load timeline of incident %d: %w", incidentID, err)
	}
	defer rows.Close()

	events := []bot.Event{}
	for rows.Next() {
		var (
			ev   bot.Event
			at   sql.NullInt64
			kind string
		)
		err := rows.Scan(&ev.ID, &ev.IncidentID, &at, &ev.Actor, &kind, &ev.Text, &ev.Ref)
		if err != nil {
			return nil, fmt.Errorf("load timeline of incident %d: %w", incidentID, err)
		}
		ev.At = fromMillis(at)
		ev.Kind = bot.EventKind(kind)
		events = append(events, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load timeline of incident %d: %w", incidentID, err)
	}
	return events, nil
}

// incidentValues returns inc's column values in incidentColumns order,
// without the id.
func incidentValues(inc *bot.Incident) ([]any, error) {
	components, err := jsonText(inc.Components)
	if err != nil {
		return nil, fmt.Errorf("encode components: %w", err)
	}
	roles, err := jsonText(inc.Roles)
	if err != nil {
		return nil, fmt.Errorf("encode roles: %w", err)
	}
	var replyTo any
	if inc.ReplyTo != (bot.Recipient{}) {
		if replyTo, err = jsonText(inc.ReplyTo); err != nil {
			return nil, fmt.Errorf("encode reply address: %w", err)
		}
	}
	checklist, err := jsonText(toChecklist(inc.Checklist))
	if err != nil {
		return nil, fmt.Errorf("encode checklist: %w", err)
	}

	return []any{
		inc.Title, inc.Summary, inc.Severity, string(inc.Status), components, inc.Private,
		inc.DeclaredBy, inc.Commander, roles,
		inc.ChannelID, inc.ChannelName, inc.CardTS, inc.CardPinned, inc.Invited,
		inc.AnnounceChannel, inc.AnnounceTS, inc.Ready, replyTo,
		millis(inc.DeclaredAt), millis(inc.AcknowledgedAt), inc.AcknowledgedBy,
		millis(inc.LastUpdateAt),
		millis(inc.ResolvedAt), inc.ResolvedBy, inc.Resolution, millis(inc.PostmortemDue),
		checklist,
	}, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// scanIncident reads one row of incidentColumns.
func scanIncident(s scanner) (*bot.Incident, error) {
	var (
		inc                                          bot.Incident
		status                                       string
		components, roles, replyTo, checklist        sql.NullString
		declared, acked, lastUpdate, resolved, pmDue sql.NullInt64
	)
	err := s.Scan(
		&inc.ID, &inc.Title, &inc.Summary, &inc.Severity, &status, &components, &inc.Private,
		&inc.DeclaredBy, &inc.Commander, &roles,
		&inc.ChannelID, &inc.ChannelName, &inc.CardTS, &inc.CardPinned, &inc.Invited,
		&inc.AnnounceChannel, &inc.AnnounceTS, &inc.Ready, &replyTo,
		&declared, &acked, &inc.AcknowledgedBy, &lastUpdate,
		&resolved, &inc.ResolvedBy, &inc.Resolution, &pmDue, &checklist,
	)
	if err != nil {
		return nil, err
	}

	inc.Status = bot.Status(status)
	inc.DeclaredAt = fromMillis(declared)
	inc.AcknowledgedAt = fromMillis(acked)
	inc.LastUpdateAt = fromMillis(lastUpdate)
	inc.ResolvedAt = fromMillis(resolved)
	inc.PostmortemDue = fromMillis(pmDue)

	if err := fromJSON(components, &inc.Components); err != nil {
		return nil, fmt.Errorf("incident %d: decode components: %w", inc.ID, err)
	}
	if err := fromJSON(roles, &inc.Roles); err != nil {
		return nil, fmt.Errorf("incident %d: decode roles: %w", inc.ID, err)
	}
	if err := fromJSON(replyTo, &inc.ReplyTo); err != nil {
		return nil, fmt.Errorf("incident %d: decode reply address: %w", inc.ID, err)
	}
	var items []checkItem
	if err := fromJSON(checklist, &items); err != nil {
		return nil, fmt.Errorf("incident %d: decode checklist: %w", inc.ID, err)
	}
	inc.Checklist = fromChecklist(items)
	return &inc, nil
}

// checkItem is how a bot.ChecklistItem is stored in the checklist column.
type checkItem struct {
	Step   string `json:"step"`
	Auto   string `json:"auto,omitempty"`
	DoneBy string `json:"done_by,omitempty"`
	// DoneAt is in unix milliseconds, absent for the zero time.
	DoneAt *int64 `json:"done_at,omitempty"`
}

// toChecklist converts items for storage, keeping nil apart from empty.
func toChecklist(items []bot.ChecklistItem) []checkItem {
	if items == nil {
		return nil
	}
	out := make([]checkItem, len(items))
	for i, c := range items {
		out[i] = checkItem{Step: c.Step, Auto: c.Auto, DoneBy: c.DoneBy}
		if !c.DoneAt.IsZero() {
			ms := c.DoneAt.UnixMilli()
			out[i].DoneAt = &ms
		}
	}
	return out
}

// fromChecklist is the inverse of toChecklist.
func fromChecklist(items []checkItem) []bot.ChecklistItem {
	if items == nil {
		return nil
	}
	out := make([]bot.ChecklistItem, len(items))
	for i, c := range items {
		out[i] = bot.ChecklistItem{Step: c.Step, Auto: c.Auto, DoneBy: c.DoneBy}
		if c.DoneAt != nil {
			out[i].DoneAt = time.UnixMilli(*c.DoneAt).UTC()
		}
	}
	return out
}

// jsonText encodes v as JSON text, or as NULL when v is a nil slice or
// map, so that nil and empty read back as they were written.
func jsonText(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if string(b) == "null" {
		return nil, nil
	}
	return string(b), nil
}

// fromJSON decodes a column jsonText wrote into v, leaving v alone for
// NULL.
func fromJSON(s sql.NullString, v any) error {
	if !s.Valid {
		return nil
	}
	return json.Unmarshal([]byte(s.String), v)
}

// millis is t in unix milliseconds, or NULL for the zero time.
func millis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromMillis is the inverse of millis: a UTC time, or the zero time for
// NULL.
func fromMillis(ms sql.NullInt64) time.Time {
	if !ms.Valid {
		return time.Time{}
	}
	return time.UnixMilli(ms.Int64).UTC()
}
