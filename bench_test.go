package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkSlashCommandAck measures a signed /incident declare from the
// moment the request reaches the server to Slack's acknowledgement: the
// signature check, parsing, the bot's transaction and the JSON answer.
// Channel creation and posts run afterwards on the job runner against the
// fake Slack, as in production. It reports the p50 and p99 latency.
func BenchmarkSlashCommandAck(b *testing.B) {
	t := &testing.T{}
	w := newWorld(t)
	w.cfg.Log.Level = "warn"
	app, err := NewApp(context.Background(), w.cfg, AppOptions{LogOutput: w.logs})
	if err != nil {
		b.Fatal(err)
	}
	defer app.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = app.Run(ctx) }()
	handler := app.server.Handler

	requests := make([]*http.Request, b.N)
	for i := range requests {
		body := url.Values{"command": {"/incident"}, "user_id": {"UDANA"},
			"channel_id": {"CGENERAL"}, "response_url": {w.slack.ResponseURL("bench")},
			"text": {fmt.Sprintf("declare Bench incident %d --sev P3", i)}}.Encode()
		req := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		sign(req, body, time.Now())
		requests[i] = req
	}
	latencies := make([]time.Duration, b.N)

	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := httptest.NewRecorder()
		start := time.Now()
		handler.ServeHTTP(rec, requests[i])
		latencies[i] = time.Since(start)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Declared") {
			b.Fatalf("answer %d: %s", rec.Code, rec.Body)
		}
	}
	b.StopTimer()

	slices.Sort(latencies)
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds()), "p99-µs")
}
