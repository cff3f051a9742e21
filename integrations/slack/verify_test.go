package slack

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// signingSecretForTest is the signing secret the tests' Slack signs with.
const signingSecretForTest = "8f742231b10e8888abcd99yyyzzz85a5"

func TestNewVerifierRefusesAnEmptySecret(t *testing.T) {
	if _, err := NewVerifier("", nil, nil); err == nil {
		t.Fatal("NewVerifier with an empty secret: no error")
	}
}

func TestVerifierMiddleware(t *testing.T) {
	body := []byte("token=x&team_id=T0WARROOM&command=%2Fincident&text=list&user_id=U0ALICE")
	now := time.Now()
	tests := []struct {
		name string
		body []byte
		sign func(req *http.Request, body []byte)
		want int
	}{
		{
			name: "signed by Slack",
			sign: func(req *http.Request, b []byte) {
				signSlackRequest(req, signingSecretForTest, now, b)
			},
			want: http.StatusOK,
		},
		{
			name: "signed four minutes ago",
			sign: func(req *http.Request, b []byte) {
				signSlackRequest(req, signingSecretForTest, now.Add(-4*time.Minute), b)
			},
			want: http.StatusOK,
		},
		{
			name: "forged with another secret",
			sign: func(req *http.Request, b []byte) {
				signSlackRequest(req, "not-the-secret", now, b)
			},
			want: http.StatusUnauthorized,
		},
		{
			name: "body changed after signing",
			sign: func(req *http.Request, b []byte) {
				signSlackRequest(req, signingSecretForTest, now, append([]byte("x"), b...))
			},
			want: http.StatusUnauthorized,
		},
		{
			name: "stale timestamp",
			sign: func(req *http.Request, b []byte) {
				signSlackRequest(req, signingSecretForTest, now.Add(-6*time.Minute), b)
			},
			want: http.StatusUnauthorized,
		},
		{
			name: "timestamp in the future",
			sign: func(req *http.Request, b []byte) {
				signSlackRequest(req, signingSecretForTest, now.Add(6*time.Minute), b)
			},
			want: http.StatusUnauthorized,
		},
		{
			name: "missing headers",
			sign: func(*http.Request, []byte) {},
			want: http.StatusUnauthorized,
		},
		{
			name: "missing signature",
			sign: func(req *http.Request, b []byte) {
				signSlackRequest(req, signingSecretForTest, now, b)
				req.Header.Del("X-Slack-Signature")
			},
			want: http.StatusUnauthorized,
		},
		{
			name: "signature not hex",
			sign: func(req *http.Request, b []byte) {
				signSlackRequest(req, signingSecretForTest, now, b)
				req.Header.Set("X-Slack-Signature", "v0=zz")
			},
			want: http.StatusUnauthorized,
		},
		{
			name: "timestamp not a number",
			sign: func(req *http.Request, b []byte) {
				signSlackRequest(req, signingSecretForTest, now, b)
				req.Header.Set("X-Slack-Request-Timestamp", "yesterday")
			},
			want: http.StatusUnauthorized,
		},
		{
			name: "body over the limit",
			body: bytes.Repeat([]byte("a"), MaxBodyBytes+1),
			sign: func(req *http.Request, b []byte) {
				signSlackRequest(req, signingSecretForTest, now, b)
			},
			want: http.StatusRequestEntityTooLarge,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, hook := logtest.NewNullLogger()
			v, err := NewVerifier(signingSecretForTest, logrus.NewEntry(logger),
				requestIDFromContext)
			if err != nil {
				t.Fatalf("NewVerifier: %v", err)
			}
			var got []byte
			called := false
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				called = true
				got, _ = io.ReadAll(r.Body)
			})
			b := tt.body
			if b == nil {
				b = body
			}
			req := httptest.NewRequest(http.MethodPost, "/slack/commands", bytes.NewReader(b))
			req = withRequestID(req, "req-42")
			tt.sign(req, b)
			rec := httptest.NewRecorder()

			v.Middleware(next).ServeHTTP(rec, req)

			if rec.Code != tt.want {
				t.Fatalf("status = %d, want %d; body %q", rec.Code, tt.want, rec.Body.String())
			}
			if tt.want == http.StatusOK {
				if !called || !bytes.Equal(got, b) {
					t.Errorf("next called %v with body %q, want the request's body", called, got)
				}
				if len(hook.AllEntries()) != 0 {
					t.Errorf("logged %d lines for a good request, want none",
						len(hook.AllEntries()))
				}
				return
			}

			if called {
				t.Error("next was called for a refused request")
			}
			if rec.Body.Len() == 0 || rec.Body.Len() > 80 {
				t.Errorf("body = %q, want a short explanation", rec.Body.String())
			}
			entries := hook.AllEntries()
			if len(entries) != 1 || entries[0].Level != logrus.WarnLevel {
				t.Fatalf("logged %d lines, want one warn line", len(entries))
			}
			e := entries[0]
			if e.Data[logAction] != "slack.verify" || e.Data[logRequest] != "req-42" ||
				e.Data[logrus.ErrorKey] == nil {
				t.Errorf("log fields = %v, want action, requestId and error", e.Data)
			}
		})
	}
}

// TestForgedRequestNeverReachesTheFrontdoor runs a slash command through
// the verifier and the receiver together.
func TestForgedRequestNeverReachesTheFrontdoor(t *testing.T) {
	tests := []struct {
		name  string
		sign  func(req *http.Request, body []byte)
		want  int
		calls int
	}{
		{
			name: "signed",
			sign: func(req *http.Request, b []byte) {
				signSlackRequest(req, signingSecretForTest, time.Now(), b)
			},
			want:  http.StatusOK,
			calls: 1,
		},
		{
			name: "forged",
			sign: func(req *http.Request, b []byte) {
				signSlackRequest(req, "guessed", time.Now(), b)
			},
			want: http.StatusUnauthorized,
		},
		{
			name: "replayed after ten minutes",
			sign: func(req *http.Request, b []byte) {
				signSlackRequest(req, signingSecretForTest, time.Now().Add(-10*time.Minute), b)
			},
			want: http.StatusUnauthorized,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newReceiverHarness(t, nil)
			v, err := NewVerifier(signingSecretForTest, h.recv.log, nil)
			if err != nil {
				t.Fatalf("NewVerifier: %v", err)
			}
			body := commandForm(t, h.responses.url(), nil)
			req := httptest.NewRequest(http.MethodPost, "/slack/commands", bytes.NewReader(body))
			req.Header.Set("Content-Type", formType)
			tt.sign(req, body)
			rec := httptest.NewRecorder()

			v.Middleware(h.recv.Commands()).ServeHTTP(rec, req)

			if rec.Code != tt.want {
				t.Errorf("status = %d, want %d", rec.Code, tt.want)
			}
			if n, _, _, _ := h.fd.calls(); n != tt.calls {
				t.Errorf("front door called %d times, want %d", n, tt.calls)
			}
		})
	}
}
