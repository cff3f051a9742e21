package commands

import (
	"testing"
	"time"
)

func TestParseWhenAndUntil(t *testing.T) {
	loc := time.FixedZone("UTC+5", 5*3600)
	now := time.Date(2026, 12, 3, 14, 30, 0, 0, loc)
	cases := []struct {
		from, to         string
		wantFrom, wantTo time.Time
		bad              bool
	}{
		{"now", "12h", now, now.Add(12 * time.Hour), false},
		{"2026-12-05T10:00", "2026-12-06T10:00", time.Date(2026, 12, 5, 10, 0, 0, 0, loc),
			time.Date(2026, 12, 6, 10, 0, 0, 0, loc), false},
		{"2026-12-05", "3d", time.Date(2026, 12, 5, 0, 0, 0, 0, loc),
			time.Date(2026, 12, 8, 0, 0, 0, 0, loc), false},
		{"18:00", "22:00", time.Date(2026, 12, 3, 18, 0, 0, 0, loc),
			time.Date(2026, 12, 3, 22, 0, 0, 0, loc), false},
		{"tomorrow", "1h", time.Time{}, time.Time{}, true},
		{"now", "-2h", time.Time{}, time.Time{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.from+" "+tc.to, func(t *testing.T) {
			from, err := parseWhen(tc.from, now, loc)
			if err == nil {
				var to time.Time
				to, err = parseUntil(tc.to, from, now, loc)
				if err == nil && (!from.Equal(tc.wantFrom) || !to.Equal(tc.wantTo)) {
					t.Errorf("got %s – %s, want %s – %s", from, to, tc.wantFrom, tc.wantTo)
				}
			}
			if (err != nil) != tc.bad {
				t.Errorf("err = %v, want bad=%v", err, tc.bad)
			}
		})
	}
}
