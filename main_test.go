package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"warroom/bot"
	"warroom/configs"
	"warroom/integrations/slack/slackfake"
	"warroom/storage"
)

const signingSecret = "e2e-signing-secret"

// testClock is a clock the test moves by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// syncBuffer collects log output written from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// world is a fake Slack and the config of a warroom that talks to it.
type world struct {
	slack *slackfake.Server
	cfg   *configs.Config
	clock *testClock
	logs  *syncBuffer
	// wallClock runs warroom on the real clock instead of clock.
	wallClock bool
}

func newWorld(t *testing.T) *world {
	t.Helper()
	fake := slackfake.New(t)
	fake.AddUser("UDANA", "dana", "Dana Declarer")
	fake.AddUser("UOMAR", "omar", "Omar Oncall")
	fake.AddUser("UAPI", "api-team", "API Responder")
	fake.AddChannel("CANNOUNCE", "incidents", false)
	fake.AddChannel("CGENERAL", "general", false)

	cfg := configs.Default()
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.HTTP.ShutdownTimeout = 5 * time.Second
	cfg.Database.Path = filepath.Join(t.TempDir(), "warroom.db")
	cfg.Log.Level = "debug"
	cfg.Slack.APIURL = fake.APIURL()
	cfg.Slack.BotToken = "xoxb-e2e"
	cfg.Slack.SigningSecret = signingSecret
	cfg.Incidents.AnnouncementsChannel = "CANNOUNCE"
	cfg.Incidents.Responders = []configs.Responder{{Components: []string{"api"},
		Severities: []string{"P0", "P1"}, Users: []string{"UAPI"}}}
	cfg.Jobs.PollInterval = 20 * time.Millisecond
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}

	return &world{slack: fake, cfg: cfg, logs: &syncBuffer{},
		clock: &testClock{now: time.Date(2026, 12, 3, 4, 30, 0, 0, time.UTC)}}
}

// running is one warroom process.
type running struct {
	app  *App
	stop func()
	base string
}

// start runs warroom on a loopback port until stop is called.
func (w *world) start(t *testing.T) *running {
	t.Helper()
	opts := AppOptions{LogOutput: w.logs, Clock: w.clock}
	if w.wallClock {
		opts.Clock = nil
	}
	app, err := NewApp(context.Background(), w.cfg, opts)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	r := &running{app: app, base: "http://" + app.Addr()}
	r.stop = func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("warroom did not stop within 10s")
		}
		app.Close()
	}
	t.Cleanup(func() {
		if ctx.Err() == nil {
			r.stop()
		}
	})
	return r
}

// sign adds Slack's signature headers to req for body, signed at ts.
func sign(req *http.Request, body string, ts time.Time) {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(signingSecret))
	fmt.Fprintf(mac, "v0:%s:%s", stamp, body)
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
}

// command sends a signed /incident and returns the status and the body.
func (r *running) command(t *testing.T, w *world, user, channel, text string) (int, string) {
	t.Helper()
	form := url.Values{
		"command":      {"/incident"},
		"text":         {text},
		"user_id":      {user},
		"user_name":    {strings.ToLower(user)},
		"channel_id":   {channel},
		"team_id":      {"T0FAKE"},
		"trigger_id":   {"trigger-" + strconv.FormatInt(time.Now().UnixNano(), 10)},
		"response_url": {w.slack.ResponseURL(user + "-" + text)},
	}
	return r.post(t, "/slack/commands", "application/x-www-form-urlencoded", form.Encode(),
		time.Now())
}

// press sends a signed button press.
func (r *running) press(t *testing.T, w *world, user, channel, ts, action,
	value string) (int, string) {

	t.Helper()
	payload, _ := json.Marshal(map[string]any{
		"type":    "block_actions",
		"user":    map[string]string{"id": user},
		"team":    map[string]string{"id": "T0FAKE"},
		"channel": map[string]string{"id": channel},
		"container": map[string]string{"type": "message", "message_ts": ts,
			"channel_id": channel},
		"message":      map[string]string{"ts": ts},
		"trigger_id":   "trigger-press-" + strconv.FormatInt(time.Now().UnixNano(), 10),
		"response_url": w.slack.ResponseURL(user + "-" + action),
		"actions": []map[string]string{{"action_id": action, "value": value,
			"type": "button", "block_id": "b"}},
	})
	body := url.Values{"payload": {string(payload)}}.Encode()
	return r.post(t, "/slack/interactions", "application/x-www-form-urlencoded", body,
		time.Now())
}

func (r *running) post(t *testing.T, path, ctype, body string, signedAt time.Time) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	sign(req, body, signedAt)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, jsonUnescape.Replace(string(out))
}

// eventually waits up to five seconds for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestIncidentEndToEnd(t *testing.T) {
	w := newWorld(t)
	r := w.start(t)

	// A P1 declared in one line.
	status, body := r.command(t, w, "UDANA", "CGENERAL",
		"declare API is down --sev P1 --component api")
	if status != http.StatusOK || !strings.Contains(body, "Declared P1 INC-1") {
		t.Fatalf("declare answered %d %s", status, body)
	}

	const name = "incident-20261203-api-is-down"
	var ch slackfake.Channel
	eventually(t, "the channel, its card and the announcement", func() bool {
		var ok bool
		ch, ok = w.slack.ChannelByName(name)
		return ok && len(ch.Pins) == 1 && len(w.slack.Messages("CANNOUNCE")) == 1
	})
	if !contains(ch.Members, "UDANA") || !contains(ch.Members, "UAPI") {
		t.Errorf("members %v, want the declarer and the API responder", ch.Members)
	}
	if !strings.HasPrefix(ch.Topic, "P1 | Investigating | IC: <@UDANA>") {
		t.Errorf("topic %q", ch.Topic)
	}
	cardTS := ch.Pins[0]
	card, _ := w.slack.Message(ch.ID, cardTS)
	for _, want := range []string{"INC-1", "API is down", "respond within 1h",
		"incident.take_command", "incident.resolve"} {
		if !strings.Contains(card.Text+string(card.Blocks), want) {
			t.Errorf("card lacks %q: %s", want, card.Blocks)
		}
	}
	announcement := w.slack.Messages("CANNOUNCE")[0]
	if !strings.Contains(announcement.Text, "INC-1") {
		t.Errorf("announcement %q", announcement.Text)
	}
	eventually(t, "the channel link sent to the declarer", func() bool {
		for _, resp := range w.slack.Responses() {
			if strings.Contains(resp.Text, "<#"+ch.ID+">") {
				return true
			}
		}
		return false
	})

	// Omar takes command with the card's button; the card changes in place.
	status, _ = r.press(t, w, "UOMAR", ch.ID, cardTS, bot.ActionTakeCommand, "1")
	if status != http.StatusOK {
		t.Fatalf("button answered %d", status)
	}
	eventually(t, "the card edited with the new commander", func() bool {
		m, _ := w.slack.Message(ch.ID, cardTS)
		return m.Edited && strings.Contains(m.Text, "<@UOMAR>")
	})

	// An update goes to the channel and the announcement's thread.
	_, body = r.command(t, w, "UOMAR", ch.ID, "update Rolled back the 14:02 deploy")
	if !strings.Contains(body, "Update posted") {
		t.Fatalf("update answered %s", body)
	}
	eventually(t, "the update in both channels", func() bool {
		return hasText(w.slack.Messages(ch.ID), "Rolled back the 14:02 deploy") &&
			hasText(w.slack.Messages("CANNOUNCE"), "Rolled back the 14:02 deploy")
	})
	for _, m := range w.slack.Messages("CANNOUNCE") {
		if strings.Contains(m.Text, "Rolled back") && m.ThreadTS != announcement.TS {
			t.Errorf("update not in the announcement thread: %+v", m)
		}
	}

	// warroom is down for 40 minutes; the reminder due meanwhile still comes.
	r.stop()
	w.clock.Add(40 * time.Minute)
	r = w.start(t)
	eventually(t, "the reminder that fell due during the downtime", func() bool {
		for _, m := range w.slack.Messages(ch.ID) {
			if strings.Contains(m.Text, "no status update") &&
				strings.Contains(m.Text, "<@UOMAR>") {
				return true
			}
		}
		return false
	})
	_, body = r.command(t, w, "UDANA", "CGENERAL", "list")
	if !strings.Contains(body, "INC-1") || !strings.Contains(body, "<@UOMAR>") {
		t.Errorf("after the restart, list shows %s", body)
	}

	// Only the commander resolves.
	_, body = r.command(t, w, "UDANA", ch.ID, "resolve all good")
	if !strings.Contains(body, "Only the incident commander (<@UOMAR>)") ||
		!strings.Contains(body, "Error id: E-") {
		t.Fatalf("non-commander resolving was answered %s", body)
	}
	_, body = r.command(t, w, "UOMAR", ch.ID, "resolve Rolled back; error rate normal")
	if !strings.Contains(body, "resolved after 40m") {
		t.Fatalf("commander resolving was answered %s", body)
	}
	eventually(t, "the resolution in the channel, the thread and the card", func() bool {
		m, _ := w.slack.Message(ch.ID, cardTS)
		return hasText(w.slack.Messages(ch.ID), "INC-1 resolved") &&
			hasText(w.slack.Messages("CANNOUNCE"), "INC-1 resolved") &&
			strings.Contains(m.Text, "resolved")
	})
	eventually(t, "the topic resolved", func() bool {
		c, _ := w.slack.Channel(ch.ID)
		return strings.Contains(c.Topic, "Resolved")
	})

	r.stop()
	assertTimeline(t, w.cfg.Database.Path, []bot.EventKind{bot.EventDeclared, bot.EventChannel,
		bot.EventCommander, bot.EventUpdate, bot.EventReminder, bot.EventResolved})
	assertLogs(t, w.logs.String())
}

// assertTimeline opens the database the runs left and checks the order
// of the incident's events.
func assertTimeline(t *testing.T, path string, want []bot.EventKind) {
	t.Helper()
	db, err := storage.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var events []bot.Event
	err = db.View(context.Background(), func(tx bot.Tx) error {
		events, err = tx.Timeline(1)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []bot.EventKind
	for _, ev := range events {
		got = append(got, ev.Kind)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("timeline\n got %v\nwant %v", got, want)
	}
}

// assertLogs checks that every log line is a JSON object with the
// policy's fields.
func assertLogs(t *testing.T, logs string) {
	t.Helper()
	sawDeclare := false
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		ts, _ := entry["timestamp"].(string)
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", ts); err != nil {
			t.Errorf("timestamp %q is not RFC 3339 UTC with milliseconds", ts)
		}
		if entry["service"] != "warroom" || entry["level"] == nil {
			t.Errorf("log line lacks service or level: %s", line)
		}
		if entry["action"] == "incident.declare" {
			sawDeclare = entry["requestId"] != "" && entry["userId"] == "UDANA"
		}
	}
	if !sawDeclare {
		t.Error("no incident.declare log line with requestId and userId")
	}
}

func TestForgedAndStaleRequestsChangeNothing(t *testing.T) {
	w := newWorld(t)
	r := w.start(t)
	body := url.Values{"command": {"/incident"}, "text": {"declare Forged"},
		"user_id": {"UDANA"}, "channel_id": {"CGENERAL"}}.Encode()

	cases := []struct {
		name string
		sign func(*http.Request)
	}{
		{"no signature", func(*http.Request) {}},
		{"wrong signature", func(req *http.Request) {
			sign(req, body+"x", time.Now())
		}},
		{"stale timestamp", func(req *http.Request) {
			sign(req, body, time.Now().Add(-6*time.Minute))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, r.base+"/slack/commands",
				strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			tc.sign(req)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("status %d, want 401", resp.StatusCode)
			}
		})
	}

	_, list := r.command(t, w, "UDANA", "CGENERAL", "list")
	if !strings.Contains(list, "No open incidents") {
		t.Errorf("a forged request declared an incident: %s", list)
	}
	if n := len(w.slack.CallsTo("conversations.create")); n != 0 {
		t.Errorf("%d channels created", n)
	}
}

func TestHealthReadinessMetricsStatus(t *testing.T) {
	w := newWorld(t)
	r := w.start(t)
	r.command(t, w, "UDANA", "CGENERAL", "declare Payments failing --sev P0 --component api")
	r.command(t, w, "UDANA", "CGENERAL",
		"declare Secret breach --sev P0 --component database --private")
	eventually(t, "the channels", func() bool {
		_, ok := w.slack.ChannelByName("incident-20261203-payments-failing")
		c, private := w.slack.ChannelByName("incident-20261203-secret-breach")
		return ok && private && c.Private
	})

	cases := []struct {
		path   string
		status int
		want   string
	}{
		{"/healthz", 200, "ok"},
		{"/readyz", 200, "ready"},
		{"/metrics", 200, `warroom_incidents_open{severity="P0"} 2`},
		{"/metrics", 200, `warroom_http_request_duration_seconds_count{` +
			`endpoint="/slack/commands",outcome="ok"} 2`},
		{"/metrics", 200, `slack_api_calls_total{method="conversations.create",outcome="ok"} 2`},
		{"/status.json", 200, `"status":"major_outage"`},
		{"/status.json", 200, `{"id":"database","name":"Database","status":"operational"}`},
		{"/status", 200, "Payments failing"},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := http.Get(r.base + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.want) {
				t.Errorf("GET %s: %d, want %d with %q in\n%s", tc.path, resp.StatusCode,
					tc.status, tc.want, body)
			}
		})
	}

	page, err := http.Get(r.base + "/status")
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if strings.Contains(string(html), "Secret breach") {
		t.Error("the status page shows a private incident")
	}
	if n := len(w.slack.Messages("CANNOUNCE")); n != 1 {
		t.Errorf("%d announcements, want 1: the private incident is not announced", n)
	}

	resp, err := http.Get(r.base + "/slack/commands")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /slack/commands: %d, want 405", resp.StatusCode)
	}
}

// jsonUnescape undoes the HTML-safe escapes of encoding/json, so tests read
// replies as Slack shows them.
var jsonUnescape = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&")

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func hasText(msgs []slackfake.Message, s string) bool {
	for _, m := range msgs {
		if strings.Contains(m.Text, s) {
			return true
		}
	}
	return false
}

func TestSlackFailureDuringDeclarationIsFinishedWithoutASecondChannel(t *testing.T) {
	w := newWorld(t)
	w.slack.Fail("conversations.invite", slackfake.Fault{Status: http.StatusInternalServerError})
	r := w.start(t)

	_, body := r.command(t, w, "UDANA", "CGENERAL", "declare STT vendor down --sev P1")
	if !strings.Contains(body, "Declared P1 INC-1") {
		t.Fatalf("declare answered %s", body)
	}
	eventually(t, "the declarer told of the failure", func() bool {
		for _, resp := range w.slack.Responses() {
			if strings.Contains(resp.Text, "hit an error") &&
				strings.Contains(resp.Text, "keeps trying") {
				return true
			}
		}
		return false
	})

	// Slack recovers; the retry finishes the job in the same channel.
	w.slack.Heal("conversations.invite")
	w.clock.Add(5 * time.Second)
	eventually(t, "the incident set up after the retry", func() bool {
		ch, ok := w.slack.ChannelByName("incident-20261203-stt-vendor-down")
		return ok && len(ch.Pins) == 1 && contains(ch.Members, "UDANA")
	})
	if n := len(w.slack.CallsTo("conversations.create")); n != 1 {
		t.Errorf("%d channels created, want 1", n)
	}
	_, list := r.command(t, w, "UDANA", "CGENERAL", "list")
	if strings.Count(list, "INC-") != 1 {
		t.Errorf("list after the retry: %s", list)
	}
}

func TestEventRetryRecordedOnce(t *testing.T) {
	w := newWorld(t)
	r := w.start(t)
	r.command(t, w, "UDANA", "CGENERAL", "declare Cache cold --sev P2")
	var ch slackfake.Channel
	eventually(t, "the channel", func() bool {
		var ok bool
		ch, ok = w.slack.ChannelByName("incident-20261203-cache-cold")
		// The card is pinned once warroom has stored the channel.
		return ok && len(ch.Pins) == 1
	})

	body := fmt.Sprintf(`{"type":"event_callback","team_id":"T0FAKE","api_app_id":"A1",
		"event_id":"Ev0RETRY","event_time":1764736200,"event":{"type":"message",
		"channel":%q,"user":"UOMAR","text":"hit rate is back to 92%%",
		"ts":"1764736200.000100","channel_type":"channel"}}`, ch.ID)
	for try := 0; try < 3; try++ {
		req, _ := http.NewRequest(http.MethodPost, r.base+"/slack/events", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if try > 0 {
			req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(try))
			req.Header.Set("X-Slack-Retry-Reason", "http_timeout")
		}
		sign(req, body, time.Now())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("delivery %d: status %d", try, resp.StatusCode)
		}
	}

	eventually(t, "the message on the timeline", func() bool {
		_, out := r.command(t, w, "UOMAR", ch.ID, "timeline")
		return strings.Contains(out, "hit rate is back")
	})
	_, out := r.command(t, w, "UOMAR", ch.ID, "timeline")
	if n := strings.Count(out, "hit rate is back"); n != 1 {
		t.Errorf("the message is on the timeline %d times, want 1:\n%s", n, out)
	}
}
