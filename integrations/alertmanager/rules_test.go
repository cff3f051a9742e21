package alertmanager

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// configDir holds the Prometheus rules and the Alertmanager config that
// warroom ships.
var configDir = filepath.Join("..", "..", "configs", "prometheus")

// ruleFile is a Prometheus rule file; unknown keys are errors.
type ruleFile struct {
	Groups []struct {
		Name     string `yaml:"name"`
		Interval string `yaml:"interval"`
		Rules    []rule `yaml:"rules"`
	} `yaml:"groups"`
}

// rule is one alerting rule.
type rule struct {
	Alert         string            `yaml:"alert"`
	Record        string            `yaml:"record"`
	Expr          string            `yaml:"expr"`
	For           string            `yaml:"for"`
	KeepFiringFor string            `yaml:"keep_firing_for"`
	Labels        map[string]string `yaml:"labels"`
	Annotations   map[string]string `yaml:"annotations"`
}

// decodeStrict reads a YAML file of configDir into v, refusing unknown
// keys.
func decodeStrict(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(configDir, name))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// TestRules checks warroom-rules.yml without promtool: its structure, and
// that it has every alert of the policy's catalogue with the policy's
// figures.
func TestRules(t *testing.T) {
	var f ruleFile
	decodeStrict(t, "warroom-rules.yml", &f)

	components := []string{"api", "database", "stt", "tts", "llm", "payments", "storage",
		"queue", "cache"}
	var groups []string
	rules := map[string]rule{}
	for _, g := range f.Groups {
		groups = append(groups, g.Name)
		for i, r := range g.Rules {
			where := g.Name + "[" + r.Alert + "]"
			switch {
			case r.Alert == "" || r.Record != "":
				t.Errorf("%s rule %d is not an alerting rule", g.Name, i)
			case rules[r.Alert].Alert != "":
				t.Errorf("%s: a second alert of that name", where)
			case strings.TrimSpace(r.Expr) == "":
				t.Errorf("%s: no expr", where)
			case r.Labels["severity"] != g.Name:
				t.Errorf("%s: severity %q in group %q", where, r.Labels["severity"], g.Name)
			case r.Labels["team"] == "":
				t.Errorf("%s: no team", where)
			case strings.TrimSpace(r.Annotations["summary"]) == "" ||
				strings.TrimSpace(r.Annotations["description"]) == "":
				t.Errorf("%s: no summary or description", where)
			}
			if c, ok := r.Labels["component"]; ok && !slices.Contains(components, c) {
				t.Errorf("%s: component %q is none of %v", where, c, components)
			}
			if rb := r.Labels["runbook"]; rb != "" {
				if _, err := os.Stat(filepath.Join("..", "..", "runbooks", rb+".md")); err != nil {
					t.Errorf("%s: runbook %q is not one of warroom's: %v", where, rb, err)
				}
			}
			if r.For != "" {
				if _, err := model.ParseDuration(r.For); err != nil {
					t.Errorf("%s: for %q: %v", where, r.For, err)
				}
			}
			rules[r.Alert] = r
		}
	}
	if want := []string{"critical", "warning", "info"}; !slices.Equal(groups, want) {
		t.Errorf("groups %v, want %v", groups, want)
	}

	// The catalogue: each alert, its duration, and figures its expression
	// must hold.
	catalogue := []struct {
		alert   string
		for_    string
		figures []string
	}{
		{"APIDown", "2m", []string{`code=~"5.."`, "> 0.5"}},
		{"DatabaseDown", "2m", []string{"db_connection_attempts_total", "> 0.5"}},
		{"PaymentProcessorDown", "2m", []string{`dependency="stripe"`, "> 0.5"}},
		{"STTProviderDown", "2m", []string{`dependency="stt"`, "> 0.5"}},
		{"TTSProviderDown", "2m", []string{`dependency="tts"`, "> 0.5"}},
		{"StorageDown", "2m", []string{`dependency="s3"`, "> 0.5"}},
		{"HighErrorRate", "5m", []string{`code=~"5.."`, "> 0.05"}},
		{"SlowAPI", "10m", []string{"histogram_quantile(0.95", "> 1\n"}},
		{"QueueDepthHigh", "", []string{"> 1000"}},
		{"CacheHitRateLow", "15m", []string{`result="hit"`, "< 0.8"}},
		{"OrganizationQuotaNearlyUsed", "", []string{">= 0.9"}},
		{"PaymentNeedsRetry", "", []string{"payments_awaiting_retry", "> 0"}},
		{"LowAIConfidence", "", []string{"[1h]", "< 0.6"}},
		{"NewOrganizationSignup", "", []string{"org_signups_total", "> 0"}},
		{"PlanChanged", "", []string{"org_plan_changes_total", "> 0"}},
		{"BulkKnowledgeImport", "", []string{`le="100"`, "> 0"}},
		{"UsageSpike", "", []string{">= 3 *", "offset 1w"}},
	}
	for _, c := range catalogue {
		r, ok := rules[c.alert]
		if !ok {
			t.Errorf("no alert %s", c.alert)
			continue
		}
		if r.For != c.for_ {
			t.Errorf("%s: for %q, want %q", c.alert, r.For, c.for_)
		}
		for _, fig := range c.figures {
			if !strings.Contains(r.Expr+"\n", fig) {
				t.Errorf("%s: expr %q does not hold %q", c.alert, r.Expr, fig)
			}
		}
		delete(rules, c.alert)
	}
	for name := range rules {
		t.Errorf("alert %s is not in the catalogue", name)
	}
}

// amConfig is the part of an Alertmanager config that warroom cares about.
type amConfig struct {
	Route     amRoute `yaml:"route"`
	Receivers []struct {
		Name           string `yaml:"name"`
		WebhookConfigs []struct {
			URL          string `yaml:"url"`
			SendResolved bool   `yaml:"send_resolved"`
			MaxAlerts    int    `yaml:"max_alerts"`
			HTTPConfig   struct {
				Authorization struct {
					Type            string `yaml:"type"`
					Credentials     string `yaml:"credentials"`
					CredentialsFile string `yaml:"credentials_file"`
				} `yaml:"authorization"`
			} `yaml:"http_config"`
		} `yaml:"webhook_configs"`
	} `yaml:"receivers"`
}

// amRoute is a node of the routing tree.
type amRoute struct {
	Receiver       string    `yaml:"receiver"`
	Matchers       []string  `yaml:"matchers"`
	GroupBy        []string  `yaml:"group_by"`
	GroupWait      string    `yaml:"group_wait"`
	GroupInterval  string    `yaml:"group_interval"`
	RepeatInterval string    `yaml:"repeat_interval"`
	Routes         []amRoute `yaml:"routes"`
}

// TestAlertmanagerConfig checks alertmanager.yml without amtool: the route
// and the receiver that send to warroom.
func TestAlertmanagerConfig(t *testing.T) {
	var c amConfig
	b, err := os.ReadFile(filepath.Join(configDir, "alertmanager.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("alertmanager.yml: %v", err)
	}

	r := c.Route
	if r.Receiver != "warroom" || !slices.Equal(r.GroupBy, []string{"alertname", "team",
		"component"}) || r.GroupWait != "30s" || r.GroupInterval != "5m" ||
		r.RepeatInterval != "4h" {
		t.Errorf("route %+v, want warroom grouped by alertname, team, component, "+
			"30s, 5m, 4h", r)
	}
	repeat, err := model.ParseDuration(r.RepeatInterval)
	if err != nil {
		t.Fatalf("repeat_interval: %v", err)
	}
	critical := false
	for _, sub := range r.Routes {
		if !slices.Contains(sub.Matchers, `severity="critical"`) {
			continue
		}
		d, err := model.ParseDuration(sub.RepeatInterval)
		critical = err == nil && d < repeat && sub.Receiver == "warroom"
	}
	if !critical {
		t.Errorf("no route sends severity=critical to warroom with a repeat under %s", repeat)
	}

	if len(c.Receivers) != 1 || c.Receivers[0].Name != "warroom" ||
		len(c.Receivers[0].WebhookConfigs) != 1 {
		t.Fatalf("receivers %+v, want warroom with one webhook", c.Receivers)
	}
	wh := c.Receivers[0].WebhookConfigs[0]
	auth := wh.HTTPConfig.Authorization
	switch {
	case wh.URL != "http://warroom:8080/webhooks/alertmanager" || !wh.SendResolved:
		t.Errorf("webhook %+v, want warroom's URL and send_resolved", wh)
	case auth.Type != "Bearer" || auth.CredentialsFile == "" || auth.Credentials != "":
		t.Errorf("authorization %+v, want a Bearer token from a file", auth)
	case wh.MaxAlerts < 0 || wh.MaxAlerts > MaxAlerts:
		t.Errorf("max_alerts %d, more than the %d Parse takes", wh.MaxAlerts, MaxAlerts)
	}
}

// TestPrometheusTools runs promtool and amtool on the shipped files when
// they are installed.
func TestPrometheusTools(t *testing.T) {
	if testing.Short() {
		t.Skip("runs promtool and amtool")
	}
	for _, args := range [][]string{
		{"promtool", "check", "rules", "warroom-rules.yml"},
		{"promtool", "test", "rules", "warroom-rules.test.yml", "warroom-rules.weekly.test.yml"},
		{"amtool", "check-config", "alertmanager.yml"},
	} {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			if _, err := exec.LookPath(args[0]); err != nil {
				t.Skipf("%s is not installed", args[0])
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, args[0], args[1:]...)
			cmd.Dir = configDir
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s: %v\n%s", strings.Join(args, " "), err, out)
			}
		})
	}
}
