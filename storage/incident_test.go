package storage

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"warroom/bot"
)

// fullIncident returns an incident with every field set, with times that
// are not in UTC and not on a millisecond.
func fullIncident() *bot.Incident {
	tashkent := time.FixedZone("UZT", 5*60*60)
	at := time.Date(2025, 6, 1, 14, 30, 5, 123456789, tashkent)
	return &bot.Incident{
		Title:      "Checkout is down",
		Summary:    "Payments time out for every card.",
		Severity:   "SEV1",
		Status:     bot.StatusIdentified,
		Components: []string{"checkout", "payments"},
		Private:    true,
		DeclaredBy: "U001",
		Commander:  "U002",
		Roles: map[bot.Role]string{
			bot.RoleComms:  "U003",
			bot.RoleScribe: "U004",
		},
		ChannelID:       "C0123",
		ChannelName:     "inc-20250601-checkout-is-down",
		CardTS:          "1717234205.000100",
		CardPinned:      true,
		Invited:         true,
		AnnounceChannel: "C0ANNOUNCE",
		AnnounceTS:      "1717234206.000200",
		Ready:           true,
		ReplyTo: bot.Recipient{
			UserID:      "U001",
			ChannelID:   "C0HERE",
			ResponseURL: "https://hooks.slack.test/commands/T1/1/abc",
		},
		DeclaredAt:     at,
		AcknowledgedAt: at.Add(90 * time.Second),
		AcknowledgedBy: "U005",
		LastUpdateAt:   at.Add(10 * time.Minute),
		ResolvedAt:     at.Add(2 * time.Hour),
		ResolvedBy:     "U002",
		Resolution:     "Rolled back the payment gateway client.",
		PostmortemDue:  at.Add(5 * 24 * time.Hour),
		Checklist: []bot.ChecklistItem{
			{Step: "Assign a commander", Auto: "commander", DoneBy: "U001",
				DoneAt: at.Add(time.Second)},
			{Step: "Post a first update"},
		},
	}
}

// normalized returns a copy of inc with its times as the store gives them
// back: in UTC, to the millisecond.
func normalized(inc *bot.Incident) *bot.Incident {
	ms := func(t time.Time) time.Time {
		if t.IsZero() {
			return time.Time{}
		}
		return t.Truncate(time.Millisecond).UTC()
	}

	out := *inc
	out.DeclaredAt = ms(inc.DeclaredAt)
	out.AcknowledgedAt = ms(inc.AcknowledgedAt)
	out.LastUpdateAt = ms(inc.LastUpdateAt)
	out.ResolvedAt = ms(inc.ResolvedAt)
	out.PostmortemDue = ms(inc.PostmortemDue)
	if inc.Checklist != nil {
		out.Checklist = make([]bot.ChecklistItem, len(inc.Checklist))
		for i, c := range inc.Checklist {
			c.DoneAt = ms(c.DoneAt)
			out.Checklist[i] = c
		}
	}
	return &out
}

// TestFullIncidentIsFull makes sure fullIncident sets every field, so a
// field added to bot.Incident or bot.ChecklistItem fails the round trip
// until storage keeps it.
func TestFullIncidentIsFull(t *testing.T) {
	inc := fullIncident()
	inc.ID = 1

	var check func(path string, v reflect.Value)
	check = func(path string, v reflect.Value) {
		if v.IsZero() {
			t.Errorf("fullIncident leaves %s unset", path)
		}
		switch v.Kind() {
		case reflect.Struct:
			if v.Type() == reflect.TypeFor[time.Time]() {
				return
			}
			for i := range v.NumField() {
				check(path+"."+v.Type().Field(i).Name, v.Field(i))
			}
		case reflect.Slice:
			if v.Len() > 0 {
				check(path+"[0]", v.Index(0))
			}
		}
	}
	check("Incident", reflect.ValueOf(*inc))
}

func TestIncidentRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		inc  func() *bot.Incident
	}{
		{"every field set", fullIncident},
		{"only what is required", func() *bot.Incident {
			return &bot.Incident{Title: "Bare", Severity: "SEV3",
				Status: bot.StatusInvestigating}
		}},
		{"empty lists and maps", func() *bot.Incident {
			return &bot.Incident{Title: "Empty", Severity: "SEV3",
				Status: bot.StatusMonitoring, Components: []string{},
				Roles: map[bot.Role]string{}, Checklist: []bot.ChecklistItem{}}
		}},
		{"time at the epoch and in UTC", func() *bot.Incident {
			return &bot.Incident{Title: "Epoch", Severity: "SEV3",
				Status: bot.StatusInvestigating, DeclaredAt: time.Unix(0, 0),
				LastUpdateAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTest(t)
			inc := tt.inc()

			update(t, db, func(tx bot.Tx) error { return tx.CreateIncident(inc) })
			if inc.ID == 0 {
				t.Fatal("CreateIncident did not set the ID")
			}
			want := normalized(inc)

			view(t, db, func(tx bot.Tx) error {
				got, err := tx.Incident(inc.ID)
				if err != nil {
					return err
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("Incident:\n got %+v\nwant %+v", got, want)
				}

				if inc.ChannelID != "" {
					got, err := tx.IncidentByChannel(inc.ChannelID)
					if err != nil {
						return err
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("IncidentByChannel:\n got %+v\nwant %+v", got, want)
					}
				}
				return nil
			})
		})
	}
}

func TestUpdateIncident(t *testing.T) {
	db := openTest(t)
	inc := createIncident(t, db, "Slow search", "inc-slow-search")

	full := fullIncident()
	full.ID = inc.ID
	update(t, db, func(tx bot.Tx) error { return tx.UpdateIncident(full) })

	// And back to sparse: cleared fields must read back cleared.
	sparse := &bot.Incident{ID: inc.ID, Title: "Slow search", Severity: "SEV3",
		Status: bot.StatusResolved}
	for _, want := range []*bot.Incident{full, sparse} {
		update(t, db, func(tx bot.Tx) error { return tx.UpdateIncident(want) })
		view(t, db, func(tx bot.Tx) error {
			got, err := tx.Incident(inc.ID)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(got, normalized(want)) {
				t.Errorf("after update:\n got %+v\nwant %+v", got, normalized(want))
			}
			return nil
		})
	}
}

func TestNotFound(t *testing.T) {
	db := openTest(t)
	inc := createIncident(t, db, "Known", "inc-known")
	now := time.Now()

	tests := []struct {
		name string
		call func(tx bot.Tx) error
	}{
		{"Incident", func(tx bot.Tx) error { _, err := tx.Incident(inc.ID + 1); return err }},
		{"IncidentByChannel", func(tx bot.Tx) error {
			_, err := tx.IncidentByChannel("C404")
			return err
		}},
		{"IncidentByChannel empty", func(tx bot.Tx) error {
			_, err := tx.IncidentByChannel("")
			return err
		}},
		{"UpdateIncident", func(tx bot.Tx) error {
			return tx.UpdateIncident(&bot.Incident{ID: inc.ID + 1, Title: "Ghost"})
		}},
		{"AddEvent", func(tx bot.Tx) error {
			return tx.AddEvent(&bot.Event{IncidentID: inc.ID + 1, Kind: bot.EventNote})
		}},
		{"FinishJob", func(tx bot.Tx) error { return tx.FinishJob(404, now) }},
		{"RetryJob", func(tx bot.Tx) error { return tx.RetryJob(404, now, "x") }},
		{"FailJob", func(tx bot.Tx) error { return tx.FailJob(404, now, "x") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.Update(t.Context(), tt.call)
			if !errors.Is(err, bot.ErrNotFound) {
				t.Errorf("got %v, want an error wrapping bot.ErrNotFound", err)
			}
		})
	}
}

func TestChannelNames(t *testing.T) {
	db := openTest(t)
	taken := createIncident(t, db, "First", "inc-taken")
	other := createIncident(t, db, "Other", "inc-other")
	createIncident(t, db, "No channel yet", "")
	createIncident(t, db, "No channel either", "")

	t.Run("create with a taken name", func(t *testing.T) {
		err := db.Update(t.Context(), func(tx bot.Tx) error {
			return tx.CreateIncident(&bot.Incident{Title: "Second", Severity: "SEV1",
				Status: bot.StatusInvestigating, ChannelName: taken.ChannelName})
		})
		if !errors.Is(err, ErrChannelNameUsed) {
			t.Errorf("got %v, want ErrChannelNameUsed", err)
		}
	})

	t.Run("update to a taken name", func(t *testing.T) {
		err := db.Update(t.Context(), func(tx bot.Tx) error {
			other.ChannelName = taken.ChannelName
			return tx.UpdateIncident(other)
		})
		if !errors.Is(err, ErrChannelNameUsed) {
			t.Errorf("got %v, want ErrChannelNameUsed", err)
		}
	})

	used := []struct {
		name string
		want bool
	}{
		{"inc-taken", true},
		{"inc-other", true},
		{"inc-free", false},
		{"", false},
	}
	for _, tt := range used {
		t.Run("used "+tt.name, func(t *testing.T) {
			view(t, db, func(tx bot.Tx) error {
				got, err := tx.ChannelNameUsed(tt.name)
				if err != nil {
					return err
				}
				if got != tt.want {
					t.Errorf("ChannelNameUsed(%q) = %v, want %v", tt.name, got, tt.want)
				}
				return nil
			})
		})
	}
}

func TestOpenIncidentsAndCounts(t *testing.T) {
	db := openTest(t)

	incidents := []struct {
		severity string
		status   bot.Status
	}{
		{"SEV1", bot.StatusInvestigating},
		{"SEV2", bot.StatusResolved},
		{"SEV2", bot.StatusMonitoring},
		{"SEV1", bot.StatusIdentified},
		{"SEV3", bot.StatusResolved},
	}
	var openIDs []int64
	update(t, db, func(tx bot.Tx) error {
		for _, c := range incidents {
			inc := &bot.Incident{Title: "x", Severity: c.severity, Status: c.status}
			if err := tx.CreateIncident(inc); err != nil {
				return err
			}
			if c.status != bot.StatusResolved {
				openIDs = append(openIDs, inc.ID)
			}
		}
		return nil
	})

	view(t, db, func(tx bot.Tx) error {
		open, err := tx.OpenIncidents()
		if err != nil {
			return err
		}
		var ids []int64
		for _, inc := range open {
			ids = append(ids, inc.ID)
		}
		if !reflect.DeepEqual(ids, openIDs) {
			t.Errorf("OpenIncidents ids %v, want %v", ids, openIDs)
		}

		counts, err := tx.CountOpenBySeverity()
		if err != nil {
			return err
		}
		want := map[string]int{"SEV1": 2, "SEV2": 1}
		if !reflect.DeepEqual(counts, want) {
			t.Errorf("CountOpenBySeverity = %v, want %v", counts, want)
		}
		return nil
	})
}

func TestTimeline(t *testing.T) {
	db := openTest(t)
	inc := createIncident(t, db, "Timeline", "")
	other := createIncident(t, db, "Other", "")
	t0 := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)

	// Added out of time order, with two events at the same millisecond.
	added := []bot.Event{
		{IncidentID: inc.ID, At: t0.Add(time.Minute), Actor: "U1", Kind: bot.EventNote,
			Text: "second"},
		{IncidentID: inc.ID, At: t0, Actor: "U1", Kind: bot.EventDeclared, Text: "first"},
		{IncidentID: other.ID, At: t0, Kind: bot.EventDeclared, Text: "elsewhere"},
		{IncidentID: inc.ID, At: t0.Add(time.Minute + 300*time.Microsecond), Actor: "U2",
			Kind: bot.EventStatus, Text: "third"},
		{IncidentID: inc.ID, At: t0.Add(time.Hour).In(time.FixedZone("X", 3600)),
			Kind: bot.EventResolved, Text: "fourth"},
	}
	update(t, db, func(tx bot.Tx) error {
		for i := range added {
			if err := tx.AddEvent(&added[i]); err != nil {
				return err
			}
			if added[i].ID == 0 {
				t.Errorf("AddEvent did not set the ID of %q", added[i].Text)
			}
		}
		return nil
	})

	view(t, db, func(tx bot.Tx) error {
		got, err := tx.Timeline(inc.ID)
		if err != nil {
			return err
		}
		want := []bot.Event{added[1], added[0], added[3], added[4]}
		for i := range want {
			want[i].At = want[i].At.Truncate(time.Millisecond).UTC()
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Timeline:\n got %+v\nwant %+v", got, want)
		}

		none, err := tx.Timeline(999)
		if err != nil {
			return err
		}
		if len(none) != 0 {
			t.Errorf("Timeline of an unknown incident has %d events", len(none))
		}
		return nil
	})
}
