package storage

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"warroom/bot"
)

// pending is the condition on jobs for a job neither done nor failed.
const pending = "done_at IS NULL AND failed_at IS NULL"

const jobColumns = "id, kind, incident_id, key, lane, due_at, attempts, payload, " +
	"last_error, created_at"

// Schedule stores job and sets job.ID. A job with a Key replaces the
// pending job with the same Key, if there is one: that row takes every
// field of job (attempts and last error included) and keeps its id, and
// with it its place in its lane. A job with no DueAt is due at once.
func (t *Tx) Schedule(job *bot.Job) error {
	if job.Kind == "" {
		return errors.New("schedule job: no kind")
	}

	// The conflict target names the partial index on pending keys, so a
	// done or failed job of the same key is left alone and a new row made.
	var id int64
	err := t.tx.QueryRowContext(t.ctx, `INSERT INTO jobs
			(kind, incident_id, key, lane, due_at, attempts, payload, last_error, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) WHERE key <> '' AND `+pending+` DO UPDATE SET
			kind = excluded.kind, incident_id = excluded.incident_id,
			lane = excluded.lane, due_at = excluded.due_at,
			attempts = excluded.attempts, payload = excluded.payload,
			last_error = excluded.last_error, created_at = excluded.created_at
		RETURNING id`,
		string(job.Kind), job.IncidentID, job.Key, job.Lane, millis(job.DueAt),
		job.Attempts, job.Payload, job.LastError, millis(job.CreatedAt),
	).Scan(&id)
	if err != nil {
		return fmt.Errorf("schedule %s job %q: %w", job.Kind, job.Key, err)
	}

	job.ID = id
	return nil
}

// DueJobs lists up to limit pending jobs due at or before now, oldest
// first. A job is left out while an older job of its Lane is pending,
// whether or not that one is due, so each lane yields at most its oldest
// job. Jobs with no Lane are independent of each other.
func (t *Tx) DueJobs(now time.Time, limit int) ([]bot.Job, error) {
	if limit <= 0 {
		return []bot.Job{}, nil
	}

	jobs, err := t.jobs(`SELECT `+jobColumns+` FROM jobs AS j
		WHERE `+pending+` AND (due_at IS NULL OR due_at <= ?)
			AND (lane = '' OR NOT EXISTS (
				SELECT 1 FROM jobs AS o
				WHERE o.lane = j.lane AND o.lane <> '' AND o.id < j.id
					AND o.done_at IS NULL AND o.failed_at IS NULL))
		ORDER BY id LIMIT ?`, now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("list due jobs: %w", err)
	}
	return jobs, nil
}

// PendingJobs lists the pending jobs of an incident, oldest first.
func (t *Tx) PendingJobs(incidentID int64) ([]bot.Job, error) {
	jobs, err := t.jobs(`SELECT `+jobColumns+` FROM jobs
		WHERE incident_id = ? AND `+pending+` ORDER BY id`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("list pending jobs of incident %d: %w", incidentID, err)
	}
	return jobs, nil
}

// FinishJob marks a pending job done at at. Finishing a job that is
// already done or failed changes nothing, so a handler may finish its own
// job before the runner does. A missing job is an error wrapping
// bot.ErrNotFound.
func (t *Tx) FinishJob(id int64, at time.Time) error {
	_, err := t.changeJob(id, "done_at = ?", millis(at))
	if err != nil {
		return fmt.Errorf("finish job %d: %w", id, err)
	}
	return nil
}

// RetryJob records a failed attempt of a pending job: it counts the
// attempt, keeps lastError and makes the job due again at due. A missing
// job is an error wrapping bot.ErrNotFound, and so is one already done or
// failed, which is not brought back.
func (t *Tx) RetryJob(id int64, due time.Time, lastError string) error {
	changed, err := t.changeJob(id, "attempts = attempts + 1, due_at = ?, last_error = ?",
		millis(due), lastError)
	if err != nil {
		return fmt.Errorf("retry job %d: %w", id, err)
	}
	if !changed {
		return fmt.Errorf("retry job %d: no pending job: %w", id, bot.ErrNotFound)
	}
	return nil
}

// FailJob records that a pending job was given up on at at, after one
// more failed attempt, which it counts. A missing job is an error
// wrapping bot.ErrNotFound, and so is one already done or failed.
func (t *Tx) FailJob(id int64, at time.Time, lastError string) error {
	changed, err := t.changeJob(id, "attempts = attempts + 1, failed_at = ?, last_error = ?",
		millis(at), lastError)
	if err != nil {
		return fmt.Errorf("fail job %d: %w", id, err)
	}
	if !changed {
		return fmt.Errorf("fail job %d: no pending job: %w", id, bot.ErrNotFound)
	}
	return nil
}

// ClaimJob detaches a pending job from its Key before it runs, so that a
// job scheduled with the same Key meanwhile is a job of its own and is not
// marked done with this one.
func (t *Tx) ClaimJob(id int64) error {
	if _, err := t.changeJob(id, "key = ''"); err != nil {
		return fmt.Errorf("claim job %d: %w", id, err)
	}
	return nil
}

// changeJob applies set to job id if it is pending, and reports whether it
// was. A job that does not exist at all is an error wrapping
// bot.ErrNotFound.
func (t *Tx) changeJob(id int64, set string, args ...any) (bool, error) {
	res, err := t.tx.ExecContext(t.ctx,
		"UPDATE jobs SET "+set+" WHERE id = ? AND "+pending, append(args, id)...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	if n > 0 {
		return true, nil
	}

	var exists bool
	err = t.tx.QueryRowContext(t.ctx,
		"SELECT EXISTS (SELECT 1 FROM jobs WHERE id = ?)", id).Scan(&exists)
	if err != nil {
		return false, err
	}
	if !exists {
		return false, bot.ErrNotFound
	}
	return false, nil
}

// jobs runs a query selecting jobColumns.
func (t *Tx) jobs(query string, args ...any) ([]bot.Job, error) {
	rows, err := t.tx.QueryContext(t.ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	jobs := []bot.Job{}
	for rows.Next() {
		var (
			job          bot.Job
			kind         string
			due, created sql.NullInt64
		)
		err := rows.Scan(&job.ID, &kind, &job.IncidentID, &job.Key, &job.Lane, &due,
			&job.Attempts, &job.Payload, &job.LastError, &created)
		if err != nil {
			return nil, err
		}
		job.Kind = bot.JobKind(kind)
		job.DueAt = fromMillis(due)
		job.CreatedAt = fromMillis(created)
		jobs = append(jobs, job)
	}
	return jobs, rows.Err()
}

// FirstDelivery records the delivery id from source, seen at at, and
// reports whether this is the first time it was recorded.
func (t *Tx) FirstDelivery(source, id string, at time.Time) (bool, error) {
	res, err := t.tx.ExecContext(t.ctx, "INSERT INTO deliveries (source, id, seen_at) "+
		"VALUES (?, ?, ?) ON CONFLICT (source, id) DO NOTHING", source, id, millis(at))
	if err != nil {
		return false, fmt.Errorf("record %s delivery %q: %w", source, id, err)
	}

	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record %s delivery %q: %w", source, id, err)
	}
	return n == 1, nil
}

// PendingInLane counts the pending jobs of a lane.
func (t *Tx) PendingInLane(lane string) (int, error) {
	var n int
	err := t.tx.QueryRowContext(t.ctx, "SELECT count(*) FROM jobs WHERE lane = ? AND "+pending,
		lane).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count pending jobs of %s: %w", lane, err)
	}
	return n, nil
}

// PostponeJob moves a pending job's due time without counting an attempt,
// and gives it back key. When another pending job has key meanwhile, that
// job stands for both and this one is marked done.
func (t *Tx) PostponeJob(id int64, due time.Time, key string) error {
	if key != "" {
		var taken bool
		err := t.tx.QueryRowContext(t.ctx, "SELECT EXISTS (SELECT 1 FROM jobs WHERE key = ? "+
			"AND id <> ? AND "+pending+")", key, id).Scan(&taken)
		if err != nil {
			return fmt.Errorf("postpone job %d: %w", id, err)
		}
		if taken {
			return t.FinishJob(id, due)
		}
	}
	if _, err := t.changeJob(id, "due_at = ?, key = ?", millis(due), key); err != nil {
		return fmt.Errorf("postpone job %d: %w", id, err)
	}
	return nil
}
