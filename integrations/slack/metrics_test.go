package slack_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"warroom/bot"
	"warroom/integrations/slack"
	"warroom/integrations/slack/slackfake"
)

// sample returns the value of a counter, or the sample count of a
// histogram, whose labels include want; -1 when there is none.
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
			if matched != len(want) {
				continue
			}
			if h := m.GetHistogram(); h != nil {
				return float64(h.GetSampleCount())
			}
			return m.GetCounter().GetValue()
		}
	}
	return -1
}

func TestMetrics(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ch := h.channel(t, "inc")

	if _, err := h.client.Post(ctx, ch, bot.Message{Text: "one"}); err != nil {
		t.Fatal(err)
	}
	h.fake.FailNext("chat.postMessage", slackfake.Fault{Status: 429, RetryAfter: 1})
	h.fake.FailNext("chat.postMessage", slackfake.Fault{Status: 500})
	h.fake.FailNext("chat.postMessage", slackfake.Fault{Error: "ratelimited"})
	for range 3 {
		_, _ = h.client.Post(ctx, ch, bot.Message{Text: "again"})
	}
	_ = h.client.Pin(ctx, ch, "1.000000")

	calls := []struct {
		method, outcome string
		want            float64
	}{
		{"chat.postMessage", "ok", 1},
		{"chat.postMessage", "rate_limited", 2},
		{"chat.postMessage", "error", 1},
		{"conversations.create", "ok", 1},
		{"pins.add", "error", 1},
	}
	for _, c := range calls {
		labels := map[string]string{"method": c.method, "outcome": c.outcome}
		if got := sample(t, h.reg, "slack_api_calls_total", labels); got != c.want {
			t.Errorf("slack_api_calls_total%v = %v, want %v", labels, got, c.want)
		}
	}

	labels := map[string]string{"method": "chat.postMessage"}
	if got := sample(t, h.reg, "slack_api_call_duration_seconds", labels); got != 4 {
		t.Errorf("slack_api_call_duration_seconds%v counts %v calls, want 4", labels, got)
	}
}

func TestMetricsOptional(t *testing.T) {
	srv := slackfake.New(t)
	metrics := map[string]*slack.Metrics{"none": nil, "unregistered": slack.NewMetrics(nil)}
	for name, m := range metrics {
		cfg := slack.Config{Token: "xoxb-x", APIURL: srv.APIURL(), Metrics: m}
		client, err := slack.NewClient(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.AuthTest(context.Background()); err != nil {
			t.Errorf("auth.test with %s metrics: %v", name, err)
		}
	}
}
