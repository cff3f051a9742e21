package storage

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"warroom/bot"
)

var t0 = time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)

// schedule stores each job in one transaction, setting their IDs.
func schedule(t *testing.T, db *DB, jobs ...*bot.Job) {
	t.Helper()
	update(t, db, func(tx bot.Tx) error {
		for _, j := range jobs {
			if err := tx.Schedule(j); err != nil {
				return err
			}
		}
		return nil
	})
}

// dueIDs returns the ids DueJobs lists at now.
func dueIDs(t *testing.T, db *DB, now time.Time, limit int) []int64 {
	t.Helper()
	ids := []int64{}
	view(t, db, func(tx bot.Tx) error {
		jobs, err := tx.DueJobs(now, limit)
		for _, j := range jobs {
			ids = append(ids, j.ID)
		}
		return err
	})
	return ids
}

func TestJobRoundTrip(t *testing.T) {
	db := openTest(t)
	job := &bot.Job{
		Kind:       "post",
		IncidentID: 7,
		Key:        "post:7",
		Lane:       "incident:7",
		DueAt:      t0.Add(1500 * time.Microsecond).In(time.FixedZone("UZT", 5*3600)),
		Attempts:   2,
		Payload:    []byte(`{"message":{"text":"hi"}}`),
		LastError:  "rate limited",
		CreatedAt:  t0.Add(-time.Minute),
	}
	schedule(t, db, job)
	if job.ID == 0 {
		t.Fatal("Schedule did not set the ID")
	}

	want := *job
	want.DueAt = t0.Add(time.Millisecond)
	view(t, db, func(tx bot.Tx) error {
		for name, list := range map[string]func() ([]bot.Job, error){
			"DueJobs":     func() ([]bot.Job, error) { return tx.DueJobs(t0.Add(time.Hour), 10) },
			"PendingJobs": func() ([]bot.Job, error) { return tx.PendingJobs(7) },
		} {
			got, err := list()
			if err != nil {
				return err
			}
			if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
				t.Errorf("%s:\n got %+v\nwant [%+v]", name, got, want)
			}
		}
		return nil
	})
}

func TestScheduleKey(t *testing.T) {
	db := openTest(t)

	first := &bot.Job{Kind: "sync", IncidentID: 1, Key: "sync:1", Lane: "incident:1",
		DueAt: t0, Payload: []byte("old"), CreatedAt: t0}
	between := &bot.Job{Kind: "post", IncidentID: 1, Lane: "incident:1", DueAt: t0,
		CreatedAt: t0}
	schedule(t, db, first, between)
	update(t, db, func(tx bot.Tx) error {
		return tx.RetryJob(first.ID, t0.Add(time.Hour), "timeout")
	})

	// Scheduling the key again replaces the pending row and keeps its place.
	again := &bot.Job{Kind: "sync", IncidentID: 1, Key: "sync:1", Lane: "incident:1",
		DueAt: t0.Add(time.Second), Payload: []byte("new"), CreatedAt: t0.Add(time.Second)}
	schedule(t, db, again)
	if again.ID != first.ID {
		t.Errorf("replacement got id %d, want the pending job's %d", again.ID, first.ID)
	}

	view(t, db, func(tx bot.Tx) error {
		jobs, err := tx.PendingJobs(1)
		if err != nil {
			return err
		}
		want := []bot.Job{*again, *between}
		if !reflect.DeepEqual(jobs, want) {
			t.Errorf("PendingJobs:\n got %+v\nwant %+v", jobs, want)
		}
		return nil
	})

	// Once done, the key is free for a new job; the done one stays done.
	update(t, db, func(tx bot.Tx) error { return tx.FinishJob(first.ID, t0) })
	next := &bot.Job{Kind: "sync", IncidentID: 1, Key: "sync:1", DueAt: t0, CreatedAt: t0}
	schedule(t, db, next)
	if next.ID == first.ID {
		t.Error("a job scheduled after the keyed job was done replaced it")
	}

	// Jobs with no key never replace each other.
	a := &bot.Job{Kind: "notify", DueAt: t0}
	b := &bot.Job{Kind: "notify", DueAt: t0}
	schedule(t, db, a, b)
	if a.ID == b.ID {
		t.Error("two jobs without a key share a row")
	}

	if n := count(t, db, "jobs"); n != 5 {
		t.Errorf("%d job rows, want 5", n)
	}
}

func TestDueJobsLanes(t *testing.T) {
	tests := []struct {
		name string
		// jobs are scheduled in order; their ids are their index + 1.
		jobs []bot.Job
		// finish lists indexes of jobs to mark done before asking.
		finish []int
		fail   []int
		limit  int
		want   []int
	}{
		{
			name: "older job not yet due blocks its lane",
			jobs: []bot.Job{
				{Lane: "incident:1", DueAt: t0.Add(time.Hour)},
				{Lane: "incident:1", DueAt: t0},
				{Lane: "incident:2", DueAt: t0},
				{DueAt: t0},
				{DueAt: t0},
			},
			limit: 10,
			want:  []int{2, 3, 4},
		},
		{
			name: "only the head of a lane runs",
			jobs: []bot.Job{
				{Lane: "incident:1", DueAt: t0},
				{Lane: "incident:1", DueAt: t0},
				{Lane: "incident:1", DueAt: t0},
			},
			limit: 10,
			want:  []int{0},
		},
		{
			name: "a done job no longer blocks",
			jobs: []bot.Job{
				{Lane: "incident:1", DueAt: t0},
				{Lane: "incident:1", DueAt: t0},
			},
			finish: []int{0},
			limit:  10,
			want:   []int{1},
		},
		{
			name: "a failed job no longer blocks",
			jobs: []bot.Job{
				{Lane: "incident:1", DueAt: t0},
				{Lane: "incident:1", DueAt: t0},
			},
			fail:  []int{0},
			limit: 10,
			want:  []int{1},
		},
		{
			name: "a job due later is left out",
			jobs: []bot.Job{
				{DueAt: t0.Add(time.Millisecond)},
				{DueAt: t0},
				{},
			},
			limit: 10,
			want:  []int{1, 2},
		},
		{
			name: "limit keeps the oldest",
			jobs: []bot.Job{
				{DueAt: t0}, {DueAt: t0}, {Lane: "a", DueAt: t0}, {Lane: "b", DueAt: t0},
			},
			limit: 3,
			want:  []int{0, 1, 2},
		},
		{
			name:  "zero limit",
			jobs:  []bot.Job{{DueAt: t0}},
			limit: 0,
			want:  []int{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTest(t)
			ids := make([]int64, len(tt.jobs))
			update(t, db, func(tx bot.Tx) error {
				for i, j := range tt.jobs {
					j.Kind = "post"
					if err := tx.Schedule(&j); err != nil {
						return err
					}
					ids[i] = j.ID
				}
				for _, i := range tt.finish {
					if err := tx.FinishJob(ids[i], t0); err != nil {
						return err
					}
				}
				for _, i := range tt.fail {
					if err := tx.FailJob(ids[i], t0, "gave up"); err != nil {
						return err
					}
				}
				return nil
			})

			want := []int64{}
			for _, i := range tt.want {
				want = append(want, ids[i])
			}
			if got := dueIDs(t, db, t0, tt.limit); !reflect.DeepEqual(got, want) {
				t.Errorf("DueJobs ids %v, want %v", got, want)
			}
		})
	}
}

func TestJobOutcomes(t *testing.T) {
	db := openTest(t)
	job := &bot.Job{Kind: "post", IncidentID: 3, Lane: "incident:3", DueAt: t0}
	schedule(t, db, job)

	// Two failed attempts push the job back and count.
	for i, due := range []time.Time{t0.Add(time.Second), t0.Add(3 * time.Second)} {
		update(t, db, func(tx bot.Tx) error { return tx.RetryJob(job.ID, due, "try again") })
		if got := dueIDs(t, db, due.Add(-time.Millisecond), 10); len(got) != 0 {
			t.Errorf("after retry %d the job is due before %v", i+1, due)
		}
	}
	view(t, db, func(tx bot.Tx) error {
		jobs, err := tx.DueJobs(t0.Add(time.Minute), 10)
		if err != nil {
			return err
		}
		if len(jobs) != 1 || jobs[0].Attempts != 2 || jobs[0].LastError != "try again" ||
			!jobs[0].DueAt.Equal(t0.Add(3*time.Second)) {
			t.Errorf("after two retries: %+v", jobs)
		}
		return nil
	})

	// Finishing twice is harmless; retrying or failing a done job is not.
	update(t, db, func(tx bot.Tx) error { return tx.FinishJob(job.ID, t0.Add(time.Minute)) })
	update(t, db, func(tx bot.Tx) error { return tx.FinishJob(job.ID, t0.Add(time.Hour)) })
	for name, call := range map[string]func(tx bot.Tx) error{
		"RetryJob": func(tx bot.Tx) error { return tx.RetryJob(job.ID, t0, "x") },
		"FailJob":  func(tx bot.Tx) error { return tx.FailJob(job.ID, t0, "x") },
	} {
		if err := db.Update(t.Context(), call); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("%s on a done job returned %v, want bot.ErrNotFound", name, err)
		}
	}

	var doneAt int64
	err := db.read.QueryRow("SELECT done_at FROM jobs WHERE id = ?", job.ID).Scan(&doneAt)
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(time.Minute).UnixMilli(); doneAt != want {
		t.Errorf("done_at %d, want the first finish %d", doneAt, want)
	}

	// A failed job is out of pending, with its error and the attempt counted.
	failed := &bot.Job{Kind: "post", IncidentID: 3, DueAt: t0}
	schedule(t, db, failed)
	update(t, db, func(tx bot.Tx) error { return tx.FailJob(failed.ID, t0, "channel gone") })
	view(t, db, func(tx bot.Tx) error {
		jobs, err := tx.PendingJobs(3)
		if err != nil {
			return err
		}
		if len(jobs) != 0 {
			t.Errorf("pending after finish and fail: %+v", jobs)
		}
		return nil
	})

	var (
		attempts  int
		lastError string
	)
	err = db.read.QueryRow("SELECT attempts, last_error FROM jobs WHERE id = ?", failed.ID).
		Scan(&attempts, &lastError)
	if err != nil {
		t.Fatal(err)
	}
	if attempts != 1 || lastError != "channel gone" {
		t.Errorf("failed job has attempts %d, last error %q", attempts, lastError)
	}
}

func TestFirstDelivery(t *testing.T) {
	db := openTest(t)

	steps := []struct {
		source, id string
		want       bool
	}{
		{"slack", "Ev01", true},
		{"slack", "Ev01", false},
		{"github", "Ev01", true},
		{"slack", "Ev02", true},
		{"github", "Ev01", false},
	}
	for _, s := range steps {
		update(t, db, func(tx bot.Tx) error {
			got, err := tx.FirstDelivery(s.source, s.id, t0)
			if err != nil {
				return err
			}
			if got != s.want {
				t.Errorf("FirstDelivery(%s, %s) = %v, want %v", s.source, s.id, got, s.want)
			}
			return nil
		})
	}
}
