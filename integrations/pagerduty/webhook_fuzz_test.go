package pagerduty

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"warroom/bot"
)

// FuzzWebhookBody sends arbitrary bodies through the envelope decoder and,
// signed, through the whole Webhook: neither may panic, an event passed
// on always names its incident, and the Webhook answers only 200 or 400.
func FuzzWebhookBody(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		``, `null`, `{}`, `{"event":null}`, `{"event":{"event_type":"incident.x"}}`,
		`{"event":{"event_type":"incident.triggered","data":null}}`,
		`{"event":{"event_type":"incident.triggered","data":{"type":"incident","id":1}}}`,
		`{"event":{"event_type":"incident.resolved","agent":"x",` +
			`"data":{"type":"incident","id":"Q","assignees":[null,{}]}}}`,
	} {
		f.Add([]byte(s))
	}

	const secret = "fuzz-secret"
	logger := logrus.New()
	logger.SetOutput(io.Discard)
	wh, err := NewWebhook(WebhookOptions{
		Secret: secret,
		// A bad event fails Handle, which answers 500 and fails the test.
		Handle: func(_ context.Context, ev bot.PagerEvent) error {
			if ev.IncidentID == "" || !strings.HasPrefix(ev.Type, "incident.") {
				return fmt.Errorf("handled an event without an incident: %+v", ev)
			}
			return nil
		},
		Dedupe: func(context.Context, string) (bool, error) { return true, nil },
		Log:    logrus.NewEntry(logger),
	})
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, body []byte) {
		ev, act, err := decodeEvent(body)
		if act && (err != nil || ev.IncidentID == "") {
			t.Fatalf("act with error %v or no incident: %+v", err, ev)
		}

		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		r := httptest.NewRequest(http.MethodPost, "/webhooks/pagerduty", bytes.NewReader(body))
		r.Header.Set("X-PagerDuty-Signature", "v1="+hex.EncodeToString(mac.Sum(nil)))
		w := httptest.NewRecorder()
		wh.ServeHTTP(w, r)
		switch {
		case len(body) == 0 && w.Code == http.StatusUnauthorized:
		case w.Code == http.StatusOK, w.Code == http.StatusBadRequest:
		default:
			t.Fatalf("status %d for %q", w.Code, body)
		}
	})
}
