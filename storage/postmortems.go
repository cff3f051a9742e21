package storage

import (
	"database/sql"
	"errors"
	"fmt"

	"warroom/bot"
)

// SavePostmortem stores an incident's post-mortem, replacing the last.
func (t *Tx) SavePostmortem(p *bot.Postmortem) error {
	_, err := t.tx.ExecContext(t.ctx, "INSERT INTO postmortems (incident_id, draft, "+
		"drafted_by, drafted_at, published, published_by, published_at, users_affected, "+
		"revenue_lost, pull_request) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "+
		"ON CONFLICT (incident_id) DO UPDATE "+
		"SET draft = excluded.draft, drafted_by = excluded.drafted_by, "+
		"drafted_at = excluded.drafted_at, published = excluded.published, "+
		"published_by = excluded.published_by, published_at = excluded.published_at, "+
		"users_affected = excluded.users_affected, revenue_lost = excluded.revenue_lost, "+
		"pull_request = excluded.pull_request",
		p.IncidentID, p.Draft, p.DraftedBy, millis(p.DraftedAt), p.Published, p.PublishedBy,
		millis(p.PublishedAt), p.Impact.UsersAffected, p.Impact.RevenueLost, p.PullRequest)
	if err != nil {
		return fmt.Errorf("save the post-mortem of incident %d: %w", p.IncidentID, err)
	}
	return nil
}

// Postmortem returns an incident's post-mortem.
func (t *Tx) Postmortem(incidentID int64) (*bot.Postmortem, error) {
	var (
		p              = bot.Postmortem{IncidentID: incidentID}
		drafted, publd sql.NullInt64
	)
	err := t.tx.QueryRowContext(t.ctx, "SELECT draft, drafted_by, drafted_at, published, "+
		"published_by, published_at, users_affected, revenue_lost, pull_request "+
		"FROM postmortems "+
		"WHERE incident_id = ?", incidentID).
		Scan(&p.Draft, &p.DraftedBy, &drafted, &p.Published, &p.PublishedBy, &publd,
			&p.Impact.UsersAffected, &p.Impact.RevenueLost, &p.PullRequest)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("post-mortem of incident %d: %w", incidentID, bot.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load the post-mortem of incident %d: %w", incidentID, err)
	}
	p.DraftedAt, p.PublishedAt = fromMillis(drafted), fromMillis(publd)
	return &p, nil
}
