package bot_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"warroom/bot"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestPostmortemDraftGolden(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	inc := f.declare(t, "Checkout &lt;fails&gt; &amp; payments drop", "P1", "api")
	step := func(d time.Duration, do func() error) {
		t.Helper()
		f.clock.Add(d)
		if err := do(); err != nil {
			t.Fatal(err)
		}
	}
	msg := func(user, text string) func() error {
		return func() error {
			return f.bot.RecordMessage(ctx, bot.ChannelMessage{ChannelID: inc.ChannelID,
				UserID: user, Text: text})
		}
	}

	step(2*time.Minute, msg("UALICE", "seeing 502s from the payment provider"))
	step(time.Minute, msg("UBOB", "token xoxb-1234567890-abcdefghij pasted by mistake"))
	step(time.Minute, func() error {
		_, _, err := f.bot.Acknowledge(ctx, inc.ID, "UALICE")
		return err
	})
	step(5*time.Minute, func() error {
		_, err := f.bot.SetStatus(ctx, inc.ID, "UDECL", bot.StatusIdentified,
			"a bad config push to the payments gateway, see <https://git.example/pr/9|PR 9>")
		return err
	})
	step(time.Minute, msg("UALICE", "rolling back"))
	step(3*time.Minute, func() error {
		_, err := f.bot.SetStatus(ctx, inc.ID, "UDECL", bot.StatusMonitoring,
			"config rolled back; error rate back to 0.1%")
		return err
	})
	step(20*time.Minute, func() error {
		_, err := f.bot.Resolve(ctx, inc.ID, "UDECL", "rolled back the gateway config")
		return err
	})

	loc := f.bot.Policy().Location
	if _, err := f.bot.AddActionItem(ctx, inc.ID, "UDECL", "UALICE",
		"Canary gateway config pushes | gate on error rate", time.Date(2026, 12, 10, 0, 0, 0, 0,
			loc)); err != nil {
		t.Fatal(err)
	}
	done, err := f.bot.AddActionItem(ctx, inc.ID, "UDECL", "UBOB", "Rotate the leaked token",
		time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.bot.CompleteActionItem(ctx, done.ID, "UBOB"); err != nil {
		t.Fatal(err)
	}

	draft, err := f.bot.DraftPostmortem(ctx, inc.ID, bot.Impact{UsersAffected: "about 12%",
		RevenueLost: "$4,300"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(draft, "xoxb-") {
		t.Fatal("a token made it into the draft")
	}

	golden := filepath.Join("testdata", "postmortem.golden.md")
	if *update {
		if err := os.WriteFile(golden, []byte(draft), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if draft != string(want) {
		t.Errorf("draft differs from %s (go test ./bot -run Golden -update rewrites it):\n%s",
			golden, draft)
	}
}

func TestPostmortemOfAnOpenIncidentSaysSo(t *testing.T) {
	f := newFixture(t)
	inc := f.declare(t, "Queue backlog", "P2")
	draft, err := f.bot.DraftPostmortem(context.Background(), inc.ID, bot.Impact{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(draft, "Draft of an incident still open") {
		t.Error("the draft of an open incident does not say so")
	}
}

func TestActionItemsRefuseBadInput(t *testing.T) {
	f := newFixture(t)
	inc := f.declare(t, "Slow search", "P2")
	ctx := context.Background()
	if _, err := f.bot.AddActionItem(ctx, inc.ID, "U1", "U2", " ", time.Time{}); err == nil {
		t.Error("an empty action item was taken")
	}
	past := f.clock.Now().AddDate(0, 0, -2)
	if _, err := f.bot.AddActionItem(ctx, inc.ID, "U1", "U2", "x", past); err == nil {
		t.Error("a deadline in the past was taken")
	}
	if _, err := f.bot.CompleteActionItem(ctx, 99, "U1"); err == nil {
		t.Error("completing a missing item succeeded")
	}
}

func TestRedact(t *testing.T) {
	cases := []struct{ in, want string }{
		{"bot token xoxb-123456789012-abcdefABCDEF here", "bot token [redacted] here"},
		{"ghp_abcdefghijklmnopqrstuvwxyz0123456789AB", "[redacted]"},
		{"key AKIAIOSFODNN7EXAMPLE", "key [redacted]"},
		{"Authorization: Bearer abc.def-ghi_jkl.mnopq", "Authorization: [redacted]"},
		{"password=hunter2 and more", "[redacted] and more"},
		{"sk_live_4eC39HqLyjWDarjtT1zdp7dc", "[redacted]"},
		{"nothing secret in 502s from api-3", "nothing secret in 502s from api-3"},
	}
	for _, tc := range cases {
		if got := bot.Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// BenchmarkDraftPostmortem drafts from 10,000 timeline events.
func BenchmarkDraftPostmortem(b *testing.B) {
	t := &testing.T{}
	f := newFixture(t)
	ctx := context.Background()
	inc, _, err := f.bot.Declare(ctx, bot.Declaration{Title: "Big one", Severity: "P1",
		By: "UDECL"})
	if err != nil {
		b.Fatal(err)
	}
	f.settle(t)
	inc, _ = f.bot.Incident(ctx, inc.ID)
	err = f.db.Update(ctx, func(tx bot.Tx) error {
		for i := 0; i < 10000; i++ {
			kind := bot.EventMessage
			if i%50 == 0 {
				kind = bot.EventUpdate
			}
			err := tx.AddEvent(&bot.Event{IncidentID: inc.ID, At: f.clock.Now().Add(
				time.Duration(i) * time.Second), Actor: fmt.Sprintf("U%d", i%7), Kind: kind,
				Text: fmt.Sprintf("message %d about the queue and xoxb-%010d-secret", i, i)})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}

	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.bot.DraftPostmortem(ctx, inc.ID, bot.Impact{}); err != nil {
			b.Fatal(err)
		}
	}
}
