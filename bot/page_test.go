package bot_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"warroom/bot"
)

// pager is a paging service that records what it is asked and fails on
// request.
type pager struct {
	mu     sync.Mutex
	calls  []string
	fail   error
	shifts []bot.Shift
}

func (p *pager) record(call string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, call)
	return p.fail
}

func (p *pager) Trigger(_ context.Context, t bot.PageTrigger) error {
	return p.record("trigger " + t.DedupKey + " " + t.Severity)
}

func (p *pager) Acknowledge(_ context.Context, key string) error {
	return p.record("acknowledge " + key)
}

func (p *pager) Resolve(_ context.Context, key string) error { return p.record("resolve " + key) }

func (p *pager) Escalate(_ context.Context, key string, level int, from string) error {
	return p.record("escalate " + key + " " + string(rune('0'+level)) + " " + from)
}

func (p *pager) OnCall(context.Context, string) ([]bot.Shift, error) {
	if err := p.record("oncall"); err != nil {
		return nil, err
	}
	return p.shifts, nil
}

func (p *pager) allCalls() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.calls...)
}

// oncallPolicy adds a rotation of four and two escalation levels to the
// test policy. The rotation hands over on Mondays at 10:00 local time.
func oncallPolicy(t testing.TB) bot.Policy {
	p := policy(t)
	p.OnCall = bot.OnCallPolicy{
		Schedules: []bot.Schedule{{Name: "platform",
			People:  []string{"UANA", "UBEN", "UCAT", "UDAN"},
			Handoff: time.Date(2026, 11, 30, 10, 0, 0, 0, p.Location)}},
		Escalation: []bot.EscalationLevel{{Name: "L3", Users: []string{"UMGR"}},
			{Name: "CTO", Users: []string{"UCTO"}}},
		PageSeverities: []string{"P0", "P1"},
		RepageEvery:    10 * time.Minute,
		FallbackAfter:  2 * time.Minute,
	}
	return p
}

func newPagingFixture(t *testing.T, pg bot.Pager) *fixture {
	t.Helper()
	f := newFixture(t)
	f.bot = f.restart(t, pg)
	return f
}

// restart builds a new bot on the same database, as a restarted warroom
// would.
func (f *fixture) restart(t *testing.T, pg bot.Pager) *bot.Bot {
	t.Helper()
	logger := logrus.New()
	logger.AddHook(f.logs)
	logger.SetOutput(discard{})
	b, err := bot.New(bot.Options{Policy: oncallPolicy(t), Store: f.db, Chat: f.chat,
		Pager: pg, PagerFrom: "warroom@example.com", Clock: f.clock,
		Log: logrus.NewEntry(logger), MaxAttempts: 50})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func (f *fixture) dmsTo(user string) int {
	n := 0
	for _, notice := range f.chat.allNotices() {
		if strings.HasPrefix(notice, user+": ") && strings.Contains(notice, "PAGE-") {
			n++
		}
	}
	return n
}

func TestRotation(t *testing.T) {
	s := oncallPolicy(t).OnCall.Schedules[0]
	loc := s.Handoff.Location()
	cases := []struct {
		at                 time.Time
		primary, secondary string
		until              time.Time
	}{
		{time.Date(2026, 12, 3, 9, 0, 0, 0, loc), "UANA", "UBEN",
			time.Date(2026, 12, 7, 10, 0, 0, 0, loc)},
		{time.Date(2026, 12, 7, 9, 59, 0, 0, loc), "UANA", "UBEN",
			time.Date(2026, 12, 7, 10, 0, 0, 0, loc)},
		{time.Date(2026, 12, 7, 10, 0, 0, 0, loc), "UBEN", "UCAT",
			time.Date(2026, 12, 14, 10, 0, 0, 0, loc)},
		{time.Date(2026, 12, 22, 0, 0, 0, 0, loc), "UDAN", "UANA",
			time.Date(2026, 12, 28, 10, 0, 0, 0, loc)},
		{time.Date(2026, 11, 25, 0, 0, 0, 0, loc), "UDAN", "UANA",
			time.Date(2026, 11, 30, 10, 0, 0, 0, loc)},
	}
	for _, tc := range cases {
		t.Run(tc.at.String(), func(t *testing.T) {
			r := s.RotaAt(tc.at)
			if r.Primary != tc.primary || r.Secondary != tc.secondary || !r.Until.Equal(tc.until) {
				t.Errorf("at %s: %s/%s until %s, want %s/%s until %s", tc.at, r.Primary,
					r.Secondary, r.Until, tc.primary, tc.secondary, tc.until)
			}
		})
	}
}

func TestOverride(t *testing.T) {
	f := newPagingFixture(t, nil)
	ctx := context.Background()
	now := f.clock.Now()

	if _, err := f.bot.AddOverride(ctx, bot.Override{Schedule: "Platform", User: "UZED",
		From: now.Add(-time.Hour), To: now.Add(time.Hour), By: "UANA"}); err != nil {
		t.Fatal(err)
	}
	r, err := f.bot.OnCall(ctx, "platform")
	if err != nil {
		t.Fatal(err)
	}
	if r.Primary != "UZED" || r.Secondary != "UBEN" {
		t.Errorf("with the override: %s/%s", r.Primary, r.Secondary)
	}

	f.clock.Add(2 * time.Hour)
	if r, _ = f.bot.OnCall(ctx, ""); r.Primary != "UANA" {
		t.Errorf("after the override: %s", r.Primary)
	}
	if _, err := f.bot.OnCall(ctx, "nope"); err == nil || !strings.Contains(
		bot.AsError(err).Hint, "platform") {
		t.Errorf("unknown schedule: %v", err)
	}
	_, err = f.bot.AddOverride(ctx, bot.Override{Schedule: "platform", User: "UZED",
		From: now.Add(time.Hour), To: now})
	if err == nil {
		t.Error("an override that ends before it starts was taken")
	}
}

func TestUnacknowledgedP0EscalatesToTheCTO(t *testing.T) {
	f := newPagingFixture(t, nil)
	ctx := context.Background()
	inc := f.declare(t, "Payments down", "P0")

	if n := f.dmsTo("UANA"); n != 1 {
		t.Fatalf("primary paged %d times, want 1", n)
	}
	steps := []struct {
		after time.Duration
		user  string
	}{
		{15 * time.Minute, "UBEN"},
		{15 * time.Minute, "UMGR"},
		{15 * time.Minute, "UCTO"},
	}
	for _, s := range steps {
		f.clock.Add(s.after - time.Second)
		f.settle(t)
		if n := f.dmsTo(s.user); n != 0 {
			t.Fatalf("%s paged a second early", s.user)
		}

		// A restart while the page waits changes nothing.
		f.bot = f.restart(t, nil)
		f.clock.Add(time.Second)
		f.settle(t)
		if n := f.dmsTo(s.user); n != 1 {
			t.Fatalf("%s paged %d times after %s, want 1", s.user, n, s.after)
		}
	}

	// Once the last level has had its 15 minutes too, everyone is paged
	// again, and again every 10 minutes.
	f.clock.Add(15 * time.Minute)
	f.settle(t)
	f.clock.Add(10 * time.Minute)
	f.settle(t)
	for _, u := range []string{"UANA", "UBEN", "UMGR", "UCTO"} {
		if n := f.dmsTo(u); n != 3 {
			t.Errorf("%s paged %d times after two re-pages, want 3", u, n)
		}
	}

	// An acknowledgement stops it all, once.
	_, first, err := f.bot.AcknowledgePage(ctx, 1, "UCTO")
	if err != nil || !first {
		t.Fatalf("acknowledge: %v first=%v", err, first)
	}
	if _, first, _ = f.bot.AcknowledgePage(ctx, 1, "UANA"); first {
		t.Error("a second acknowledgement counted")
	}
	f.settle(t)
	f.clock.Add(time.Hour)
	f.settle(t)
	if n := f.dmsTo("UANA"); n != 3 {
		t.Errorf("paged after the acknowledgement: %d", n)
	}

	events, _ := f.bot.Timeline(ctx, inc.ID)
	var kinds []string
	for _, ev := range events {
		if ev.Kind != bot.EventReminder {
			kinds = append(kinds, string(ev.Kind))
		}
	}
	got := strings.Join(kinds, " ")
	want := "declared paged channel_created escalated escalated escalated escalated " +
		"escalated page_acknowledged"
	if got != want {
		t.Errorf("timeline\n got %s\nwant %s", got, want)
	}
	inc, _ = f.bot.Incident(ctx, inc.ID)
	if inc.AcknowledgedBy != "UCTO" || inc.TimeToAcknowledge() != 70*time.Minute {
		t.Errorf("incident acknowledged by %s after %s", inc.AcknowledgedBy,
			inc.TimeToAcknowledge())
	}
}

func TestPagerDownFallsBackToChat(t *testing.T) {
	pg := &pager{fail: errors.New("pagerduty: 503 service unavailable")}
	f := newPagingFixture(t, pg)
	ctx := context.Background()

	page, err := f.bot.Page(ctx, bot.PageRequest{Target: "platform", Message: "queue stuck",
		Severity: "P1", By: "UBEN", ChannelID: "COPS"})
	if err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	if f.dmsTo("UANA") != 0 {
		t.Fatal("paged through chat before the fallback time")
	}
	if !hasPost(f.chat.postsIn("COPS"), "is pending") {
		t.Errorf("the channel was not told the page is pending: %v", f.chat.postsIn("COPS"))
	}

	for i := 0; i < 10 && f.dmsTo("UANA") == 0; i++ {
		f.clock.Add(30 * time.Second)
		f.settle(t)
	}
	if f.dmsTo("UANA") != 1 {
		t.Fatal("the page never reached the primary")
	}
	if !hasPost(f.chat.postsIn("COPS"), "Slack direct messages instead") {
		t.Error("the channel was not told of the fallback")
	}

	// Escalation keeps going through chat while the service is down.
	f.clock.Add(time.Hour)
	f.settle(t)
	if f.dmsTo("UBEN") != 1 {
		t.Error("the escalation did not reach the secondary")
	}
	if _, first, err := f.bot.AcknowledgePage(ctx, page.ID, "UBEN"); err != nil || !first {
		t.Errorf("acknowledge after the fallback: %v first=%v", err, first)
	}
}

func TestPageThroughPagerAndAcknowledge(t *testing.T) {
	pg := &pager{}
	f := newPagingFixture(t, pg)
	ctx := context.Background()

	inc := f.declare(t, "API down", "P1")
	if calls := pg.allCalls(); len(calls) != 1 ||
		calls[0] != "trigger warroom-incident-1 error" {
		t.Fatalf("pager calls %v", calls)
	}
	if f.dmsTo("UANA") != 0 {
		t.Error("paged twice: through the service and chat")
	}

	pages, _ := f.bot.PagesOf(ctx, inc.ID)
	if _, err := f.bot.EscalatePage(ctx, pages[0].ID, "UDECL"); err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	if _, _, err := f.bot.AcknowledgePage(ctx, pages[0].ID, "UBEN"); err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	if _, err := f.bot.Resolve(ctx, inc.ID, "UDECL", "fixed"); err != nil {
		t.Fatal(err)
	}
	f.settle(t)

	want := []string{"trigger warroom-incident-1 error",
		"escalate warroom-incident-1 2 warroom@example.com",
		"acknowledge warroom-incident-1", "resolve warroom-incident-1"}
	if got := pg.allCalls(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("pager calls\n got %q\nwant %q", got, want)
	}
}

func TestPageRefusesBadInput(t *testing.T) {
	f := newPagingFixture(t, nil)
	cases := []struct {
		name string
		req  bot.PageRequest
		want string
	}{
		{"unknown schedule", bot.PageRequest{Target: "db", Message: "x"}, "platform"},
		{"no message", bot.PageRequest{Target: "platform"}, "needs a message"},
		{"bad severity", bot.PageRequest{Target: "UANA", Message: "x", Severity: "P7"},
			"P0, P1, P2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.bot.Page(context.Background(), tc.req)
			e := bot.AsError(err)
			if err == nil || !strings.Contains(e.Message+" "+e.Hint, tc.want) {
				t.Errorf("err = %v, want a mention of %q", err, tc.want)
			}
		})
	}
}

func hasPost(posts []post, text string) bool {
	for _, p := range posts {
		if strings.Contains(p.Msg.Text, text) {
			return true
		}
	}
	return false
}

func TestHandoffPost(t *testing.T) {
	f := newPagingFixture(t, nil)
	ctx := context.Background()
	f.declare(t, "Cache cold", "P2")
	page, err := f.bot.Page(ctx, bot.PageRequest{Target: "platform", Message: "disk full",
		Severity: "P1", By: "UBEN", ChannelID: "COPS"})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Add(3 * time.Minute)
	if _, _, err := f.bot.AcknowledgePage(ctx, page.ID, "UANA"); err != nil {
		t.Fatal(err)
	}

	p := oncallPolicy(t)
	p.OnCall.HandoffChannel = "CHANDOFF"
	b, err := bot.New(bot.Options{Policy: p, Store: f.db, Chat: f.chat, Clock: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Handoff(ctx); err != nil {
		t.Fatal(err)
	}
	for b.RunDue(ctx) > 0 {
	}

	posts := f.chat.postsIn("CHANDOFF")
	if len(posts) != 1 {
		t.Fatalf("%d handoff posts", len(posts))
	}
	var text string
	for _, blk := range posts[0].Msg.Blocks {
		text += blk.Text + "\n"
	}
	for _, want := range []string{"*platform*: <@UANA> primary, <@UBEN> secondary",
		"next <@UBEN> and <@UCAT>", "Pages in the past week (1)",
		"PAGE-1 P1: disk full — acknowledged by <@UANA> after 3m",
		"Incidents still open (1)", "INC-1 P2 investigating: Cache cold"} {
		if !strings.Contains(text, want) {
			t.Errorf("handoff lacks %q:\n%s", want, text)
		}
	}
}

func TestForeignPagerIncidentGoesToTheAlertsChannel(t *testing.T) {
	f := newFixture(t)
	p := oncallPolicy(t)
	p.OnCall.AlertsChannel = "CALERTS"
	b, err := bot.New(bot.Options{Policy: p, Store: f.db, Chat: f.chat, Clock: f.clock,
		Pager: &pager{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ev := bot.PagerEvent{ID: "e1", Type: bot.PagerTriggered, IncidentID: "Q9",
		IncidentKey: "stripe-errors", Title: "Stripe API failures", Urgency: "high",
		URL: "https://pd.test/incidents/Q9"}
	if err := b.HandlePagerEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	ev.Type = bot.PagerAcknowledged
	if err := b.HandlePagerEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	for b.RunDue(ctx) > 0 {
	}

	posts := f.chat.postsIn("CALERTS")
	if len(posts) != 1 || !strings.Contains(posts[0].Msg.Text, "Stripe API failures") {
		t.Fatalf("alerts channel: %+v", posts)
	}
	var actions []string
	for _, blk := range posts[0].Msg.Blocks {
		for _, btn := range blk.Buttons {
			actions = append(actions, btn.Action+"="+btn.Value)
		}
	}
	want := "pager.acknowledge=stripe-errors pager.declare=stripe-errors|Stripe API failures"
	if strings.Join(actions, " ") != want {
		t.Errorf("buttons %v", actions)
	}
}

func TestPageFromAChannelTheBotCannotPostInStillPages(t *testing.T) {
	f := newPagingFixture(t, nil)
	f.chat.setFail("post", bot.Permanent(errors.New("slack: channel_not_found")))
	if _, err := f.bot.Page(context.Background(), bot.PageRequest{Target: "platform",
		Message: "help", Severity: "P1", By: "UBEN", ChannelID: "DSOMEONE"}); err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	if f.dmsTo("UANA") != 1 {
		t.Error("the primary was not paged")
	}
}
