package configs

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/sirupsen/logrus"

	"warroom/bot"
)

// What names and ids look like.
var (
	// severityName is a token people type after --sev: P1, SEV2, Critical.
	severityName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,15}$`)
	// componentID is a short lowercase name.
	componentID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
	// channelPrefix fits Slack's channel names and leaves room for the
	// date and a slug within their 80 characters.
	channelPrefix = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
	// slackCommand is a slash command as Slack allows them.
	slackCommand = regexp.MustCompile(`^/[a-z0-9_-]{1,31}$`)
	// slackUserID and slackChannelID are ids, as opposed to @names and
	// #names.
	slackUserID    = regexp.MustCompile(`^[UW][A-Z0-9]+$`)
	slackChannelID = regexp.MustCompile(`^[CG][A-Z0-9]+$`)
)

// ValidationError lists everything wrong with a config.
type ValidationError struct {
	// Problems each start with the key at fault, or with the environment
	// variable that could not be used.
	Problems []string
}

// Error joins the problems: "config: 2 problems: http.addr: ...; ...".
func (e *ValidationError) Error() string {
	return "config: " + problemsError(e.Problems).Error()
}

// problems collects what Validate finds.
type problems struct {
	c    *Config
	list []string
}

// add records a problem with key. A key set from the environment is
// named with its variable.
func (p *problems) add(key, format string, args ...any) {
	if v, ok := p.c.fromEnv[key]; ok {
		key += " (" + v + ")"
	}
	p.list = append(p.list, key+": "+fmt.Sprintf(format, args...))
}

// positive checks that a duration is above zero.
func (p *problems) positive(key string, d time.Duration) {
	if d <= 0 {
		p.add(key, "must be positive")
	}
}

// Validate checks the whole config and reports every problem at once, as a
// *ValidationError. Load calls it; call it again after changing a Config.
// Secrets that only some subcommands need are checked by RequireSlack.
func (c *Config) Validate() error {
	p := &problems{c: c, list: slices.Clone(c.envProblems)}

	if c.Service == "" {
		p.add("service", "must be set")
	}
	if c.Timezone == "" {
		p.add("timezone", "must be set, such as Asia/Tashkent or UTC")
	} else if _, err := time.LoadLocation(c.Timezone); err != nil {
		p.add("timezone", "unknown time zone %q", c.Timezone)
	}
	c.Log.validate(p)
	c.HTTP.validate(p)
	if c.Database.Path == "" {
		p.add("database.path", "must be set")
	}
	c.Backup.validate(p)
	c.Slack.validate(p)
	c.Incidents.validate(p)
	c.validateOnCall(p)
	c.PagerDuty.validate(p)
	c.validateAlerts(p)
	c.validateDeploys(p)
	if u, err := url.Parse(c.GitHub.APIURL); err != nil || !u.IsAbs() ||
		!strings.HasSuffix(c.GitHub.APIURL, "/") {
		p.add("github.api_url", "%q is not an absolute URL ending in /", c.GitHub.APIURL)
	}
	if r := c.GitHub.PostmortemsRepo; r != "" && !ownerRepo.MatchString(r) {
		p.add("github.postmortems_repo", "%q is not owner/name", r)
	}
	for slack := range c.GitHub.Users {
		userIDs(p, "github.users", []string{slack})
	}
	c.Jobs.validate(p)
	c.Shell.validate(p)

	if len(p.list) > 0 {
		return &ValidationError{Problems: p.list}
	}
	return nil
}

// validateOnCall adds the problems of the oncall section to p.
func (c *Config) validateOnCall(p *problems) {
	oc := &c.OnCall
	sevs := map[string]bool{}
	for _, s := range c.Incidents.Severities {
		sevs[strings.ToLower(s.Name)] = true
	}
	for _, s := range oc.PageSeverities {
		if !sevs[strings.ToLower(s)] {
			p.add("oncall.page_severities", "%q is none of incidents.severities", s)
		}
	}
	p.positive("oncall.repage_every", oc.RepageEvery)
	p.positive("oncall.fallback_after", oc.FallbackAfter)
	if ch := oc.HandoffChannel; ch != "" && !slackChannelID.MatchString(ch) {
		p.add("oncall.handoff_channel", "%q is not a channel id such as C0123456789", ch)
	}
	if ch := oc.AlertsChannel; ch != "" && !slackChannelID.MatchString(ch) {
		p.add("oncall.alerts_channel", "%q is not a channel id such as C0123456789", ch)
	}
	if oc.HandoffChannel != "" {
		if _, err := cron.ParseStandard(oc.HandoffSchedule); err != nil {
			p.add("oncall.handoff_schedule", "%q is not a cron schedule: %v",
				oc.HandoffSchedule, err)
		}
	}

	seen := map[string]bool{}
	for i, s := range oc.Schedules {
		key := fmt.Sprintf("oncall.schedules[%d]", i)
		switch {
		case strings.TrimSpace(s.Name) == "" || strings.ContainsAny(s.Name, " @<>"):
			p.add(key+".name", "%q is not a name people can type, such as platform", s.Name)
		case seen[strings.ToLower(s.Name)]:
			p.add(key+".name", "%q is listed twice", s.Name)
		}
		seen[strings.ToLower(s.Name)] = true
		userIDs(p, key+".people", s.People)
		if s.PagerDuty == "" && len(s.People) == 0 {
			p.add(key+".people", "must list someone, or set pagerduty")
		}
		if s.PagerDuty != "" && !pagerDutyRef.MatchString(s.PagerDuty) {
			p.add(key+".pagerduty", "%q is not schedule:PXXXXXX or policy:PXXXXXX",
				s.PagerDuty)
		}
		if len(s.People) > 0 {
			if _, err := time.Parse(handoffLayout, s.FirstHandoff); err != nil {
				p.add(key+".first_handoff", "%q is not a time such as 2026-01-05 10:00",
					s.FirstHandoff)
			}
		}
	}
	for i, e := range oc.Escalation {
		key := fmt.Sprintf("oncall.escalation[%d]", i)
		if strings.TrimSpace(e.Name) == "" {
			p.add(key+".name", "must be set, such as L3 or CTO")
		}
		if len(e.Users) == 0 {
			p.add(key+".users", "must list someone")
		}
		userIDs(p, key+".users", e.Users)
	}
}

// validateAlerts adds the problems of the alerts and alertmanager sections
// to p.
func (c *Config) validateAlerts(p *problems) {
	a := &c.Alerts
	if ch := a.Channel; ch != "" && !slackChannelID.MatchString(ch) {
		p.add("alerts.channel", "%q is not a channel id such as C0123456789", ch)
	}
	schedules := map[string]bool{"default": true}
	for _, s := range c.OnCall.Schedules {
		schedules[strings.ToLower(s.Name)] = true
	}
	for i, r := range a.Routes {
		key := fmt.Sprintf("alerts.routes[%d]", i)
		if ch := r.Channel; ch != "" && !slackChannelID.MatchString(ch) {
			p.add(key+".channel", "%q is not a channel id such as C0123456789", ch)
		}
		if r.Page != "" && !schedules[strings.ToLower(r.Page)] {
			p.add(key+".page", "%q is neither default nor one of oncall.schedules", r.Page)
		}
	}
	p.positive("alerts.post_every", a.PostEvery)
	p.positive("alerts.silence_for", a.SilenceFor)
	if a.StormThreshold < 1 {
		p.add("alerts.storm_threshold", "must be at least 1")
	}
	sevs := map[string]bool{}
	for _, s := range c.Incidents.Severities {
		sevs[strings.ToLower(s.Name)] = true
	}
	for _, label := range slices.Sorted(maps.Keys(a.Severities)) {
		if sev := a.Severities[label]; !sevs[strings.ToLower(sev)] {
			p.add("alerts.severities["+label+"]", "%q is none of incidents.severities", sev)
		}
	}
	if u := c.Alertmanager.URL; u != "" {
		parsed, err := url.Parse(u)
		if err != nil || !parsed.IsAbs() {
			p.add("alertmanager.url", "%q is not an absolute URL", u)
		}
	}
}

// validateDeploys adds the problems of the deploys section to p.
func (c *Config) validateDeploys(p *problems) {
	d := &c.Deploys
	if ch := d.Channel; ch != "" && !slackChannelID.MatchString(ch) {
		p.add("deploys.channel", "%q is not a channel id such as C0123456789", ch)
	}
	userIDs(p, "deploys.approvers", d.Approvers)
	if g := d.ApproverGroup; g != "" && !userGroupID.MatchString(g) {
		p.add("deploys.approver_group", "%q is not a user group id such as S0123456789", g)
	}
	sevs := map[string]bool{}
	for _, s := range c.Incidents.Severities {
		sevs[strings.ToLower(s.Name)] = true
	}
	for _, s := range d.FreezeSeverities {
		if !sevs[strings.ToLower(s)] {
			p.add("deploys.freeze_severities", "%q is none of incidents.severities", s)
		}
	}
	seen := map[string]bool{}
	for i, e := range d.Environments {
		key := fmt.Sprintf("deploys.environments[%d]", i)
		if strings.TrimSpace(e.Name) == "" {
			p.add(key+".name", "must be set, such as production")
		} else if seen[strings.ToLower(e.Name)] {
			p.add(key+".name", "%q is listed twice", e.Name)
		}
		seen[strings.ToLower(e.Name)] = true
		switch strings.ToLower(e.Risk) {
		case "", "low", "medium", "high":
		default:
			p.add(key+".risk", "%q is not low, medium or high", e.Risk)
		}
		for j, w := range e.Windows {
			if _, err := window(w); err != nil {
				p.add(fmt.Sprintf("%s.windows[%d]", key, j), "%v", err)
			}
		}
	}
	for i, f := range d.Freezes {
		key := fmt.Sprintf("deploys.freezes[%d]", i)
		from, errFrom := time.Parse(handoffLayout, f.From)
		to, errTo := time.Parse(handoffLayout, f.To)
		switch {
		case errFrom != nil:
			p.add(key+".from", "%q is not a time such as 2026-12-31 00:00", f.From)
		case errTo != nil:
			p.add(key+".to", "%q is not a time such as 2027-01-02 00:00", f.To)
		case !to.After(from):
			p.add(key+".to", "is not after from")
		}
		if strings.TrimSpace(f.Reason) == "" {
			p.add(key+".reason", "must be set")
		}
	}
}

// validate adds the problems of the pagerduty section to p.
func (d *PagerDutyConfig) validate(p *problems) {
	for key, u := range map[string]string{"pagerduty.api_url": d.APIURL,
		"pagerduty.events_url": d.EventsURL} {
		parsed, err := url.Parse(u)
		if err != nil || !parsed.IsAbs() || strings.HasSuffix(u, "/") {
			p.add(key, "%q is not an absolute URL without a trailing slash", u)
		}
	}
	p.positive("pagerduty.oncall_ttl", d.OnCallTTL)
	for pd, slack := range d.Users {
		userIDs(p, "pagerduty.users["+pd+"]", []string{slack})
	}
}

var ownerRepo = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)

var userGroupID = regexp.MustCompile(`^S[A-Z0-9]{2,}$`)

var pagerDutyRef = regexp.MustCompile(`^(schedule|policy):P[A-Z0-9]+$`)

// validate adds the problems of the log section to p.
func (l *LogConfig) validate(p *problems) {
	if _, err := logrus.ParseLevel(l.Level); err != nil {
		p.add("log.level", "%q is not a level: want trace, debug, info, warn or error",
			l.Level)
	}
	if l.Format != "json" && l.Format != "text" {
		p.add("log.format", "%q is not json or text", l.Format)
	}
}

// validate adds the problems of the http section to p.
func (h *HTTPConfig) validate(p *problems) {
	_, port, err := net.SplitHostPort(h.Addr)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	if err != nil {
		p.add("http.addr", "%q is not host:port", h.Addr)
	}
	p.positive("http.read_timeout", h.ReadTimeout)
	p.positive("http.write_timeout", h.WriteTimeout)
	p.positive("http.shutdown_timeout", h.ShutdownTimeout)
}

// validate adds the problems of the backup section to p.
func (b *BackupConfig) validate(p *problems) {
	keep := []struct {
		key string
		n   int
	}{
		{"backup.keep_daily", b.KeepDaily},
		{"backup.keep_weekly", b.KeepWeekly},
		{"backup.keep_monthly", b.KeepMonthly},
	}
	total := 0
	for _, k := range keep {
		if k.n < 0 {
			p.add(k.key, "must be 0 or more")
		}
		total += max(k.n, 0)
	}

	// Without a directory no backups are taken, and the rest does not matter.
	if b.Dir == "" {
		return
	}
	if _, err := cron.ParseStandard(b.Schedule); err != nil {
		p.add("backup.schedule", "%q is not a cron schedule: %v", b.Schedule, err)
	}
	if total == 0 {
		p.add("backup.keep_daily", "keeps no backup: set keep_daily, keep_weekly or "+
			"keep_monthly above 0")
	}
}

// validate adds the problems of the slack section to p.
func (s *SlackConfig) validate(p *problems) {
	u, err := url.Parse(s.APIURL)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "" ||
		(u.Scheme != "https" && u.Scheme != "http"):
		p.add("slack.api_url", "%q is not an absolute http(s) URL", s.APIURL)
	case !strings.HasSuffix(u.Path, "/") || u.RawQuery != "" || u.Fragment != "":
		p.add("slack.api_url", "%q must end in \"/\"", s.APIURL)
	}
	if !slackCommand.MatchString(s.Command) {
		p.add("slack.command", "%q is not a slash command such as /incident", s.Command)
	}
	switch s.SocketMode {
	case SocketModeAuto, SocketModeOff:
	case SocketModeOn:
		if s.AppToken == "" {
			p.add("slack.socket_mode", "is on but SLACK_APP_TOKEN is not set")
		}
	default:
		p.add("slack.socket_mode", "%q is not auto, on or off", s.SocketMode)
	}
}

// validate adds the problems of the incidents section to p.
func (in *IncidentsConfig) validate(p *problems) {
	if !channelPrefix.MatchString(in.ChannelPrefix) {
		p.add("incidents.channel_prefix", "%q is not up to 40 lowercase letters, digits, "+
			"- and _", in.ChannelPrefix)
	}
	if ch := in.AnnouncementsChannel; ch != "" && !slackChannelID.MatchString(ch) {
		p.add("incidents.announcements_channel", "%q is not a channel id such as "+
			"C0123456789 (a channel's id is at the bottom of its details)", ch)
	}
	userIDs(p, "incidents.admins", in.Admins)
	p.positive("incidents.postmortem_due", in.PostmortemDue)

	in.validateChecklist(p)
	in.validateSeverities(p)
	in.validateComponents(p)
	in.validateResponders(p)
}

// validateChecklist adds the problems of incidents.checklist to p.
func (in *IncidentsConfig) validateChecklist(p *problems) {
	for i, s := range in.Checklist {
		key := fmt.Sprintf("incidents.checklist[%d]", i)
		if strings.TrimSpace(s.Step) == "" {
			p.add(key+".step", "must be set")
		}
		if s.Auto != "" && !slices.Contains(bot.AutoEvents, s.Auto) {
			p.add(key+".auto", "%q is not one of %s", s.Auto,
				strings.Join(bot.AutoEvents, ", "))
		}
	}
}

// validateSeverities adds the problems of incidents.severities to p.
// Names are unique whatever their case, as people may type p1 for P1.
func (in *IncidentsConfig) validateSeverities(p *problems) {
	if len(in.Severities) == 0 {
		p.add("incidents.severities", "must list at least one severity")
	}
	seen := map[string]bool{}
	defer func() {
		if d := in.DefaultSeverity; d != "" && !seen[strings.ToLower(d)] {
			p.add("incidents.default_severity", "%q is none of incidents.severities", d)
		}
	}()
	for i, s := range in.Severities {
		key := fmt.Sprintf("incidents.severities[%d]", i)
		if !severityName.MatchString(s.Name) {
			p.add(key+".name", "%q is not a letter then up to 15 letters or digits, "+
				"such as P1", s.Name)
		} else if seen[strings.ToLower(s.Name)] {
			p.add(key+".name", "%q is listed twice", s.Name)
		}
		seen[strings.ToLower(s.Name)] = true
		if s.Label == "" {
			p.add(key+".label", "must be set")
		}
		p.positive(key+".response", s.Response)
		p.positive(key+".update_every", s.UpdateEvery)
	}
}

// validateComponents adds the problems of incidents.components to p. A
// component is found by id or by name, so names are unique too.
func (in *IncidentsConfig) validateComponents(p *problems) {
	seenID, seenName := map[string]bool{}, map[string]bool{}
	for i, co := range in.Components {
		key := fmt.Sprintf("incidents.components[%d]", i)
		if !componentID.MatchString(co.ID) {
			p.add(key+".id", "%q is not up to 32 lowercase letters, digits, - and _", co.ID)
		} else if seenID[co.ID] {
			p.add(key+".id", "%q is listed twice", co.ID)
		}
		seenID[co.ID] = true
		if co.Name == "" {
			p.add(key+".name", "must be set")
		} else if seenName[strings.ToLower(co.Name)] {
			p.add(key+".name", "%q is listed twice", co.Name)
		}
		seenName[strings.ToLower(co.Name)] = true
	}
}

// validateResponders adds the problems of incidents.responders to p. Rules
// match case-insensitively, as the bot does.
func (in *IncidentsConfig) validateResponders(p *problems) {
	for i, r := range in.Responders {
		key := fmt.Sprintf("incidents.responders[%d]", i)
		for _, c := range r.Components {
			if !slices.ContainsFunc(in.Components, func(co Component) bool {
				return strings.EqualFold(co.ID, c)
			}) {
				p.add(key+".components", "%q is not a component id", c)
			}
		}
		for _, s := range r.Severities {
			if !slices.ContainsFunc(in.Severities, func(sv Severity) bool {
				return strings.EqualFold(sv.Name, s)
			}) {
				p.add(key+".severities", "%q is not a severity", s)
			}
		}
		if len(r.Users) == 0 {
			p.add(key+".users", "must list at least one user id")
		}
		userIDs(p, key+".users", r.Users)
	}
}

// userIDs checks a list of Slack user ids.
func userIDs(p *problems, key string, ids []string) {
	for _, id := range ids {
		if !slackUserID.MatchString(id) {
			p.add(key, "%q is not a user id such as U0123456789 (a person's id is in "+
				"the menu of their profile)", id)
		}
	}
}

// validate adds the problems of the jobs section to p.
func (j *JobsConfig) validate(p *problems) {
	p.positive("jobs.poll_interval", j.PollInterval)
	if j.MaxAttempts <= 0 {
		p.add("jobs.max_attempts", "must be positive")
	}
	if j.Workers <= 0 {
		p.add("jobs.workers", "must be positive")
	}
}

// validate adds the problems of the shell section to p.
func (s *ShellConfig) validate(p *problems) {
	ids, handles := map[string]bool{}, map[string]bool{}
	for i, u := range s.Users {
		key := fmt.Sprintf("shell.users[%d]", i)
		if !slackUserID.MatchString(u.ID) {
			p.add(key+".id", "%q is not a user id such as U0ALICE", u.ID)
		} else if ids[u.ID] {
			p.add(key+".id", "%q is listed twice", u.ID)
		}
		ids[u.ID] = true
		switch {
		case u.Handle == "" || strings.ContainsAny(u.Handle, "@ \t"):
			p.add(key+".handle", "%q is not a handle such as alice (no @)", u.Handle)
		case handles[strings.ToLower(u.Handle)]:
			p.add(key+".handle", "%q is listed twice", u.Handle)
		}
		handles[strings.ToLower(u.Handle)] = true
		if u.Name == "" {
			p.add(key+".name", "must be set")
		}
	}
	if !ids[s.User] {
		p.add("shell.user", "%q is not the id of one of shell.users", s.User)
	}
}

// RequireSlack checks that the environment holds the secrets serving Slack
// needs: SLACK_BOT_TOKEN always, then SLACK_APP_TOKEN in Socket Mode or
// SLACK_SIGNING_SECRET over HTTP. Subcommands that do not talk to Slack
// (shell, migrate, backup) need none of them.
func (c *Config) RequireSlack() error {
	var missing []string
	if c.Slack.BotToken == "" {
		missing = append(missing, "SLACK_BOT_TOKEN")
	}
	mode := "over HTTP"
	if c.Slack.UseSocketMode() {
		mode = "in Socket Mode"
		if c.Slack.AppToken == "" {
			missing = append(missing, "SLACK_APP_TOKEN")
		}
	} else if c.Slack.SigningSecret == "" {
		missing = append(missing, "SLACK_SIGNING_SECRET")
	}

	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("config: serving Slack %s needs %s in the environment",
		mode, strings.Join(missing, " and "))
}
