package configs_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"warroom/configs"
)

// manifest is the part of a Slack app manifest warroom depends on.
type manifest struct {
	Metadata struct {
		MajorVersion int `yaml:"major_version"`
	} `yaml:"_metadata"`
	DisplayInformation struct {
		Name string `yaml:"name"`
	} `yaml:"display_information"`
	Features struct {
		BotUser struct {
			DisplayName string `yaml:"display_name"`
		} `yaml:"bot_user"`
		SlashCommands []struct {
			Command      string `yaml:"command"`
			URL          string `yaml:"url"`
			Description  string `yaml:"description"`
			UsageHint    string `yaml:"usage_hint"`
			ShouldEscape bool   `yaml:"should_escape"`
		} `yaml:"slash_commands"`
	} `yaml:"features"`
	OAuthConfig struct {
		Scopes struct {
			Bot []string `yaml:"bot"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		EventSubscriptions struct {
			RequestURL string   `yaml:"request_url"`
			BotEvents  []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
		Interactivity struct {
			IsEnabled  bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		} `yaml:"interactivity"`
		OrgDeployEnabled     bool `yaml:"org_deploy_enabled"`
		SocketModeEnabled    bool `yaml:"socket_mode_enabled"`
		TokenRotationEnabled bool `yaml:"token_rotation_enabled"`
	} `yaml:"settings"`
}

func TestSlackAppManifest(t *testing.T) {
	var m manifest
	if err := yaml.Unmarshal(configs.SlackAppManifest, &m); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range m.Features.SlashCommands {
		names = append(names, c.Command)
		if !c.ShouldEscape || urlPath(t, c.URL) != "/slack/commands" || c.Description == "" {
			t.Errorf("command %s: escape %v, url %s, description %q", c.Command,
				c.ShouldEscape, c.URL, c.Description)
		}
	}
	if strings.Join(names, " ") != "/incident /oncall /page /deploy /runbook" {
		t.Fatalf("slash commands %v", names)
	}
	cmd := m.Features.SlashCommands[0]
	s := m.Settings

	tests := []struct {
		name      string
		got, want any
	}{
		{"major version", m.Metadata.MajorVersion, 1},
		{"name", m.DisplayInformation.Name, "warroom"},
		{"bot user", m.Features.BotUser.DisplayName, "warroom"},
		{"command", cmd.Command, configs.Default().Slack.Command},
		{"command has a description", cmd.Description != "", true},
		{"command has a usage hint", cmd.UsageHint != "", true},
		{"command escapes", cmd.ShouldEscape, true},
		{"commands path", urlPath(t, cmd.URL), "/slack/commands"},
		{"interactions path", urlPath(t, s.Interactivity.RequestURL), "/slack/interactions"},
		{"interactivity on", s.Interactivity.IsEnabled, true},
		{"events path", urlPath(t, s.EventSubscriptions.RequestURL), "/slack/events"},
		{"socket mode", s.SocketModeEnabled, false},
		{"token rotation", s.TokenRotationEnabled, false},
		{"org deploy", s.OrgDeployEnabled, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}

	// What the code calls and listens to; the manifest may ask for more.
	needs := []struct {
		name string
		have []string
		want []string
	}{
		{"scopes", m.OAuthConfig.Scopes.Bot, []string{
			"commands", "chat:write", "chat:write.public", "channels:manage",
			"groups:write", "channels:read", "groups:read", "channels:history",
			"groups:history", "channels:join", "pins:write", "pins:read",
			"reactions:read", "users:read", "users:read.email", "im:write", "files:write",
		}},
		{"events", s.EventSubscriptions.BotEvents, []string{
			"message.channels", "message.groups", "reaction_added", "pin_added",
			"member_joined_channel",
		}},
	}
	for _, n := range needs {
		for _, w := range n.want {
			t.Run(n.name+" "+w, func(t *testing.T) {
				if !slices.Contains(n.have, w) {
					t.Errorf("%s lacks %s", n.name, w)
				}
			})
		}
	}
}

// urlPath returns the path of an absolute URL.
func urlPath(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		t.Fatalf("%q is not an absolute URL: %v", raw, err)
	}
	return u.Path
}
