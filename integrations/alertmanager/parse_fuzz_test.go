package alertmanager

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"warroom/bot"
)

// FuzzParse sends arbitrary bodies through Parse. It must never panic;
// what it accepts must have a group key, a status, and alerts that each
// have labels, a fingerprint and a status; what it refuses must be a
// *ParseError; and Encode must write what it accepts so that Parse reads
// the same notification back.
func FuzzParse(f *testing.F) {
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
		``, `null`, `{}`, `[]`, `"4"`, `{"version":"3"}`, `{"version":4,"groupKey":"g"}`,
		`{"groupKey":"g","alerts":null}`, `{"groupKey":"g","alerts":[null]}`,
		`{"groupKey":"g","alerts":[{"labels":{"a":"b"},"endsAt":"0000-01-01T00:00:00+01:00"}]}`,
		// A lone surrogate and a byte that is not UTF-8.
		"{\"groupKey\":\"g\",\"alerts\":[{\"labels\":{\"\\ud800\":\"\xff\"}}]}",
		`{"groupKey":"g","truncatedAlerts":-1,"status":"FIRING","alerts":[{"labels":{"":""}}]}`,
		`{"groupKey":"g","alerts":[{"labels":{"a":"b"},"fingerprint":"x","status":"resolved"}]}`,
		`{"groupKey":"g","alerts":[{"labels":{"a":"b"},` +
			`"endsAt":"9999-12-31T23:59:59.999999999Z"}]}`,
	} {
		f.Add([]byte(s))
	}
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)

	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := parseAt(body, now)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %T %v is not a *ParseError", err, err)
			}
			return
		}

		if n.GroupKey == "" || len(n.Alerts) == 0 || !known(n.Status) {
			t.Fatalf("accepted a notification without group key, alerts or status: %+v", n)
		}
		for i, a := range n.Alerts {
			if len(a.Labels) == 0 || a.Fingerprint == "" || !known(a.Status) {
				t.Fatalf("alert %d lacks labels, fingerprint or status: %+v", i, a)
			}
		}

		again, err := parseAt(Encode(n), now)
		if err != nil {
			t.Fatalf("Parse(Encode(n)): %v", err)
		}
		if !reflect.DeepEqual(again, n) {
			t.Fatalf("Parse(Encode(n)):\n got %+v\nwant %+v", again, n)
		}
	})
}

// known reports whether s is one of the two statuses.
func known(s string) bool { return s == bot.AlertFiring || s == bot.AlertResolved }
