package configs_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
	"gopkg.in/yaml.v3"

	"warroom/configs"
)

func TestSecretRedacted(t *testing.T) {
	const token = "xoxb-very-secret"
	cfg, err := configs.Load("", envOf(map[string]string{
		"SLACK_BOT_TOKEN":      token,
		"SLACK_SIGNING_SECRET": token,
		"SLACK_APP_TOKEN":      token,
	}))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Slack.BotToken

	encode := func(v any, enc func(any) ([]byte, error)) string {
		out, err := enc(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	tests := []struct {
		name string
		out  string
	}{
		{"%v", fmt.Sprintf("%v", s)},
		{"%s", fmt.Sprintf("%s", s)},
		{"%+v", fmt.Sprintf("%+v", s)},
		{"%#v", fmt.Sprintf("%#v", s)},
		{"%q", fmt.Sprintf("%q", s)},
		{"%x", fmt.Sprintf("%x", s)},
		{"%d", fmt.Sprintf("%d", s)},
		{"%10.3s", fmt.Sprintf("%10.3s", s)},
		{"Sprint", fmt.Sprint(s)},
		{"String", s.String()},
		{"config %v", fmt.Sprintf("%v", cfg)},
		{"config %+v", fmt.Sprintf("%+v", cfg)},
		{"config %#v", fmt.Sprintf("%#v", cfg)},
		{"section %#v", fmt.Sprintf("%#v", cfg.Slack)},
		{"json", encode(s, json.Marshal)},
		{"json config", encode(cfg, json.Marshal)},
		{"yaml", encode(s, yaml.Marshal)},
		{"yaml map", encode(map[string]configs.Secret{"token": s}, yaml.Marshal)},
		{"yaml config", encode(cfg, yaml.Marshal)},
		{"logrus text", logLine(&logrus.TextFormatter{DisableTimestamp: true}, s)},
		{"logrus json", logLine(&logrus.JSONFormatter{}, s)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Contains(tt.out, "very-secret") {
				t.Errorf("secret shown: %s", tt.out)
			}
			// YAML leaves secrets out of a whole config: they have no key.
			if !strings.Contains(tt.out, "[redacted]") && tt.name != "yaml config" {
				t.Errorf("no [redacted] in %s", tt.out)
			}
		})
	}

	if got := s.Value(); got != token {
		t.Errorf("Value() = %q", got)
	}
}

// logLine formats one log entry with the secret as a field.
func logLine(f logrus.Formatter, s configs.Secret) string {
	out, err := f.Format(logrus.WithField("token", s))
	if err != nil {
		return err.Error()
	}
	return string(out)
}

func TestSecretEmpty(t *testing.T) {
	var s configs.Secret

	tests := []struct {
		name, got, want string
	}{
		{"%v", fmt.Sprintf("%v", s), ""},
		{"%#v", fmt.Sprintf("%#v", s), ""},
		{"%q", fmt.Sprintf("[%q]", s), "[]"},
		{"json", mustJSON(t, s), `""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
