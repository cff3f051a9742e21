package github_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"

	"warroom/bot"
	"warroom/integrations/github"
	"warroom/integrations/github/githubfake"
)

const token = "ghs_c2VjcmV0LWluc3RhbGxhdGlvbi10b2tlbi0wMTIzNDU2"

// harness is a Client talking to a githubfake, with its logs and metrics.
type harness struct {
	fake   *githubfake.Server
	client *github.Client
	logs   *bytes.Buffer
	reg    *prometheus.Registry
}

func newHarness(t *testing.T) *harness {
	t.Helper()

	h := &harness{fake: githubfake.New(t), logs: &bytes.Buffer{},
		reg: prometheus.NewRegistry()}
	h.fake.SetToken(token)
	h.client = newClient(t, h.fake.URL(), h)
	return h
}

// newClient builds a Client for apiURL that logs and measures into h.
func newClient(t *testing.T, apiURL string, h *harness) *github.Client {
	t.Helper()

	logger := logrus.New()
	logger.SetOutput(h.logs)
	logger.SetFormatter(&logrus.JSONFormatter{})
	logger.SetLevel(logrus.DebugLevel)
	c, err := github.NewClient(github.Config{
		Token:      token,
		APIURL:     apiURL,
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
		Log:        logrus.NewEntry(logger),
		Metrics:    github.NewMetrics(h.reg),
	})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// checkNoToken fails the test when the token shows in what it was given.
func (h *harness) checkNoToken(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), token) {
		t.Errorf("error carries the token: %v", err)
	}
	if strings.Contains(h.logs.String(), token) {
		t.Errorf("logs carry the token:\n%s", h.logs)
	}
}

func TestNewClientRefuses(t *testing.T) {
	tests := []struct {
		name    string
		cfg     github.Config
		wantErr string
	}{
		{"no token", github.Config{}, "GITHUB_TOKEN"},
		{"a URL of another scheme", github.Config{Token: "t", APIURL: "ftp://example.com/"},
			"github.api_url"},
		{"a relative URL", github.Config{Token: "t", APIURL: "api/v3/"}, "github.api_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := github.NewClient(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one naming %s", err, tt.wantErr)
			}
		})
	}
}

func TestClientReview(t *testing.T) {
	tests := []struct {
		name    string
		approve bool
		comment string
		want    githubfake.Review
	}{
		{"approved", true, "Inside the production window (Tue-Thu 10:00-16:00).",
			githubfake.Review{Repo: "acme/api", RunID: 8412957301, Environment: "production",
				State:   "approved",
				Comment: "Inside the production window (Tue-Thu 10:00-16:00)."}},
		{"rejected", false, "Friday: no deploys. Next window Tuesday 10:00.",
			githubfake.Review{Repo: "acme/api", RunID: 8412957301, Environment: "production",
				State: "rejected", Comment: "Friday: no deploys. Next window Tuesday 10:00."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)

			err := h.client.Review(context.Background(), "acme/api", 8412957301, "production",
				tt.approve, tt.comment)

			if err != nil {
				t.Fatalf("Review: %v", err)
			}
			got := h.fake.Reviews()
			if len(got) != 1 {
				t.Fatalf("fake has %d reviews, want 1", len(got))
			}
			got[0].At = time.Time{}
			if got[0] != tt.want {
				t.Errorf("review = %+v, want %+v", got[0], tt.want)
			}
			calls := h.fake.Calls()
			if len(calls) != 1 || calls[0].Status != http.StatusNoContent ||
				calls[0].Token != token {
				t.Errorf("calls = %+v, want one answered 204 with the token", calls)
			}
			h.checkNoToken(t, err)
		})
	}
}

func TestClientReviewTwiceIsPermanent(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if err := h.client.Review(ctx, "acme/api", 9, "production", true, "ok"); err != nil {
		t.Fatalf("first Review: %v", err)
	}

	err := h.client.Review(ctx, "acme/api", 9, "production", false, "too late")

	if !bot.IsPermanent(err) || !strings.Contains(err.Error(), githubfake.NoPendingMessage) {
		t.Fatalf("error = %v, want a permanent one with GitHub's message", err)
	}
	if n := len(h.fake.Reviews()); n != 1 {
		t.Errorf("fake has %d reviews, want 1", n)
	}
}

func TestClientSetStatus(t *testing.T) {
	long := strings.Repeat("Outside the window: ", 10)
	tests := []struct {
		name        string
		state       string
		description string
		want        string
	}{
		{"short description", "success", "Inside the production window.",
			"Inside the production window."},
		{"description cut to 140 characters", "failure", long,
			long[:139] + "…"},
		{"multibyte description", "inactive", strings.Repeat("ё", 150),
			strings.Repeat("ё", 139) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)

			err := h.client.SetStatus(context.Background(), "acme/api", 903, tt.state,
				tt.description)

			if err != nil {
				t.Fatalf("SetStatus: %v", err)
			}
			got := h.fake.Statuses()
			if len(got) != 1 {
				t.Fatalf("fake has %d statuses, want 1", len(got))
			}
			s := got[0]
			if s.Repo != "acme/api" || s.DeploymentID != 903 || s.State != tt.state ||
				s.Description != tt.want {
				t.Errorf("status = %+v, want %s %q of acme/api 903", s, tt.state, tt.want)
			}
		})
	}
}

func TestClientRefusesBadArguments(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
	}{
		{"repo without an owner", func() error {
			return h.client.Review(ctx, "api", 1, "production", true, "")
		}},
		{"no run id", func() error {
			return h.client.Review(ctx, "acme/api", 0, "production", true, "")
		}},
		{"no environment", func() error {
			return h.client.Review(ctx, "acme/api", 1, "", true, "")
		}},
		{"unknown state", func() error {
			return h.client.SetStatus(ctx, "acme/api", 1, "done", "")
		}},
		{"no deployment id", func() error {
			return h.client.SetStatus(ctx, "acme/api", 0, "success", "")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !bot.IsPermanent(err) {
				t.Errorf("error = %v, want a permanent one", err)
			}
		})
	}
	if n := len(h.fake.Calls()); n != 0 {
		t.Errorf("fake got %d calls, want none", n)
	}
}

func TestClientErrors(t *testing.T) {
	const reviews = "/repos/acme/api/actions/runs/"
	tests := []struct {
		name      string
		fail      func(f *githubfake.Server)
		wantWait  time.Duration
		permanent bool
		wantText  string
	}{
		{name: "secondary rate limit with Retry-After",
			fail:     func(f *githubfake.Server) { f.FailNext(reviews, http.StatusForbidden, 30) },
			wantWait: 30 * time.Second, wantText: "secondary rate limit"},
		{name: "429 with Retry-After",
			fail: func(f *githubfake.Server) {
				f.FailNext(reviews, http.StatusTooManyRequests, 7)
			},
			wantWait: 7 * time.Second},
		{name: "primary rate limit",
			fail: func(f *githubfake.Server) {
				f.RateLimitNext(reviews, time.Now().Add(90*time.Second))
			},
			wantWait: 90 * time.Second, wantText: "rate limit"},
		{name: "500 is retryable",
			fail:     func(f *githubfake.Server) { f.FailNext(reviews, 500, 0) },
			wantText: "500"},
		{name: "502 is retryable",
			fail:     func(f *githubfake.Server) { f.Fail("/repos/", http.StatusBadGateway) },
			wantText: "502"},
		{name: "404 is permanent",
			fail:      func(f *githubfake.Server) { f.FailNext(reviews, 404, 0) },
			permanent: true, wantText: "Not Found"},
		{name: "422 is permanent",
			fail:      func(f *githubfake.Server) { f.FailNext(reviews, 422, 0) },
			permanent: true, wantText: "Validation Failed"},
		{name: "403 without a rate limit is permanent",
			fail:      func(f *githubfake.Server) { f.FailNext(reviews, 403, 0) },
			permanent: true, wantText: "Resource not accessible by integration"},
		{name: "a refused token is permanent",
			fail:      func(f *githubfake.Server) { f.SetToken("another") },
			permanent: true, wantText: "Bad credentials"},
		{name: "GitHub unreachable is retryable",
			fail:     func(f *githubfake.Server) { f.Close() },
			wantText: "review (approved) run 42 of acme/api"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			tt.fail(h.fake)

			err := h.client.Review(context.Background(), "acme/api", 42, "production", true,
				"ok")

			if err == nil {
				t.Fatal("Review succeeded, want an error")
			}
			var wait *bot.RetryAfterError
			isWait := errors.As(err, &wait)
			switch {
			case tt.wantWait > 0 && !isWait:
				t.Errorf("error = %v, want a RetryAfterError", err)
			case tt.wantWait > 0 && (wait.Wait < tt.wantWait-2*time.Second ||
				wait.Wait > tt.wantWait+time.Second):
				t.Errorf("wait = %v, want about %v", wait.Wait, tt.wantWait)
			case tt.wantWait == 0 && isWait:
				t.Errorf("error = %v, want no RetryAfterError", err)
			}
			if got := bot.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v (%v)", got, tt.permanent, err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error = %v, want it to say %q", err, tt.wantText)
			}
			if len(h.fake.Reviews()) != 0 {
				t.Error("the fake recorded a review of a failed call")
			}
			h.checkNoToken(t, err)
		})
	}
}

func TestClientRedactsAnEchoedToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]string{
			"message": "Bad credentials: " + r.Header.Get("Authorization"),
		})
	}))
	t.Cleanup(srv.Close)
	h := &harness{logs: &bytes.Buffer{}, reg: prometheus.NewRegistry()}
	c := newClient(t, srv.URL, h)

	err := c.SetStatus(context.Background(), "acme/api", 903, "success", "ok")

	if !bot.IsPermanent(err) || !strings.Contains(err.Error(), "[redacted]") {
		t.Fatalf("error = %v, want a permanent one with the token redacted", err)
	}
	h.checkNoToken(t, err)
}

// counter returns the value of github_api_calls_total for method and
// outcome; -1 when there is none.
func counter(t *testing.T, reg *prometheus.Registry, method, outcome string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, f := range families {
		if f.GetName() != "github_api_calls_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["method"] == method && labels["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return -1
}

func TestMetrics(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()

	_ = h.client.Review(ctx, "acme/api", 1, "production", true, "")
	h.fake.FailNext("/repos/acme/api/deployments/", http.StatusInternalServerError, 0)
	_ = h.client.SetStatus(ctx, "acme/api", 3, "success", "")
	// go-github then refuses every call until the wait is over.
	h.fake.FailNext("/repos/acme/api/actions/", http.StatusForbidden, 1)
	_ = h.client.Review(ctx, "acme/api", 2, "production", true, "")

	tests := []struct {
		method, outcome string
		want            float64
	}{
		{"deployment_protection_rule.review", "ok", 1},
		{"deployment_protection_rule.review", "rate_limited", 1},
		{"deployment_status.create", "error", 1},
		{"deployment_status.create", "ok", -1},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.outcome, func(t *testing.T) {
			if got := counter(t, h.reg, tt.method, tt.outcome); got != tt.want {
				t.Errorf("github_api_calls_total = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	fake := githubfake.New(t)
	c, err := github.NewClient(github.Config{Token: token, APIURL: fake.URL()})
	if err != nil {
		t.Fatal(err)
	}

	if err := c.SetStatus(context.Background(), "acme/api", 3, "success", "ok"); err != nil {
		t.Fatalf("SetStatus: %v", err)
	}
}
