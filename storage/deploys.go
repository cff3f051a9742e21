package storage

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"warroom/bot"
)

// deployColumns lists the deploys columns in the order scanDeploy reads
// them and deployValues writes them, id first.
var deployColumns = []string{
	"id", "kind", "repo", "environment", "git_ref", "sha", "creator", "risk", "run_id",
	"deployment_id", "url", "allowed", "rule", "reason", "status", "decided_by", "why",
	"emergency", "documented", "outcome", "channel", "message_ts", "created_at", "decided_at",
}

var (
	selectDeploy = "SELECT " + strings.Join(deployColumns, ", ") + " FROM deploys"

	insertDeploy = "INSERT INTO deploys (" + strings.Join(deployColumns[1:], ", ") +
		") VALUES (" + strings.TrimSuffix(strings.Repeat("?, ", len(deployColumns)-1), ", ") +
		")"

	updateDeploy = "UPDATE deploys SET " + strings.Join(deployColumns[1:], " = ?, ") +
		" = ? WHERE id = ?"
)

// CreateDeploy stores a deployment record and sets d.ID.
func (t *Tx) CreateDeploy(d *bot.DeployRecord) error {
	res, err := t.tx.ExecContext(t.ctx, insertDeploy, deployValues(d)...)
	if err != nil {
		return fmt.Errorf("create deploy record: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("create deploy record: read id: %w", err)
	}
	d.ID = id
	return nil
}

// UpdateDeploy overwrites the stored record with d's ID.
func (t *Tx) UpdateDeploy(d *bot.DeployRecord) error {
	res, err := t.tx.ExecContext(t.ctx, updateDeploy, append(deployValues(d), d.ID)...)
	if err != nil {
		return fmt.Errorf("update deploy %d: %w", d.ID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("update deploy %d: %w", d.ID, bot.ErrNotFound)
	}
	return nil
}

// Deploy returns the deployment record with the id.
func (t *Tx) Deploy(id int64) (*bot.DeployRecord, error) {
	d, err := scanDeploy(t.tx.QueryRowContext(t.ctx, selectDeploy+" WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("deploy %d: %w", id, bot.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load deploy %d: %w", id, err)
	}
	return d, nil
}

// DeployByDeployment returns the newest record of a GitHub deployment.
func (t *Tx) DeployByDeployment(repo string, deploymentID int64) (*bot.DeployRecord, error) {
	d, err := scanDeploy(t.tx.QueryRowContext(t.ctx, selectDeploy+" WHERE repo = ? AND "+
		"deployment_id = ? ORDER BY id DESC LIMIT 1", repo, deploymentID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("deployment %d of %s: %w", deploymentID, repo, bot.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load deployment %d of %s: %w", deploymentID, repo, err)
	}
	return d, nil
}

// UndocumentedEmergencies lists the approved emergency deploys with no
// documentation link yet, oldest first.
func (t *Tx) UndocumentedEmergencies() ([]*bot.DeployRecord, error) {
	rows, err := t.tx.QueryContext(t.ctx, selectDeploy+" WHERE emergency = 1 AND "+
		"documented = '' ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("list undocumented emergencies: %w", err)
	}
	defer rows.Close()

	var list []*bot.DeployRecord
	for rows.Next() {
		d, err := scanDeploy(rows)
		if err != nil {
			return nil, fmt.Errorf("list undocumented emergencies: %w", err)
		}
		list = append(list, d)
	}
	return list, rows.Err()
}

func deployValues(d *bot.DeployRecord) []any {
	return []any{d.Kind, d.Repo, d.Environment, d.GitRef, d.SHA, d.Creator, d.Risk, d.RunID,
		d.DeploymentID, d.URL, d.Allowed, d.Rule, d.Reason, d.Status, d.DecidedBy, d.Why,
		d.Emergency, d.Documented, d.Outcome, d.Channel, d.MessageTS, millis(d.CreatedAt),
		millis(d.DecidedAt)}
}

func scanDeploy(s scanner) (*bot.DeployRecord, error) {
	var (
		rec              bot.DeployRecord
		created, decided sql.NullInt64
	)
	err := s.Scan(&rec.ID, &rec.Kind, &rec.Repo, &rec.Environment, &rec.GitRef, &rec.SHA,
		&rec.Creator, &rec.Risk, &rec.RunID, &rec.DeploymentID, &rec.URL, &rec.Allowed,
		&rec.Rule, &rec.Reason, &rec.Status, &rec.DecidedBy, &rec.Why, &rec.Emergency,
		&rec.Documented, &rec.Outcome, &rec.Channel, &rec.MessageTS, &created, &decided)
	if err != nil {
		return nil, err
	}
	rec.CreatedAt, rec.DecidedAt = fromMillis(created), fromMillis(decided)
	return &rec, nil
}
