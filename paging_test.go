package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"warroom/configs"
	"warroom/integrations/pagerduty/pagerdutyfake"
	"warroom/integrations/slack/slackfake"
)

const pagerDutySecret = "e2e-pagerduty-secret"

// withPagerDuty points the world's warroom at a fake PagerDuty and gives
// it a rotation of Dana and Omar with an L3 and a CTO.
func (w *world) withPagerDuty(t *testing.T) *pagerdutyfake.Server {
	t.Helper()
	pd := pagerdutyfake.New(t)
	w.cfg.PagerDuty.APIURL = pd.URL()
	w.cfg.PagerDuty.EventsURL = pd.URL()
	w.cfg.PagerDuty.From = "warroom@example.com"
	w.cfg.PagerDuty.Token = "pd-token"
	w.cfg.PagerDuty.RoutingKey = "pd-routing-key"
	w.cfg.PagerDuty.WebhookSecret = pagerDutySecret
	w.cfg.PagerDuty.Users = map[string]string{"POMAR": "UOMAR"}
	w.withRotation()
	return pd
}

func (w *world) withRotation() {
	w.cfg.OnCall.Schedules = []configs.ScheduleConfig{{Name: "platform",
		People: []string{"UDANA", "UOMAR"}, FirstHandoff: "2026-11-30 10:00"}}
	w.cfg.OnCall.Escalation = []configs.EscalationConfig{{Name: "CTO",
		Users: []string{"UAPI"}}}
}

// pagerDutyWebhook posts a signed PagerDuty webhook and returns the status.
func (r *running) pagerDutyWebhook(t *testing.T, id, body string, secret string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.base+"/webhooks/pagerduty",
		strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Webhook-Id", id)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	req.Header.Set("X-PagerDuty-Signature", "v1="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func acknowledgedEvent(key string) string {
	return fmt.Sprintf(`{"event":{"id":"01ACK","event_type":"incident.acknowledged",
		"resource_type":"incident","occurred_at":"2026-12-03T04:40:00Z",
		"agent":{"id":"POMAR","summary":"Omar Oncall","type":"user_reference"},
		"data":{"id":"Q1","type":"incident","incident_key":%q,"title":"API is down",
		"status":"acknowledged","urgency":"high",
		"assignees":[{"id":"POMAR","summary":"Omar Oncall","type":"user_reference"}]}}}`, key)
}

func TestPagingThroughPagerDuty(t *testing.T) {
	w := newWorld(t)
	pd := w.withPagerDuty(t)
	r := w.start(t)

	// Declaring a P1 pages the platform rotation through PagerDuty once.
	r.command(t, w, "UDANA", "CGENERAL", "declare API is down --sev P1 --component api")
	var ch slackfake.Channel
	eventually(t, "the page in the incident channel", func() bool {
		var ok bool
		ch, ok = w.slack.ChannelByName("incident-20261203-api-is-down")
		return ok && hasText(w.slack.Messages(ch.ID), "PAGE-1")
	})
	inc, ok := pd.Incident("warroom-incident-1")
	if !ok || inc.Severity != "error" || len(pd.Incidents()) != 1 {
		t.Fatalf("PagerDuty incidents: %+v", pd.Incidents())
	}
	r.command(t, w, "UDANA", ch.ID, "note declaring twice must not page twice")
	if n := len(pd.Events()); n != 1 {
		t.Errorf("%d events sent to PagerDuty, want 1", n)
	}

	// A forged webhook changes nothing; a signed one acknowledges the page
	// and the incident, once, however often it is delivered.
	if code := r.pagerDutyWebhook(t, "wh-1", acknowledgedEvent("warroom-incident-1"),
		"wrong-secret"); code != http.StatusUnauthorized {
		t.Fatalf("forged webhook: %d", code)
	}
	for i := 0; i < 2; i++ {
		if code := r.pagerDutyWebhook(t, "wh-2", acknowledgedEvent("warroom-incident-1"),
			pagerDutySecret); code != http.StatusOK {
			t.Fatalf("webhook delivery %d: %d", i, code)
		}
	}
	eventually(t, "the acknowledgement in the channel", func() bool {
		return hasText(w.slack.Messages(ch.ID), "acknowledged in PagerDuty by <@UOMAR>")
	})
	n := 0
	for _, m := range w.slack.Messages(ch.ID) {
		if strings.Contains(m.Text, "acknowledged in PagerDuty") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the acknowledgement was applied %d times", n)
	}
	_, body := r.command(t, w, "UDANA", ch.ID, "show")
	if !strings.Contains(body, "acknowledged 2026-12-03") {
		t.Errorf("the incident was not acknowledged: %s", body)
	}

	// Resolving the incident resolves the PagerDuty incident.
	r.command(t, w, "UDANA", ch.ID, "resolve fixed")
	eventually(t, "the PagerDuty incident resolved", func() bool {
		inc, _ := pd.Incident("warroom-incident-1")
		return inc.Status == pagerdutyfake.StatusResolved
	})
}

func TestPagerDutyDownStillPagesSomeone(t *testing.T) {
	w := newWorld(t)
	pd := w.withPagerDuty(t)
	pd.Fail(pagerdutyfake.EventsPath, http.StatusServiceUnavailable)
	r := w.start(t)

	_, body := r.command(t, w, "UOMAR", "CGENERAL", "declare DB down --sev P0")
	if !strings.Contains(body, "Declared P0") {
		t.Fatalf("declare: %s", body)
	}
	var ch slackfake.Channel
	eventually(t, "the pending note", func() bool {
		var ok bool
		ch, ok = w.slack.ChannelByName("incident-20261203-db-down")
		return ok && hasText(w.slack.Messages(ch.ID), "is pending")
	})

	// Two minutes of failures later, the primary gets a Slack DM.
	for i := 0; i < 30; i++ {
		if dm, ok := w.slack.IMChannel("UDANA"); ok && hasText(w.slack.Messages(dm), "PAGE-1") {
			break
		}
		w.clock.Add(10 * time.Second)
		time.Sleep(30 * time.Millisecond)
	}
	dm, ok := w.slack.IMChannel("UDANA")
	if !ok || !hasText(w.slack.Messages(dm), "PAGE-1") {
		t.Fatal("the primary never got the page")
	}
	eventually(t, "the fallback said in the channel", func() bool {
		return hasText(w.slack.Messages(ch.ID), "Slack direct messages instead")
	})

	// The escalation keeps going through Slack: 15 minutes later, Omar.
	w.clock.Add(15 * time.Minute)
	eventually(t, "the secondary paged", func() bool {
		dm, ok := w.slack.IMChannel("UOMAR")
		return ok && hasText(w.slack.Messages(dm), "PAGE-1")
	})
}

func TestOnCallFromPagerDuty(t *testing.T) {
	w := newWorld(t)
	pd := w.withPagerDuty(t)
	w.cfg.OnCall.Schedules[0].PagerDuty = "schedule:PSCHED1"
	w.cfg.PagerDuty.Users["dana@example.com"] = "UDANA"
	end := time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)
	pd.AddOnCall("schedule:PSCHED1", 1, "POMAR", "omar@example.com", "Omar", time.Time{}, end)
	pd.AddOnCall("schedule:PSCHED1", 2, "PDANA", "Dana@example.com", "Dana", time.Time{}, end)
	r := w.start(t)

	code, body := r.post(t, "/slack/commands", "application/x-www-form-urlencoded",
		"command=%2Foncall&text=platform&user_id=UAPI&channel_id=CGENERAL", time.Now())
	if code != http.StatusOK {
		t.Fatalf("/oncall answered %d", code)
	}
	for _, want := range []string{"primary <@UOMAR>", "secondary <@UDANA>",
		"until 2026-12-07 10:00", "From PagerDuty"} {
		if !strings.Contains(body, want) {
			t.Errorf("/oncall lacks %q: %s", want, body)
		}
	}
}
