package pagerdutyfake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"

	"warroom/integrations/pagerduty/pagerdutyfake"
)

const (
	token      = "fake-token"
	routingKey = "R0123456789abcdef0123456789abcde"
)

// newClient starts a fake and a go-pagerduty client pointed at it.
func newClient(t *testing.T) (*pagerdutyfake.Server, *pd.Client) {
	t.Helper()
	s := pagerdutyfake.New(t)
	s.SetCredentials(token, routingKey)
	c := pd.NewClient(token, pd.WithAPIEndpoint(s.URL()), pd.WithV2EventsAPIEndpoint(s.URL()))
	c.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	return s, c
}

// postEvent sends a raw body to the Events API and returns the status and
// the decoded answer.
func postEvent(t *testing.T, s *pagerdutyfake.Server, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(s.URL()+pagerdutyfake.EventsPath, "application/json",
		strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode answer: %v", err)
	}
	return resp.StatusCode, out
}

func TestEvents(t *testing.T) {
	trigger := `{"routing_key":"` + routingKey + `","event_action":"trigger",` +
		`"dedup_key":"k1","payload":{"summary":"s","source":"src","severity":"error"}}`
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantErr    string
	}{
		{"trigger", trigger, http.StatusAccepted, ""},
		{"malformed JSON", `{"routing_key":`, http.StatusBadRequest, "Malformed JSON"},
		{"no routing key", strings.Replace(trigger, routingKey, "", 1),
			http.StatusBadRequest, "routing_key"},
		{"other routing key", strings.Replace(trigger, routingKey, "Rother", 1),
			http.StatusBadRequest, "Invalid routing key"},
		{"unknown action", strings.Replace(trigger, `"trigger"`, `"page"`, 1),
			http.StatusBadRequest, "event_action"},
		{"no summary", strings.Replace(trigger, `"summary":"s"`, `"summary":""`, 1),
			http.StatusBadRequest, "payload.summary"},
		{"bad severity", strings.Replace(trigger, `"error"`, `"P0"`, 1),
			http.StatusBadRequest, "payload.severity"},
		{"acknowledge without key", `{"routing_key":"` + routingKey +
			`","event_action":"acknowledge"}`, http.StatusBadRequest, "dedup_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := pagerdutyfake.New(t)
			s.SetCredentials(token, routingKey)

			status, out := postEvent(t, s, tt.body)
			if status != tt.wantStatus {
				t.Fatalf("status = %d %v, want %d", status, out, tt.wantStatus)
			}
			if tt.wantErr == "" {
				if out["status"] != "success" || out["dedup_key"] != "k1" {
					t.Errorf("answer = %v", out)
				}
				return
			}
			errs, _ := json.Marshal(out["errors"])
			if !strings.Contains(string(errs)+out["message"].(string), tt.wantErr) {
				t.Errorf("answer = %v, want it to say %q", out, tt.wantErr)
			}
			if evs := s.Events(); len(evs) != 1 || evs[0].Status != tt.wantStatus {
				t.Errorf("events = %+v, want the refused one recorded", evs)
			}
			if n := len(s.Incidents()); n != 0 {
				t.Errorf("%d incidents after a refused event", n)
			}
		})
	}
}

func TestIncidentLifecycle(t *testing.T) {
	s, c := newClient(t)
	ctx := context.Background()
	send := func(action, key string) {
		t.Helper()
		ev := &pd.V2Event{RoutingKey: routingKey, Action: action, DedupKey: key}
		if action == "trigger" {
			ev.Payload = &pd.V2Payload{Summary: "s " + key, Source: "src", Severity: "critical"}
		}
		if _, err := c.ManageEventWithContext(ctx, ev); err != nil {
			t.Fatalf("%s %s: %v", action, key, err)
		}
	}

	send("trigger", "k1")
	send("trigger", "k1")
	send("trigger", "k2")
	send("acknowledge", "k1")
	send("resolve", "k2")
	send("acknowledge", "nothing-open")

	open, err := c.ListIncidentsWithContext(ctx, pd.ListIncidentsOptions{
		IncidentKey: "k1", Statuses: []string{"triggered", "acknowledged"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(open.Incidents) != 1 || open.Incidents[0].Status != "acknowledged" ||
		open.Incidents[0].IncidentKey != "k1" || open.Incidents[0].Urgency != "high" {
		t.Fatalf("open incidents of k1 = %+v", open.Incidents)
	}
	none, err := c.ListIncidentsWithContext(ctx, pd.ListIncidentsOptions{
		IncidentKey: "k2", Statuses: []string{"triggered", "acknowledged"},
	})
	if err != nil || len(none.Incidents) != 0 {
		t.Fatalf("open incidents of resolved k2 = %+v, %v", none, err)
	}

	id := open.Incidents[0].ID
	got, err := c.ManageIncidentsWithContext(ctx, "alice@example.com",
		[]pd.ManageIncidentsOptions{{ID: id, EscalationLevel: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Incidents) != 1 || got.Incidents[0].Status != "triggered" {
		t.Errorf("PUT answered %+v", got.Incidents)
	}
	inc, _ := s.Incident("k1")
	if inc.EscalationLevel != 3 || inc.UpdatedBy != "alice@example.com" || inc.Alerts != 2 {
		t.Errorf("incident = %+v", inc)
	}
	if n := len(s.Events()); n != 6 {
		t.Errorf("%d events recorded, want 6", n)
	}
}

func TestManageIncidentsRefusals(t *testing.T) {
	tests := []struct {
		name       string
		from       string
		opts       []pd.ManageIncidentsOptions
		resolve    bool
		wantStatus int
	}{
		{"no From", "", []pd.ManageIncidentsOptions{{ID: "PINC0001", EscalationLevel: 2}},
			false, http.StatusBadRequest},
		{"unknown incident", "a@example.com",
			[]pd.ManageIncidentsOptions{{ID: "PNOPE", EscalationLevel: 2}},
			false, http.StatusNotFound},
		{"bad status", "a@example.com",
			[]pd.ManageIncidentsOptions{{ID: "PINC0001", Status: "snoozed"}},
			false, http.StatusBadRequest},
		{"escalate a resolved incident", "a@example.com",
			[]pd.ManageIncidentsOptions{{ID: "PINC0001", EscalationLevel: 2}},
			true, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := newClient(t)
			ctx := context.Background()
			_, err := c.ManageEventWithContext(ctx, &pd.V2Event{RoutingKey: routingKey,
				Action: "trigger", DedupKey: "k", Payload: &pd.V2Payload{
					Summary: "s", Source: "src", Severity: "info"}})
			if err != nil {
				t.Fatal(err)
			}
			if tt.resolve {
				_, _ = c.ManageEventWithContext(ctx, &pd.V2Event{RoutingKey: routingKey,
					Action: "resolve", DedupKey: "k"})
			}
			before, _ := s.Incident("k")

			_, err = c.ManageIncidentsWithContext(ctx, tt.from, tt.opts)
			var ae pd.APIError
			if !errors.As(err, &ae) || ae.StatusCode != tt.wantStatus || !ae.APIError.Valid {
				t.Fatalf("error = %v, want a PagerDuty error object with %d", err,
					tt.wantStatus)
			}
			if after, _ := s.Incident("k"); after.EscalationLevel != before.EscalationLevel ||
				after.Status != before.Status {
				t.Errorf("incident changed from %+v to %+v", before, after)
			}
		})
	}
}

func TestOnCalls(t *testing.T) {
	s, c := newClient(t)
	now := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	s.SetNow(func() time.Time { return now })
	s.AddOnCall("schedule:PSCHED", 1, "PALICE", "alice@example.com", "Alice",
		now.Add(-time.Hour), now.Add(time.Hour))
	s.AddOnCall("schedule:PSCHED", 1, "PLATER", "later@example.com", "Later",
		now.Add(time.Hour), now.Add(2*time.Hour))
	s.AddOnCall("policy:PPOL", 3, "PCTO", "cto@example.com", "The CTO", time.Time{},
		time.Time{})

	tests := []struct {
		name      string
		opts      pd.ListOnCallOptions
		wantUsers []string
		wantEmail bool
	}{
		{"by schedule", pd.ListOnCallOptions{ScheduleIDs: []string{"PSCHED"}},
			[]string{"PALICE"}, false},
		{"with users", pd.ListOnCallOptions{ScheduleIDs: []string{"PSCHED"},
			Includes: []string{"users"}}, []string{"PALICE"}, true},
		{"by policy", pd.ListOnCallOptions{EscalationPolicyIDs: []string{"PPOL"}},
			[]string{"PCTO"}, false},
		{"schedule's default policy", pd.ListOnCallOptions{
			EscalationPolicyIDs: []string{pagerdutyfake.PolicyID}}, []string{"PALICE"}, false},
		{"later window", pd.ListOnCallOptions{ScheduleIDs: []string{"PSCHED"},
			Since: now.Add(90 * time.Minute).Format(time.RFC3339),
			Until: now.Add(100 * time.Minute).Format(time.RFC3339)},
			[]string{"PLATER"}, false},
		{"unknown schedule", pd.ListOnCallOptions{ScheduleIDs: []string{"PNONE"}}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.ListOnCallsWithContext(context.Background(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var users []string
			for _, oc := range resp.OnCalls {
				users = append(users, oc.User.ID)
				if (oc.User.Email != "") != tt.wantEmail {
					t.Errorf("email %q, want one %v", oc.User.Email, tt.wantEmail)
				}
				if oc.User.Summary == "" || oc.EscalationPolicy.ID == "" {
					t.Errorf("on-call without summary or policy: %+v", oc)
				}
			}
			if strings.Join(users, ",") != strings.Join(tt.wantUsers, ",") {
				t.Errorf("users = %v, want %v", users, tt.wantUsers)
			}
		})
	}
}

func TestAuthAndFaults(t *testing.T) {
	s, c := newClient(t)
	ctx := context.Background()
	list := func(c *pd.Client) error {
		_, err := c.ListOnCallsWithContext(ctx, pd.ListOnCallOptions{})
		return err
	}
	status := func(err error) int {
		var ae pd.APIError
		if errors.As(err, &ae) {
			return ae.StatusCode
		}
		return 0
	}

	wrong := pd.NewClient("wrong", pd.WithAPIEndpoint(s.URL()))
	if got := status(list(wrong)); got != http.StatusUnauthorized {
		t.Errorf("wrong token: status %d, want 401", got)
	}

	s.FailNext(pagerdutyfake.OnCallsPath, http.StatusTooManyRequests, 5)
	s.FailNext(pagerdutyfake.OnCallsPath, http.StatusBadGateway, 0)
	s.Fail(pagerdutyfake.OnCallsPath, http.StatusServiceUnavailable)
	for _, want := range []int{429, 502, 503, 503} {
		if got := status(list(c)); got != want {
			t.Errorf("status %d, want %d", got, want)
		}
	}
	s.Heal(pagerdutyfake.OnCallsPath)
	if err := list(c); err != nil {
		t.Errorf("after Heal: %v", err)
	}

	calls := s.CallsTo(pagerdutyfake.OnCallsPath)
	got := make([]int, len(calls))
	for i, call := range calls {
		got[i] = call.Status
	}
	want := []int{401, 429, 502, 503, 503, 200}
	if len(got) != len(want) {
		t.Fatalf("statuses = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("statuses = %v, want %v", got, want)
			break
		}
	}
}

func TestRetryAfterHeader(t *testing.T) {
	s := pagerdutyfake.New(t)
	s.FailNext(pagerdutyfake.EventsPath, http.StatusTooManyRequests, 9)

	resp, err := http.Post(s.URL()+pagerdutyfake.EventsPath, "application/json",
		bytes.NewReader([]byte(`{}`)))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "9" {
		t.Errorf("answer %d Retry-After %q, want 429 and 9", resp.StatusCode,
			resp.Header.Get("Retry-After"))
	}
}

func TestConcurrentUse(t *testing.T) {
	s, c := newClient(t)
	ctx := context.Background()

	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			_, _ = c.ManageEventWithContext(ctx, &pd.V2Event{RoutingKey: routingKey,
				Action: "trigger", DedupKey: "same", Payload: &pd.V2Payload{
					Summary: "s", Source: "src", Severity: "info"}})
			_, _ = c.ListOnCallsWithContext(ctx, pd.ListOnCallOptions{})
			_ = s.Incidents()
		})
	}
	wg.Wait()

	if incs := s.Incidents(); len(incs) != 1 || incs[0].Alerts != 20 {
		t.Errorf("incidents = %+v, want one with 20 alerts", incs)
	}
	if n := len(s.Calls()); n != 40 {
		t.Errorf("%d calls, want 40", n)
	}
}
