package alertmanager

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header string
		want   time.Duration
	}{
		{name: "none", header: "", want: 0},
		{name: "seconds", header: "30", want: 30 * time.Second},
		{name: "negative", header: "-5", want: 0},
		{name: "huge", header: "99999999999", want: 24 * time.Hour},
		{name: "a date", header: "Thu, 03 Dec 2026 08:02:00 GMT", want: 2 * time.Minute},
		{name: "a date past", header: "Thu, 03 Dec 2026 07:00:00 GMT", want: 0},
		{name: "nonsense", header: "soon", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set("Retry-After", tt.header)
			}
			if got := retryAfter(h, now); got != tt.want {
				t.Errorf("retryAfter(%q) = %v, want %v", tt.header, got, tt.want)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{name: "API v2 string", body: "\"silence invalid: comment missing\"\n",
			want: "silence invalid: comment missing"},
		{name: "schema error", body: `{"code":602,"message":"comment in body is required"}`,
			want: "comment in body is required"},
		{name: "proxy text", body: "<html>\n  upstream\n  timed out</html>",
			want: "<html> upstream timed out</html>"},
		{name: "empty", body: "", want: "Bad Gateway"},
		{name: "long", body: strings.Repeat("é", 400), want: strings.Repeat("é", 150) + "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errorText(http.StatusBadGateway, []byte(tt.body)); got != tt.want {
				t.Errorf("errorText = %q, want %q", got, tt.want)
			}
		})
	}
}
