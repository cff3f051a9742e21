package github_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"warroom/bot"
	"warroom/integrations/github"
	"warroom/integrations/github/githubfake"
)

const webhookSecret = "whsec-ZmFrZS1naXRodWItc2VjcmV0LTAxMjM0NTY3"

// received is when the test webhook says every event arrived.
var received = time.Date(2026, 3, 10, 6, 30, 5, 0, time.UTC)

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
	wh   *github.Webhook
	logs *bytes.Buffer

	mu        sync.Mutex
	handled   []bot.DeployEvent
	seen      map[string]bool
	handleErr error
	dedupeErr error
}

func newHook(t testing.TB) *hook {
	t.Helper()

	h := &hook{logs: &bytes.Buffer{}, seen: make(map[string]bool)}
	logger := logrus.New()
	logger.SetOutput(h.logs)
	logger.SetFormatter(&logrus.JSONFormatter{})
	logger.SetLevel(logrus.DebugLevel)

	var err error
	h.wh, err = github.NewWebhook(github.WebhookOptions{
		Secret:    webhookSecret,
		Handle:    h.handle,
		Dedupe:    h.dedupe,
		Log:       logrus.NewEntry(logger),
		RequestID: func(context.Context) string { return "req-1" },
		Now:       func() time.Time { return received },
	})
	if err != nil {
		t.Fatalf("NewWebhook: %v", err)
	}
	return h
}

func (h *hook) handle(_ context.Context, ev bot.DeployEvent) error {
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

func (h *hook) events() []bot.DeployEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]bot.DeployEvent(nil), h.handled...)
}

// reset forgets the events handled and the lines logged.
func (h *hook) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.handled = nil
	h.logs.Reset()
}

func (h *hook) setHandleErr(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.handleErr = err
}

// post sends body to the webhook with headers and returns the answer.
func (h *hook) post(body []byte, headers http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/github", bytes.NewReader(body))
	for k, vs := range headers {
		r.Header[k] = vs
	}
	w := httptest.NewRecorder()
	h.wh.ServeHTTP(w, r)
	return w
}

// signed returns GitHub's headers for event, signing body with the
// webhook's secret.
func signed(event, delivery string, body []byte) http.Header {
	return githubfake.WebhookHeaders(event, delivery, webhookSecret, body)
}

func TestNewWebhookRequires(t *testing.T) {
	handle := func(context.Context, bot.DeployEvent) error { return nil }
	dedupe := func(context.Context, string) (bool, error) { return true, nil }
	tests := []struct {
		name    string
		o       github.WebhookOptions
		wantErr string
	}{
		{"a secret", github.WebhookOptions{Handle: handle, Dedupe: dedupe},
			"GITHUB_WEBHOOK_SECRET"},
		{"a handler", github.WebhookOptions{Secret: "s", Dedupe: dedupe}, "Handle"},
		{"a dedupe", github.WebhookOptions{Secret: "s", Handle: handle}, "Dedupe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wh, err := github.NewWebhook(tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one naming %s", err, tt.wantErr)
			}
			if wh != nil {
				t.Fatal("NewWebhook returned a webhook with its error")
			}
		})
	}
}

func TestWebhookMapsDeployEvents(t *testing.T) {
	tests := []struct {
		name  string
		event string
		body  []byte
		want  bot.DeployEvent
	}{
		{
			name:  "protection rule fixture, risk in a JSON string",
			event: "deployment_protection_rule",
			body:  fixture(t, "deployment_protection_rule_requested.json"),
			want: bot.DeployEvent{
				Kind:         bot.DeployReview,
				DeliveryID:   "d-1",
				Repo:         "acme/checkout",
				Environment:  "production",
				Ref:          "main",
				SHA:          "5275a45b7e99c7fd7265b790392c10a74101a67a",
				Creator:      "github-actions[bot]",
				Description:  "Release 2026.03.1",
				DeploymentID: 1207744312,
				RunID:        8412957301,
				Risk:         "high",
				URL:          "https://github.com/acme/checkout/actions/runs/8412957301",
				At:           received,
			},
		},
		{
			name:  "protection rule from githubfake, risk in an object",
			event: "deployment_protection_rule",
			body: githubfake.ProtectionRuleRequest("acme/api", "staging", 77, 501,
				"aziz", "emergency"),
			want: bot.DeployEvent{
				Kind:         bot.DeployReview,
				DeliveryID:   "d-1",
				Repo:         "acme/api",
				Environment:  "staging",
				Ref:          githubfake.Ref,
				SHA:          githubfake.SHA,
				Creator:      "aziz",
				Description:  githubfake.Description,
				DeploymentID: 501,
				RunID:        77,
				Risk:         "emergency",
				URL:          "https://github.com/acme/api/actions/runs/77",
				At:           received,
			},
		},
		{
			name:  "protection rule without a risk",
			event: "deployment_protection_rule",
			body: githubfake.ProtectionRuleRequest("acme/api", "production", 78, 502,
				"aziz", ""),
			want: bot.DeployEvent{
				Kind:         bot.DeployReview,
				DeliveryID:   "d-1",
				Repo:         "acme/api",
				Environment:  "production",
				Ref:          githubfake.Ref,
				SHA:          githubfake.SHA,
				Creator:      "aziz",
				Description:  githubfake.Description,
				DeploymentID: 502,
				RunID:        78,
				URL:          "https://github.com/acme/api/actions/runs/78",
				At:           received,
			},
		},
		{
			name:  "deployment fixture",
			event: "deployment",
			body:  fixture(t, "deployment_created.json"),
			want: bot.DeployEvent{
				Kind:         bot.DeployCreated,
				DeliveryID:   "d-1",
				Repo:         "acme/checkout",
				Environment:  "production",
				Ref:          "v2026.03.1",
				SHA:          "ab687588c4b0db742f5145fe8fb3005dfce9ebe1",
				Creator:      "timur",
				DeploymentID: 1207744399,
				Risk:         "medium",
				URL:          "https://github.com/acme/checkout/deployments/production",
				At:           received,
			},
		},
		{
			name:  "deployment from githubfake",
			event: "deployment",
			body:  githubfake.DeploymentCreated("acme/api", "production", 903, "lola", "low"),
			want: bot.DeployEvent{
				Kind:         bot.DeployCreated,
				DeliveryID:   "d-1",
				Repo:         "acme/api",
				Environment:  "production",
				Ref:          githubfake.Ref,
				SHA:          githubfake.SHA,
				Creator:      "lola",
				Description:  githubfake.Description,
				DeploymentID: 903,
				Risk:         "low",
				URL:          "https://github.com/acme/api/deployments/production",
				At:           received,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHook(t)

			w := h.post(tt.body, signed(tt.event, "d-1", tt.body))

			if w.Code != http.StatusOK {
				t.Fatalf("status = %d (%s), want 200", w.Code, w.Body)
			}
			got := h.events()
			if len(got) != 1 {
				t.Fatalf("handled %d events, want 1", len(got))
			}
			if !reflect.DeepEqual(got[0], tt.want) {
				t.Errorf("event =\n%+v\nwant\n%+v", got[0], tt.want)
			}
		})
	}
}

func TestWebhookAnswers(t *testing.T) {
	const rule = "deployment_protection_rule"
	review := githubfake.ProtectionRuleRequest("acme/api", "production", 77, 501, "aziz", "")
	badCallback := bytes.Replace(review, []byte("/runs/77/"), []byte("/runs/seventy/"), 1)
	noCallback := bytes.Replace(review, []byte(`"deployment_callback_url"`),
		[]byte(`"callback"`), 1)
	otherAction := bytes.Replace(review, []byte(`"requested"`), []byte(`"dismissed"`), 1)
	huge := append([]byte(`{"zen":"`), bytes.Repeat([]byte("a"), github.MaxWebhookBytes)...)

	tests := []struct {
		name   string
		method string
		event  string
		body   []byte
		// secret signs the body (webhookSecret when empty), or signed
		// when set; drop names a header taken out.
		secret     string
		signed     []byte
		drop       string
		handleErr  error
		dedupeErr  error
		wantStatus int
		wantEvents int
		wantLog    string
	}{
		{name: "bad signature", event: rule, body: review, secret: "another-secret",
			wantStatus: http.StatusUnauthorized, wantLog: "refused a request"},
		{name: "missing signature", event: rule, body: review, drop: "X-Hub-Signature-256",
			wantStatus: http.StatusUnauthorized, wantLog: "refused a request"},
		{name: "missing content type", event: rule, body: review, drop: "Content-Type",
			wantStatus: http.StatusUnauthorized},
		{name: "body changed after signing", event: rule,
			body: append(bytes.Clone(review), ' '), signed: review,
			wantStatus: http.StatusUnauthorized},
		{name: "not a POST", method: http.MethodGet, event: rule, body: review,
			wantStatus: http.StatusMethodNotAllowed},
		{name: "too large", event: "ping", body: huge,
			wantStatus: http.StatusRequestEntityTooLarge},
		{name: "ping", event: "ping", body: fixture(t, "ping.json"),
			wantStatus: http.StatusOK},
		{name: "deployment status handled", event: "deployment_status",
			body:       fixture(t, "deployment_status_created.json"),
			wantStatus: http.StatusOK, wantEvents: 1},
		{name: "unknown event ignored", event: "push", body: fixture(t, "push.json"),
			wantStatus: http.StatusOK, wantLog: "ignored a GitHub event"},
		{name: "protection rule of another action ignored", event: rule, body: otherAction,
			wantStatus: http.StatusOK},
		{name: "malformed JSON", event: rule, body: []byte(`{"action": "requested", `),
			wantStatus: http.StatusBadRequest, wantLog: "refused a request"},
		{name: "malformed deployment", event: "deployment",
			body:       []byte(`{"action":"created","deployment":[]}`),
			wantStatus: http.StatusBadRequest},
		{name: "deployment without an id", event: "deployment",
			body:       []byte(`{"action":"created","repository":{"full_name":"a/b"}}`),
			wantStatus: http.StatusBadRequest},
		{name: "protection rule without a repository", event: rule,
			body:       []byte(`{"action":"requested","environment":"production"}`),
			wantStatus: http.StatusBadRequest},
		{name: "malformed callback URL", event: rule, body: badCallback,
			wantStatus: http.StatusBadRequest},
		{name: "no callback URL", event: rule, body: noCallback,
			wantStatus: http.StatusBadRequest},
		{name: "handle fails", event: rule, body: review,
			handleErr:  errors.New("database is locked"),
			wantStatus: http.StatusInternalServerError, wantLog: "database is locked"},
		{name: "dedupe fails", event: rule, body: review,
			dedupeErr:  errors.New("disk full"),
			wantStatus: http.StatusInternalServerError, wantLog: "disk full"},
		{name: "protection rule handled", event: rule, body: review,
			wantStatus: http.StatusOK, wantEvents: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHook(t)
			h.handleErr, h.dedupeErr = tt.handleErr, tt.dedupeErr
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			secret := tt.secret
			if secret == "" {
				secret = webhookSecret
			}
			toSign := tt.signed
			if toSign == nil {
				toSign = tt.body
			}
			headers := githubfake.WebhookHeaders(tt.event, "d-1", secret, toSign)
			if tt.drop != "" {
				headers.Del(tt.drop)
			}

			r := httptest.NewRequest(method, "/webhooks/github", bytes.NewReader(tt.body))
			for k, vs := range headers {
				r.Header[k] = vs
			}
			w := httptest.NewRecorder()
			h.wh.ServeHTTP(w, r)

			if w.Code != tt.wantStatus {
				t.Errorf("status = %d (%s), want %d", w.Code, w.Body, tt.wantStatus)
			}
			if got := len(h.events()); got != tt.wantEvents {
				t.Errorf("handled %d events, want %d", got, tt.wantEvents)
			}
			if !strings.Contains(h.logs.String(), tt.wantLog) {
				t.Errorf("logs lack %q:\n%s", tt.wantLog, h.logs)
			}
			if strings.Contains(h.logs.String(), webhookSecret) {
				t.Errorf("logs carry the secret:\n%s", h.logs)
			}
		})
	}
}

func TestWebhookRefusalLogsOneWarnLine(t *testing.T) {
	h := newHook(t)
	body := fixture(t, "deployment_created.json")

	w := h.post(body, githubfake.WebhookHeaders("deployment", "d-1", "wrong", body))

	if w.Code != http.StatusUnauthorized {
		t.Fatalf("status = %d, want 401", w.Code)
	}
	lines := strings.Split(strings.TrimSpace(h.logs.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `"level":"warning"`) {
		t.Fatalf("logs = %q, want one warn line", lines)
	}
	if !strings.Contains(lines[0], `"requestId":"req-1"`) {
		t.Errorf("warn line lacks the request id: %s", lines[0])
	}
}

func TestWebhookRedelivery(t *testing.T) {
	tests := []struct {
		name       string
		failFirst  bool
		wantStatus []int
		wantEvents int
	}{
		{"a redelivery is not handled again", false,
			[]int{http.StatusOK, http.StatusOK}, 1},
		{"a redelivery of a failed delivery is handled", true,
			[]int{http.StatusInternalServerError, http.StatusOK}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHook(t)
			body := githubfake.DeploymentCreated("acme/api", "production", 903, "lola", "")
			headers := signed("deployment", "72d3162e-cc78-11e3-81ab-4c9367dc0958", body)
			if tt.failFirst {
				h.setHandleErr(errors.New("store closed"))
			}

			first := h.post(body, headers)
			h.setHandleErr(nil)
			second := h.post(body, headers)

			got := []int{first.Code, second.Code}
			if !reflect.DeepEqual(got, tt.wantStatus) {
				t.Errorf("statuses = %v, want %v", got, tt.wantStatus)
			}
			if n := len(h.events()); n != tt.wantEvents {
				t.Errorf("handled %d events, want %d", n, tt.wantEvents)
			}
		})
	}
}

func TestWebhookFormEncoded(t *testing.T) {
	h := newHook(t)
	payload := githubfake.DeploymentCreated("acme/api", "production", 903, "lola", "high")
	body := []byte("payload=" + url.QueryEscape(string(payload)))
	headers := signed("deployment", "d-9", body)
	headers.Set("Content-Type", "application/x-www-form-urlencoded")

	w := h.post(body, headers)

	if w.Code != http.StatusOK {
		t.Fatalf("status = %d (%s), want 200", w.Code, w.Body)
	}
	if got := h.events(); len(got) != 1 || got[0].Risk != "high" {
		t.Fatalf("events = %+v, want one with risk high", got)
	}
}
