package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"warroom/configs"
	"warroom/storage"
)

func TestExpiredBackups(t *testing.T) {
	cfg := configs.BackupConfig{KeepDaily: 7, KeepWeekly: 4, KeepMonthly: 12}
	start := time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC)

	// A backup every day at 03:00 for 400 days, and a second one on the
	// last day.
	var taken []time.Time
	for d := 0; d < 400; d++ {
		taken = append(taken, start.AddDate(0, 0, d))
	}
	last := taken[len(taken)-1]
	taken = append(taken, last.Add(time.Hour))

	gone := map[time.Time]bool{}
	for _, tm := range expired(taken, cfg, time.UTC) {
		gone[tm] = true
	}
	kept := len(taken) - len(gone)

	cases := []struct {
		name string
		at   time.Time
		kept bool
	}{
		{"newest", last.Add(time.Hour), true},
		{"older one of the newest day", last, false},
		{"six days back", last.AddDate(0, 0, -6), true},
		{"eight days back, midweek", last.AddDate(0, 0, -8), false},
		{"the first", start, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := !gone[tc.at]; got != tc.kept {
				t.Errorf("backup of %s kept = %v, want %v", tc.at, got, tc.kept)
			}
		})
	}
	// 7 days, plus at most 4 weeks and 12 months that the days do not
	// already cover.
	if kept < 12 || kept > 7+4+12 {
		t.Errorf("kept %d backups", kept)
	}
}

func TestScheduledBackupWritesAndPrunes(t *testing.T) {
	dir := t.TempDir()
	db, err := storage.Open(context.Background(), filepath.Join(dir, "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	out := filepath.Join(dir, "backups")
	now := time.Date(2026, 12, 3, 22, 0, 0, 0, time.UTC)
	b := &backups{db: db, log: logrus.NewEntry(logrus.New()), loc: time.UTC,
		cfg: configs.BackupConfig{Dir: out, KeepDaily: 2, KeepWeekly: 0, KeepMonthly: 0},
		now: func() time.Time { return now }}
	for i := 0; i < 4; i++ {
		b.run()
		now = now.Add(24 * time.Hour)
	}

	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[1].Name() != "warroom-20261206T220000Z.db" {
		t.Fatalf("backups left: %v", entries)
	}
	copyDB, err := storage.Open(context.Background(), filepath.Join(out, entries[1].Name()))
	if err != nil {
		t.Fatalf("the backup does not open: %v", err)
	}
	copyDB.Close()
}
