package pagerduty_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"warroom/bot"
	"warroom/integrations/pagerduty"
)

const webhookSecret = "whsec-ZmFrZS1wYWdlcmR1dHktc2VjcmV0LTAxMjM0NTY3"

// sign computes PagerDuty's signature of body: v1= and the hex of its
// HMAC-SHA256 under secret.
func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "v1=" + hex.EncodeToString(mac.Sum(nil))
}

// fixture reads a file of testdata.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hook is a Webhook whose Handle and Dedupe record what they were given.
type hook struct {
	wh   *pagerduty.Webhook
	logs *bytes.Buffer

	mu        sync.Mutex
	handled   []bot.PagerEvent
	seen      map[string]bool
	handleErr error
	dedupeErr error
}

func newHook(t *testing.T) *hook {
	t.Helper()

	h := &hook{logs: &bytes.Buffer{}, seen: make(map[string]bool)}
	logger := logrus.New()
	logger.SetOutput(h.logs)
	logger.SetFormatter(&logrus.JSONFormatter{})
	logger.SetLevel(logrus.DebugLevel)

	var err error
	h.wh, err = pagerduty.NewWebhook(pagerduty.WebhookOptions{
		Secret:    webhookSecret,
		Handle:    h.handle,
		Dedupe:    h.dedupe,
		Log:       logrus.NewEntry(logger),
		RequestID: func(context.Context) string { return "req-1" },
		Now:       func() time.Time { return time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatalf("NewWebhook: %v", err)
	}
	return h
}

func (h *hook) handle(_ context.Context, ev bot.PagerEvent) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.handleErr != nil {
		return h.handleErr
	}
	h.handled = append(h.handled, ev)
	return nil
}

func (h *hook) dedupe(_ context.Context, id string) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.dedupeErr != nil {
		return false, h.dedupeErr
	}
	first := !h.seen[id]
	h.seen[id] = true
	return first, nil
}

func (h *hook) events() []bot.PagerEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]bot.PagerEvent(nil), h.handled...)
}

// post sends body to the webhook with headers and returns the answer.
func (h *hook) post(body []byte, headers map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/pagerduty", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.wh.ServeHTTP(w, r)
	return w
}

// signed returns headers that sign body with the webhook's secret.
func signed(body []byte, webhookID string) map[string]string {
	return map[string]string{"X-PagerDuty-Signature": sign(webhookSecret, body),
		"X-Webhook-Id": webhookID}
}

func TestNewWebhookRequires(t *testing.T) {
	handle := func(context.Context, bot.PagerEvent) error { return nil }
	dedupe := func(context.Context, string) (bool, error) { return true, nil }
	tests := []struct {
		name    string
		o       pagerduty.WebhookOptions
		wantErr string
	}{
		{"a secret", pagerduty.WebhookOptions{Handle: handle, Dedupe: dedupe},
			"PAGERDUTY_WEBHOOK_SECRET"},
		{"a handler", pagerduty.WebhookOptions{Secret: "s", Dedupe: dedupe}, "Handle"},
		{"a dedupe", pagerduty.WebhookOptions{Secret: "s", Handle: handle}, "Dedupe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pagerduty.NewWebhook(tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one naming %s", err, tt.wantErr)
			}
		})
	}
}

func TestWebhookMapsIncidentEvents(t *testing.T) {
	tests := []struct {
		file string
		want bot.PagerEvent
	}{
		{"incident_acknowledged.json", bot.PagerEvent{
			ID:          "01DEN4HPBQAIFW5ICJT4MWVAXR",
			Type:        bot.PagerAcknowledged,
			IncidentID:  "Q2K7RBJF3XQZ9M",
			IncidentKey: "warroom-inc-42-page-1",
			Title:       "P0: checkout is failing for every customer",
			URL:         "https://acme.pagerduty.com/incidents/Q2K7RBJF3XQZ9M",
			Urgency:     "high",
			Status:      "acknowledged",
			Agent:       "Alice Ahmedova",
			AgentID:     "PALICE1",
			AssigneeIDs: []string{"PALICE1", "PBOBBY2"},
			Assignees:   []string{"Alice Ahmedova", "Bobur Karimov"},
			At:          time.Date(2026, 3, 14, 9, 26, 53, 589e6, time.UTC),
		}},
		{"incident_triggered.json", bot.PagerEvent{
			ID:          "01DEN4HN7ZC5MOZ4JXAM1G6CKB",
			Type:        bot.PagerTriggered,
			IncidentID:  "Q2K7RBJF3XQZ9M",
			IncidentKey: "warroom-inc-42-page-1",
			Title:       "P0: checkout is failing for every customer",
			URL:         "https://acme.pagerduty.com/incidents/Q2K7RBJF3XQZ9M",
			Urgency:     "high",
			Status:      "triggered",
			Agent:       "Checkout",
			AgentID:     "PCHKOUT",
			AssigneeIDs: []string{"PALICE1"},
			Assignees:   []string{"Alice Ahmedova"},
			At:          time.Date(2026, 3, 14, 9, 21, 7, 114e6, time.UTC),
		}},
		{"incident_resolved.json", bot.PagerEvent{
			ID:         "01DEN4J2TQW6SBQZ0Y4J1XQ3LD",
			Type:       bot.PagerResolved,
			IncidentID: "Q1ZXK0N7PQ4LMT",
			Title:      "Disk at 95% on db-replica-2",
			URL:        "https://acme.pagerduty.com/incidents/Q1ZXK0N7PQ4LMT",
			Urgency:    "low",
			Status:     "resolved",
			At:         time.Date(2026, 3, 14, 10, 2, 41, 0, time.UTC),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			h := newHook(t)
			body := fixture(t, tt.file)

			w := h.post(body, signed(body, "delivery-1"))
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d %s, want 200", w.Code, w.Body)
			}
			got := h.events()
			if len(got) != 1 || !reflect.DeepEqual(got[0], tt.want) {
				t.Errorf("handled\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestWebhookSignatures(t *testing.T) {
	body := fixture(t, "incident_triggered.json")
	good := sign(webhookSecret, body)
	forged := sign("not-the-secret", body)
	tests := []struct {
		name   string
		header string
		body   []byte
		want   int
	}{
		{"valid", good, body, http.StatusOK},
		{"rotation, the valid one second", forged + "," + good, body, http.StatusOK},
		{"rotation, the valid one first", good + "," + forged, body, http.StatusOK},
		{"missing", "", body, http.StatusUnauthorized},
		{"forged", forged, body, http.StatusUnauthorized},
		{"of another body", sign(webhookSecret, []byte("{}")), body, http.StatusUnauthorized},
		{"other scheme", "v0=" + strings.TrimPrefix(good, "v1="), body,
			http.StatusUnauthorized},
		{"not hex", "v1=zz", body, http.StatusUnauthorized},
		{"empty body", sign(webhookSecret, nil), nil, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHook(t)
			headers := map[string]string{"X-Webhook-Id": "d1"}
			if tt.header != "" {
				headers["X-PagerDuty-Signature"] = tt.header
			}

			w := h.post(tt.body, headers)
			if w.Code != tt.want {
				t.Fatalf("status = %d, want %d", w.Code, tt.want)
			}
			handled := len(h.events())
			if tt.want == http.StatusOK && handled != 1 {
				t.Errorf("handled %d events, want 1", handled)
			}
			if tt.want != http.StatusOK {
				if handled != 0 {
					t.Errorf("handled %d events of a refused request", handled)
				}
				lines := strings.Split(strings.TrimSpace(h.logs.String()), "\n")
				if len(lines) != 1 || !strings.Contains(lines[0], `"level":"warning"`) ||
					!strings.Contains(lines[0], `"requestId":"req-1"`) {
					t.Errorf("logged %q, want one warn line with the request id", lines)
				}
			}
		})
	}
}

func TestWebhookRequests(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		body     []byte
		want     int
		wantText string
	}{
		{"not a POST", http.MethodGet, nil, http.StatusMethodNotAllowed, ""},
		{"too large", http.MethodPost,
			bytes.Repeat([]byte(" "), pagerduty.MaxWebhookBytes+1),
			http.StatusRequestEntityTooLarge, ""},
		{"malformed JSON", http.MethodPost, []byte(`{"event": {`), http.StatusBadRequest,
			"malformed PagerDuty webhook"},
		{"not an object", http.MethodPost, []byte(`[1, 2]`), http.StatusBadRequest,
			"malformed PagerDuty webhook"},
		{"no event", http.MethodPost, []byte(`{"events": []}`), http.StatusBadRequest,
			"no event object"},
		{"no event type", http.MethodPost, []byte(`{"event": {"id": "E1"}}`),
			http.StatusBadRequest, "no event_type"},
		{"incident without id", http.MethodPost, []byte(`{"event": {"id": "E1",
			"event_type": "incident.triggered", "data": {"type": "incident"}}}`),
			http.StatusBadRequest, "without an incident id"},
		{"wrong field type", http.MethodPost, []byte(`{"event": {"id": "E1",
			"event_type": "incident.triggered", "data": {"type": "incident",
			"id": "Q1", "title": 7}}}`), http.StatusBadRequest, "decode incident"},
		{"ping", http.MethodPost, fixture(t, "pagey_ping.json"), http.StatusOK, ""},
		{"note on an incident", http.MethodPost, fixture(t, "incident_annotated.json"),
			http.StatusOK, ""},
		{"service event", http.MethodPost, []byte(`{"event": {"id": "E2",
			"event_type": "service.updated", "data": {"type": "service", "id": "PS"}}}`),
			http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHook(t)
			r := httptest.NewRequest(tt.method, "/webhooks/pagerduty",
				bytes.NewReader(tt.body))
			r.Header.Set("X-PagerDuty-Signature", sign(webhookSecret, tt.body))
			w := httptest.NewRecorder()

			h.wh.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Fatalf("status = %d %s, want %d", w.Code, w.Body, tt.want)
			}
			if !strings.Contains(w.Body.String(), tt.wantText) {
				t.Errorf("body = %q, want it to say %q", w.Body, tt.wantText)
			}
			if n := len(h.events()); n != 0 {
				t.Errorf("handled %d events, want none", n)
			}
		})
	}
}

func TestWebhookRedelivery(t *testing.T) {
	body := fixture(t, "incident_acknowledged.json")
	tests := []struct {
		name        string
		ids         []string
		wantHandled int
	}{
		{"same delivery id", []string{"d1", "d1", "d1"}, 1},
		{"no delivery id: the event id", []string{"", ""}, 1},
		{"different deliveries", []string{"d1", "d2"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHook(t)
			for _, id := range tt.ids {
				headers := signed(body, id)
				if id == "" {
					delete(headers, "X-Webhook-Id")
				}
				if w := h.post(body, headers); w.Code != http.StatusOK {
					t.Fatalf("status = %d, want 200", w.Code)
				}
			}
			if n := len(h.events()); n != tt.wantHandled {
				t.Errorf("handled %d times, want %d", n, tt.wantHandled)
			}
		})
	}
}

func TestWebhookFailures(t *testing.T) {
	body := fixture(t, "incident_triggered.json")
	tests := []struct {
		name      string
		handleErr error
		dedupeErr error
	}{
		{"handle fails", errors.New("database is locked"), nil},
		{"dedupe fails", nil, errors.New("database is locked")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHook(t)
			h.handleErr, h.dedupeErr = tt.handleErr, tt.dedupeErr

			w := h.post(body, signed(body, "d1"))
			if w.Code != http.StatusInternalServerError {
				t.Fatalf("status = %d, want 500", w.Code)
			}
			if !strings.Contains(h.logs.String(), `"level":"error"`) {
				t.Errorf("no error logged: %s", h.logs)
			}
			if strings.Contains(w.Body.String(), "database") {
				t.Errorf("the answer shows the cause: %q", w.Body)
			}

			// PagerDuty sends it again; this time it goes through, once.
			h.mu.Lock()
			h.handleErr, h.dedupeErr = nil, nil
			h.mu.Unlock()
			for range 2 {
				if w := h.post(body, signed(body, "d1")); w.Code != http.StatusOK {
					t.Fatalf("redelivery: status = %d, want 200", w.Code)
				}
			}
			if n := len(h.events()); n != 1 {
				t.Errorf("handled %d times, want once", n)
			}
		})
	}
}

func TestWebhookStampsEventsWithoutTime(t *testing.T) {
	h := newHook(t)
	body := []byte(`{"event": {"id": "E3", "event_type": "incident.escalated",
		"occurred_at": "yesterday", "data": {"type": "incident", "id": "Q9"}}}`)

	if w := h.post(body, signed(body, "d9")); w.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", w.Code)
	}
	got := h.events()
	want := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	if len(got) != 1 || !got[0].At.Equal(want) {
		t.Errorf("handled %+v, want At %s", got, want)
	}
}
