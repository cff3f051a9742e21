package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"warroom/bot"
	"warroom/configs"
	"warroom/integrations/alertmanager"
	"warroom/integrations/alertmanager/alertmanagerfake"
	"warroom/integrations/slack/slackfake"
)

const alertToken = "e2e-alert-token"

// withAlerts routes critical alerts to #alerts-critical (paging the
// rotation) and the rest to #alerts.
func (w *world) withAlerts(t *testing.T) *alertmanagerfake.Server {
	t.Helper()
	am := alertmanagerfake.New(t)
	w.slack.AddChannel("CALERTCRIT", "alerts-critical", false)
	w.slack.AddChannel("CALERTS", "alerts", false)
	w.withRotation()
	w.cfg.Alerts.Channel = "CALERTS"
	w.cfg.Alerts.Routes = []configs.AlertRouteConfig{
		{Match: map[string]string{"severity": "critical"}, Channel: "CALERTCRIT",
			Page: "default"},
	}
	w.cfg.Alertmanager.URL = am.URL()
	w.cfg.Alertmanager.Token = alertToken
	return am
}

func (r *running) alert(t *testing.T, body []byte, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.base+"/webhooks/alertmanager",
		bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	out.ReadFrom(resp.Body)
	return resp.StatusCode, out.String()
}

func group(key, name, severity string, n, resolved int, start time.Time) bot.Notification {
	nt := bot.Notification{GroupKey: key, Receiver: "warroom", Status: bot.AlertFiring,
		GroupLabels: map[string]string{"alertname": name},
		CommonLabels: map[string]string{"alertname": name, "severity": severity,
			"component": "api", "runbook": "escalation"},
		CommonAnnotations: map[string]string{"summary": name + " fires"},
		ExternalURL:       "http://alertmanager.test"}
	for i := 0; i < n; i++ {
		a := bot.Alert{Status: bot.AlertFiring, StartsAt: start,
			Labels: map[string]string{"alertname": name, "severity": severity,
				"instance": fmt.Sprintf("api-%d", i)}}
		if i < resolved {
			a.Status, a.EndsAt = bot.AlertResolved, start.Add(5*time.Minute)
		}
		nt.Alerts = append(nt.Alerts, a)
	}
	if resolved == n {
		nt.Status = bot.AlertResolved
	}
	return nt
}

func TestAlertsEndToEnd(t *testing.T) {
	w := newWorld(t)
	am := w.withAlerts(t)
	r := w.start(t)
	start := time.Date(2026, 12, 3, 4, 0, 0, 0, time.UTC)

	cases := []struct {
		name   string
		body   []byte
		token  string
		status int
	}{
		{"no token", alertmanager.Encode(group("g", "X", "warning", 1, 0, start)), "", 401},
		{"wrong token", alertmanager.Encode(group("g", "X", "warning", 1, 0, start)), "nope",
			401},
		{"not JSON", []byte("{"), alertToken, 400},
		{"wrong version", []byte(`{"version":"3","groupKey":"g","alerts":[]}`), alertToken,
			400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if code, body := r.alert(t, tc.body, tc.token); code != tc.status {
				t.Errorf("status %d (%s), want %d", code, body, tc.status)
			}
		})
	}

	// A critical group, in the old format, posts, pages and offers buttons.
	crit := group(`{}:{alertname="APIDown"}`, "APIDown", "critical", 2, 0, start)
	if code, body := r.alert(t, alertmanager.EncodeOld(crit), alertToken); code != 200 {
		t.Fatalf("critical alert: %d %s", code, body)
	}
	var msg slackfake.Message
	eventually(t, "the critical alert's message", func() bool {
		for _, m := range w.slack.Messages("CALERTCRIT") {
			if strings.Contains(m.Text, "APIDown fires") && strings.Contains(m.Text, "2 firing") {
				msg = m
				return true
			}
		}
		return false
	})
	for _, want := range []string{"page.acknowledge", "page.escalate", "alert.declare",
		"alert.silence", "alert.runbook"} {
		if !strings.Contains(string(msg.Blocks), want) {
			t.Errorf("the alert lacks the %s button", want)
		}
	}
	eventually(t, "the primary paged", func() bool {
		dm, ok := w.slack.IMChannel("UDANA")
		return ok && hasText(w.slack.Messages(dm), "APIDown fires")
	})

	// Alertmanager's repeat changes nothing; a resolution edits the message.
	r.alert(t, alertmanager.Encode(crit), alertToken)
	time.Sleep(100 * time.Millisecond)
	if n := len(w.slack.CallsTo("chat.update")); n != 0 {
		t.Errorf("the repeat edited the message %d times", n)
	}

	// Silence 1h from Slack reaches Alertmanager with the clicking user;
	// Alertmanager takes silences in its own present only.
	w.clock.mu.Lock()
	w.clock.now = time.Now()
	w.clock.mu.Unlock()
	r.press(t, w, "UOMAR", "CALERTCRIT", msg.TS, bot.ActionAlertSilence, "1")
	eventually(t, "the silence at Alertmanager", func() bool {
		return len(am.Silences()) == 1
	})
	if s := am.Silences()[0]; s.CreatedBy != "UOMAR" {
		t.Errorf("silence created by %q", s.CreatedBy)
	}

	// Declare incident from the alert.
	r.press(t, w, "UOMAR", "CALERTCRIT", msg.TS, bot.ActionAlertDeclare, "1")
	loc, _ := time.LoadLocation(w.cfg.Timezone)
	name := "incident-" + w.clock.Now().In(loc).Format("20060102") + "-apidown-fires"
	eventually(t, "the incident channel", func() bool {
		_, ok := w.slack.ChannelByName(name)
		return ok
	})

	w.clock.Add(5 * time.Second)
	r.alert(t, alertmanager.Encode(group(`{}:{alertname="APIDown"}`, "APIDown", "critical",
		2, 2, start)), alertToken)
	// The channel's pace runs on warroom's clock, which this test moves.
	eventually(t, "the message resolved", func() bool {
		w.clock.Add(time.Second)
		m, _ := w.slack.Message("CALERTCRIT", msg.TS)
		return strings.Contains(m.Text, "resolved after")
	})
}

// TestAlertStorm sends 5,000 alerts in 200 groups in one burst.
func TestAlertStorm(t *testing.T) {
	w := newWorld(t)
	w.withAlerts(t)
	w.cfg.Alerts.PostEvery = 50 * time.Millisecond
	w.wallClock = true
	r := w.start(t)

	start := time.Date(2026, 12, 3, 4, 0, 0, 0, time.UTC)
	for g := 0; g < 200; g++ {
		n := group(fmt.Sprintf("storm-%d", g), fmt.Sprintf("Queue%d", g%9), "warning", 25, 0,
			start)
		if code, body := r.alert(t, alertmanager.Encode(n), alertToken); code != 200 {
			t.Fatalf("group %d: %d %s", g, code, body)
		}
	}

	// Every group shows: in a message of its own, or folded into the
	// storm summary.
	shown := func() (own, folded int) {
		for _, m := range w.slack.Messages("CALERTS") {
			if strings.Contains(m.Text, "Alert storm") {
				fmt.Sscanf(m.Text[strings.Index(m.Text, "storm*: ")+len("storm*: "):],
					"%d", &folded)
				continue
			}
			own++
		}
		return own, folded
	}
	deadline := time.Now().Add(20 * time.Second)
	for own, folded := shown(); own+folded != 200; own, folded = shown() {
		if time.Now().After(deadline) {
			t.Fatalf("%d groups in messages of their own and %d folded, want 200", own, folded)
		}
		time.Sleep(20 * time.Millisecond)
	}
	own, folded := shown()
	if folded == 0 {
		t.Error("a burst of 200 groups was not folded into a storm summary")
	}
	t.Logf("%d groups in messages of their own, %d folded into the summary", own, folded)

	var stored int
	err := r.app.db.View(context.Background(), func(tx bot.Tx) error {
		for g := 0; g < 200; g++ {
			grp, err := tx.AlertGroupByKey(fmt.Sprintf("storm-%d", g))
			if err != nil {
				return err
			}
			alerts, err := tx.GroupAlerts(grp.ID)
			stored += len(alerts)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || stored != 5000 {
		t.Fatalf("stored %d alerts (%v), want 5000", stored, err)
	}

	calls := append(w.slack.CallsTo("chat.postMessage"), w.slack.CallsTo("chat.update")...)
	var inChannel []time.Time
	for _, c := range calls {
		if c.Params.Get("channel") == "CALERTS" {
			inChannel = append(inChannel, c.At)
		}
	}
	if posts := len(w.slack.Messages("CALERTS")); posts > 200+5 {
		t.Errorf("%d messages for 200 groups", posts)
	}
	// In any second the channel sees at most the pace's worth of calls,
	// and one more for a call that arrives late on the network.
	sortTimes(inChannel)
	limit := int(time.Second/w.cfg.Alerts.PostEvery) + 1
	for i := range inChannel {
		j := i
		for j < len(inChannel) && inChannel[j].Sub(inChannel[i]) < time.Second {
			j++
		}
		if j-i > limit {
			t.Fatalf("%d calls within a second in one channel; the pace allows %d", j-i, limit)
		}
	}
}

func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// BenchmarkAlertIngest measures the Alertmanager webhook from the request
// to its answer: the token check, parsing, and storing a 25-alert group.
func BenchmarkAlertIngest(b *testing.B) {
	t := &testing.T{}
	w := newWorld(t)
	w.withAlerts(t)
	w.cfg.Log.Level = "warn"
	app, err := NewApp(context.Background(), w.cfg, AppOptions{LogOutput: w.logs})
	if err != nil {
		b.Fatal(err)
	}
	defer app.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = app.Run(ctx) }()

	start := time.Date(2026, 12, 3, 4, 0, 0, 0, time.UTC)
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = alertmanager.Encode(group(fmt.Sprintf("bench-%d", i), "Bench", "warning",
			25, 0, start))
	}

	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/alertmanager",
			bytes.NewReader(bodies[i]))
		req.Header.Set("Authorization", "Bearer "+alertToken)
		rec := httptest.NewRecorder()
		app.server.Handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("answer %d: %s", rec.Code, rec.Body)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*25)/b.Elapsed().Seconds(), "alerts/s")
}

func TestAlertPostsWaitOutSlackFailuresInOrder(t *testing.T) {
	w := newWorld(t)
	w.withAlerts(t)
	w.cfg.Alerts.PostEvery = 10 * time.Millisecond
	w.wallClock = true
	w.slack.FailNext("chat.postMessage", slackfake.Fault{Status: 429, RetryAfter: 1})
	w.slack.FailNext("chat.postMessage", slackfake.Fault{Status: 500})
	r := w.start(t)

	start := time.Date(2026, 12, 3, 4, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		n := group(fmt.Sprintf("order-%d", i), fmt.Sprintf("Order%d", i), "warning", 1, 0, start)
		if code, _ := r.alert(t, alertmanager.Encode(n), alertToken); code != 200 {
			t.Fatalf("group %d: %d", i, code)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(w.slack.Messages("CALERTS")) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("%d of 3 messages after Slack recovered", len(w.slack.Messages("CALERTS")))
		}
		time.Sleep(20 * time.Millisecond)
	}

	msgs := w.slack.Messages("CALERTS")
	var order []string
	for _, m := range msgs {
		order = append(order, m.Text[strings.Index(m.Text, "Order"):][:6])
	}
	if strings.Join(order, " ") != "Order0 Order1 Order2" {
		t.Errorf("messages in the order %v", order)
	}
}
