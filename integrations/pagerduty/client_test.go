package pagerduty_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"

	"warroom/bot"
	"warroom/integrations/pagerduty"
	"warroom/integrations/pagerduty/pagerdutyfake"
)

// Credentials of the tests; no error or log line may show them.
const (
	apiToken   = "u+FakeRestToken-7b1e4c9a2d"
	routingKey = "R0c4e2d1b7a94f3e8c6d5b4a3f2e1d0c"
	fromEmail  = "warroom-bot@example.com"
)

// harness is a Client wired to a fake PagerDuty, with its own registry,
// a log kept in memory and a clock the test moves.
type harness struct {
	fake   *pagerdutyfake.Server
	client *pagerduty.Client
	reg    *prometheus.Registry
	logs   *bytes.Buffer
	now    time.Time
}

// newHarness builds a harness; mods change the Config before the Client
// is built.
func newHarness(t *testing.T, mods ...func(*pagerduty.Config)) *harness {
	t.Helper()

	h := &harness{
		fake: pagerdutyfake.New(t),
		reg:  prometheus.NewRegistry(),
		logs: &bytes.Buffer{},
		now:  time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC),
	}
	h.fake.SetCredentials(apiToken, routingKey)
	h.fake.SetNow(func() time.Time { return time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC) })

	logger := logrus.New()
	logger.SetOutput(h.logs)
	logger.SetFormatter(&logrus.JSONFormatter{})
	logger.SetLevel(logrus.DebugLevel)

	cfg := pagerduty.Config{
		Token:      apiToken,
		RoutingKey: routingKey,
		APIURL:     h.fake.URL(),
		EventsURL:  h.fake.URL() + "/",
		From:       fromEmail,
		Log:        logrus.NewEntry(logger),
		Metrics:    pagerduty.NewMetrics(h.reg),
		Now:        func() time.Time { return h.now },
	}
	for _, mod := range mods {
		mod(&cfg)
	}

	var err error
	h.client, err = pagerduty.NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { h.checkNoSecrets(t, "logs", h.logs.String()) })
	return h
}

// checkNoSecrets fails the test when text shows a credential.
func (h *harness) checkNoSecrets(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range []string{apiToken, routingKey} {
		if strings.Contains(text, s) {
			t.Errorf("%s show a secret: %s", what, text)
		}
	}
}

// trigger sends a page with key through the client.
func (h *harness) trigger(t *testing.T, key string) {
	t.Helper()
	err := h.client.Trigger(context.Background(), bot.PageTrigger{
		DedupKey: key, Summary: "page " + key, Severity: "critical", Source: "#inc",
	})
	if err != nil {
		t.Fatalf("Trigger %s: %v", key, err)
	}
}

func TestNewClient(t *testing.T) {
	tests := []struct {
		name    string
		cfg     pagerduty.Config
		wantErr string
	}{
		{"token only", pagerduty.Config{Token: apiToken}, ""},
		{"routing key only", pagerduty.Config{RoutingKey: routingKey}, ""},
		{"neither", pagerduty.Config{}, "PAGERDUTY_API_TOKEN nor PAGERDUTY_ROUTING_KEY"},
		{"relative api url", pagerduty.Config{Token: apiToken, APIURL: "api.pagerduty.com"},
			"pagerduty.api_url"},
		{"ftp events url", pagerduty.Config{Token: apiToken, EventsURL: "ftp://x.test"},
			"pagerduty.events_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pagerduty.NewClient(tt.cfg)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("NewClient: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("NewClient error = %v, want one naming %s", err, tt.wantErr)
			}
		})
	}
}

func TestTriggerAcknowledgeResolve(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	page := bot.PageTrigger{
		DedupKey: "warroom-inc-42-page-1",
		Summary:  "P0: checkout is failing",
		Severity: "critical",
		Source:   "#inc-42-checkout",
		Link:     "https://acme.slack.com/archives/C042",
		Details:  map[string]string{"incident": "42", "commander": "alice"},
	}

	steps := []struct {
		name       string
		do         func() error
		wantStatus string
	}{
		{"trigger", func() error { return h.client.Trigger(ctx, page) },
			pagerdutyfake.StatusTriggered},
		{"acknowledge", func() error { return h.client.Acknowledge(ctx, page.DedupKey) },
			pagerdutyfake.StatusAcknowledged},
		{"resolve", func() error { return h.client.Resolve(ctx, page.DedupKey) },
			pagerdutyfake.StatusResolved},
	}
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.do(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}

			events := h.fake.Events()
			if len(events) != i+1 {
				t.Fatalf("got %d events, want %d", len(events), i+1)
			}
			ev := events[i]
			if ev.Action != st.name || ev.DedupKey != page.DedupKey ||
				ev.RoutingKey != routingKey || ev.Status != http.StatusAccepted {
				t.Errorf("event = %s %q key set %v status %d, want %s %q, 202", ev.Action,
					ev.DedupKey, ev.RoutingKey == routingKey, ev.Status, st.name, page.DedupKey)
			}
			inc, ok := h.fake.Incident(page.DedupKey)
			if !ok || inc.Status != st.wantStatus {
				t.Errorf("incident = %+v, want status %s", inc, st.wantStatus)
			}
		})
	}

	t.Run("payload", func(t *testing.T) {
		ev := h.fake.Events()[0]
		if ev.Summary != page.Summary || ev.Source != page.Source || ev.Severity != "critical" {
			t.Errorf("payload = %q %q %q", ev.Summary, ev.Source, ev.Severity)
		}
		if ev.Details["incident"] != "42" || ev.Details["commander"] != "alice" {
			t.Errorf("custom_details = %v", ev.Details)
		}
		want := pagerdutyfake.Link{Href: page.Link, Text: "Slack channel"}
		if len(ev.Links) != 1 || ev.Links[0] != want {
			t.Errorf("links = %v, want [%v]", ev.Links, want)
		}
		if ev.Client != "warroom" || ev.ClientURL != page.Link {
			t.Errorf("client = %q %q", ev.Client, ev.ClientURL)
		}
	})
}

func TestTriggerPayload(t *testing.T) {
	long := strings.Repeat("é", 2000)
	tests := []struct {
		name         string
		page         bot.PageTrigger
		wantSummary  string
		wantSource   string
		wantSeverity string
		wantLinks    int
	}{
		{"as given", bot.PageTrigger{Summary: "s", Source: "src", Severity: "warning",
			Link: "https://l.test"}, "s", "src", "warning", 1},
		{"severity defaults to error", bot.PageTrigger{Summary: "s", Source: "src"},
			"s", "src", "error", 0},
		{"unknown severity becomes error", bot.PageTrigger{Summary: "s", Severity: "P0"},
			"s", "warroom", "error", 0},
		{"severity in any case", bot.PageTrigger{Summary: "s", Severity: " INFO "},
			"s", "warroom", "info", 0},
		{"summary cut to 1024 characters", bot.PageTrigger{Summary: long},
			strings.Repeat("é", 1023) + "…", "warroom", "error", 0},
		{"empty summary names the key", bot.PageTrigger{},
			"Page key-empty-summary-names-the-key", "warroom", "error", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			tt.page.DedupKey = "key-" + strings.ReplaceAll(tt.name, " ", "-")

			if err := h.client.Trigger(context.Background(), tt.page); err != nil {
				t.Fatalf("Trigger: %v", err)
			}
			ev := h.fake.Events()[0]
			if ev.Status != http.StatusAccepted {
				t.Fatalf("fake answered %d: %s", ev.Status, ev.Body)
			}
			if ev.Summary != tt.wantSummary {
				t.Errorf("summary = %q (%d chars), want %q", ev.Summary,
					utf8.RuneCountInString(ev.Summary), tt.wantSummary)
			}
			if ev.Source != tt.wantSource || ev.Severity != tt.wantSeverity {
				t.Errorf("source, severity = %q, %q, want %q, %q",
					ev.Source, ev.Severity, tt.wantSource, tt.wantSeverity)
			}
			if len(ev.Links) != tt.wantLinks {
				t.Errorf("links = %v, want %d", ev.Links, tt.wantLinks)
			}
			if ev.Details != nil {
				t.Errorf("custom_details = %v, want none", ev.Details)
			}
		})
	}
}

func TestRepeatedTrigger(t *testing.T) {
	h := newHarness(t)
	const key = "warroom-inc-7-page-1"

	h.trigger(t, key)
	h.trigger(t, key)
	if incs := h.fake.Incidents(); len(incs) != 1 || incs[0].Alerts != 2 {
		t.Fatalf("after two triggers: incidents %+v, want one with two alerts", incs)
	}

	if err := h.client.Resolve(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	h.trigger(t, key)
	if incs := h.fake.Incidents(); len(incs) != 2 {
		t.Fatalf("a trigger after the resolve: %d incidents, want a second one", len(incs))
	}
}

func TestEventsRefusedBeforeSending(t *testing.T) {
	tests := []struct {
		name    string
		cfg     func(*pagerduty.Config)
		do      func(context.Context, *pagerduty.Client) error
		wantErr string
	}{
		{"trigger without routing key", func(c *pagerduty.Config) { c.RoutingKey = "" },
			func(ctx context.Context, c *pagerduty.Client) error {
				return c.Trigger(ctx, bot.PageTrigger{DedupKey: "k", Summary: "s"})
			}, "PAGERDUTY_ROUTING_KEY"},
		{"acknowledge without routing key", func(c *pagerduty.Config) { c.RoutingKey = "" },
			func(ctx context.Context, c *pagerduty.Client) error {
				return c.Acknowledge(ctx, "k")
			}, "PAGERDUTY_ROUTING_KEY"},
		{"empty dedup key", nil, func(ctx context.Context, c *pagerduty.Client) error {
			return c.Trigger(ctx, bot.PageTrigger{Summary: "s"})
		}, "dedup key is empty"},
		{"dedup key too long", nil, func(ctx context.Context, c *pagerduty.Client) error {
			return c.Resolve(ctx, strings.Repeat("k", 256))
		}, "longer than 255"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mods []func(*pagerduty.Config)
			if tt.cfg != nil {
				mods = append(mods, tt.cfg)
			}
			h := newHarness(t, mods...)

			err := tt.do(context.Background(), h.client)
			if err == nil || !bot.IsPermanent(err) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want a permanent one about %q", err, tt.wantErr)
			}
			if calls := h.fake.Calls(); len(calls) != 0 {
				t.Errorf("made %d calls, want none", len(calls))
			}
		})
	}
}

func TestEscalate(t *testing.T) {
	const key = "warroom-inc-9-page-1"
	tests := []struct {
		name      string
		cfg       func(*pagerduty.Config)
		setup     func(*testing.T, *harness)
		level     int
		from      string
		wantLevel int
		wantFrom  string
		wantErr   string
		notFound  bool
		wantCalls int
	}{
		{name: "raises the level", setup: triggered(key), level: 2, from: "alice@example.com",
			wantLevel: 2, wantFrom: "alice@example.com", wantCalls: 2},
		{name: "acknowledged incident is triggered again at the level",
			setup: acknowledged(key), level: 3, from: "bob@example.com",
			wantLevel: 3, wantFrom: "bob@example.com", wantCalls: 2},
		{name: "acts as Config.From without a from", setup: triggered(key), level: 2,
			wantLevel: 2, wantFrom: fromEmail, wantCalls: 2},
		{name: "level 0 is refused", setup: triggered(key), level: 0,
			wantErr: "levels start at 1"},
		{name: "negative level is refused", setup: triggered(key), level: -1,
			wantErr: "levels start at 1"},
		{name: "unknown key", level: 2, notFound: true, wantCalls: 1},
		{name: "resolved incident", setup: resolved(key), level: 2, notFound: true,
			wantCalls: 1},
		{name: "no token", cfg: func(c *pagerduty.Config) { c.Token = "" },
			setup: triggered(key), level: 2, wantErr: "PAGERDUTY_API_TOKEN"},
		{name: "nobody to act as", cfg: func(c *pagerduty.Config) { c.From = "" },
			setup: triggered(key), level: 2, wantErr: "no email to act as"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mods []func(*pagerduty.Config)
			if tt.cfg != nil {
				mods = append(mods, tt.cfg)
			}
			h := newHarness(t, mods...)
			if tt.setup != nil {
				tt.setup(t, h)
			}
			before := len(h.fake.Calls())

			err := h.client.Escalate(context.Background(), key, tt.level, tt.from)
			calls := h.fake.Calls()[before:]
			if len(calls) != tt.wantCalls {
				t.Errorf("made %d calls, want %d", len(calls), tt.wantCalls)
			}
			switch {
			case tt.notFound:
				if !errors.Is(err, bot.ErrNotFound) {
					t.Fatalf("error = %v, want one wrapping bot.ErrNotFound", err)
				}
				return
			case tt.wantErr != "":
				if err == nil || !bot.IsPermanent(err) ||
					!strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want a permanent one about %q", err, tt.wantErr)
				}
				return
			case err != nil:
				t.Fatalf("Escalate: %v", err)
			}

			inc, _ := h.fake.Incident(key)
			if inc.EscalationLevel != tt.wantLevel || inc.UpdatedBy != tt.wantFrom ||
				inc.Status != pagerdutyfake.StatusTriggered {
				t.Errorf("incident level %d by %q status %s, want level %d by %q, triggered",
					inc.EscalationLevel, inc.UpdatedBy, inc.Status, tt.wantLevel, tt.wantFrom)
			}
			list := calls[0]
			if list.Method != http.MethodGet || list.Query.Get("incident_key") != key ||
				strings.Join(list.Query["statuses[]"], ",") != "triggered,acknowledged" {
				t.Errorf("lookup = %s %s?%s", list.Method, list.Path, list.Query.Encode())
			}
			if put := calls[1]; put.Method != http.MethodPut || put.From != tt.wantFrom {
				t.Errorf("change = %s %s from %q", put.Method, put.Path, put.From)
			}
		})
	}
}

// triggered, acknowledged and resolved open an incident with key and
// leave it in that state.
func triggered(key string) func(*testing.T, *harness) {
	return func(t *testing.T, h *harness) { h.trigger(t, key) }
}

func acknowledged(key string) func(*testing.T, *harness) {
	return func(t *testing.T, h *harness) {
		h.trigger(t, key)
		if err := h.client.Acknowledge(context.Background(), key); err != nil {
			t.Fatal(err)
		}
	}
}

func resolved(key string) func(*testing.T, *harness) {
	return func(t *testing.T, h *harness) {
		h.trigger(t, key)
		if err := h.client.Resolve(context.Background(), key); err != nil {
			t.Fatal(err)
		}
	}
}

// errorCase is a fault of the fake and what the client must make of it.
type errorCase struct {
	name       string
	status     int
	retryAfter int
	check      func(*testing.T, error)
}

var errorCases = []errorCase{
	{"429 with Retry-After", http.StatusTooManyRequests, 7, wantRetryAfter(7 * time.Second)},
	{"429 without Retry-After", http.StatusTooManyRequests, 0, wantRetryAfter(0)},
	{"500", http.StatusInternalServerError, 0, wantRetryable},
	{"503", http.StatusServiceUnavailable, 0, wantRetryable},
	{"400", http.StatusBadRequest, 0, wantPermanent},
	{"401", http.StatusUnauthorized, 0, wantPermanent},
	{"403", http.StatusForbidden, 0, wantPermanent},
	{"404", http.StatusNotFound, 0, wantPermanent},
}

func wantRetryAfter(wait time.Duration) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var ra *bot.RetryAfterError
		if !errors.As(err, &ra) || ra.Wait != wait || bot.IsPermanent(err) {
			t.Errorf("error = %v, want a *bot.RetryAfterError waiting %s", err, wait)
		}
	}
}

func wantRetryable(t *testing.T, err error) {
	t.Helper()
	var ra *bot.RetryAfterError
	if err == nil || bot.IsPermanent(err) || errors.As(err, &ra) {
		t.Errorf("error = %v, want a plain retryable one", err)
	}
}

func wantPermanent(t *testing.T, err error) {
	t.Helper()
	if err == nil || !bot.IsPermanent(err) {
		t.Errorf("error = %v, want a permanent one", err)
	}
}

func TestErrors(t *testing.T) {
	calls := []struct {
		name string
		path string
		do   func(context.Context, *harness) error
	}{
		{"trigger", pagerdutyfake.EventsPath, func(ctx context.Context, h *harness) error {
			return h.client.Trigger(ctx, bot.PageTrigger{DedupKey: "k", Summary: "s"})
		}},
		{"acknowledge", pagerdutyfake.EventsPath, func(ctx context.Context, h *harness) error {
			return h.client.Acknowledge(ctx, "k")
		}},
		{"escalate", pagerdutyfake.IncidentsPath, func(ctx context.Context, h *harness) error {
			return h.client.Escalate(ctx, "k", 2, "")
		}},
		{"on-call", pagerdutyfake.OnCallsPath, func(ctx context.Context, h *harness) error {
			_, err := h.client.OnCall(ctx, "PSCHED1")
			return err
		}},
	}
	for _, call := range calls {
		for _, ec := range errorCases {
			t.Run(call.name+"/"+ec.name, func(t *testing.T) {
				h := newHarness(t)
				h.fake.FailNext(call.path, ec.status, ec.retryAfter)

				err := call.do(context.Background(), h)
				ec.check(t, err)
				if err != nil {
					h.checkNoSecrets(t, "error", err.Error())
				}
			})
		}
	}
}

func TestErrorsOfTheEventsAPI(t *testing.T) {
	h := newHarness(t)
	h.fake.SetCredentials(apiToken, "Rsome0ther0key0000000000000000000")

	err := h.client.Trigger(context.Background(), bot.PageTrigger{DedupKey: "k", Summary: "s"})
	wantPermanent(t, err)
	if err == nil || !strings.Contains(err.Error(), "Invalid routing key") {
		t.Errorf("error = %v, want the Events API's reason", err)
	}
	if err != nil {
		h.checkNoSecrets(t, "error", err.Error())
	}
}

func TestUnreachable(t *testing.T) {
	h := newHarness(t)
	h.fake.Close()

	err := h.client.Trigger(context.Background(), bot.PageTrigger{DedupKey: "k", Summary: "s"})
	wantRetryable(t, err)
	_, err = h.client.OnCall(context.Background(), "PSCHED1")
	wantRetryable(t, err)
}

func TestCancelledContext(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	err := h.client.Acknowledge(ctx, "k")
	if !errors.Is(err, context.Canceled) || bot.IsPermanent(err) {
		t.Fatalf("error = %v, want one wrapping context.Canceled", err)
	}
}

func TestSecretsEchoedBackAreRedacted(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":{"message":"bad token ` + apiToken +
			`","code":2001,"errors":["routing key ` + routingKey + `"]}}`))
	}))
	t.Cleanup(echo.Close)
	h := newHarness(t, func(c *pagerduty.Config) { c.APIURL = echo.URL })

	_, err := h.client.OnCall(context.Background(), "PSCHED1")
	wantPermanent(t, err)
	if err == nil || !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("error = %v, want the secret replaced", err)
	}
	if err != nil {
		h.checkNoSecrets(t, "error", err.Error())
	}
}

// sample returns the value of a counter whose labels include want; -1
// when there is none.
func sample(t *testing.T, reg *prometheus.Registry, name string, want map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			matched := 0
			for _, l := range m.GetLabel() {
				if want[l.GetName()] == l.GetValue() {
					matched++
				}
			}
			if matched == len(want) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return -1
}

func TestMetrics(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()

	h.trigger(t, "k1")
	h.fake.FailNext(pagerdutyfake.EventsPath, http.StatusTooManyRequests, 1)
	h.fake.FailNext(pagerdutyfake.EventsPath, http.StatusInternalServerError, 0)
	for range 2 {
		_ = h.client.Acknowledge(ctx, "k1")
	}
	if _, err := h.client.OnCall(ctx, "PSCHED1"); err != nil {
		t.Fatal(err)
	}
	_ = h.client.Escalate(ctx, "k1", 0, "")

	tests := []struct {
		method, outcome string
		want            float64
	}{
		{"events.trigger", "ok", 1},
		{"events.acknowledge", "rate_limited", 1},
		{"events.acknowledge", "error", 1},
		{"events.acknowledge", "ok", -1},
		{"oncalls.list", "ok", 1},
		{"incidents.list", "ok", -1},
	}
	for _, tt := range tests {
		t.Run(tt.method+"/"+tt.outcome, func(t *testing.T) {
			got := sample(t, h.reg, "pagerduty_api_calls_total",
				map[string]string{"method": tt.method, "outcome": tt.outcome})
			if got != tt.want {
				t.Errorf("pagerduty_api_calls_total = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	h := newHarness(t, func(c *pagerduty.Config) { c.Metrics = nil })
	h.trigger(t, "k")
}
