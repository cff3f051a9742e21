package storage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"warroom/bot"
)

// openTest opens a fresh database in the test's temporary directory.
func openTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "warroom.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// update runs fn in an Update and fails the test on error.
func update(t testing.TB, db *DB, fn func(tx bot.Tx) error) {
	t.Helper()
	if err := db.Update(context.Background(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// view runs fn in a View and fails the test on error.
func view(t testing.TB, db *DB, fn func(tx bot.Tx) error) {
	t.Helper()
	if err := db.View(context.Background(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// createIncident stores a minimal open incident and returns it.
func createIncident(t testing.TB, db *DB, title, channel string) *bot.Incident {
	t.Helper()
	inc := &bot.Incident{
		Title:       title,
		Severity:    "SEV2",
		Status:      bot.StatusInvestigating,
		ChannelName: channel,
	}
	update(t, db, func(tx bot.Tx) error { return tx.CreateIncident(inc) })
	return inc
}

// count returns the number of rows in table.
func count(t testing.TB, db *DB, table string) int {
	t.Helper()
	var n int
	err := db.read.QueryRow("SELECT count(*) FROM " + table).Scan(&n)
	if err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func TestOpenSettings(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()

	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}

	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"busy_timeout", "5000"},
		{"synchronous", "1"}, // NORMAL
	}
	for _, tt := range tests {
		t.Run(tt.pragma, func(t *testing.T) {
			var got string
			err := db.write.QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got)
			if err != nil {
				t.Fatalf("PRAGMA %s: %v", tt.pragma, err)
			}
			if !strings.EqualFold(got, tt.want) {
				t.Errorf("PRAGMA %s = %q, want %q", tt.pragma, got, tt.want)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name string
		path func(dir string) string
		want string
	}{
		{"no path", func(string) string { return "" }, "no path"},
		{"missing directory", func(dir string) string {
			return filepath.Join(dir, "nowhere", "warroom.db")
		}, "open database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(context.Background(), tt.path(t.TempDir()))
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestOpenPathWithURICharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "odd?name#with%chars.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()

	createIncident(t, db, "odd", "")
	if got, err := filepath.Glob(filepath.Join(filepath.Dir(path), "odd*")); err != nil ||
		len(got) == 0 || filepath.Base(got[0]) != filepath.Base(path) {
		t.Errorf("files %v, want %s", got, filepath.Base(path))
	}
}

func TestUpdateRollsBack(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name string
		fail func() error
	}{
		{"error", func() error { return boom }},
		{"panic", func() error { panic(boom) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTest(t)

			var err error
			func() {
				defer func() {
					if r := recover(); r != nil && r != boom {
						t.Fatalf("recovered %v, want boom", r)
					}
				}()
				err = db.Update(context.Background(), func(tx bot.Tx) error {
					inc := &bot.Incident{Title: "half", Severity: "SEV1",
						Status: bot.StatusInvestigating}
					if err := tx.CreateIncident(inc); err != nil {
						return err
					}
					ev := &bot.Event{IncidentID: inc.ID, Kind: bot.EventDeclared}
					if err := tx.AddEvent(ev); err != nil {
						return err
					}
					return tt.fail()
				})
			}()
			if tt.name == "error" && !errors.Is(err, boom) {
				t.Errorf("Update returned %v, want boom", err)
			}

			if n := count(t, db, "incidents"); n != 0 {
				t.Errorf("%d incidents after rollback, want 0", n)
			}
			if n := count(t, db, "events"); n != 0 {
				t.Errorf("%d events after rollback, want 0", n)
			}

			// The writer is free again.
			createIncident(t, db, "after", "")
		})
	}
}

func TestViewIsReadOnly(t *testing.T) {
	db := openTest(t)

	err := db.View(context.Background(), func(tx bot.Tx) error {
		return tx.CreateIncident(&bot.Incident{Title: "x", Severity: "SEV1"})
	})
	if err == nil {
		t.Fatal("CreateIncident in View succeeded")
	}
	if n := count(t, db, "incidents"); n != 0 {
		t.Errorf("%d incidents, want 0", n)
	}
}

func TestViewSeesSnapshot(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	createIncident(t, db, "first", "")

	err := db.View(ctx, func(tx bot.Tx) error {
		before, err := tx.OpenIncidents()
		if err != nil {
			return err
		}
		createIncident(t, db, "second", "")
		after, err := tx.OpenIncidents()
		if err != nil {
			return err
		}
		if len(before) != 1 || len(after) != 1 {
			return fmt.Errorf("saw %d then %d incidents, want 1 and 1",
				len(before), len(after))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestUpdateHonoursContext(t *testing.T) {
	db := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	err := db.Update(ctx, func(bot.Tx) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a cancelled context returned %v", err)
	}
}

func TestConcurrentUpdates(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	const writers, each = 20, 10

	var wg sync.WaitGroup
	errs := make(chan error, 2*writers*each)
	for w := range writers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range each {
				errs <- db.Update(ctx, func(tx bot.Tx) error {
					inc := &bot.Incident{
						Title:       fmt.Sprintf("w%d-%d", w, i),
						Severity:    "SEV2",
						Status:      bot.StatusInvestigating,
						ChannelName: fmt.Sprintf("inc-w%d-%d", w, i),
					}
					if err := tx.CreateIncident(inc); err != nil {
						return err
					}
					return tx.AddEvent(&bot.Event{IncidentID: inc.ID,
						At: time.Now(), Kind: bot.EventDeclared})
				})
			}
		}()
		go func() {
			defer wg.Done()
			for range each {
				errs <- db.View(ctx, func(tx bot.Tx) error {
					_, err := tx.CountOpenBySeverity()
					return err
				})
			}
		}()
	}
	wg.Wait()
	close(errs)

	for err := range errs {
		if err != nil {
			t.Errorf("concurrent use: %v", err)
		}
	}
	if n := count(t, db, "incidents"); n != writers*each {
		t.Errorf("%d incidents, want %d", n, writers*each)
	}
	if n := count(t, db, "events"); n != writers*each {
		t.Errorf("%d events, want %d", n, writers*each)
	}
}

func TestPrune(t *testing.T) {
	db := openTest(t)
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

	var done, failed, pendingOld bot.Job
	update(t, db, func(tx bot.Tx) error {
		for _, j := range []*bot.Job{&done, &failed, &pendingOld} {
			*j = bot.Job{Kind: "post", DueAt: base, CreatedAt: base}
			if err := tx.Schedule(j); err != nil {
				return err
			}
		}
		if err := tx.FinishJob(done.ID, base); err != nil {
			return err
		}
		if err := tx.FailJob(failed.ID, base.Add(2*time.Hour), "gave up"); err != nil {
			return err
		}
		if _, err := tx.FirstDelivery("slack", "Ev1", base); err != nil {
			return err
		}
		_, err := tx.FirstDelivery("slack", "Ev2", base.Add(2*time.Hour))
		return err
	})

	n, err := db.Prune(context.Background(), base.Add(time.Hour))
	if err != nil {
		t.Fatalf("Prune: %v", err)
	}
	if n != 2 {
		t.Errorf("Prune deleted %d rows, want 2 (a done job and a delivery)", n)
	}
	if got := count(t, db, "jobs"); got != 2 {
		t.Errorf("%d jobs left, want 2", got)
	}
	if got := count(t, db, "deliveries"); got != 1 {
		t.Errorf("%d deliveries left, want 1", got)
	}
}

func BenchmarkUpdateIncidentWithEvent(b *testing.B) {
	db := openTest(b)
	ctx := context.Background()
	inc := fullIncident()
	inc.ChannelName = ""
	update(b, db, func(tx bot.Tx) error { return tx.CreateIncident(inc) })

	for i := 0; b.Loop(); i++ {
		err := db.Update(ctx, func(tx bot.Tx) error {
			got, err := tx.Incident(inc.ID)
			if err != nil {
				return err
			}
			got.Summary = fmt.Sprintf("update %d", i)
			got.LastUpdateAt = time.Now()
			if err := tx.UpdateIncident(got); err != nil {
				return err
			}
			return tx.AddEvent(&bot.Event{IncidentID: inc.ID, At: time.Now(),
				Actor: "U1", Kind: bot.EventUpdate, Text: got.Summary})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
