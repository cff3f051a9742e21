package bot_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"warroom/bot"
)

// silencer records the silences asked for.
type silencer struct {
	mu   sync.Mutex
	made []bot.Silence
}

func (s *silencer) Silence(_ context.Context, si bot.Silence) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.made = append(s.made, si)
	return fmt.Sprintf("sil-%d", len(s.made)), nil
}

func alertPolicy(t testing.TB) bot.Policy {
	p := oncallPolicy(t)
	p.Alerts = bot.AlertPolicy{
		Routes: []bot.AlertRoute{
			{Match: map[string]string{"severity": "critical"}, Channel: "CCRIT",
				Page: "platform"},
			{Match: map[string]string{"severity": "warning"}, Channel: "CWARN"},
		},
		DefaultChannel:  "CINFO",
		PostEvery:       time.Second,
		StormThreshold:  20,
		Severities:      map[string]string{"critical": "P1", "warning": "P2", "info": "P3"},
		ComponentLabels: []string{"component"},
		SilenceFor:      time.Hour,
	}
	return p
}

func newAlertFixture(t *testing.T) (*fixture, *silencer) {
	t.Helper()
	f := newFixture(t)
	s := &silencer{}
	b, err := bot.New(bot.Options{Policy: alertPolicy(t), Store: f.db, Chat: f.chat,
		Clock: f.clock, Silencer: s})
	if err != nil {
		t.Fatal(err)
	}
	f.bot = b
	return f, s
}

// notification is a group of n alerts named name, the first resolved
// ones resolved.
func notification(key, name, severity string, n, resolved int, at time.Time) bot.Notification {
	nt := bot.Notification{GroupKey: key, Receiver: "warroom", Status: bot.AlertFiring,
		GroupLabels: map[string]string{"alertname": name},
		CommonLabels: map[string]string{"alertname": name, "severity": severity,
			"component": "api"},
		CommonAnnotations: map[string]string{"summary": name + " is happening"}}
	for i := 0; i < n; i++ {
		a := bot.Alert{Fingerprint: fmt.Sprintf("%s-%d", key, i), Status: bot.AlertFiring,
			Labels:   map[string]string{"alertname": name, "instance": fmt.Sprintf("i-%d", i)},
			StartsAt: at.Add(-time.Minute)}
		if i < resolved {
			a.Status, a.EndsAt = bot.AlertResolved, at
		}
		nt.Alerts = append(nt.Alerts, a)
	}
	if resolved == n {
		nt.Status = bot.AlertResolved
	}
	return nt
}

func TestAlertGroupMessageFollowsItsAlerts(t *testing.T) {
	f, _ := newAlertFixture(t)
	ctx := context.Background()
	ingest := func(n bot.Notification) {
		t.Helper()
		if _, err := f.bot.Ingest(ctx, n); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			f.clock.Add(time.Second)
			f.settle(t)
		}
	}

	ingest(notification("g1", "SlowAPI", "warning", 3, 0, f.clock.Now()))
	posts := f.chat.postsIn("CWARN")
	if len(posts) != 1 || !strings.Contains(posts[0].Msg.Text, "3 firing, 0 resolved") {
		t.Fatalf("first message: %+v", posts)
	}

	// Alertmanager repeats the same state: nothing new is said.
	ingest(notification("g1", "SlowAPI", "warning", 3, 0, f.clock.Now()))
	if len(f.chat.updates) != 0 || len(f.chat.postsIn("CWARN")) != 1 {
		t.Fatalf("a repeat changed the message: %d edits", len(f.chat.updates))
	}

	ingest(notification("g1", "SlowAPI", "warning", 3, 1, f.clock.Now()))
	if u := f.chat.updates; len(u) != 1 ||
		!strings.Contains(u[0].Msg.Text, "2 firing, 1 resolved") {
		t.Fatalf("edit after one resolved: %+v", u)
	}
	ingest(notification("g1", "SlowAPI", "warning", 3, 3, f.clock.Now()))
	if u := f.chat.updates; len(u) != 2 || !strings.Contains(u[1].Msg.Text, "resolved after") {
		t.Fatalf("edit after all resolved: %+v", u)
	}

	// Firing again after resolving starts a new message.
	ingest(notification("g1", "SlowAPI", "warning", 3, 0, f.clock.Now()))
	if n := len(f.chat.postsIn("CWARN")); n != 2 {
		t.Errorf("%d messages after the group fired again, want 2", n)
	}
}

func TestCriticalAlertPagesAndOffersItsButtons(t *testing.T) {
	f, s := newAlertFixture(t)
	ctx := context.Background()
	g, err := f.bot.Ingest(ctx, notification("c1", "APIDown", "critical", 1, 0, f.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	if f.dmsTo("UANA") != 1 {
		t.Fatal("the critical alert did not page the primary")
	}

	var msg bot.Message
	for _, p := range f.chat.postsIn("CCRIT") {
		if strings.Contains(p.Msg.Text, "1 firing") {
			msg = p.Msg
		}
	}
	var labels []string
	for _, blk := range msg.Blocks {
		for _, btn := range blk.Buttons {
			labels = append(labels, btn.Label)
		}
	}
	if got := strings.Join(labels, ","); got != "Acknowledge,Escalate,Declare incident,Silence 1h" {
		t.Fatalf("buttons %s", got)
	}

	if _, err := f.bot.SilenceGroup(ctx, g.ID, "UBEN"); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(2 * time.Second)
	f.settle(t)
	if len(s.made) != 1 || s.made[0].Matchers["alertname"] != "APIDown" ||
		s.made[0].EndsAt.Sub(s.made[0].StartsAt) != time.Hour || s.made[0].CreatedBy != "UBEN" {
		t.Fatalf("silences %+v", s.made)
	}
	if _, err := f.bot.SilenceGroup(ctx, g.ID, "UBEN"); err == nil {
		t.Error("silenced twice")
	}

	inc, err := f.bot.DeclareFromAlert(ctx, g.ID, "UBEN", bot.Recipient{UserID: "UBEN"})
	if err != nil {
		t.Fatal(err)
	}
	if inc.Severity != "P1" || inc.Title != "APIDown is happening" ||
		strings.Join(inc.Components, ",") != "api" {
		t.Errorf("declared %+v", inc)
	}
	events, _ := f.bot.Timeline(ctx, inc.ID)
	if !hasEvent(events, bot.EventAlertLinked) {
		t.Error("the alert group is not on the incident's timeline")
	}
	pages, _ := f.bot.PagesOf(ctx, inc.ID)
	if len(pages) != 1 || !strings.HasPrefix(pages[0].DedupKey, "warroom-alert-") {
		t.Errorf("the incident's page does not join the alert's: %+v", pages)
	}
}

func TestAlertStormStaysWithinThePace(t *testing.T) {
	f, _ := newAlertFixture(t)
	ctx := context.Background()

	// 5,000 alerts in 200 groups, in one burst.
	for g := 0; g < 200; g++ {
		n := notification(fmt.Sprintf("storm-%d", g), fmt.Sprintf("Alert%d", g%7), "warning",
			25, 0, f.clock.Now())
		if _, err := f.bot.Ingest(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 400; i++ {
		for n := 0; n < 1000 && f.bot.RunDue(ctx) > 0; n++ {
		}
		f.clock.Add(200 * time.Millisecond)
	}

	var stored, groups int
	err := f.db.View(ctx, func(tx bot.Tx) error {
		for g := 0; g < 200; g++ {
			grp, err := tx.AlertGroupByKey(fmt.Sprintf("storm-%d", g))
			if err != nil {
				return err
			}
			alerts, err := tx.GroupAlerts(grp.ID)
			if err != nil {
				return err
			}
			stored += len(alerts)
			groups++
		}
		return nil
	})
	if err != nil || stored != 5000 || groups != 200 {
		t.Fatalf("stored %d alerts in %d groups (%v)", stored, groups, err)
	}

	calls := append(f.chat.postsIn("CWARN"), updatesIn(f.chat, "CWARN")...)
	sort.Slice(calls, func(i, j int) bool { return calls[i].At.Before(calls[j].At) })
	if n := len(f.chat.postsIn("CWARN")); n > 200+5 {
		t.Errorf("%d messages for 200 groups", n)
	}
	for i := 1; i < len(calls); i++ {
		if gap := calls[i].At.Sub(calls[i-1].At); gap < time.Second {
			t.Fatalf("two messages %s apart in one channel", gap)
		}
	}
	if !hasPost(f.chat.postsIn("CWARN"), "Alert storm") {
		t.Error("no storm summary")
	}
	// Every group shows: in a message of its own, or counted in the
	// summary's latest version.
	own, folded := 0, 0
	for _, p := range f.chat.postsIn("CWARN") {
		if !strings.Contains(p.Msg.Text, "Alert storm") {
			own++
		}
	}
	for _, c := range calls {
		if i := strings.Index(c.Msg.Text, "Alert storm*: "); i >= 0 {
			fmt.Sscanf(c.Msg.Text[i+len("Alert storm*: "):], "%d", &folded)
		}
	}
	if folded == 0 || own+folded != 200 {
		t.Errorf("%d groups in messages of their own and %d folded, want 200 with a storm",
			own, folded)
	}
}

func updatesIn(c *chat, channel string) []post {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []post
	for _, u := range c.updates {
		if u.Channel == channel {
			out = append(out, u)
		}
	}
	return out
}

func hasEvent(events []bot.Event, kind bot.EventKind) bool {
	for _, ev := range events {
		if ev.Kind == kind {
			return true
		}
	}
	return false
}
