// Package configs loads warroom's configuration and ships the files an
// operator starts from: the example config and the Slack app manifest.
//
// A Config is built in four layers, each over the one before:
//
//  1. the defaults (Default), which are the figures of the shipped policy;
//  2. the YAML file, if one is given; a key the program does not know is an
//     error naming the key and its line, and a list in the file replaces
//     the default list whole;
//  3. environment variables WARROOM_<SECTION>_<KEY> (see EnvVars), one per
//     key of a plain type: strings, numbers, durations such as 30m, bools
//     (true or false) and comma-separated lists of strings. Lists of
//     records (severities, components, responders, the checklist, the
//     shell's users) can be set in the file only. An empty variable counts
//     as unset, so the environment cannot clear a key the file sets.
//     A WARROOM_ variable that names no key is ignored;
//  4. secrets, which come from the environment only (SLACK_BOT_TOKEN,
//     SLACK_APP_TOKEN, SLACK_SIGNING_SECRET) and print as "[redacted]".
//
// Load then validates the result and reports every bad key at once. The
// secrets serving Slack needs are checked apart, by RequireSlack, because
// some subcommands (shell, migrate, backup) need none.
package configs

import (
	"bytes"
	_ "embed" // for Example and SlackAppManifest
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	// The zone database inside the binary, so timezone works on a container
	// image that has none.
	_ "time/tzdata"

	"warroom/bot"
)

// Example is the example config, warroom.example.yaml: every key with its
// default value and a comment.
//
//go:embed warroom.example.yaml
var Example []byte

// SlackAppManifest is the Slack app manifest, slack-app-manifest.yaml, to
// paste into https://api.slack.com/apps when creating the app.
//
//go:embed slack-app-manifest.yaml
var SlackAppManifest []byte

// Config is warroom's whole configuration. The yaml tags are the keys of
// the file; each also names the environment variable that overrides it.
type Config struct {
	// Service is the service field of every log line.
	Service string `yaml:"service"`
	// Timezone is the IANA zone incident channel names and times use.
	Timezone  string          `yaml:"timezone"`
	Log       LogConfig       `yaml:"log"`
	HTTP      HTTPConfig      `yaml:"http"`
	Database  DatabaseConfig  `yaml:"database"`
	Backup    BackupConfig    `yaml:"backup"`
	Slack     SlackConfig     `yaml:"slack"`
	Incidents IncidentsConfig `yaml:"incidents"`
	OnCall    OnCallConfig    `yaml:"oncall"`
	PagerDuty PagerDutyConfig `yaml:"pagerduty"`
	Alerts    AlertsConfig    `yaml:"alerts"`
	// Alertmanager connects to Prometheus Alertmanager.
	Alertmanager AlertmanagerConfig `yaml:"alertmanager"`
	Deploys      DeploysConfig      `yaml:"deploys"`
	GitHub       GitHubConfig       `yaml:"github"`
	Jobs         JobsConfig         `yaml:"jobs"`
	Shell        ShellConfig        `yaml:"shell"`

	// fromEnv maps each key set from the environment to its variable, so
	// that problems with it name the variable.
	fromEnv map[string]string
	// envProblems are the environment values that could not be used.
	envProblems []string
}

// LogConfig sets up the logger.
type LogConfig struct {
	// Level is a logrus level: trace, debug, info, warn, error.
	Level string `yaml:"level"`
	// Format is json (one object a line) or text.
	Format string `yaml:"format"`
}

// HTTPConfig sets up the HTTP server.
type HTTPConfig struct {
	// Addr is the host:port to listen on; ":8080" listens on every address.
	Addr         string        `yaml:"addr"`
	ReadTimeout  time.Duration `yaml:"read_timeout"`
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// ShutdownTimeout bounds how long a graceful shutdown waits for
	// requests in flight.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
}

// DatabaseConfig locates the store.
type DatabaseConfig struct {
	// Path is the SQLite file, created on first start.
	Path string `yaml:"path"`
}

// BackupConfig schedules backups of the store.
type BackupConfig struct {
	// Dir is where backups are written; empty disables scheduled backups.
	Dir string `yaml:"dir"`
	// Schedule is a standard five-field cron spec (or a descriptor such as
	// @daily), read in the configured timezone.
	Schedule string `yaml:"schedule"`
	// KeepDaily, KeepWeekly and KeepMonthly are how many backups of each
	// kind are kept.
	KeepDaily   int `yaml:"keep_daily"`
	KeepWeekly  int `yaml:"keep_weekly"`
	KeepMonthly int `yaml:"keep_monthly"`
}

// Socket Mode settings of SlackConfig.SocketMode.
const (
	SocketModeAuto = "auto" // on when SLACK_APP_TOKEN is set
	SocketModeOn   = "on"
	SocketModeOff  = "off"
)

// SlackConfig connects to Slack. The tokens come from the environment only.
type SlackConfig struct {
	// APIURL is the Web API's base URL; it ends in "/".
	APIURL string `yaml:"api_url"`
	// Command is the slash command, as registered in the app manifest.
	Command string `yaml:"command"`
	// SocketMode is one of the SocketMode constants.
	SocketMode string `yaml:"socket_mode"`

	// BotToken (xoxb-) calls the Web API.
	BotToken Secret `yaml:"-" env:"SLACK_BOT_TOKEN"`
	// AppToken (xapp-) opens Socket Mode connections.
	AppToken Secret `yaml:"-" env:"SLACK_APP_TOKEN"`
	// SigningSecret verifies requests Slack sends over HTTP.
	SigningSecret Secret `yaml:"-" env:"SLACK_SIGNING_SECRET"`
}

// UseSocketMode reports whether Slack is served over Socket Mode rather
// than HTTP requests.
func (s *SlackConfig) UseSocketMode() bool {
	switch s.SocketMode {
	case SocketModeOn:
		return true
	case SocketModeAuto:
		return s.AppToken != ""
	}
	return false
}

// IncidentsConfig is the incident policy; Config.Policy turns it into the
// bot's.
type IncidentsConfig struct {
	// ChannelPrefix starts every incident channel name.
	ChannelPrefix string `yaml:"channel_prefix"`
	// AnnouncementsChannel is the id of the channel incidents are announced
	// in; empty turns announcements off.
	AnnouncementsChannel string `yaml:"announcements_channel"`
	// Admins are the Slack user ids who may resolve, reopen and change the
	// severity of any incident.
	Admins []string `yaml:"admins"`
	// PostmortemDue is how long after resolution the post-mortem is due.
	PostmortemDue time.Duration `yaml:"postmortem_due"`
	// DefaultSeverity is given to incidents declared without one.
	DefaultSeverity string `yaml:"default_severity"`
	// KeyReaction is the reaction (without colons) that makes a channel
	// message a key event of the timeline; pinned messages are too.
	KeyReaction string `yaml:"key_reaction"`
	// Checklist is the response procedure.
	Checklist []ChecklistStep `yaml:"checklist"`
	// Severities are ordered from most to least severe.
	Severities []Severity `yaml:"severities"`
	// Components are what an incident can affect.
	Components []Component `yaml:"components"`
	// Responders are invited to the incidents their rule matches.
	Responders []Responder `yaml:"responders"`
}

// ChecklistStep is one step of the response procedure.
type ChecklistStep struct {
	Step string `yaml:"step"`
	// Auto names the event on which the bot ticks the step by itself (one
	// of bot.AutoEvents), or is empty for a step only people tick.
	Auto string `yaml:"auto"`
}

// Severity is one incident severity.
type Severity struct {
	// Name is what people type, such as P1.
	Name string `yaml:"name"`
	// Label is a word for it, such as high.
	Label   string `yaml:"label"`
	Meaning string `yaml:"meaning"`
	// Response is the first-response target.
	Response time.Duration `yaml:"response"`
	// UpdateEvery is how often a status update is due while it is open.
	UpdateEvery time.Duration `yaml:"update_every"`
}

// Component is a part of the product an incident can affect.
type Component struct {
	// ID is a short lowercase name, such as api.
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
}

// Responder invites Users to incidents of any of Severities that affect any
// of Components; an empty list matches everything.
type Responder struct {
	Components []string `yaml:"components"`
	Severities []string `yaml:"severities"`
	Users      []string `yaml:"users"`
}

// OnCallConfig is who gets paged and how pages escalate.
type OnCallConfig struct {
	// Schedules are the weekly rotations; the first is the default.
	Schedules []ScheduleConfig `yaml:"schedules"`
	// Escalation are the levels after a schedule's primary (L1) and
	// secondary (L2).
	Escalation []EscalationConfig `yaml:"escalation"`
	// PageSeverities are the severities whose declaration pages the
	// default schedule by itself.
	PageSeverities []string `yaml:"page_severities"`
	// RepageEvery is how often everyone is paged again once the last level
	// has not acknowledged.
	RepageEvery time.Duration `yaml:"repage_every"`
	// FallbackAfter is how long PagerDuty may fail before pages go out as
	// Slack direct messages.
	FallbackAfter time.Duration `yaml:"fallback_after"`
	// HandoffChannel gets the weekly handoff post; empty turns it off.
	HandoffChannel string `yaml:"handoff_channel"`
	// HandoffSchedule is when the handoff post goes out: a cron schedule
	// in the configured timezone.
	HandoffSchedule string `yaml:"handoff_schedule"`
	// AlertsChannel gets PagerDuty incidents warroom did not start.
	AlertsChannel string `yaml:"alerts_channel"`
}

// ScheduleConfig is one weekly rotation with two people on at once.
type ScheduleConfig struct {
	Name string `yaml:"name"`
	// People take turns as primary, one week each, in this order; the
	// next in line is secondary.
	People []string `yaml:"people"`
	// FirstHandoff is a moment, "YYYY-MM-DD HH:MM" in the configured
	// timezone, when the first of People became primary; the rotation
	// hands over every week at the same weekday and time.
	FirstHandoff string `yaml:"first_handoff"`
	// PagerDuty, when set, reads who is on call from PagerDuty:
	// "schedule:PXXXXXX" or "policy:PXXXXXX".
	PagerDuty string `yaml:"pagerduty"`
}

// EscalationConfig is one escalation level beyond the rotation.
type EscalationConfig struct {
	Name  string   `yaml:"name"`
	Users []string `yaml:"users"`
}

// PagerDutyConfig connects to PagerDuty. The keys come from the environment
// only; without PAGERDUTY_ROUTING_KEY warroom pages through Slack.
type PagerDutyConfig struct {
	// APIURL is the REST API's base URL, without a trailing slash.
	APIURL string `yaml:"api_url"`
	// EventsURL is the Events API's base URL, without a trailing slash.
	EventsURL string `yaml:"events_url"`
	// From is the email of the PagerDuty user warroom's escalations are
	// recorded as.
	From string `yaml:"from"`
	// OnCallTTL is how long an answer of who is on call is reused.
	OnCallTTL time.Duration `yaml:"oncall_ttl"`
	// Users maps PagerDuty user ids or emails to Slack user ids.
	Users map[string]string `yaml:"users"`

	// Token is a REST API token: on-calls and escalations.
	Token Secret `yaml:"-" env:"PAGERDUTY_API_TOKEN"`
	// RoutingKey is the Events API v2 integration key: pages.
	RoutingKey Secret `yaml:"-" env:"PAGERDUTY_ROUTING_KEY"`
	// WebhookSecret verifies PagerDuty's webhooks.
	WebhookSecret Secret `yaml:"-" env:"PAGERDUTY_WEBHOOK_SECRET"`
}

// Enabled reports whether pages go through PagerDuty.
func (p *PagerDutyConfig) Enabled() bool { return p.RoutingKey != "" }

// AlertsConfig routes Alertmanager's alerts to channels.
type AlertsConfig struct {
	// Channel is the channel id of alerts no route sends elsewhere; empty
	// stores them without posting.
	Channel string `yaml:"channel"`
	// Routes are tried in order; the first whose match labels all equal
	// the alert group's wins.
	Routes []AlertRouteConfig `yaml:"routes"`
	// PostEvery is the least time between two alert messages in one
	// channel (Slack allows about one a second).
	PostEvery time.Duration `yaml:"post_every"`
	// StormThreshold is how many alert messages may wait for one channel
	// before new groups are folded into a storm summary.
	StormThreshold int `yaml:"storm_threshold"`
	// Severities maps the severity label to an incident severity.
	Severities map[string]string `yaml:"severities"`
	// ComponentLabels are the labels whose values name components.
	ComponentLabels []string `yaml:"component_labels"`
	// SilenceFor is how long the Silence button silences.
	SilenceFor time.Duration `yaml:"silence_for"`
}

// AlertRouteConfig is one route of alerts.
type AlertRouteConfig struct {
	Match map[string]string `yaml:"match"`
	// Channel is where the route posts; empty means alerts.channel.
	Channel string `yaml:"channel"`
	// Page is the on-call schedule the route pages, "default" for the
	// first one, or empty for none.
	Page string `yaml:"page"`
}

// AlertmanagerConfig connects to Prometheus Alertmanager.
type AlertmanagerConfig struct {
	// URL is Alertmanager's base URL, for silences; empty hides the
	// Silence button.
	URL string `yaml:"url"`
	// Token, when set, must come as a bearer token with every webhook.
	Token Secret `yaml:"-" env:"ALERTMANAGER_WEBHOOK_TOKEN"`
}

// DeploysConfig is the change policy deployments are held to.
type DeploysConfig struct {
	// Channel is the channel id deployments outside the policy are posted
	// in.
	Channel string `yaml:"channel"`
	// Approvers are the Slack user ids who may approve emergency deploys.
	Approvers []string `yaml:"approvers"`
	// ApproverGroup is a Slack user group id (S...) whose members may
	// approve too.
	ApproverGroup string `yaml:"approver_group"`
	// OpenByDefault lets environments without rules deploy at any time.
	OpenByDefault bool `yaml:"open_by_default"`
	// FreezeSeverities are the incident severities that freeze the
	// environments with freeze_on_incident while one is open.
	FreezeSeverities []string `yaml:"freeze_severities"`
	// Environments are the environments with change windows.
	Environments []EnvironmentConfig `yaml:"environments"`
	// Freezes are scheduled freezes, such as holidays.
	Freezes []FreezeConfig `yaml:"freezes"`
}

// EnvironmentConfig is the change policy of one environment.
type EnvironmentConfig struct {
	Name             string         `yaml:"name"`
	Windows          []WindowConfig `yaml:"windows"`
	FreezeOnIncident bool           `yaml:"freeze_on_incident"`
	// Risk is the risk of deployments that declare none: low, medium,
	// high; high needs an approver even inside a window.
	Risk string `yaml:"risk"`
}

// WindowConfig is a weekly change window in the configured timezone.
type WindowConfig struct {
	// Days are weekday names: mon, tue, wed, thu, fri, sat, sun.
	Days []string `yaml:"days"`
	// From and To are times of day, "10:00" and "16:00".
	From string `yaml:"from"`
	To   string `yaml:"to"`
}

// FreezeConfig is a scheduled freeze.
type FreezeConfig struct {
	Reason string `yaml:"reason"`
	// From and To are "YYYY-MM-DD HH:MM" in the configured timezone.
	From string `yaml:"from"`
	To   string `yaml:"to"`
}

// GitHubConfig connects to GitHub for the deployment gate.
type GitHubConfig struct {
	// APIURL is the REST API's base URL, ending in "/";
	// https://HOST/api/v3/ for GitHub Enterprise Server.
	APIURL string `yaml:"api_url"`
	// Token reviews deployments and sets their statuses: a token with
	// the deployments and actions permissions, or a GitHub App
	// installation token.
	Token Secret `yaml:"-" env:"GITHUB_TOKEN"`
	// WebhookSecret verifies GitHub's webhooks.
	WebhookSecret Secret `yaml:"-" env:"GITHUB_WEBHOOK_SECRET"`
	// PostmortemsRepo, "owner/name", gets a pull request of every
	// post-mortem draft and an issue for each action item.
	PostmortemsRepo string `yaml:"postmortems_repo"`
	// Users maps Slack user ids to GitHub logins, to assign the issues.
	Users map[string]string `yaml:"users"`
}

// JobsConfig tunes the runner of the bot's deferred work.
type JobsConfig struct {
	// PollInterval is how often the runner looks for due jobs.
	PollInterval time.Duration `yaml:"poll_interval"`
	// MaxAttempts is how many times a failing job is tried.
	MaxAttempts int `yaml:"max_attempts"`
	// Workers is how many jobs run at once.
	Workers int `yaml:"workers"`
}

// ShellConfig sets up `warroom shell`, which talks to the bot from a
// terminal instead of Slack.
type ShellConfig struct {
	// User is the id of the person at the terminal, one of Users.
	User string `yaml:"user"`
	// Users is the directory of people the shell knows.
	Users []ShellUser `yaml:"users"`
}

// ShellUser is one person in the shell's directory.
type ShellUser struct {
	ID     string `yaml:"id"`
	Handle string `yaml:"handle"`
	Name   string `yaml:"name"`
}

// Default returns the defaults: the figures of the shipped policy. They are
// what warroom.example.yaml holds.
func Default() *Config {
	const updates = 30 * time.Minute
	return &Config{
		Service:  "warroom",
		Timezone: "Asia/Tashkent",
		Log:      LogConfig{Level: "info", Format: "json"},
		HTTP: HTTPConfig{
			Addr:            ":8080",
			ReadTimeout:     10 * time.Second,
			WriteTimeout:    10 * time.Second,
			ShutdownTimeout: 20 * time.Second,
		},
		Database: DatabaseConfig{Path: "warroom.db"},
		Backup: BackupConfig{
			Schedule:    "0 3 * * *",
			KeepDaily:   7,
			KeepWeekly:  4,
			KeepMonthly: 12,
		},
		Slack: SlackConfig{
			APIURL:     "https://slack.com/api/",
			Command:    "/incident",
			SocketMode: SocketModeAuto,
		},
		Incidents: IncidentsConfig{
			ChannelPrefix: "incident",
			KeyReaction:   "pushpin",
			Admins:        []string{},
			PostmortemDue: 48 * time.Hour,
			Checklist: []ChecklistStep{
				{"Acknowledge the incident in the paging tool", bot.AutoAcknowledged},
				{"Open the incident channel", bot.AutoChannel},
				{"Assign an incident commander", bot.AutoCommander},
				{"Assess and triage: severity, components, scope", bot.AutoTriaged},
				{"Update the status page", bot.AutoStatusUpdate},
				{"Implement a fix or workaround", bot.AutoMitigated},
				{"Monitor for resolution", bot.AutoMonitored},
				{"Update the status page: resolved", bot.AutoResolved},
				{"Publish the post-mortem", bot.AutoPostmortem},
			},
			Severities: []Severity{
				{"P0", "critical", "System down, more than 50% of users affected",
					15 * time.Minute, updates},
				{"P1", "high", "A major feature broken, more than 10% of users affected",
					time.Hour, updates},
				{"P2", "medium", "A minor feature broken, under 5% of users affected",
					4 * time.Hour, updates},
				{"P3", "low", "Cosmetic", 24 * time.Hour, updates},
			},
			Components: []Component{
				{"api", "API"}, {"database", "Database"}, {"stt", "STT"},
				{"tts", "TTS"}, {"llm", "LLM"},
			},
			Responders: []Responder{},
		},
		OnCall: OnCallConfig{
			Schedules:       []ScheduleConfig{},
			Escalation:      []EscalationConfig{},
			PageSeverities:  []string{"P0", "P1"},
			RepageEvery:     15 * time.Minute,
			FallbackAfter:   2 * time.Minute,
			HandoffSchedule: "0 10 * * 1",
		},
		PagerDuty: PagerDutyConfig{
			APIURL:    "https://api.pagerduty.com",
			EventsURL: "https://events.pagerduty.com",
			OnCallTTL: 5 * time.Minute,
			Users:     map[string]string{},
		},
		Alerts: AlertsConfig{
			Routes: []AlertRouteConfig{
				{Match: map[string]string{"severity": "critical"}, Page: "default"},
				{Match: map[string]string{"severity": "warning"}},
				{Match: map[string]string{"severity": "info"}},
			},
			PostEvery:       time.Second,
			StormThreshold:  20,
			Severities:      map[string]string{"critical": "P1", "warning": "P2", "info": "P3"},
			ComponentLabels: []string{"component", "service"},
			SilenceFor:      time.Hour,
		},
		Deploys: DeploysConfig{
			Approvers:        []string{},
			OpenByDefault:    true,
			FreezeSeverities: []string{"P0", "P1"},
			Environments: []EnvironmentConfig{{
				Name: "production",
				Windows: []WindowConfig{{Days: []string{"tue", "wed", "thu"},
					From: "10:00", To: "16:00"}},
				FreezeOnIncident: true,
				Risk:             "medium",
			}},
			Freezes: []FreezeConfig{},
		},
		GitHub: GitHubConfig{APIURL: "https://api.github.com/", Users: map[string]string{}},
		Jobs:   JobsConfig{PollInterval: 2 * time.Second, MaxAttempts: 20, Workers: 4},
		Shell: ShellConfig{
			User: "U0SHELL",
			Users: []ShellUser{
				{"U0SHELL", "you", "You"},
				{"U0ALICE", "alice", "Alice"},
				{"U0BOB", "bob", "Bob"},
			},
		},
	}
}

// onCallPolicy fills p's on-call policy and PagerDuty user map.
func (c *Config) onCallPolicy(p *bot.Policy) error {
	oc := &c.OnCall
	p.OnCall = bot.OnCallPolicy{
		PageSeverities: slices.Clone(oc.PageSeverities),
		RepageEvery:    oc.RepageEvery,
		FallbackAfter:  oc.FallbackAfter,
		HandoffChannel: oc.HandoffChannel,
		AlertsChannel:  oc.AlertsChannel,
	}
	for i, s := range oc.Schedules {
		var handoff time.Time
		if s.FirstHandoff != "" {
			t, err := time.ParseInLocation(handoffLayout, s.FirstHandoff, p.Location)
			if err != nil {
				return fmt.Errorf("config: oncall.schedules[%d].first_handoff: %w", i, err)
			}
			handoff = t
		}
		p.OnCall.Schedules = append(p.OnCall.Schedules, bot.Schedule{Name: s.Name,
			People: slices.Clone(s.People), Handoff: handoff, PagerDuty: s.PagerDuty})
	}
	for _, e := range oc.Escalation {
		p.OnCall.Escalation = append(p.OnCall.Escalation,
			bot.EscalationLevel{Name: e.Name, Users: slices.Clone(e.Users)})
	}

	p.PagerUsers = map[string]string{}
	for k, v := range c.PagerDuty.Users {
		p.PagerUsers[strings.ToLower(k)] = v
		p.PagerUsers[k] = v
	}
	return p.OnCall.Validate()
}

// alertPolicy fills p's alert routing.
func (c *Config) alertPolicy(p *bot.Policy) {
	a := &c.Alerts
	p.Alerts = bot.AlertPolicy{
		DefaultChannel:  a.Channel,
		PostEvery:       a.PostEvery,
		StormThreshold:  a.StormThreshold,
		Severities:      map[string]string{},
		ComponentLabels: slices.Clone(a.ComponentLabels),
		SilenceFor:      a.SilenceFor,
	}
	for k, v := range a.Severities {
		p.Alerts.Severities[strings.ToLower(k)] = v
	}
	for _, r := range a.Routes {
		route := bot.AlertRoute{Match: r.Match, Channel: r.Channel, Page: r.Page}
		if route.Channel == "" {
			route.Channel = a.Channel
		}
		if strings.EqualFold(route.Page, "default") {
			route.Page = ""
			if len(p.OnCall.Schedules) > 0 {
				route.Page = p.OnCall.Schedules[0].Name
			}
		}
		p.Alerts.Routes = append(p.Alerts.Routes, route)
	}
}

// deployPolicy fills p's change policy.
func (c *Config) deployPolicy(p *bot.Policy) error {
	d := &c.Deploys
	p.Deploy = bot.DeployPolicy{
		OpenByDefault:    d.OpenByDefault,
		FreezeSeverities: slices.Clone(d.FreezeSeverities),
		Approvers:        slices.Clone(d.Approvers),
		ApproverGroup:    d.ApproverGroup,
		Channel:          d.Channel,
	}
	for i, e := range d.Environments {
		rule := bot.EnvironmentRule{Name: e.Name, FreezeOnIncident: e.FreezeOnIncident,
			Risk: e.Risk}
		for j, w := range e.Windows {
			win, err := window(w)
			if err != nil {
				return fmt.Errorf("config: deploys.environments[%d].windows[%d]: %w", i, j, err)
			}
			rule.Windows = append(rule.Windows, win)
		}
		p.Deploy.Environments = append(p.Deploy.Environments, rule)
	}
	for i, f := range d.Freezes {
		from, err := time.ParseInLocation(handoffLayout, f.From, p.Location)
		if err != nil {
			return fmt.Errorf("config: deploys.freezes[%d].from: %w", i, err)
		}
		to, err := time.ParseInLocation(handoffLayout, f.To, p.Location)
		if err != nil {
			return fmt.Errorf("config: deploys.freezes[%d].to: %w", i, err)
		}
		p.Deploy.Freezes = append(p.Deploy.Freezes, bot.Freeze{Reason: f.Reason, From: from,
			To: to})
	}
	return nil
}

// weekdays are the day names windows are written with.
var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday,
	"tue": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday,
	"sat": time.Saturday}

// window reads a change window.
func window(w WindowConfig) (bot.Window, error) {
	var win bot.Window
	for _, d := range w.Days {
		day, ok := weekdays[strings.ToLower(d)]
		if !ok {
			return win, fmt.Errorf("%q is not a day: write mon, tue, wed, thu, fri, sat or sun",
				d)
		}
		win.Days = append(win.Days, day)
	}
	var err error
	if win.Start, err = timeOfDay(w.From); err != nil {
		return win, fmt.Errorf("from: %w", err)
	}
	if win.End, err = timeOfDay(w.To); err != nil {
		return win, fmt.Errorf("to: %w", err)
	}
	if win.End <= win.Start {
		return win, fmt.Errorf("to (%s) is not after from (%s)", w.To, w.From)
	}
	return win, nil
}

// timeOfDay reads "HH:MM" as the time since midnight; "24:00" is the end
// of the day.
func timeOfDay(s string) (time.Duration, error) {
	if s == "24:00" {
		return 24 * time.Hour, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day such as 10:00", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// handoffLayout is how oncall.schedules[].first_handoff is written.
const handoffLayout = "2006-01-02 15:04"

// Load builds the config from the defaults, the YAML file at path (none if
// path is empty), and the environment as env reads it (os.Getenv; nil reads
// nothing), then validates it. The error names every problem: a file that
// cannot be read or parsed, unknown keys, values of the wrong type, and
// what Validate finds.
func Load(path string, env func(string) string) (*Config, error) {
	var data []byte
	if path != "" {
		var err error
		data, err = os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
	}

	cfg, err := build(data, env)
	if err != nil {
		return nil, fmt.Errorf("config file %q: %w", path, err)
	}

	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Parse is Load for a file already read: data is its YAML text.
func Parse(data []byte, env func(string) string) (*Config, error) {
	cfg, err := build(data, env)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}

	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// build layers the file and the environment over the defaults.
func build(data []byte, env func(string) string) (*Config, error) {
	cfg := Default()
	if err := decode(data, cfg); err != nil {
		return nil, err
	}

	if env == nil {
		env = func(string) string { return "" }
	}
	cfg.applyEnv(env)
	return cfg, nil
}

// decode reads the YAML document in data over cfg, rejecting keys the
// Config does not have. Empty data leaves cfg as it is.
func decode(data []byte, cfg *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(cfg)
	if errors.Is(err, io.EOF) {
		return nil
	}
	if te := (*yaml.TypeError)(nil); errors.As(err, &te) {
		return explain(data, te)
	}
	if err != nil {
		return err
	}

	// A second document would be ignored silently; refuse it instead.
	err = dec.Decode(new(yaml.Node))
	if !errors.Is(err, io.EOF) {
		return errors.New("more than one YAML document: remove the \"---\" separators")
	}
	return nil
}

// Policy converts the incident settings into the bot's policy.
func (c *Config) Policy() (bot.Policy, error) {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return bot.Policy{}, fmt.Errorf("config: timezone %q: %w", c.Timezone, err)
	}

	in := &c.Incidents
	p := bot.Policy{
		Location:        loc,
		Admins:          slices.Clone(in.Admins),
		AnnounceChannel: in.AnnouncementsChannel,
		ChannelPrefix:   in.ChannelPrefix,
		DefaultSeverity: in.DefaultSeverity,
		KeyReaction:     in.KeyReaction,
		PostmortemsRepo: c.GitHub.PostmortemsRepo,
		GitHubUsers:     maps.Clone(c.GitHub.Users),
		PostmortemDue:   in.PostmortemDue,
	}
	for _, s := range in.Severities {
		p.Severities = append(p.Severities, bot.Severity(s))
	}
	for _, co := range in.Components {
		p.Components = append(p.Components, bot.Component(co))
	}
	for _, r := range in.Responders {
		p.Responders = append(p.Responders, bot.ResponderRule{
			Components: slices.Clone(r.Components),
			Severities: slices.Clone(r.Severities),
			Users:      slices.Clone(r.Users),
		})
	}
	for _, s := range in.Checklist {
		p.Checklist = append(p.Checklist, bot.ChecklistStep(s))
	}
	if err := c.onCallPolicy(&p); err != nil {
		return bot.Policy{}, err
	}
	c.alertPolicy(&p)
	if err := c.deployPolicy(&p); err != nil {
		return bot.Policy{}, err
	}

	if err := p.Validate(); err != nil {
		return bot.Policy{}, fmt.Errorf("config: %w", err)
	}
	return p, nil
}
