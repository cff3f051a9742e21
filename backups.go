package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/sirupsen/logrus"

	"warroom/configs"
	"warroom/storage"
)

// backupLayout names a scheduled backup file by its time in UTC.
const backupLayout = "warroom-20060102T150405Z.db"

// backups writes scheduled backups of the store into a folder and keeps
// the configured number of daily, weekly and monthly ones.
type backups struct {
	db  *storage.DB
	cfg configs.BackupConfig
	log *logrus.Entry
	loc *time.Location
	now func() time.Time
}

// run takes one backup and prunes the folder. It is called by the cron.
func (b *backups) run() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()

	start := time.Now()
	now := time.Now
	if b.now != nil {
		now = b.now
	}
	log := b.log.WithField(fieldAction, "db.backup")

	if err := os.MkdirAll(b.cfg.Dir, 0o700); err != nil {
		log.WithError(err).Error("create backup folder")
		return
	}
	path := filepath.Join(b.cfg.Dir, now().UTC().Format(backupLayout))
	if err := b.db.Backup(ctx, path); err != nil {
		log.WithError(err).Error("backup failed")
		return
	}
	log.WithFields(logrus.Fields{"path": path, fieldDuration: ms(time.Since(start))}).
		Info("backed up the database")

	removed, err := b.prune()
	if err != nil {
		log.WithError(err).Error("prune old backups")
		return
	}
	for _, p := range removed {
		log.WithField("path", p).Info("removed old backup")
	}
}

// prune deletes the backups that no daily, weekly or monthly slot keeps,
// and returns their paths.
func (b *backups) prune() ([]string, error) {
	entries, err := os.ReadDir(b.cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("read backup folder: %w", err)
	}
	var taken []time.Time
	for _, e := range entries {
		t, err := time.Parse(backupLayout, e.Name())
		if err == nil && !e.IsDir() {
			taken = append(taken, t)
		}
	}

	var removed []string
	for _, t := range expired(taken, b.cfg, b.loc) {
		p := filepath.Join(b.cfg.Dir, t.UTC().Format(backupLayout))
		if err := os.Remove(p); err != nil {
			return removed, fmt.Errorf("remove %s: %w", p, err)
		}
		removed = append(removed, p)
	}
	return removed, nil
}

// expired picks the backups to delete: of each day, ISO week and month,
// only the newest backup counts, and the newest KeepDaily days,
// KeepWeekly weeks and KeepMonthly months keep theirs.
func expired(taken []time.Time, cfg configs.BackupConfig, loc *time.Location) []time.Time {
	sort.Slice(taken, func(i, j int) bool { return taken[i].After(taken[j]) })

	keep := make(map[time.Time]bool)
	slot := func(limit int, key func(time.Time) string) {
		seen := map[string]bool{}
		for _, t := range taken {
			k := key(t.In(loc))
			if seen[k] {
				continue
			}
			if len(seen) >= limit {
				return
			}
			seen[k] = true
			keep[t] = true
		}
	}
	slot(cfg.KeepDaily, func(t time.Time) string { return t.Format("2006-01-02") })
	slot(cfg.KeepWeekly, func(t time.Time) string {
		y, w := t.ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	})
	slot(cfg.KeepMonthly, func(t time.Time) string { return t.Format("2006-01") })

	var out []time.Time
	for _, t := range taken {
		if !keep[t] {
			out = append(out, t)
		}
	}
	return out
}
