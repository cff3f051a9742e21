package alertmanager_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"warroom/bot"
	"warroom/integrations/alertmanager"
)

// fixture reads a file of testdata.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// kv builds a label or annotation set from name, value pairs.
func kv(pairs ...string) map[string]string {
	m := make(map[string]string, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return m
}

// at is a time in UTC.
func at(year int, month time.Month, day, hour, minute, sec, nsec int) time.Time {
	return time.Date(year, month, day, hour, minute, sec, nsec, time.UTC)
}

// The notifications the fixtures hold.
var (
	highErrorRate = func() bot.Notification {
		group := kv("alertname", "HighErrorRate", "component", "api", "team", "platform")
		common := kv("alertname", "HighErrorRate", "component", "api",
			"runbook", "incident-response", "severity", "critical", "team", "platform")
		summary := "More than 5% of API requests fail with 5xx"
		alert := func(instance, fp, pct string, starts time.Time) bot.Alert {
			labels := kv("instance", instance)
			for k, v := range common {
				labels[k] = v
			}
			return bot.Alert{
				Fingerprint: fp,
				Status:      bot.AlertFiring,
				Labels:      labels,
				Annotations: kv("summary", summary, "description", pct+
					" of API requests on "+instance+" answered 5xx over the last 5 minutes."),
				StartsAt: starts,
				GeneratorURL: "http://prometheus:9090/graph?g0.expr=" +
					"job%3Aapi_5xx%3Aratio5m+%3E+0.05",
			}
		}
		return bot.Notification{
			GroupKey: `{}/{severity="critical"}:{alertname="HighErrorRate", ` +
				`component="api", team="platform"}`,
			Receiver:          "warroom",
			Status:            bot.AlertFiring,
			GroupLabels:       group,
			CommonLabels:      common,
			CommonAnnotations: kv("summary", summary),
			ExternalURL:       "http://alertmanager:9093",
			Alerts: []bot.Alert{
				alert("api-1:9090", "e108834529292a98", "7.2%",
					at(2026, 12, 3, 7, 15, 4, 518000000)),
				alert("api-2:9090", "3929024e0c09b8c1", "6.1%",
					at(2026, 12, 3, 7, 15, 34, 518376201)),
			},
		}
	}()

	databaseResolved = func() bot.Notification {
		common := kv("alertname", "DatabaseDown", "component", "database", "database", "main",
			"runbook", "incident-response", "severity", "critical", "team", "platform")
		notes := kv("summary", "The database main refuses connections", "description",
			"83% of connection attempts to main failed over the last 2 minutes.")
		return bot.Notification{
			GroupKey: `{}/{severity="critical"}:{alertname="DatabaseDown", ` +
				`component="database", team="platform"}`,
			Receiver: "warroom",
			Status:   bot.AlertResolved,
			GroupLabels: kv("alertname", "DatabaseDown", "component", "database",
				"team", "platform"),
			CommonLabels:      common,
			CommonAnnotations: notes,
			ExternalURL:       "http://alertmanager:9093",
			Alerts: []bot.Alert{{
				Fingerprint: "814843ea4c95ce55",
				Status:      bot.AlertResolved,
				Labels:      common,
				Annotations: notes,
				StartsAt:    at(2026, 12, 3, 2, 10, 0, 0),
				EndsAt:      at(2026, 12, 3, 2, 31, 30, 250000000),
				GeneratorURL: "http://prometheus:9090/graph?g0.expr=" +
					"db_connection_failure_ratio",
			}},
		}
	}()
)

// queueOld is the notification of firing_old.json, whose second alert
// ended at 07:30 UTC: resolved when parsed after that, firing before.
func queueOld(secondResolved bool) bot.Notification {
	common := kv("alertname", "QueueDepthHigh", "component", "queue", "severity", "warning",
		"team", "platform")
	summary := "More than 1000 jobs wait in a queue"
	alert := func(queue, jobs string, starts time.Time) bot.Alert {
		labels := kv("queue", queue)
		for k, v := range common {
			labels[k] = v
		}
		return bot.Alert{
			Fingerprint: alertmanager.Fingerprint(labels),
			Status:      bot.AlertFiring,
			Labels:      labels,
			Annotations: kv("summary", summary, "description",
				jobs+" jobs wait in "+queue+"."),
			StartsAt: starts,
		}
	}
	n := bot.Notification{
		GroupKey:          `{}:{alertname="QueueDepthHigh"}`,
		Receiver:          "warroom",
		Status:            bot.AlertFiring,
		GroupLabels:       kv("alertname", "QueueDepthHigh"),
		CommonLabels:      common,
		CommonAnnotations: kv("summary", summary),
		ExternalURL:       "http://alertmanager.example.internal:9093",
		Alerts: []bot.Alert{
			alert("transcription", "1432", at(2026, 12, 3, 7, 33, 21, 873077559)),
			alert("synthesis", "1011", at(2026, 12, 3, 7, 20, 0, 0)),
		},
	}
	if secondResolved {
		n.Alerts[1].Status = bot.AlertResolved
		n.Alerts[1].EndsAt = at(2026, 12, 3, 7, 30, 0, 0)
	}
	return n
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		file string
		now  time.Time
		want bot.Notification
	}{
		{
			name: "current format, firing",
			file: "firing_current.json",
			now:  at(2026, 12, 3, 8, 0, 0, 0),
			want: highErrorRate,
		},
		{
			name: "current format, resolved",
			file: "resolved_current.json",
			now:  at(2026, 12, 3, 8, 0, 0, 0),
			want: databaseResolved,
		},
		{
			name: "older sender, one alert ended",
			file: "firing_old.json",
			now:  at(2026, 12, 3, 8, 0, 0, 0),
			want: queueOld(true),
		},
		{
			name: "older sender, an end still ahead means firing",
			file: "firing_old.json",
			now:  at(2026, 12, 3, 7, 25, 0, 0),
			want: queueOld(false),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := alertmanager.ParseAt(fixture(t, tt.file), tt.now)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestParseTolerant checks what Parse takes beyond the fixtures: the
// liberties of senders, and how it fills in what they leave out.
func TestParseTolerant(t *testing.T) {
	now := at(2026, 12, 3, 8, 0, 0, 0)
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, n bot.Notification)
	}{
		{
			name: "no version, unknown fields, missing maps",
			body: `{"groupKey":"g","futureField":{"x":[1]},"alerts":[{"labels":{"a":"b"},` +
				`"silencedBy":["x"]}]}`,
			check: func(t *testing.T, n bot.Notification) {
				if n.GroupLabels == nil || n.CommonLabels == nil ||
					n.CommonAnnotations == nil || n.Alerts[0].Annotations == nil {
					t.Errorf("a missing map is nil: %+v", n)
				}
				if n.Status != bot.AlertFiring || n.Alerts[0].Status != bot.AlertFiring {
					t.Errorf("statuses %q, %q; want firing", n.Status, n.Alerts[0].Status)
				}
				if !n.Alerts[0].StartsAt.IsZero() || !n.Alerts[0].EndsAt.IsZero() {
					t.Errorf("missing times are not zero: %+v", n.Alerts[0])
				}
			},
		},
		{
			name: "version as a number",
			body: `{"version":4,"groupKey":"g","alerts":[{"labels":{"a":"b"}}]}`,
		},
		{
			name: "statuses in capitals",
			body: `{"version":"4","groupKey":"g","status":"RESOLVED",` +
				`"alerts":[{"status":"Resolved","labels":{"a":"b"}}]}`,
			check: func(t *testing.T, n bot.Notification) {
				if n.Status != bot.AlertResolved || n.Alerts[0].Status != bot.AlertResolved {
					t.Errorf("statuses %q, %q; want resolved", n.Status, n.Alerts[0].Status)
				}
			},
		},
		{
			name: "no group status, every alert resolved",
			body: `{"groupKey":"g","alerts":[{"labels":{"a":"b"},` +
				`"endsAt":"2026-12-03T07:59:59Z"},{"labels":{"a":"c"},"status":"resolved"}]}`,
			check: func(t *testing.T, n bot.Notification) {
				if n.Status != bot.AlertResolved {
					t.Errorf("group status %q, want resolved", n.Status)
				}
			},
		},
		{
			name: "a firing alert's planned end is dropped",
			body: `{"groupKey":"g","alerts":[{"status":"firing","labels":{"a":"b"},` +
				`"endsAt":"2026-12-03T08:04:00Z"}]}`,
			check: func(t *testing.T, n bot.Notification) {
				if !n.Alerts[0].EndsAt.IsZero() {
					t.Errorf("EndsAt %v, want zero", n.Alerts[0].EndsAt)
				}
			},
		},
		{
			name: "times with offsets and fractions are read in UTC",
			body: `{"groupKey":"g","alerts":[{"labels":{"a":"b"},` +
				`"startsAt":"2026-12-03T12:00:00.5+05:00","endsAt":"2026-12-03T02:00:00-05:00"}]}`,
			check: func(t *testing.T, n bot.Notification) {
				a := n.Alerts[0]
				if !a.StartsAt.Equal(at(2026, 12, 3, 7, 0, 0, 500000000)) ||
					a.StartsAt.Location() != time.UTC {
					t.Errorf("StartsAt %v", a.StartsAt)
				}
				if a.Status != bot.AlertResolved || !a.EndsAt.Equal(at(2026, 12, 3, 7, 0, 0, 0)) {
					t.Errorf("status %q, EndsAt %v; want resolved at 07:00", a.Status, a.EndsAt)
				}
			},
		},
		{
			name: "a negative truncatedAlerts counts as none",
			body: `{"groupKey":"g","truncatedAlerts":-3,"alerts":[{"labels":{"a":"b"}}]}`,
			check: func(t *testing.T, n bot.Notification) {
				if n.TruncatedAlerts != 0 {
					t.Errorf("TruncatedAlerts %d, want 0", n.TruncatedAlerts)
				}
			},
		},
		{
			name: "MaxAlerts alerts",
			body: manyAlerts(alertmanager.MaxAlerts),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := alertmanager.ParseAt([]byte(tt.body), now)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if n.GroupKey == "" || len(n.Alerts) == 0 || n.Alerts[0].Fingerprint == "" {
				t.Fatalf("Parse gave an incomplete notification: %+v", n)
			}
			if tt.check != nil {
				tt.check(t, n)
			}
		})
	}
}

// manyAlerts is a body with count alerts.
func manyAlerts(count int) string {
	var sb strings.Builder
	sb.WriteString(`{"version":"4","groupKey":"g","alerts":[`)
	for i := range count {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"labels":{"i":"%d"}}`, i)
	}
	sb.WriteString(`]}`)
	return sb.String()
}

func TestParseErrors(t *testing.T) {
	manyLabels := make([]string, 0, 2*(alertmanager.MaxPairs+1))
	for i := range alertmanager.MaxPairs + 1 {
		manyLabels = append(manyLabels, fmt.Sprintf(`"l%d":"v"`, i))
	}

	tests := []struct {
		name  string
		body  string
		field string
		// say is a part of the message a sender should read.
		say string
	}{
		{name: "not JSON", body: `alerts: firing`, say: "not JSON"},
		{name: "empty body", body: ``, say: "not JSON"},
		{name: "cut short", body: `{"version":"4","groupKey":"g","alerts":[`, say: "not JSON"},
		{name: "not an object", body: `[{"groupKey":"g"}]`, say: "not a JSON object"},
		{
			name:  "version 3",
			body:  `{"version":"3","groupKey":"g","alerts":[{"labels":{"a":"b"}}]}`,
			field: "version",
			say:   `unsupported version "3": this receiver takes version "4"`,
		},
		{
			name:  "version 5 as a number",
			body:  `{"version":5,"groupKey":"g","alerts":[{"labels":{"a":"b"}}]}`,
			field: "version",
			say:   `unsupported version 5`,
		},
		{
			name:  "no groupKey",
			body:  `{"version":"4","alerts":[{"labels":{"a":"b"}}]}`,
			field: "groupKey",
			say:   "missing",
		},
		{
			name:  "no alerts",
			body:  `{"version":"4","groupKey":"g"}`,
			field: "alerts",
			say:   "no alerts array",
		},
		{
			name:  "alerts null",
			body:  `{"version":"4","groupKey":"g","alerts":null}`,
			field: "alerts",
			say:   "no alerts array",
		},
		{
			name:  "alerts empty",
			body:  `{"version":"4","groupKey":"g","alerts":[]}`,
			field: "alerts",
			say:   "empty",
		},
		{
			name:  "alerts not an array",
			body:  `{"version":"4","groupKey":"g","alerts":{"labels":{"a":"b"}}}`,
			field: "alerts",
			say:   "an object where an array belongs",
		},
		{
			name: "alert without labels",
			body: `{"version":"4","groupKey":"g","alerts":[{"labels":{"a":"b"}},` +
				`{"status":"firing"}]}`,
			field: "alerts[1].labels",
			say:   "missing",
		},
		{
			name:  "alert with empty labels",
			body:  `{"version":"4","groupKey":"g","alerts":[{"labels":{}}]}`,
			field: "alerts[0].labels",
			say:   "missing",
		},
		{
			name:  "alert null",
			body:  `{"version":"4","groupKey":"g","alerts":[null]}`,
			field: "alerts[0].labels",
			say:   "missing",
		},
		{
			name:  "label value not a string",
			body:  `{"version":"4","groupKey":"g","alerts":[{"labels":{"a":1}}]}`,
			field: "alerts.labels",
			say:   "a number where a string belongs",
		},
		{
			name: "startsAt not RFC 3339",
			body: `{"version":"4","groupKey":"g","alerts":[{"labels":{"a":"b"},` +
				`"startsAt":"yesterday at noon"}]}`,
			field: "alerts[0].startsAt",
			say:   `not an RFC 3339 time: "yesterday at noon"`,
		},
		{
			name: "unknown alert status",
			body: `{"version":"4","groupKey":"g","alerts":[{"labels":{"a":"b"},` +
				`"status":"suppressed"}]}`,
			field: "alerts[0].status",
			say:   `unknown status "suppressed"`,
		},
		{
			name:  "unknown group status",
			body:  `{"version":"4","groupKey":"g","status":"x","alerts":[{"labels":{"a":"b"}}]}`,
			field: "status",
			say:   `unknown status "x"`,
		},
		{
			name:  "too many alerts",
			body:  manyAlerts(alertmanager.MaxAlerts + 1),
			field: "alerts",
			say:   "10001 alerts, more than the 10000 taken in one body",
		},
		{
			name: "too many labels",
			body: `{"version":"4","groupKey":"g","alerts":[{"labels":{` +
				strings.Join(manyLabels, ",") + `}}]}`,
			field: "alerts[0].labels",
			say:   "more than the 1000 taken",
		},
		{
			name:  "a long version is cut short",
			body:  `{"version":"` + strings.Repeat("9", 5000) + `","groupKey":"g"}`,
			field: "version",
			say:   `999...: this receiver takes version "4"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := alertmanager.Parse([]byte(tt.body))
			if err == nil {
				t.Fatalf("Parse took it: %+v", n)
			}
			if !errors.Is(err, alertmanager.ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) is false", err)
			}
			var pe *alertmanager.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if pe.Field != tt.field {
				t.Errorf("Field %q, want %q (%v)", pe.Field, tt.field, err)
			}
			if !strings.Contains(err.Error(), tt.say) {
				t.Errorf("error %q does not say %q", err, tt.say)
			}
			if len(err.Error()) > 300 {
				t.Errorf("error of %d bytes: %.80q...", len(err.Error()), err)
			}
		})
	}
}

// TestFingerprint checks that a computed fingerprint is the one
// Alertmanager itself gives an alert.
func TestFingerprint(t *testing.T) {
	tests := []struct {
		name   string
		labels map[string]string
		// want is Alertmanager's, when known from a real payload.
		want string
	}{
		{
			name: "from a real Alertmanager payload",
			labels: kv("alertname", "APIDown", "component", "api", "instance", "api-1:9090",
				"severity", "critical"),
			want: "467bda35eca73ba4",
		},
		{name: "one label", labels: kv("alertname", "CacheHitRateLow")},
		{name: "empty value", labels: kv("alertname", "x", "job", "")},
		{name: "unicode", labels: kv("alertname", "Ошибка", "team", "платформа")},
		{name: "no labels", labels: kv()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ls := model.LabelSet{}
			for k, v := range tt.labels {
				ls[model.LabelName(k)] = model.LabelValue(v)
			}
			got := alertmanager.Fingerprint(tt.labels)
			if want := ls.Fingerprint().String(); got != want {
				t.Errorf("Fingerprint %s, Prometheus says %s", got, want)
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("Fingerprint %s, Alertmanager sent %s", got, tt.want)
			}
		})
	}
}

// TestEncode checks that Encode is the inverse of Parse, and that an
// older sender's body of the same notification parses to the same
// statuses and fingerprints.
func TestEncode(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	mixed := bot.Notification{
		GroupKey:        `{}:{alertname="SlowAPI"}`,
		Receiver:        "warroom",
		Status:          bot.AlertFiring,
		GroupLabels:     kv("alertname", "SlowAPI"),
		CommonLabels:    kv("alertname", "SlowAPI", "severity", "warning"),
		TruncatedAlerts: 4,
		Alerts: []bot.Alert{
			{Status: bot.AlertFiring, Labels: kv("alertname", "SlowAPI", "route", "/v1/calls"),
				StartsAt: now.Add(-20 * time.Minute)},
			{Status: bot.AlertResolved, Labels: kv("alertname", "SlowAPI", "route", "/v1/tts"),
				StartsAt: now.Add(-time.Hour), EndsAt: now.Add(-time.Minute)},
			{Status: bot.AlertResolved, Labels: kv("alertname", "SlowAPI", "route", "/v1/x")},
		},
	}
	tests := []struct {
		name string
		in   []byte
	}{
		{name: "current firing", in: fixture(t, "firing_current.json")},
		{name: "current resolved", in: fixture(t, "resolved_current.json")},
		{name: "older sender", in: fixture(t, "firing_old.json")},
		{name: "mixed, built in Go", in: alertmanager.Encode(mixed)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := alertmanager.Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}

			again, err := alertmanager.Parse(alertmanager.Encode(n))
			if err != nil {
				t.Fatalf("Parse(Encode(n)): %v", err)
			}
			if !reflect.DeepEqual(again, n) {
				t.Errorf("Parse(Encode(n)):\n got %+v\nwant %+v", again, n)
			}

			old, err := alertmanager.Parse(alertmanager.EncodeOld(n))
			if err != nil {
				t.Fatalf("Parse(EncodeOld(n)): %v", err)
			}
			if len(old.Alerts) != len(n.Alerts) || old.GroupKey != n.GroupKey {
				t.Fatalf("Parse(EncodeOld(n)) = %+v, want the alerts of %+v", old, n)
			}
			for i, a := range old.Alerts {
				want := n.Alerts[i]
				if a.Status != want.Status {
					t.Errorf("alert %d: status %q, want %q", i, a.Status, want.Status)
				}
				if fp := alertmanager.Fingerprint(want.Labels); a.Fingerprint != fp {
					t.Errorf("alert %d: fingerprint %s, want %s", i, a.Fingerprint, fp)
				}
			}
		})
	}

	// A current sender's fingerprints are the ones an older sender's
	// alerts get computed.
	for _, name := range []string{"firing_current.json", "resolved_current.json"} {
		n, err := alertmanager.Parse(fixture(t, name))
		if err != nil {
			t.Fatalf("Parse %s: %v", name, err)
		}
		for i, a := range n.Alerts {
			if fp := alertmanager.Fingerprint(a.Labels); a.Fingerprint != fp {
				t.Errorf("%s alert %d: sent fingerprint %s, computed %s", name, i,
					a.Fingerprint, fp)
			}
		}
	}
}

// benchNotification is a firing group of count alerts as Alertmanager
// sends them, with the labels and annotations the shipped rules give.
func benchNotification(count int) bot.Notification {
	start := at(2026, 12, 3, 7, 0, 0, 0)
	common := kv("alertname", "QueueDepthHigh", "component", "queue", "severity", "warning",
		"team", "platform", "job", "worker")
	n := bot.Notification{
		GroupKey:          `{}/{severity="warning"}:{alertname="QueueDepthHigh"}`,
		Receiver:          "warroom",
		Status:            bot.AlertFiring,
		GroupLabels:       kv("alertname", "QueueDepthHigh", "component", "queue"),
		CommonLabels:      common,
		CommonAnnotations: kv("summary", "More than 1000 jobs wait in a queue"),
		ExternalURL:       "http://alertmanager:9093",
	}
	for i := range count {
		labels := kv("queue", fmt.Sprintf("queue-%02d", i),
			"instance", fmt.Sprintf("worker-%d:9100", i%4))
		for k, v := range common {
			labels[k] = v
		}
		n.Alerts = append(n.Alerts, bot.Alert{
			Fingerprint: alertmanager.Fingerprint(labels),
			Status:      bot.AlertFiring,
			Labels:      labels,
			Annotations: kv("summary", "More than 1000 jobs wait in a queue",
				"description", fmt.Sprintf("%d jobs wait in queue-%02d.", 1000+i*37, i)),
			StartsAt:     start.Add(time.Duration(i) * time.Second),
			GeneratorURL: "http://prometheus:9090/graph?g0.expr=queue_jobs_pending+%3E+1000",
		})
	}
	return n
}

// BenchmarkParse parses a 25-alert body, in the current format and in an
// older sender's.
func BenchmarkParse(b *testing.B) {
	n := benchNotification(25)
	for _, bb := range []struct {
		name string
		body []byte
	}{
		{name: "current", body: alertmanager.Encode(n)},
		{name: "old", body: alertmanager.EncodeOld(n)},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bb.body)))
			for b.Loop() {
				if _, err := alertmanager.Parse(bb.body); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/25, "ns/alert")
		})
	}
}
