package configs_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"warroom/bot"
	"warroom/configs"
)

// envOf returns an env function that reads m.
func envOf(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

func TestDefaultIsValid(t *testing.T) {
	cfg := configs.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if _, err := cfg.Policy(); err != nil {
		t.Fatalf("Policy: %v", err)
	}
}

func TestExampleIsDefault(t *testing.T) {
	tests := []struct {
		name string
		load func() (*configs.Config, error)
	}{
		{"Load file", func() (*configs.Config, error) {
			return configs.Load("warroom.example.yaml", nil)
		}},
		{"Parse embedded", func() (*configs.Config, error) {
			return configs.Parse(configs.Example, envOf(nil))
		}},
		{"Load no file", func() (*configs.Config, error) { return configs.Load("", nil) }},
		{"Load empty file", func() (*configs.Config, error) {
			return configs.Load("testdata/empty.yaml", nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := tt.load()
			if err != nil {
				t.Fatal(err)
			}
			if want := configs.Default(); !reflect.DeepEqual(cfg, want) {
				t.Errorf("got  %+v\nwant %+v", cfg, want)
			}
		})
	}
}

// TestExampleSetsEveryKey keeps the example complete: every key of the
// Config, and of every record in its lists, is written in it.
func TestExampleSetsEveryKey(t *testing.T) {
	var root yaml.Node
	if err := yaml.Unmarshal(configs.Example, &root); err != nil {
		t.Fatal(err)
	}

	var missing []string
	var walk func(n *yaml.Node, typ reflect.Type, at string)
	walk = func(n *yaml.Node, typ reflect.Type, at string) {
		switch typ.Kind() {
		case reflect.Struct:
			for i := range typ.NumField() {
				f := typ.Field(i)
				key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
				if !f.IsExported() || key == "-" {
					continue
				}
				v := mappingValue(n, key)
				if v == nil {
					missing = append(missing, at+key)
					continue
				}
				walk(v, f.Type, at+key+".")
			}
		case reflect.Slice:
			for _, item := range n.Content {
				walk(item, typ.Elem(), strings.TrimSuffix(at, ".")+"[].")
			}
		}
	}
	walk(root.Content[0], reflect.TypeFor[configs.Config](), "")

	if len(missing) > 0 {
		t.Errorf("the example does not set %s", strings.Join(missing, ", "))
	}
}

// mappingValue returns the value of key in mapping n, or nil.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func TestExampleNamesEveryVariable(t *testing.T) {
	for _, name := range configs.EnvVars() {
		if !strings.Contains(string(configs.Example), name) {
			t.Errorf("the example does not mention %s", name)
		}
	}
}

func TestEnvVars(t *testing.T) {
	names := configs.EnvVars()
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("%s names two keys", n)
		}
		seen[n] = true
	}

	tests := []struct {
		name string
		want bool
	}{
		{"WARROOM_SERVICE", true},
		{"WARROOM_TIMEZONE", true},
		{"WARROOM_HTTP_ADDR", true},
		{"WARROOM_HTTP_SHUTDOWN_TIMEOUT", true},
		{"WARROOM_DATABASE_PATH", true},
		{"WARROOM_BACKUP_KEEP_MONTHLY", true},
		{"WARROOM_SLACK_API_URL", true},
		{"WARROOM_INCIDENTS_ADMINS", true},
		{"WARROOM_JOBS_WORKERS", true},
		{"WARROOM_SHELL_USER", true},
		{"SLACK_BOT_TOKEN", true},
		{"SLACK_APP_TOKEN", true},
		{"SLACK_SIGNING_SECRET", true},
		{"WARROOM_INCIDENTS_SEVERITIES", false},
		{"WARROOM_INCIDENTS_CHECKLIST", false},
		{"WARROOM_SHELL_USERS", false},
		{"WARROOM_SLACK_BOT_TOKEN", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := seen[tt.name]; got != tt.want {
				t.Errorf("listed = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	cfg, err := configs.Load("testdata/override.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}

	def := configs.Default()
	tests := []struct {
		name      string
		got, want any
	}{
		{"timezone", cfg.Timezone, "UTC"},
		{"http.addr", cfg.HTTP.Addr, "127.0.0.1:9090"},
		{"http.read_timeout", cfg.HTTP.ReadTimeout, 5 * time.Second},
		{"http.write_timeout kept", cfg.HTTP.WriteTimeout, def.HTTP.WriteTimeout},
		{"backup.dir", cfg.Backup.Dir, "/var/backups/warroom"},
		{"backup.schedule", cfg.Backup.Schedule, "@daily"},
		{"backup.keep_daily kept", cfg.Backup.KeepDaily, 7},
		{"slack.api_url", cfg.Slack.APIURL, "http://127.0.0.1:3000/api/"},
		{"slack.socket_mode off is a string", cfg.Slack.SocketMode, "off"},
		{"slack.command kept", cfg.Slack.Command, "/incident"},
		{"incidents.announcements_channel", cfg.Incidents.AnnouncementsChannel,
			"C0ANNOUNCE"},
		{"incidents.admins", cfg.Incidents.Admins, []string{"U0ADMIN1", "U0ADMIN2"}},
		{"incidents.severities replaced", cfg.Incidents.Severities, []configs.Severity{
			{"SEV1", "major", "Customers hurt", 10 * time.Minute, 20 * time.Minute},
			{"SEV2", "minor", "", 2 * time.Hour, time.Hour},
		}},
		{"incidents.components", len(cfg.Incidents.Components), 2},
		{"incidents.responders", cfg.Incidents.Responders, []configs.Responder{
			{Components: []string{"payments"}, Severities: []string{"sev1"},
				Users: []string{"U0PAY"}},
		}},
		{"incidents.checklist kept", cfg.Incidents.Checklist, def.Incidents.Checklist},
		{"jobs.workers", cfg.Jobs.Workers, 8},
		{"jobs.max_attempts kept", cfg.Jobs.MaxAttempts, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []string
	}{
		{"unknown keys", "unknown_keys.yaml", []string{
			`config file "testdata/unknown_keys.yaml": 3 problems: `,
			`line 1: unknown key "servce"`,
			`line 3: unknown key "http.adr"`,
			`line 8: unknown key "incidents.severities[0].respnse"`,
		}},
		{"bad types", "bad_types.yaml", []string{
			"3 problems: ",
			"line 2: http.read_timeout: `10` is not a duration such as 30s or 5m",
			"line 4: incidents.admins: a list is not a string",
			"line 5: jobs.workers: `many` is not a whole number",
		}},
		{"secret in the file", "secret_in_file.yaml", []string{
			`line 3: unknown key "slack.bot_token": secrets come from the environment ` +
				"only: set SLACK_BOT_TOKEN",
		}},
		{"not a mapping", "not_a_mapping.yaml", []string{
			"line 1: `incident` is not a mapping of keys",
		}},
		{"two documents", "two_documents.yaml", []string{"more than one YAML document"}},
		{"syntax error", "syntax_error.yaml", []string{
			`config file "testdata/syntax_error.yaml": yaml: line 2: did not find expected key`,
		}},
		{"missing file", "missing.yaml", []string{
			"read config: open testdata/missing.yaml: no such file",
		}},
		{"invalid", "invalid.yaml", []string{
			`config: 3 problems: timezone: unknown time zone "Mars/Base"; ` +
				`http.addr: "x" is not host:port; ` +
				`incidents.severities[1].response: must be positive`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := configs.Load(filepath.Join("testdata", tt.file), nil)
			if err == nil {
				t.Fatalf("no error, config %+v", cfg)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestEnvOverrides(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(c *configs.Config) (got, want any)
	}{
		{"string", map[string]string{"WARROOM_HTTP_ADDR": "127.0.0.1:1"},
			func(c *configs.Config) (any, any) { return c.HTTP.Addr, "127.0.0.1:1" }},
		{"top-level key", map[string]string{"WARROOM_TIMEZONE": "Europe/Berlin"},
			func(c *configs.Config) (any, any) { return c.Timezone, "Europe/Berlin" }},
		{"key with underscore", map[string]string{"WARROOM_SLACK_API_URL": "http://x/"},
			func(c *configs.Config) (any, any) { return c.Slack.APIURL, "http://x/" }},
		{"duration", map[string]string{"WARROOM_INCIDENTS_POSTMORTEM_DUE": "72h"},
			func(c *configs.Config) (any, any) {
				return c.Incidents.PostmortemDue, 72 * time.Hour
			}},
		{"int", map[string]string{"WARROOM_JOBS_WORKERS": "9"},
			func(c *configs.Config) (any, any) { return c.Jobs.Workers, 9 }},
		{"list", map[string]string{"WARROOM_INCIDENTS_ADMINS": " U1, U2,,U3 "},
			func(c *configs.Config) (any, any) {
				return c.Incidents.Admins, []string{"U1", "U2", "U3"}
			}},
		{"over the file", map[string]string{"WARROOM_HTTP_READ_TIMEOUT": "7s"},
			func(c *configs.Config) (any, any) { return c.HTTP.ReadTimeout, 7 * time.Second }},
		{"empty is unset", map[string]string{"WARROOM_BACKUP_DIR": ""},
			func(c *configs.Config) (any, any) { return c.Backup.Dir, "/var/backups/warroom" }},
		{"unknown variable ignored", map[string]string{"WARROOM_HTTP_ADR": "x"},
			func(c *configs.Config) (any, any) { return c.HTTP.Addr, "127.0.0.1:9090" }},
		{"secret", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"},
			func(c *configs.Config) (any, any) { return c.Slack.BotToken.Value(), "xoxb-1" }},
		{"secret not read from WARROOM_", map[string]string{"WARROOM_SLACK_BOT_TOKEN": "x"},
			func(c *configs.Config) (any, any) { return c.Slack.BotToken.Value(), "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := configs.Load("testdata/override.yaml", envOf(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := tt.check(cfg); !reflect.DeepEqual(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func TestEnvBadValues(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"duration", map[string]string{"WARROOM_HTTP_READ_TIMEOUT": "soon"}, []string{
			`config: WARROOM_HTTP_READ_TIMEOUT: "soon" is not a duration such as 30s or 5m`,
		}},
		{"int", map[string]string{"WARROOM_JOBS_WORKERS": "four"}, []string{
			`WARROOM_JOBS_WORKERS: "four" is not a whole number`,
		}},
		{"parses but invalid", map[string]string{"WARROOM_HTTP_WRITE_TIMEOUT": "-1s"},
			[]string{`http.write_timeout (WARROOM_HTTP_WRITE_TIMEOUT): must be positive`}},
		{"timezone", map[string]string{"WARROOM_TIMEZONE": "Mars/Base"}, []string{
			`timezone (WARROOM_TIMEZONE): unknown time zone "Mars/Base"`,
		}},
		{"several", map[string]string{
			"WARROOM_JOBS_MAX_ATTEMPTS": "x",
			"WARROOM_INCIDENTS_ADMINS":  "U1,@bob",
			"WARROOM_LOG_FORMAT":        "xml",
		}, []string{
			"config: 3 problems: ",
			`WARROOM_JOBS_MAX_ATTEMPTS: "x" is not a whole number`,
			`incidents.admins (WARROOM_INCIDENTS_ADMINS): "@bob" is not a user id`,
			`log.format (WARROOM_LOG_FORMAT): "xml" is not json or text`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := configs.Load("", envOf(tt.env))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *configs.Config)
		want   []string // every problem, in order
	}{
		{"several at once", func(c *configs.Config) {
			c.HTTP.Addr = "x"
			c.Timezone = "Mars/Base"
			c.Incidents.Severities[1].Response = 0
		}, []string{
			`timezone: unknown time zone "Mars/Base"`,
			`http.addr: "x" is not host:port`,
			`incidents.severities[1].response: must be positive`,
		}},
		{"empty service and timezone", func(c *configs.Config) {
			c.Service, c.Timezone = "", ""
		}, []string{
			"service: must be set",
			"timezone: must be set, such as Asia/Tashkent or UTC",
		}},
		{"log", func(c *configs.Config) { c.Log = configs.LogConfig{"loud", "xml"} },
			[]string{
				`log.level: "loud" is not a level: want trace, debug, info, warn or error`,
				`log.format: "xml" is not json or text`,
			}},
		{"http", func(c *configs.Config) {
			c.HTTP = configs.HTTPConfig{Addr: "localhost:http", ReadTimeout: -1}
		}, []string{
			`http.addr: "localhost:http" is not host:port`,
			"http.read_timeout: must be positive",
			"http.write_timeout: must be positive",
			"http.shutdown_timeout: must be positive",
		}},
		{"backup schedule ignored without dir", func(c *configs.Config) {
			c.Backup.Schedule = "whenever"
		}, nil},
		{"backup", func(c *configs.Config) {
			c.Backup = configs.BackupConfig{Dir: "b", Schedule: "* *", KeepWeekly: -1}
		}, []string{
			"backup.keep_weekly: must be 0 or more",
			`backup.schedule: "* *" is not a cron schedule: ` +
				"expected exactly 5 fields, found 2: [* *]",
			"backup.keep_daily: keeps no backup: set keep_daily, keep_weekly or " +
				"keep_monthly above 0",
		}},
		{"slack", func(c *configs.Config) {
			c.Slack = configs.SlackConfig{APIURL: "https://slack.com/api",
				Command: "incident", SocketMode: "yes"}
		}, []string{
			`slack.api_url: "https://slack.com/api" must end in "/"`,
			`slack.command: "incident" is not a slash command such as /incident`,
			`slack.socket_mode: "yes" is not auto, on or off`,
		}},
		{"slack relative url", func(c *configs.Config) { c.Slack.APIURL = "/api/" },
			[]string{`slack.api_url: "/api/" is not an absolute http(s) URL`}},
		{"socket mode on without app token", func(c *configs.Config) {
			c.Slack.SocketMode = configs.SocketModeOn
		}, []string{"slack.socket_mode: is on but SLACK_APP_TOKEN is not set"}},
		{"socket mode on with app token", func(c *configs.Config) {
			c.Slack.SocketMode = configs.SocketModeOn
			c.Slack.AppToken = "xapp-1"
		}, nil},
		{"incident channels and people", func(c *configs.Config) {
			c.Incidents.ChannelPrefix = "Incident"
			c.Incidents.AnnouncementsChannel = "#incidents"
			c.Incidents.Admins = []string{"U0OK", "alice"}
			c.Incidents.PostmortemDue = 0
		}, []string{
			`incidents.channel_prefix: "Incident" is not up to 40 lowercase letters, ` +
				"digits, - and _",
			`incidents.announcements_channel: "#incidents" is not a channel id such ` +
				"as C0123456789 (a channel's id is at the bottom of its details)",
			`incidents.admins: "alice" is not a user id such as U0123456789 (a ` +
				"person's id is in the menu of their profile)",
			"incidents.postmortem_due: must be positive",
		}},
		{"checklist", func(c *configs.Config) {
			c.Incidents.Checklist = []configs.ChecklistStep{{" ", ""}, {"Call mum", "mum"}}
		}, []string{
			"incidents.checklist[0].step: must be set",
			`incidents.checklist[1].auto: "mum" is not one of ` +
				strings.Join(bot.AutoEvents, ", "),
		}},
		{"no severities", func(c *configs.Config) {
			c.Incidents.Severities = nil
			c.OnCall.PageSeverities = nil
			c.Alerts.Severities = nil
			c.Deploys.FreezeSeverities = nil
		},
			[]string{"incidents.severities: must list at least one severity"}},
		{"severities", func(c *configs.Config) {
			c.Incidents.Severities = []configs.Severity{
				{"P1", "high", "", time.Hour, time.Hour},
				{"p1", "", "", time.Hour, 0},
				{"P 2", "low", "", -time.Hour, time.Hour},
			}
			c.OnCall.PageSeverities = []string{"P1"}
			c.Alerts.Severities = map[string]string{"critical": "P1"}
			c.Deploys.FreezeSeverities = []string{"P1"}
		}, []string{
			`incidents.severities[1].name: "p1" is listed twice`,
			"incidents.severities[1].label: must be set",
			"incidents.severities[1].update_every: must be positive",
			`incidents.severities[2].name: "P 2" is not a letter then up to 15 ` +
				"letters or digits, such as P1",
			"incidents.severities[2].response: must be positive",
		}},
		{"components", func(c *configs.Config) {
			c.Incidents.Components = []configs.Component{
				{"api", "API"}, {"api", "Api"}, {"Web", ""},
			}
		}, []string{
			`incidents.components[1].id: "api" is listed twice`,
			`incidents.components[1].name: "Api" is listed twice`,
			`incidents.components[2].id: "Web" is not up to 32 lowercase letters, ` +
				"digits, - and _",
			"incidents.components[2].name: must be set",
		}},
		{"responders", func(c *configs.Config) {
			c.Incidents.Responders = []configs.Responder{
				{Components: []string{"API", "web"}, Severities: []string{"p0", "P9"},
					Users: []string{"U1"}},
				{},
			}
		}, []string{
			`incidents.responders[0].components: "web" is not a component id`,
			`incidents.responders[0].severities: "P9" is not a severity`,
			"incidents.responders[1].users: must list at least one user id",
		}},
		{"jobs", func(c *configs.Config) { c.Jobs = configs.JobsConfig{} }, []string{
			"jobs.poll_interval: must be positive",
			"jobs.max_attempts: must be positive",
			"jobs.workers: must be positive",
		}},
		{"shell", func(c *configs.Config) {
			c.Shell = configs.ShellConfig{User: "U0NOBODY", Users: []configs.ShellUser{
				{"U0A", "a", "A"}, {"U0A", "@b", "B"}, {"x", "A", ""},
			}}
		}, []string{
			`shell.users[1].id: "U0A" is listed twice`,
			`shell.users[1].handle: "@b" is not a handle such as alice (no @)`,
			`shell.users[2].id: "x" is not a user id such as U0ALICE`,
			`shell.users[2].handle: "A" is listed twice`,
			"shell.users[2].name: must be set",
			`shell.user: "U0NOBODY" is not the id of one of shell.users`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := configs.Default()
			tt.change(cfg)

			err := cfg.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var verr *configs.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			if !slices.Equal(verr.Problems, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(verr.Problems, "\n"),
					strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestValidationErrorMessage(t *testing.T) {
	tests := []struct {
		name     string
		problems []string
		want     string
	}{
		{"one", []string{"a: b"}, "config: a: b"},
		{"three", []string{"a: b", "c: d", "e: f"}, "config: 3 problems: a: b; c: d; e: f"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := &configs.ValidationError{Problems: tt.problems}
			if got := err.Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRequireSlack(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		mode string
		want string // "" for no error
	}{
		{"nothing over HTTP", nil, "auto",
			"config: serving Slack over HTTP needs SLACK_BOT_TOKEN and " +
				"SLACK_SIGNING_SECRET in the environment"},
		{"HTTP complete", map[string]string{
			"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, "auto", ""},
		{"auto picks Socket Mode", map[string]string{
			"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, "auto", ""},
		{"socket mode off needs the signing secret", map[string]string{
			"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, "off",
			"config: serving Slack over HTTP needs SLACK_SIGNING_SECRET in the environment"},
		{"socket mode without bot token", map[string]string{
			"SLACK_APP_TOKEN": "xapp-1"}, "on",
			"config: serving Slack in Socket Mode needs SLACK_BOT_TOKEN in the environment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"WARROOM_SLACK_SOCKET_MODE": tt.mode}
			for k, v := range tt.env {
				env[k] = v
			}
			cfg, err := configs.Load("", envOf(env))
			if err != nil {
				t.Fatal(err)
			}

			err = cfg.RequireSlack()
			if got := errString(err); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// errString is err's message, or "" for nil.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestPolicy(t *testing.T) {
	cfg, err := configs.Load("testdata/override.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := cfg.Policy()
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		got, want any
	}{
		{"location", p.Location.String(), "UTC"},
		{"severities", p.Severities, []bot.Severity{
			{Name: "SEV1", Label: "major", Meaning: "Customers hurt",
				Response: 10 * time.Minute, UpdateEvery: 20 * time.Minute},
			{Name: "SEV2", Label: "minor", Response: 2 * time.Hour, UpdateEvery: time.Hour},
		}},
		{"components", p.Components, []bot.Component{{ID: "api", Name: "API"},
			{ID: "payments", Name: "Payments"}}},
		{"responders", p.RespondersFor("SEV1", []string{"payments"}), []string{"U0PAY"}},
		{"responders miss", p.RespondersFor("SEV2", []string{"payments"}), []string(nil)},
		{"admins", p.Admins, []string{"U0ADMIN1", "U0ADMIN2"}},
		{"is admin", p.IsAdmin("U0ADMIN2"), true},
		{"announce channel", p.AnnounceChannel, "C0ANNOUNCE"},
		{"channel prefix", p.ChannelPrefix, "incident"},
		{"checklist length", len(p.Checklist), 9},
		{"checklist first", p.Checklist[0], bot.ChecklistStep{
			Step: "Acknowledge the incident in the paging tool", Auto: bot.AutoAcknowledged}},
		{"postmortem due", p.PostmortemDue, 48 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}

	t.Run("a copy", func(t *testing.T) {
		p.Admins[0] = "U0CHANGED"
		if cfg.Incidents.Admins[0] != "U0ADMIN1" {
			t.Error("changing the policy changed the config")
		}
	})
	t.Run("default location", func(t *testing.T) {
		p, err := configs.Default().Policy()
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Location.String(); got != "Asia/Tashkent" {
			t.Errorf("location %s", got)
		}
	})
}

func FuzzLoad(f *testing.F) {
	f.Add(configs.Example, "")
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "")
	}
	f.Add([]byte("http: {addr: *a}\n"), "1s")
	f.Add([]byte("a: &a {b: *a}\n"), "U1,U2")
	f.Add([]byte("<<: {service: x}\nincidents: {<<: {admins: [U1]}}\n"), "true")

	f.Fuzz(func(t *testing.T, data []byte, envValue string) {
		// Every variable gets the same value: most will be bad.
		cfg, err := configs.Parse(data, func(string) string { return envValue })
		if err != nil {
			return
		}
		if _, err := cfg.Policy(); err != nil {
			t.Errorf("a valid config gave no policy: %v", err)
		}
	})
}
