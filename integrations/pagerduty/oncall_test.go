package pagerduty_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"warroom/bot"
	"warroom/integrations/pagerduty"
	"warroom/integrations/pagerduty/pagerdutyfake"
)

// at is a moment on the harness's day, 2026-03-14, at hour:min UTC.
func at(hour, min int) time.Time {
	return time.Date(2026, 3, 14, hour, min, 0, 0, time.UTC)
}

func TestOnCallMapsAndSorts(t *testing.T) {
	h := newHarness(t)
	h.fake.AddOnCall("schedule:PSCHED1", 2, "PBOB", "bob@example.com", "Bob Karimov",
		at(8, 0), at(20, 0))
	h.fake.AddOnCall("schedule:PSCHED1", 1, "PCAROL", "carol@example.com", "Carol Lee",
		at(7, 0), time.Time{})
	h.fake.AddOnCall("schedule:PSCHED1", 1, "PALICE", "alice@example.com", "Alice Ahmedova",
		at(6, 0), at(18, 0))
	// The same shift listed twice, as for a schedule on two policies.
	h.fake.AddOnCall("schedule:PSCHED1", 2, "PBOB", "bob@example.com", "Bob Karimov",
		at(8, 0), at(20, 0))
	h.fake.AddOnCall("schedule:POTHER", 1, "PDAN", "dan@example.com", "Dan", time.Time{},
		time.Time{})

	got, err := h.client.OnCall(context.Background(), "PSCHED1")
	if err != nil {
		t.Fatalf("OnCall: %v", err)
	}
	want := []bot.Shift{
		{Level: 1, User: "PALICE", Email: "alice@example.com", Name: "Alice Ahmedova",
			Start: at(6, 0), End: at(18, 0)},
		{Level: 1, User: "PCAROL", Email: "carol@example.com", Name: "Carol Lee",
			Start: at(7, 0)},
		{Level: 2, User: "PBOB", Email: "bob@example.com", Name: "Bob Karimov",
			Start: at(8, 0), End: at(20, 0)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("OnCall =\n%+v\nwant\n%+v", got, want)
	}

	calls := h.fake.CallsTo(pagerdutyfake.OnCallsPath)
	if len(calls) != 1 {
		t.Fatalf("made %d on-call requests, want 1", len(calls))
	}
	if q := calls[0].Query; q.Get("include[]") != "users" || q.Get("schedule_ids[]") != "PSCHED1" {
		t.Errorf("query = %s, want include[]=users and schedule_ids[]=PSCHED1", q.Encode())
	}
}

func TestOnCallIDs(t *testing.T) {
	tests := []struct {
		name      string
		id        string
		wantParam string
		wantUser  string
		wantErr   string
	}{
		{"plain id is a schedule", "PSCHED1", "schedule_ids[]=PSCHED1", "PALICE", ""},
		{"schedule", "schedule:PSCHED1", "schedule_ids[]=PSCHED1", "PALICE", ""},
		{"policy", "policy:PPOLICY", "escalation_policy_ids[]=PPOLICY", "PERIN", ""},
		{"escalation_policy", "escalation_policy:PPOLICY",
			"escalation_policy_ids[]=PPOLICY", "PERIN", ""},
		{"unknown kind", "team:PTEAM", "", "", "schedule:PXXXXXX or policy:PXXXXXX"},
		{"no id after the kind", "schedule:", "", "", "is not a PagerDuty id"},
		{"not an id", "policy:P 1&x=y", "", "", "is not a PagerDuty id"},
		{"empty", "", "", "", "is not a PagerDuty id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.fake.AddOnCall("schedule:PSCHED1", 1, "PALICE", "alice@example.com", "Alice",
				time.Time{}, time.Time{})
			h.fake.AddOnCall("policy:PPOLICY", 1, "PERIN", "erin@example.com", "Erin",
				time.Time{}, time.Time{})

			got, err := h.client.OnCall(context.Background(), tt.id)
			calls := h.fake.CallsTo(pagerdutyfake.OnCallsPath)
			if tt.wantErr != "" {
				if err == nil || !bot.IsPermanent(err) ||
					!strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want a permanent one about %q", err, tt.wantErr)
				}
				if len(calls) != 0 {
					t.Errorf("made %d requests, want none", len(calls))
				}
				return
			}

			if err != nil {
				t.Fatalf("OnCall: %v", err)
			}
			if len(got) != 1 || got[0].User != tt.wantUser {
				t.Errorf("OnCall = %+v, want %s", got, tt.wantUser)
			}
			if q := calls[0].Query.Encode(); !strings.Contains(q,
				strings.ReplaceAll(strings.ReplaceAll(tt.wantParam, "[", "%5B"), "]", "%5D")) {
				t.Errorf("query = %s, want %s", q, tt.wantParam)
			}
		})
	}
}

func TestOnCallWithoutToken(t *testing.T) {
	h := newHarness(t, func(c *pagerduty.Config) { c.Token = "" })

	_, err := h.client.OnCall(context.Background(), "PSCHED1")
	if err == nil || !bot.IsPermanent(err) ||
		!strings.Contains(err.Error(), "PAGERDUTY_API_TOKEN") {
		t.Fatalf("error = %v, want a permanent one naming PAGERDUTY_API_TOKEN", err)
	}
}

func TestOnCallPages(t *testing.T) {
	h := newHarness(t)
	for i := range 130 {
		h.fake.AddOnCall("PBIG", 1+i/50, fmt.Sprintf("PU%03d", i), "", "", time.Time{},
			time.Time{})
	}

	got, err := h.client.OnCall(context.Background(), "PBIG")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 130 || got[0].Level != 1 || got[129].Level != 3 {
		t.Fatalf("got %d shifts from level %d to %d, want 130 from 1 to 3",
			len(got), got[0].Level, got[len(got)-1].Level)
	}
	if n := len(h.fake.CallsTo(pagerdutyfake.OnCallsPath)); n != 2 {
		t.Errorf("made %d requests, want 2 pages", n)
	}
}

func TestOnCallCache(t *testing.T) {
	type step struct {
		name      string
		advance   time.Duration
		fail      int
		id        string
		wantCalls int
		wantErr   bool
		wantWarn  bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"answers from the cache within the TTL", []step{
			{name: "first", wantCalls: 1},
			{name: "second", advance: time.Minute, wantCalls: 1},
			{name: "same schedule written another way", id: "schedule:PSCHED1", wantCalls: 1},
			{name: "after the TTL", advance: 4 * time.Minute, wantCalls: 2},
		}},
		{"a failed refresh answers the cached shifts", []step{
			{name: "first", wantCalls: 1},
			{name: "refresh fails", advance: 5 * time.Minute, fail: 500, wantCalls: 2,
				wantWarn: true},
			{name: "no new request for a while", advance: 10 * time.Second, wantCalls: 2},
			{name: "asks again after half a minute", advance: 30 * time.Second, wantCalls: 3},
		}},
		{"a refused refresh answers the cached shifts", []step{
			{name: "first", wantCalls: 1},
			{name: "token revoked", advance: 6 * time.Minute, fail: 401, wantCalls: 2,
				wantWarn: true},
		}},
		{"a failure without a cache is an error", []step{
			{name: "first fails", fail: 503, wantCalls: 1, wantErr: true},
			{name: "second succeeds", wantCalls: 2},
		}},
		{"a shift that ended is fetched again", []step{
			{name: "first", wantCalls: 1},
			{name: "still on", advance: time.Minute, wantCalls: 1},
			{name: "after Bob's shift, within the TTL", advance: 2 * time.Minute,
				wantCalls: 2},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.fake.AddOnCall("PSCHED1", 1, "PBOB", "bob@example.com", "Bob", at(8, 0),
				at(9, 2))

			for _, st := range tt.steps {
				h.now = h.now.Add(st.advance)
				if st.fail != 0 {
					h.fake.FailNext(pagerdutyfake.OnCallsPath, st.fail, 0)
				}
				id := st.id
				if id == "" {
					id = "PSCHED1"
				}
				logged := h.logs.Len()

				got, err := h.client.OnCall(context.Background(), id)
				if st.wantErr != (err != nil) {
					t.Fatalf("%s: error = %v, want error %v", st.name, err, st.wantErr)
				}
				if err == nil && (len(got) != 1 || got[0].User != "PBOB") {
					t.Errorf("%s: OnCall = %+v, want Bob", st.name, got)
				}
				n := len(h.fake.CallsTo(pagerdutyfake.OnCallsPath))
				if n != st.wantCalls {
					t.Errorf("%s: %d requests so far, want %d", st.name, n, st.wantCalls)
				}
				warned := strings.Contains(h.logs.String()[logged:], `"level":"warning"`)
				if warned != st.wantWarn {
					t.Errorf("%s: warned %v, want %v", st.name, warned, st.wantWarn)
				}
			}
		})
	}
}

func TestOnCallAnswerIsACopy(t *testing.T) {
	h := newHarness(t)
	h.fake.AddOnCall("PSCHED1", 1, "PBOB", "bob@example.com", "Bob", time.Time{}, time.Time{})

	got, err := h.client.OnCall(context.Background(), "PSCHED1")
	if err != nil {
		t.Fatal(err)
	}
	got[0].User = "changed"

	again, _ := h.client.OnCall(context.Background(), "PSCHED1")
	if again[0].User != "PBOB" {
		t.Errorf("the cache changed with the caller's slice: %+v", again)
	}
}

func TestOnCallConcurrent(t *testing.T) {
	h := newHarness(t)
	h.fake.AddOnCall("PSCHED1", 1, "PBOB", "bob@example.com", "Bob", time.Time{}, time.Time{})

	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := h.client.OnCall(context.Background(), "PSCHED1")
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := len(h.fake.CallsTo(pagerdutyfake.OnCallsPath)); n != 1 {
		t.Errorf("eight callers made %d requests, want 1", n)
	}
}
