package alertmanager_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/sirupsen/logrus"

	"warroom/bot"
	"warroom/integrations/alertmanager"
)

const webhookToken = "am-d2Fycm9vbS1hbGVydG1hbmFnZXItdG9rZW4"

// hook is a Webhook whose Handle records what it was given.
type hook struct {
	wh   *alertmanager.Webhook
	logs *bytes.Buffer

	mu        sync.Mutex
	handled   []bot.Notification
	handleErr error
}

func newHook(t *testing.T, o alertmanager.WebhookOptions) *hook {
	t.Helper()

	h := &hook{logs: &bytes.Buffer{}}
	logger := logrus.New()
	logger.SetOutput(h.logs)
	logger.SetFormatter(&logrus.JSONFormatter{})
	logger.SetLevel(logrus.DebugLevel)

	o.Handle = h.handle
	o.Log = logrus.NewEntry(logger)
	o.RequestID = func(context.Context) string { return "req-1" }
	var err error
	if h.wh, err = alertmanager.NewWebhook(o); err != nil {
		t.Fatalf("NewWebhook: %v", err)
	}
	return h
}

func (h *hook) handle(_ context.Context, n bot.Notification) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.handleErr != nil {
		return h.handleErr
	}
	h.handled = append(h.handled, n)
	return nil
}

func (h *hook) notifications() []bot.Notification {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]bot.Notification(nil), h.handled...)
}

// lines returns the log lines written, decoded.
func (h *hook) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(h.logs.Bytes()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, line)
	}
	return out
}

func TestWebhook(t *testing.T) {
	good := fixture(t, "firing_current.json")
	tests := []struct {
		name    string
		opts    alertmanager.WebhookOptions
		method  string
		auth    string
		body    []byte
		failing error
		status  int
		// answer is a part of the answer's body.
		answer  string
		handled bool
		// level is the level of the one log line, "" for none.
		level string
	}{
		{
			name:    "token right",
			opts:    alertmanager.WebhookOptions{Token: webhookToken},
			auth:    "Bearer " + webhookToken,
			body:    good,
			status:  http.StatusOK,
			answer:  `{"status":"ok"}`,
			handled: true,
			level:   "info",
		},
		{
			name:    "token right, scheme in lower case",
			opts:    alertmanager.WebhookOptions{Token: webhookToken},
			auth:    "bearer " + webhookToken,
			body:    good,
			status:  http.StatusOK,
			handled: true,
			level:   "info",
		},
		{
			name:    "no token configured",
			body:    good,
			status:  http.StatusOK,
			answer:  `{"status":"ok"}`,
			handled: true,
			level:   "info",
		},
		{
			name:   "token missing",
			opts:   alertmanager.WebhookOptions{Token: webhookToken},
			body:   good,
			status: http.StatusUnauthorized,
			answer: "missing or wrong bearer token",
			level:  "warning",
		},
		{
			name:   "token wrong",
			opts:   alertmanager.WebhookOptions{Token: webhookToken},
			auth:   "Bearer " + webhookToken + "x",
			body:   good,
			status: http.StatusUnauthorized,
			level:  "warning",
		},
		{
			name:   "token under another scheme",
			opts:   alertmanager.WebhookOptions{Token: webhookToken},
			auth:   "Basic " + webhookToken,
			body:   good,
			status: http.StatusUnauthorized,
			level:  "warning",
		},
		{
			name:   "GET",
			method: http.MethodGet,
			status: http.StatusMethodNotAllowed,
		},
		{
			name:   "body over the limit",
			opts:   alertmanager.WebhookOptions{MaxBodyBytes: 512},
			body:   good,
			status: http.StatusRequestEntityTooLarge,
			level:  "warning",
		},
		{
			name:   "not JSON",
			body:   []byte("alerts: firing"),
			status: http.StatusBadRequest,
			answer: "alertmanager webhook: not JSON",
			level:  "warning",
		},
		{
			name:   "version 3",
			body:   []byte(`{"version":"3","groupKey":"g","alerts":[{"labels":{"a":"b"}}]}`),
			status: http.StatusBadRequest,
			answer: `unsupported version "3": this receiver takes version "4"`,
			level:  "warning",
		},
		{
			name:    "Handle fails",
			body:    good,
			failing: errors.New("database is locked"),
			status:  http.StatusInternalServerError,
			answer:  "send it again",
			level:   "error",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHook(t, tt.opts)
			h.handleErr = tt.failing
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			r := httptest.NewRequest(method, "/webhooks/alertmanager", bytes.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/json")
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			w := httptest.NewRecorder()
			h.wh.ServeHTTP(w, r)

			if w.Code != tt.status {
				t.Fatalf("status %d, want %d (%s)", w.Code, tt.status, w.Body)
			}
			if !strings.Contains(w.Body.String(), tt.answer) {
				t.Errorf("answer %q does not hold %q", w.Body, tt.answer)
			}
			if got := len(h.notifications()); (got > 0) != tt.handled {
				t.Errorf("handled %d notifications, want handled %v", got, tt.handled)
			}
			if tt.handled && !reflect.DeepEqual(h.notifications()[0], highErrorRate) {
				t.Errorf("handled %+v, want %+v", h.notifications()[0], highErrorRate)
			}

			lines := h.lines(t)
			switch {
			case tt.level == "" && len(lines) > 0:
				t.Errorf("logged %v, want nothing", lines)
			case tt.level == "":
			case len(lines) != 1:
				t.Errorf("logged %d lines, want one: %v", len(lines), lines)
			case lines[0]["level"] != tt.level || lines[0]["requestId"] != "req-1" ||
				lines[0]["action"] != "alertmanager.webhook":
				t.Errorf("logged %v, want one %s line with action and requestId",
					lines[0], tt.level)
			}
			if strings.Contains(h.logs.String(), webhookToken) {
				t.Errorf("the token is in the log: %s", h.logs)
			}
		})
	}
}

func TestWebhookAnswers(t *testing.T) {
	h := newHook(t, alertmanager.WebhookOptions{})

	r := httptest.NewRequest(http.MethodPut, "/webhooks/alertmanager", nil)
	w := httptest.NewRecorder()
	h.wh.ServeHTTP(w, r)
	if got := w.Header().Get("Allow"); got != http.MethodPost {
		t.Errorf("405 with Allow %q, want POST", got)
	}

	r = httptest.NewRequest(http.MethodPost, "/webhooks/alertmanager",
		bytes.NewReader(fixture(t, "resolved_current.json")))
	w = httptest.NewRecorder()
	h.wh.ServeHTTP(w, r)
	if got := w.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("200 with Content-Type %q, want application/json", got)
	}
	var line map[string]any
	lines := h.lines(t)
	if len(lines) > 0 {
		line = lines[len(lines)-1]
	}
	if line["groupKey"] != databaseResolved.GroupKey || line["alertStatus"] != "resolved" ||
		line["alerts"] != 1.0 {
		t.Errorf("logged %v, want the group key, its status and its alert count", line)
	}

	// A refused request is told which scheme to use.
	tokened := newHook(t, alertmanager.WebhookOptions{Token: webhookToken})
	r = httptest.NewRequest(http.MethodPost, "/webhooks/alertmanager", nil)
	w = httptest.NewRecorder()
	tokened.wh.ServeHTTP(w, r)
	if got := w.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
		t.Errorf("401 with WWW-Authenticate %q, want a Bearer challenge", got)
	}
}

func TestNewWebhookNeedsHandle(t *testing.T) {
	_, err := alertmanager.NewWebhook(alertmanager.WebhookOptions{Token: "t"})
	if err == nil || !strings.Contains(err.Error(), "Handle") {
		t.Fatalf("NewWebhook without Handle: %v, want an error naming Handle", err)
	}
}

// BenchmarkWebhook takes a 25-alert notification through the whole
// Webhook, token check included, with a Handle that does nothing.
func BenchmarkWebhook(b *testing.B) {
	logger := logrus.New()
	logger.SetOutput(io.Discard)
	wh, err := alertmanager.NewWebhook(alertmanager.WebhookOptions{
		Token:  webhookToken,
		Handle: func(context.Context, bot.Notification) error { return nil },
		Log:    logrus.NewEntry(logger),
	})
	if err != nil {
		b.Fatal(err)
	}
	body := alertmanager.Encode(benchNotification(25))

	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/webhooks/alertmanager",
			bytes.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+webhookToken)
		w := httptest.NewRecorder()
		wh.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	perAlert := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / 25
	b.ReportMetric(1e9/perAlert, "alerts/s")
}
