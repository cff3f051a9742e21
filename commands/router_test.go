package commands_test

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"warroom/bot"
	"warroom/commands"
	"warroom/configs"
	"warroom/integrations/shell"
	"warroom/storage"
)

// fixture is a router on a real bot, store and in-memory chat.
type fixture struct {
	router *commands.Router
	bot    *bot.Bot
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	cfg := configs.Default()
	cfg.Incidents.Admins = []string{"UADMIN"}
	policy, err := cfg.Policy()
	if err != nil {
		t.Fatal(err)
	}
	chat := shell.NewChat(io.Discard, []shell.Person{{ID: "UALICE", Handle: "alice"},
		{ID: "UBOB", Handle: "bob"}})
	log := logrus.New()
	log.SetOutput(io.Discard)
	b, err := bot.New(bot.Options{Policy: policy, Store: db, Chat: chat,
		Log: logrus.NewEntry(log)})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{router: commands.New(b, "/incident", logrus.NewEntry(log)), bot: b}
}

func (f *fixture) run(user, channel, text string) bot.Reply {
	return f.router.Command(context.Background(), bot.Command{Name: "/incident", Text: text,
		UserID: user, ChannelID: channel, ReplyTo: bot.Recipient{UserID: user}})
}

// declare opens an incident and returns its channel.
func (f *fixture) declare(t *testing.T, text string) *bot.Incident {
	t.Helper()
	f.run("UALICE", "CGENERAL", "declare "+text)
	for f.bot.RunDue(context.Background()) > 0 {
	}
	open, err := f.bot.OpenIncidents(context.Background())
	if err != nil || len(open) == 0 {
		t.Fatalf("no incident declared: %v", err)
	}
	return open[len(open)-1]
}

func text(r bot.Reply) string {
	if r.Message == nil {
		return ""
	}
	s := r.Message.Text
	for _, b := range r.Message.Blocks {
		s += "\n" + b.Text
	}
	return s
}

func TestCommandAnswers(t *testing.T) {
	f := newFixture(t)
	inc := f.declare(t, "API is down --sev P1 --component api")

	cases := []struct {
		name, user, channel, text string
		want                      []string
	}{
		{"help", "UALICE", "CGENERAL", "help", []string{"/incident declare", "resolve"}},
		{"nothing", "UALICE", "CGENERAL", "", []string{"/incident list"}},
		{"unknown subcommand", "UALICE", "CGENERAL", "explode",
			[]string{"not a command", "/incident help", "Error id: E-"}},
		{"unknown severity", "UALICE", "CGENERAL", "declare X --sev P7",
			[]string{"Unknown severity", "P0, P1, P2, P3"}},
		{"unknown component", "UALICE", "CGENERAL", "declare X --component mainframe",
			[]string{"Unknown component", "api, database, stt, tts, llm"}},
		{"unknown flag", "UALICE", "CGENERAL", "declare X --colour red",
			[]string{"Unknown flag --colour"}},
		{"outside an incident channel", "UALICE", "CGENERAL", "update all fine",
			[]string{"only in an incident channel", "INC-1 in <#" + inc.ChannelID + ">"}},
		{"unknown user", "UALICE", inc.ChannelID, "commander @nobody",
			[]string{"Nobody in this workspace is called @nobody"}},
		{"unknown role", "UALICE", inc.ChannelID, "role chef <@UBOB|bob>",
			[]string{"not a role", "comms, scribe, ops"}},
		{"unknown status", "UALICE", inc.ChannelID, "status fixed it",
			[]string{"not a status", "investigating|identified|monitoring", "resolve"}},
		{"severity without reason", "UALICE", inc.ChannelID, "severity P0",
			[]string{"needs a reason"}},
		{"empty update", "UALICE", inc.ChannelID, "note", []string{"The note is empty"}},
		{"stranger changes severity", "UBOB", inc.ChannelID, "severity P0 worse",
			[]string{"Only the incident commander (<@UALICE>)", "incident admin (<@UADMIN>)"}},
		{"admin changes severity", "UADMIN", inc.ChannelID, "sev P0 payments too",
			[]string{"INC-1 is now P0"}},
		{"role by mention", "UALICE", inc.ChannelID, "role scribe <@UBOB|bob>",
			[]string{"<@UBOB> is now scribe"}},
		{"commander by handle", "UALICE", inc.ChannelID, "commander @bob",
			[]string{"<@UBOB> is now the incident commander"}},
		{"list", "UBOB", "CGENERAL", "list", []string{"1 open incident", "INC-1", "P0"}},
		{"timeline", "UBOB", inc.ChannelID, "timeline",
			[]string{"declared", "severity", "role", "commander"}},
		{"checklist", "UBOB", inc.ChannelID, "checklist", []string{"Checklist of INC-1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := text(f.run(tc.user, tc.channel, tc.text))
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q answered\n%s\nwhich lacks %q", tc.text, got, w)
				}
			}
		})
	}
}

func TestDeclareWithoutTitleOpensTheForm(t *testing.T) {
	f := newFixture(t)
	reply := f.run("UALICE", "CGENERAL", "declare")
	if reply.Modal == nil {
		t.Fatal("no form opened")
	}
	ids := map[string]bot.Input{}
	for _, in := range reply.Modal.Inputs {
		ids[in.ID] = in
	}
	if len(ids["severity"].Options) != 4 ||
		!strings.Contains(ids["severity"].Options[0].Label, "more than 50% of users") {
		t.Errorf("severity options %+v", ids["severity"].Options)
	}
	if len(ids["components"].Options) != 5 {
		t.Errorf("component options %+v", ids["components"].Options)
	}

	sub := bot.Submission{ModalID: reply.Modal.ID, UserID: "UALICE",
		Values: map[string][]string{"title": {"TTS <vendor> down"}, "severity": {"P0"},
			"components": {"tts"}, "private": {"private"}}}
	done := f.router.Submit(context.Background(), sub)
	if len(done.FieldErrors) > 0 || !strings.Contains(text(done), "Declared P0 INC-1") {
		t.Fatalf("submission answered %+v", done)
	}
	inc, err := f.bot.Incident(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if !inc.Private || inc.Title != "TTS &lt;vendor&gt; down" || inc.Components[0] != "tts" {
		t.Errorf("declared %+v", inc)
	}
}

func TestFormErrorsStayOnTheForm(t *testing.T) {
	f := newFixture(t)
	reply := f.router.Submit(context.Background(), bot.Submission{ModalID: "incident.declare",
		UserID: "UALICE", Values: map[string][]string{"title": {" "}, "severity": {"P1"}}})
	if !strings.Contains(reply.FieldErrors["title"], "needs a title") {
		t.Errorf("field errors %v", reply.FieldErrors)
	}
}

func TestButtons(t *testing.T) {
	f := newFixture(t)
	inc := f.declare(t, "DB slow --sev P2")
	press := func(user, action, value string) bot.Reply {
		return f.router.Action(context.Background(), bot.Action{ActionID: action,
			Value: value, UserID: user, ChannelID: inc.ChannelID})
	}

	if got := text(press("UBOB", bot.ActionAcknowledge, "1")); !strings.Contains(got,
		"You acknowledged INC-1") {
		t.Errorf("first acknowledge: %s", got)
	}
	if got := text(press("UALICE", bot.ActionAcknowledge, "1")); !strings.Contains(got,
		"already acknowledged by <@UBOB>") {
		t.Errorf("second acknowledge: %s", got)
	}
	if r := press("UBOB", bot.ActionResolve, "1"); r.Modal != nil ||
		!strings.Contains(text(r), "Only the incident commander") {
		t.Errorf("a stranger got the resolve form: %+v", r)
	}
	if r := press("UALICE", bot.ActionResolve, "1"); r.Modal == nil {
		t.Errorf("the commander got no resolve form: %s", text(r))
	}
	if r := press("UBOB", bot.ActionUpdateStatus, "1"); r.Modal == nil ||
		r.Modal.Metadata != "1" {
		t.Errorf("update status: %+v", r)
	}
	if got := text(press("UBOB", bot.ActionTickStep, "1:3")); !strings.Contains(got,
		":white_check_mark: 4.") {
		t.Errorf("tick: %s", got)
	}
	if got := text(press("UBOB", bot.ActionTakeCommand, "x")); !strings.Contains(got,
		"does not name an incident") {
		t.Errorf("bad value: %s", got)
	}
	if got := text(press("UBOB", bot.ActionTakeCommand, "99")); !strings.Contains(got,
		"no incident INC-99") {
		t.Errorf("missing incident: %s", got)
	}
}

func TestOnCallAndPageCommands(t *testing.T) {
	f := newOnCallFixture(t)
	run := func(user, channel, name, text string) string {
		return text2(f.router.Command(context.Background(), bot.Command{Name: name,
			Text: text, UserID: user, ChannelID: channel,
			ReplyTo: bot.Recipient{UserID: user}}))
	}

	cases := []struct {
		name, cmd, text string
		want            []string
	}{
		{"who is on call", "/oncall", "", []string{"*platform* on call now",
			"primary <@UALICE>", "secondary <@UBOB>"}},
		{"unknown schedule", "/oncall", "db", []string{"no on-call schedule called \"db\"",
			"Schedules: platform"}},
		{"override", "/oncall", "override <@UBOB|bob> now 8h",
			[]string{"<@UBOB> is primary on call for platform"}},
		{"after the override", "/oncall", "", []string{"primary <@UBOB>", "overridden"}},
		{"override with a bad time", "/oncall", "override @bob tomorrow 8h",
			[]string{"\"tomorrow\" is not a time"}},
		{"page a schedule", "/page", "platform disk full on db-1 --sev P1",
			[]string{"Paging <@UBOB> (L1) with PAGE-1", "escalates in 1h"}},
		{"page a person", "/page", "@alice look at the queue",
			[]string{"Paging <@UALICE> (L1) with PAGE-2"}},
		{"page nobody", "/page", "", []string{"Say whom to page"}},
		{"page without a message", "/page", "platform", []string{"needs a message"}},
		{"page an unknown schedule", "/page", "db help", []string{"no on-call schedule",
			"platform"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := run("UALICE", "CGENERAL", tc.cmd, tc.text)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("%s %s answered\n%s\nwhich lacks %q", tc.cmd, tc.text, got, w)
				}
			}
		})
	}

	press := func(user, action, page string) string {
		return text2(f.router.Action(context.Background(), bot.Action{ActionID: action,
			Value: page, UserID: user, ChannelID: "CGENERAL"}))
	}
	// The override made Bob both primary and secondary: PAGE-1 has one level.
	if got := press("UBOB", bot.ActionPageEscalate, "1"); !strings.Contains(got,
		"paging everyone on it again") {
		t.Errorf("escalate PAGE-1: %s", got)
	}
	if got := press("UBOB", bot.ActionPageEscalate, "2"); !strings.Contains(got,
		"escalated to L2 (<@UBOB>)") {
		t.Errorf("escalate PAGE-2: %s", got)
	}
	if got := press("UBOB", bot.ActionPageAcknowledge, "1"); !strings.Contains(got,
		"You acknowledged PAGE-1") {
		t.Errorf("acknowledge: %s", got)
	}
	if got := press("UALICE", bot.ActionPageAcknowledge, "1"); !strings.Contains(got,
		"already acknowledged by <@UBOB>") {
		t.Errorf("second acknowledge: %s", got)
	}
}

func text2(r bot.Reply) string { return text(r) }

// newOnCallFixture is a router whose policy has a rotation of Alice and
// Bob that started this week.
func newOnCallFixture(t *testing.T) *fixture {
	t.Helper()
	db, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	cfg := configs.Default()
	cfg.OnCall.Schedules = []configs.ScheduleConfig{{Name: "platform",
		People:       []string{"UALICE", "UBOB"},
		FirstHandoff: time.Now().AddDate(0, 0, -1).Format("2006-01-02 15:04")}}
	policy, err := cfg.Policy()
	if err != nil {
		t.Fatal(err)
	}
	chat := shell.NewChat(io.Discard, []shell.Person{{ID: "UALICE", Handle: "alice"},
		{ID: "UBOB", Handle: "bob"}})
	log := logrus.New()
	log.SetOutput(io.Discard)
	b, err := bot.New(bot.Options{Policy: policy, Store: db, Chat: chat,
		Log: logrus.NewEntry(log)})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{router: commands.New(b, "/incident", logrus.NewEntry(log)), bot: b}
}

func TestRunbookCommand(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		text string
		want []string
	}{
		{"", []string{"incident-response", "restore-warroom-database"}},
		{"escalation", []string{"Escalation", "CTO"}},
		{"restore", []string{"warroom backup"}},
		{"escalaton", []string{"did you mean", "escalation"}},
		{"zzzz", []string{"No runbook is called \"zzzz\"", "Runbooks: "}},
	}
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			got := text(f.router.Command(context.Background(), bot.Command{Name: "/runbook",
				Text: tc.text, UserID: "UALICE", ChannelID: "CGENERAL"}))
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("/runbook %s answered\n%.600s\nwhich lacks %q", tc.text, got, w)
				}
			}
		})
	}
}

func TestDeclareFromAPagerDutyAlertJoinsIt(t *testing.T) {
	f := newOnCallFixture(t)
	ctx := context.Background()
	reply := f.router.Action(ctx, bot.Action{ActionID: bot.ActionPagerDeclare,
		Value: "stripe-errors|Stripe API failures", UserID: "UALICE", ChannelID: "CALERTS"})
	if reply.Modal == nil || reply.Modal.Inputs[0].Initial[0] != "Stripe API failures" {
		t.Fatalf("no prefilled form: %+v", reply)
	}

	done := f.router.Submit(ctx, bot.Submission{ModalID: reply.Modal.ID,
		Metadata: reply.Modal.Metadata, UserID: "UALICE",
		Values: map[string][]string{"title": {"Stripe API failures"}, "severity": {"P0"}}})
	if !strings.Contains(text(done), "Declared P0 INC-1") {
		t.Fatalf("declare: %s", text(done))
	}
	pages, err := f.bot.PagesOf(ctx, 1)
	if err != nil || len(pages) != 1 || pages[0].DedupKey != "stripe-errors" {
		t.Fatalf("pages %+v, err %v: want one joined to the alert", pages, err)
	}
}

func TestDeployCommands(t *testing.T) {
	f := newFixture(t)
	run := func(user, text string) string {
		return text2(f.router.Command(context.Background(), bot.Command{Name: "/deploy",
			Text: text, UserID: user, ChannelID: "CDEPLOYS"}))
	}
	window := run("UALICE", "window production")
	if !strings.Contains(window, "production is") || !strings.Contains(window, "rule: ") {
		t.Errorf("window: %s", window)
	}
	if got := run("UALICE", "window staging"); !strings.Contains(got, "staging is open") {
		t.Errorf("staging: %s", got)
	}
	if got := run("UALICE", "freeze database migration --until 4h"); !strings.Contains(got,
		"Deploys are frozen: database migration. Until") {
		t.Errorf("freeze: %s", got)
	}
	if got := run("UALICE", "window"); !strings.Contains(got, "production is closed") ||
		!strings.Contains(got, "frozen by <@UALICE>") {
		t.Errorf("window during the freeze: %s", got)
	}
	if got := run("UBOB", "unfreeze"); !strings.Contains(got, "Lifted 1 freeze") {
		t.Errorf("unfreeze: %s", got)
	}
	if got := run("UBOB", "freeze"); !strings.Contains(got, "needs a reason") {
		t.Errorf("freeze without a reason: %s", got)
	}
	if got := run("UBOB", "launch"); !strings.Contains(got, "/deploy help") {
		t.Errorf("unknown: %s", got)
	}
}

func TestActionItemCommands(t *testing.T) {
	f := newFixture(t)
	inc := f.declare(t, "Checkout slow --sev P2")
	run := func(cmd string) string { return text(f.run("UALICE", inc.ChannelID, cmd)) }

	cases := []struct{ text, want string }{
		{"action <@UBOB|bob> Add a checkout latency alert --due 2099-01-31",
			"Action item AI-1 for <@UBOB>: Add a checkout latency alert, due 2099-01-31"},
		{"action @nobody fix it", "Nobody in this workspace is called @nobody"},
		{"action @bob fix it --due 2026-02-30", `"2026-02-30" is not a date`},
		{"action @bob fix it --due 2001-01-01", "is in the past"},
		{"action @bob", "Say what is to be done"},
		{"actions", "AI-1"},
	}
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			if got := run(tc.text); !strings.Contains(got, tc.want) {
				t.Errorf("%q answered %q, want %q", tc.text, got, tc.want)
			}
		})
	}

	reply := f.router.Action(context.Background(), bot.Action{ActionID: bot.ActionItemDone + ".1",
		Value: "1", UserID: "UBOB", ChannelID: inc.ChannelID})
	if !strings.Contains(text(reply), "AI-1 is done") {
		t.Errorf("done: %s", text(reply))
	}
	if got := run("actions"); !strings.Contains(got, ":white_check_mark:") {
		t.Errorf("after done: %s", got)
	}
}

func TestAddAsActionItemShortcut(t *testing.T) {
	f := newFixture(t)
	inc := f.declare(t, "Disk full --sev P2")
	ctx := context.Background()

	reply := f.router.Action(ctx, bot.Action{ActionID: bot.ShortcutPrefix +
		bot.ShortcutAddActionItem, Value: "we need disk alerts &amp; a runbook",
		UserID: "UALICE", ChannelID: inc.ChannelID})
	if reply.Modal == nil || reply.Modal.Inputs[0].Initial[0] != "we need disk alerts & a runbook" {
		t.Fatalf("no form with the message: %+v", reply)
	}
	sub := bot.Submission{ModalID: reply.Modal.ID, Metadata: reply.Modal.Metadata,
		UserID: "UALICE", Values: map[string][]string{"text": {"we need disk alerts"},
			"owner": {"@nobody"}}}
	if got := f.router.Submit(ctx, sub); got.FieldErrors["owner"] == "" {
		t.Errorf("an unknown owner was taken: %+v", got)
	}
	sub.Values["owner"] = []string{"@bob"}
	sub.Values["due"] = []string{"2099-02-30"}
	if got := f.router.Submit(ctx, sub); got.FieldErrors["due"] == "" {
		t.Errorf("an impossible date was taken: %+v", got)
	}
	sub.Values["due"] = []string{"2099-03-01"}
	if got := text(f.router.Submit(ctx, sub)); !strings.Contains(got, "AI-1 for <@UBOB>") {
		t.Errorf("submit: %s", got)
	}

	reply = f.router.Action(ctx, bot.Action{ActionID: bot.ShortcutPrefix +
		bot.ShortcutAddActionItem, Value: "x", UserID: "UALICE", ChannelID: "CGENERAL"})
	if !strings.Contains(text(reply), "only in an incident channel") &&
		!strings.Contains(text(reply), "not an incident channel") {
		t.Errorf("outside an incident channel: %s", text(reply))
	}
}
