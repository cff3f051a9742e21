package storage

import (
	"database/sql"
	"fmt"
	"time"

	"warroom/bot"
)

// AddFreeze stores a manual deploy freeze and sets f.ID.
func (t *Tx) AddFreeze(f *bot.Freeze) error {
	res, err := t.tx.ExecContext(t.ctx, "INSERT INTO deploy_freezes (reason, created_by, "+
		"starts_at, ends_at) VALUES (?, ?, ?, ?)", f.Reason, f.By, millis(f.From), millis(f.To))
	if err != nil {
		return fmt.Errorf("add deploy freeze: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("add deploy freeze: read id: %w", err)
	}
	f.ID = id
	return nil
}

// activeFreeze is the condition on deploy_freezes for one in force at ?1.
const activeFreeze = "lifted_at IS NULL AND starts_at <= ?1 AND (ends_at IS NULL OR ends_at > ?1)"

// ActiveFreezes lists the manual freezes in force at at, oldest first.
func (t *Tx) ActiveFreezes(at time.Time) ([]bot.Freeze, error) {
	rows, err := t.tx.QueryContext(t.ctx, "SELECT id, reason, created_by, starts_at, ends_at "+
		"FROM deploy_freezes WHERE "+activeFreeze+" ORDER BY id", at.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("list deploy freezes: %w", err)
	}
	defer rows.Close()

	var list []bot.Freeze
	for rows.Next() {
		var (
			f        bot.Freeze
			from, to sql.NullInt64
		)
		if err := rows.Scan(&f.ID, &f.Reason, &f.By, &from, &to); err != nil {
			return nil, fmt.Errorf("list deploy freezes: %w", err)
		}
		f.From, f.To = fromMillis(from), fromMillis(to)
		list = append(list, f)
	}
	return list, rows.Err()
}

// EndFreezes lifts the manual freezes in force at at and counts them.
func (t *Tx) EndFreezes(at time.Time, by string) (int, error) {
	res, err := t.tx.ExecContext(t.ctx, "UPDATE deploy_freezes SET lifted_at = ?1, "+
		"lifted_by = ?2 WHERE "+activeFreeze, at.UnixMilli(), by)
	if err != nil {
		return 0, fmt.Errorf("lift deploy freezes: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("lift deploy freezes: %w", err)
	}
	return int(n), nil
}
