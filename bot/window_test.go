package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"warroom/bot"
)

func deployPolicy(t testing.TB) bot.Policy {
	p := policy(t)
	loc := p.Location
	p.Deploy = bot.DeployPolicy{
		Environments: []bot.EnvironmentRule{{Name: "production", FreezeOnIncident: true,
			Windows: []bot.Window{{Days: []time.Weekday{time.Tuesday, time.Wednesday,
				time.Thursday}, Start: 10 * time.Hour, End: 16 * time.Hour}}}},
		OpenByDefault: true,
		Freezes: []bot.Freeze{{Reason: "New year", From: time.Date(2026, 12, 29, 0, 0, 0, 0,
			loc), To: time.Date(2027, 1, 4, 0, 0, 0, 0, loc)}},
		FreezeSeverities: []string{"P0", "P1"},
	}
	return p
}

func TestDeployDecisions(t *testing.T) {
	f := newFixture(t)
	p := deployPolicy(t)
	b, err := bot.New(bot.Options{Policy: p, Store: f.db, Chat: f.chat, Clock: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	loc := p.Location
	at := func(y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, loc)
	}

	cases := []struct {
		name    string
		env     string
		at      time.Time
		allowed bool
		rule    string
		next    time.Time
	}{
		{"Thursday morning", "production", at(2026, 12, 3, 10, 0), true, bot.RuleWindow,
			time.Time{}},
		{"a minute before the window", "Production", at(2026, 12, 3, 9, 59), false,
			bot.RuleOutsideWindow, at(2026, 12, 3, 10, 0)},
		{"the window's last minute", "production", at(2026, 12, 3, 15, 59), true,
			bot.RuleWindow, time.Time{}},
		{"the window's end", "production", at(2026, 12, 3, 16, 0), false,
			bot.RuleOutsideWindow, at(2026, 12, 8, 10, 0)},
		{"Friday", "production", at(2026, 12, 4, 12, 0), false, bot.RuleOutsideWindow,
			at(2026, 12, 8, 10, 0)},
		{"Monday", "production", at(2026, 12, 7, 23, 59), false, bot.RuleOutsideWindow,
			at(2026, 12, 8, 10, 0)},
		{"Tuesday just after midnight", "production", at(2026, 12, 8, 0, 1), false,
			bot.RuleOutsideWindow, at(2026, 12, 8, 10, 0)},
		{"an environment without rules", "staging", at(2026, 12, 5, 3, 0), true,
			bot.RuleOpen, time.Time{}},
		{"the holiday freeze", "production", at(2026, 12, 30, 11, 0), false,
			bot.RuleScheduledFreeze, at(2027, 1, 5, 10, 0)},
		{"the window after the freeze", "production", at(2027, 1, 5, 10, 30), true,
			bot.RuleWindow, time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := b.DecideDeploy(context.Background(), tc.env, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed != tc.allowed || d.Rule != tc.rule || !d.Next.Equal(tc.next) {
				t.Errorf("got allowed=%v rule=%s next=%s (%s), want %v %s %s", d.Allowed,
					d.Rule, d.Next, d.Reason, tc.allowed, tc.rule, tc.next)
			}
		})
	}
}

func TestDeployFreezes(t *testing.T) {
	f := newFixture(t)
	p := deployPolicy(t)
	b, err := bot.New(bot.Options{Policy: p, Store: f.db, Chat: f.chat, Clock: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	thursday := time.Date(2026, 12, 3, 11, 0, 0, 0, p.Location)
	f.clock.now = thursday

	// An open P1 freezes production but not staging.
	inc, _, err := b.Declare(ctx, bot.Declaration{Title: "API down", Severity: "P1", By: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := b.DecideDeploy(ctx, "production", thursday)
	if d.Allowed || d.Rule != bot.RuleIncidentFreeze || !strings.Contains(d.Reason, "INC-1") {
		t.Errorf("with a P1 open: %+v", d)
	}
	if d, _ := b.DecideDeploy(ctx, "staging", thursday); !d.Allowed {
		t.Errorf("staging held by the incident: %+v", d)
	}
	if _, err := b.Resolve(ctx, inc.ID, "U1", "fixed"); err != nil {
		t.Fatal(err)
	}

	// A manual freeze until 14:00, then lifted early.
	until := thursday.Add(3 * time.Hour)
	if _, err := b.FreezeDeploys(ctx, "U2", "database migration", until); err != nil {
		t.Fatal(err)
	}
	d, _ = b.DecideDeploy(ctx, "production", thursday.Add(time.Hour))
	if d.Allowed || d.Rule != bot.RuleManualFreeze || !d.Next.Equal(until) ||
		!strings.Contains(d.Reason, "<@U2>: database migration") {
		t.Errorf("during the freeze: %+v", d)
	}
	if d, _ := b.DecideDeploy(ctx, "production", until); !d.Allowed {
		t.Errorf("after the freeze: %+v", d)
	}
	if n, err := b.UnfreezeDeploys(ctx, "U3"); err != nil || n != 1 {
		t.Fatalf("unfreeze: %d %v", n, err)
	}
	if d, _ := b.DecideDeploy(ctx, "production", thursday.Add(time.Hour)); !d.Allowed {
		t.Errorf("after the unfreeze: %+v", d)
	}
	if _, err := b.UnfreezeDeploys(ctx, "U3"); err == nil {
		t.Error("unfreezing twice was accepted")
	}
	if _, err := b.FreezeDeploys(ctx, "U2", " ", time.Time{}); err == nil {
		t.Error("a freeze without a reason was accepted")
	}
}

func TestWindowString(t *testing.T) {
	w := bot.Window{Days: []time.Weekday{time.Tuesday, time.Wednesday, time.Thursday},
		Start: 10 * time.Hour, End: 16 * time.Hour}
	if got := w.String(); got != "Tue–Thu 10:00–16:00" {
		t.Errorf("got %q", got)
	}
}
