package alertmanager_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"warroom/bot"
	"warroom/integrations/alertmanager"
	"warroom/integrations/alertmanager/alertmanagerfake"
)

// quietLog is a logger whose lines go nowhere.
func quietLog() *logrus.Entry {
	logger := logrus.New()
	logger.SetOutput(io.Discard)
	return logrus.NewEntry(logger)
}

// newSilencer is a Silencer for the Alertmanager at url whose clock
// stands at now.
func newSilencer(t *testing.T, url string, now time.Time) *alertmanager.Silencer {
	t.Helper()
	s, err := alertmanager.NewSilencer(url, nil, quietLog())
	if err != nil {
		t.Fatalf("NewSilencer: %v", err)
	}
	alertmanager.SetNow(s, func() time.Time { return now })
	return s
}

// hourSilence silences the HighErrorRate group for an hour from now.
func hourSilence(now time.Time) bot.Silence {
	return bot.Silence{
		Matchers: kv("team", "platform", "alertname", "HighErrorRate", "component", "api"),
		StartsAt: now,
		EndsAt:   now.Add(time.Hour),
		// bot.Silence carries the Slack user id of the person clicking.
		CreatedBy: "U024BE7LH",
		Comment:   "Silenced from Slack through warroom: HighErrorRate (api)",
	}
}

// TestSilenceRequest checks the body sent, field by field, and the id
// returned.
func TestSilenceRequest(t *testing.T) {
	fake := alertmanagerfake.New(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	s := newSilencer(t, fake.URL()+"/", now)

	id, err := s.Silence(context.Background(), hourSilence(now))
	if err != nil {
		t.Fatalf("Silence: %v", err)
	}

	silences := fake.Silences()
	if len(silences) != 1 || silences[0].ID != id || id == "" {
		t.Fatalf("Silence returned %q; the fake holds %+v", id, silences)
	}
	reqs := fake.Requests()
	if len(reqs) != 1 || reqs[0].Method != http.MethodPost ||
		reqs[0].Path != "/api/v2/silences" ||
		reqs[0].Header.Get("Content-Type") != "application/json" {
		t.Fatalf("requests %+v, want one POST /api/v2/silences of JSON", reqs)
	}
	var body any
	if err := json.Unmarshal(reqs[0].Body, &body); err != nil {
		t.Fatalf("body %s: %v", reqs[0].Body, err)
	}
	matcher := func(name, value string) any {
		return map[string]any{"name": name, "value": value, "isRegex": false, "isEqual": true}
	}
	want := map[string]any{
		"matchers": []any{matcher("alertname", "HighErrorRate"),
			matcher("component", "api"), matcher("team", "platform")},
		"startsAt":  now.Format(time.RFC3339Nano),
		"endsAt":    now.Add(time.Hour).Format(time.RFC3339Nano),
		"createdBy": "U024BE7LH",
		"comment":   "Silenced from Slack through warroom: HighErrorRate (api)",
	}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("body\n %v\nwant %v", body, want)
	}
}

func TestSilenceErrors(t *testing.T) {
	now := time.Now().UTC()
	tests := []struct {
		name string
		// fault prepares the fake.
		fault     func(f *alertmanagerfake.Server)
		silence   func(s bot.Silence) bot.Silence
		permanent bool
		// wait is the RetryAfterError's wait, or -1 for none.
		wait time.Duration
		// say is a part of the error's message.
		say string
		// sent is whether the request reaches Alertmanager.
		sent bool
	}{
		{
			name:  "429 asks for a wait",
			fault: func(f *alertmanagerfake.Server) { f.FailNext(http.StatusTooManyRequests, 7) },
			wait:  7 * time.Second,
			say:   "429 Too Many Requests",
			sent:  true,
		},
		{
			name:  "429 without Retry-After leaves the wait to the caller",
			fault: func(f *alertmanagerfake.Server) { f.FailNext(http.StatusTooManyRequests, 0) },
			wait:  0,
			sent:  true,
		},
		{
			name:  "500 is worth a retry",
			fault: func(f *alertmanagerfake.Server) { f.Fail(http.StatusInternalServerError) },
			wait:  -1,
			say:   "500 Internal Server Error",
			sent:  true,
		},
		{
			name: "503 is worth a retry",
			fault: func(f *alertmanagerfake.Server) {
				f.FailNext(http.StatusServiceUnavailable, 0)
			},
			wait: -1,
			sent: true,
		},
		{
			name: "400 is permanent and says why",
			silence: func(s bot.Silence) bot.Silence {
				s.Matchers["bad-name"] = "x"
				return s
			},
			permanent: true,
			wait:      -1,
			say: `400 silence invalid: invalid label matcher 1: ` +
				`invalid label name "bad-name"`,
			sent: true,
		},
		{
			name:      "401 from a proxy is permanent",
			fault:     func(f *alertmanagerfake.Server) { f.FailNext(http.StatusUnauthorized, 0) },
			permanent: true,
			wait:      -1,
			sent:      true,
		},
		{
			name: "no matchers are refused",
			silence: func(s bot.Silence) bot.Silence {
				s.Matchers = nil
				return s
			},
			permanent: true,
			wait:      -1,
			say:       "no matchers",
		},
		{
			name: "matchers that match everything are refused",
			silence: func(s bot.Silence) bot.Silence {
				s.Matchers = kv("alertname", "", "team", "")
				return s
			},
			permanent: true,
			wait:      -1,
			say:       "would silence every alert",
		},
		{
			name: "an end before the start is refused",
			silence: func(s bot.Silence) bot.Silence {
				s.EndsAt = s.StartsAt.Add(-time.Minute)
				return s
			},
			permanent: true,
			wait:      -1,
			say:       "before it starts",
		},
		{
			name: "no end is refused",
			silence: func(s bot.Silence) bot.Silence {
				s.EndsAt = time.Time{}
				return s
			},
			permanent: true,
			wait:      -1,
			say:       "no end",
		},
		{
			name:  "Alertmanager unreachable is worth a retry",
			fault: func(f *alertmanagerfake.Server) { f.Close() },
			wait:  -1,
			say:   "alertmanager create silence at http://127.0.0.1:",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := alertmanagerfake.New(t)
			if tt.fault != nil {
				tt.fault(fake)
			}
			sil := hourSilence(now)
			if tt.silence != nil {
				sil = tt.silence(sil)
			}

			id, err := newSilencer(t, fake.URL(), now).Silence(context.Background(), sil)
			if err == nil {
				t.Fatalf("Silence returned %q and no error", id)
			}
			if got := bot.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent %v, want %v: %v", got, tt.permanent, err)
			}
			var ra *bot.RetryAfterError
			switch isRA := errors.As(err, &ra); {
			case tt.wait < 0 && isRA:
				t.Errorf("a RetryAfterError: %v", err)
			case tt.wait >= 0 && !isRA:
				t.Errorf("not a RetryAfterError: %v", err)
			case isRA && ra.Wait != tt.wait:
				t.Errorf("wait %v, want %v", ra.Wait, tt.wait)
			}
			if !strings.Contains(err.Error(), tt.say) {
				t.Errorf("error %q does not say %q", err, tt.say)
			}
			if sent := len(fake.Requests()) > 0; sent != tt.sent {
				t.Errorf("sent %v, want %v", sent, tt.sent)
			}
			if got := fake.Silences(); len(got) != 0 {
				t.Errorf("the fake holds %+v", got)
			}
		})
	}
}

// TestSilenceAfterFaults checks that a silence goes through once the
// faults are over.
func TestSilenceAfterFaults(t *testing.T) {
	fake := alertmanagerfake.New(t)
	now := time.Now().UTC()
	s := newSilencer(t, fake.URL(), now)
	fake.FailNext(http.StatusTooManyRequests, 1)
	fake.FailNext(http.StatusBadGateway, 0)

	var ra *bot.RetryAfterError
	if _, err := s.Silence(context.Background(), hourSilence(now)); !errors.As(err, &ra) {
		t.Fatalf("first try: %v, want a RetryAfterError", err)
	}
	if _, err := s.Silence(context.Background(), hourSilence(now)); err == nil ||
		bot.IsPermanent(err) {
		t.Fatalf("second try: %v, want a retryable error", err)
	}
	id, err := s.Silence(context.Background(), hourSilence(now))
	if err != nil {
		t.Fatalf("third try: %v", err)
	}
	if got := fake.Silences(); len(got) != 1 || got[0].ID != id {
		t.Errorf("the fake holds %+v, want the silence %q", got, id)
	}
}

// TestSilenceDefaults checks a silence whose start, creator and comment
// are unset, and credentials in the URL.
func TestSilenceDefaults(t *testing.T) {
	fake := alertmanagerfake.New(t)
	now := time.Now().UTC().Truncate(time.Second)
	url := strings.Replace(fake.URL(), "http://", "http://warroom:s3cret@", 1)
	s := newSilencer(t, url, now)

	_, err := s.Silence(context.Background(), bot.Silence{
		Matchers: kv("alertname", "SlowAPI"), EndsAt: now.Add(time.Hour)})
	if err != nil {
		t.Fatalf("Silence: %v", err)
	}

	got := fake.Silences()
	if len(got) != 1 || !got[0].StartsAt.Equal(now) || got[0].CreatedBy != "warroom" ||
		got[0].Comment == "" {
		t.Errorf("the fake holds %+v, want one from now by warroom with a comment", got)
	}
	req := fake.Requests()[0]
	if user, pass, ok := (&http.Request{Header: req.Header}).BasicAuth(); !ok ||
		user != "warroom" || pass != "s3cret" {
		t.Errorf("basic auth %q %q %v, want the URL's credentials", user, pass, ok)
	}

	// The password stays out of errors.
	fake.Close()
	_, err = s.Silence(context.Background(), bot.Silence{
		Matchers: kv("alertname", "SlowAPI"), EndsAt: now.Add(time.Hour)})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("with Alertmanager gone: %v, want an error without the password", err)
	}
}

// TestSilenceTimeout checks that a request that takes too long ends with
// a retryable error.
func TestSilenceTimeout(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })

	s, err := alertmanager.NewSilencer(slow.URL,
		&http.Client{Timeout: 50 * time.Millisecond}, quietLog())
	if err != nil {
		t.Fatalf("NewSilencer: %v", err)
	}
	_, err = s.Silence(context.Background(), hourSilence(time.Now()))
	if err == nil || bot.IsPermanent(err) {
		t.Fatalf("Silence: %v, want a retryable error", err)
	}
}

func TestNewSilencer(t *testing.T) {
	tests := []struct {
		name string
		url  string
		say  string
	}{
		{name: "empty", url: "", say: "alertmanager.url is empty"},
		{name: "not http", url: "ftp://alertmanager:9093", say: "want an http or https URL"},
		{name: "no host", url: "http:///api", say: "no host"},
		{name: "relative", url: "alertmanager:9093", say: "want an http or https URL"},
		{name: "a query", url: "http://am:9093/?x=1", say: "want no query"},
		{
			name: "a password stays out of errors",
			url:  "http://warroom:s3cret@am:9093/?x=1",
			say:  "http://warroom:xxxxx@am:9093",
		},
		{name: "unparsable", url: "http://am:port", say: "alertmanager.url: invalid port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := alertmanager.NewSilencer(tt.url, nil, nil)
			if err == nil {
				t.Fatalf("NewSilencer(%q) took it", tt.url)
			}
			if !strings.Contains(err.Error(), tt.say) {
				t.Errorf("error %q does not say %q", err, tt.say)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q holds the password", err)
			}
		})
	}

	for _, ok := range []string{"http://alertmanager:9093", "https://am.example.com/prefix/"} {
		if _, err := alertmanager.NewSilencer(ok, nil, nil); err != nil {
			t.Errorf("NewSilencer(%q): %v", ok, err)
		}
	}
}
