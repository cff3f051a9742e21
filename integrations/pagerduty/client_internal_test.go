package pagerduty

import (
	"net/http"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header string
		want   time.Duration
	}{
		{"missing", "", 0},
		{"seconds", "12", 12 * time.Second},
		{"negative", "-3", 0},
		{"date", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"date gone by", now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"garbage", "soon", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryAfter(tt.header, now); got != tt.want {
				t.Errorf("retryAfter(%q) = %s, want %s", tt.header, got, tt.want)
			}
		})
	}
}

func TestHTTPClientIsBounded(t *testing.T) {
	unbounded := &http.Client{}
	tests := []struct {
		name string
		hc   *http.Client
		want time.Duration
	}{
		{"none given", nil, DefaultHTTPTimeout},
		{"given without a timeout", unbounded, DefaultHTTPTimeout},
		{"given with a timeout", &http.Client{Timeout: 3 * time.Second}, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(Config{Token: "t", HTTPClient: tt.hc})
			if err != nil {
				t.Fatal(err)
			}
			if got := c.api.HTTPClient.(*recorder).http.Timeout; got != tt.want {
				t.Errorf("timeout = %s, want %s", got, tt.want)
			}
		})
	}
	if unbounded.Timeout != 0 {
		t.Error("NewClient changed the caller's HTTP client")
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		name, in string
		limit    int
		want     string
	}{
		{"short", "abc", 5, "abc"},
		{"exact", "abcde", 5, "abcde"},
		{"cut", "abcdef", 5, "abcd…"},
		{"runes", "ёжиками", 4, "ёжи…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := truncate(tt.in, tt.limit); got != tt.want {
				t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
			}
		})
	}
}
