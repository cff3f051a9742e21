package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"warroom/bot"
)

// writeWhile declares incidents, each with its first event, in a loop
// until stop is closed, and returns how many it committed.
func writeWhile(t *testing.T, db *DB, stop <-chan struct{}) func() int {
	var (
		wg sync.WaitGroup
		n  atomic.Int64
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			err := db.Update(context.Background(), func(tx bot.Tx) error {
				inc := &bot.Incident{Title: "busy", Severity: "SEV2",
					Status: bot.StatusInvestigating}
				if err := tx.CreateIncident(inc); err != nil {
					return err
				}
				return tx.AddEvent(&bot.Event{IncidentID: inc.ID, At: time.Now(),
					Kind: bot.EventDeclared})
			})
			if err != nil {
				t.Errorf("write during backup: %v", err)
				return
			}
			n.Add(1)
		}
	}()
	return func() int { wg.Wait(); return int(n.Load()) }
}

// checkCopy opens the backup at path and checks that it holds at least
// atLeast incidents, each with its event.
func checkCopy(t *testing.T, path string, atLeast int) {
	t.Helper()
	cp, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open the copy: %v", err)
	}
	defer cp.Close()

	incidents, events := count(t, cp, "incidents"), count(t, cp, "events")
	if incidents < atLeast {
		t.Errorf("copy has %d incidents, want at least %d", incidents, atLeast)
	}
	if incidents != events {
		t.Errorf("copy has %d incidents and %d events: not one snapshot", incidents, events)
	}
}

func TestBackupWhileWriting(t *testing.T) {
	tests := []struct {
		name   string
		backup func(ctx context.Context, db *DB, to string) error
	}{
		{"DB.Backup", func(ctx context.Context, db *DB, to string) error {
			return db.Backup(ctx, to)
		}},
		{"Backup from the file", func(ctx context.Context, db *DB, to string) error {
			return Backup(ctx, db.Path(), to)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTest(t)
			for i := range 50 {
				createIncident(t, db, fmt.Sprint("before ", i), "")
				update(t, db, func(tx bot.Tx) error {
					return tx.AddEvent(&bot.Event{IncidentID: int64(i + 1),
						Kind: bot.EventDeclared})
				})
			}

			stop := make(chan struct{})
			wait := writeWhile(t, db, stop)
			defer func() {
				close(stop)
				t.Logf("%d writes ran during the backups", wait())
			}()
			dir := t.TempDir()
			for i := range 3 {
				to := filepath.Join(dir, fmt.Sprintf("copy-%d.db", i))
				if err := tt.backup(context.Background(), db, to); err != nil {
					t.Fatalf("backup %d: %v", i, err)
				}
				checkCopy(t, to, 50)
			}

			leftovers, err := filepath.Glob(filepath.Join(dir, ".*tmp"))
			if err != nil || len(leftovers) != 0 {
				t.Errorf("temporary files left: %v %v", leftovers, err)
			}
		})
	}
}

func TestBackupOfClosedDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warroom.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	createIncident(t, db, "closed", "")
	update(t, db, func(tx bot.Tx) error {
		return tx.AddEvent(&bot.Event{IncidentID: 1, Kind: bot.EventDeclared})
	})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	to := filepath.Join(t.TempDir(), "copy.db")
	if err := Backup(context.Background(), path, to); err != nil {
		t.Fatalf("Backup: %v", err)
	}
	checkCopy(t, to, 1)
}

func TestBackupRefuses(t *testing.T) {
	db := openTest(t)
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.db")
	if err := os.WriteFile(existing, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"existing target", func() error {
			return db.Backup(t.Context(), existing)
		}, fs.ErrExist},
		{"empty existing target", func() error {
			return db.Backup(t.Context(), empty)
		}, fs.ErrExist},
		{"existing target from the file", func() error {
			return Backup(t.Context(), db.Path(), existing)
		}, fs.ErrExist},
		{"missing source", func() error {
			return Backup(t.Context(), filepath.Join(dir, "missing.db"),
				filepath.Join(dir, "out.db"))
		}, fs.ErrNotExist},
		{"missing target directory", func() error {
			return db.Backup(t.Context(), filepath.Join(dir, "no", "such", "dir.db"))
		}, fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want an error wrapping %v", err, tt.want)
			}
		})
	}

	body, err := os.ReadFile(existing)
	if err != nil || string(body) != "keep me" {
		t.Errorf("existing target changed: %q, %v", body, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Backup created its missing source: %v", err)
	}
}
