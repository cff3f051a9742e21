package bot_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"warroom/bot"
)

// gate records GitHub's reviews and statuses.
type gate struct {
	mu       sync.Mutex
	reviews  []string
	statuses []string
}

func (g *gate) Review(_ context.Context, repo string, run int64, env string, ok bool,
	comment string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.reviews = append(g.reviews, fmt.Sprintf("%s run %d %s approve=%v: %s", repo, run, env,
		ok, comment))
	return nil
}

func (g *gate) SetStatus(_ context.Context, repo string, id int64, state, desc string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.statuses = append(g.statuses, fmt.Sprintf("%s %d %s: %s", repo, id, state, desc))
	return nil
}

func newDeployFixture(t *testing.T) (*fixture, *gate) {
	t.Helper()
	f := newFixture(t)
	p := deployPolicy(t)
	p.Deploy.Approvers = []string{"UAPPROVER", "UCTO"}
	p.Deploy.Channel = "CDEPLOYS"
	g := &gate{}
	b, err := bot.New(bot.Options{Policy: p, Store: f.db, Chat: f.chat, Clock: f.clock,
		Gate: g})
	if err != nil {
		t.Fatal(err)
	}
	f.bot = b
	return f, g
}

func TestDeployGateFlow(t *testing.T) {
	f, g := newDeployFixture(t)
	ctx := context.Background()
	loc := deployPolicy(t).Location

	// Thursday 11:00: inside the window, approved at the gate at once.
	f.clock.now = time.Date(2026, 12, 3, 11, 0, 0, 0, loc)
	_, err := f.bot.HandleDeployEvent(ctx, bot.DeployEvent{Kind: bot.DeployReview,
		Repo: "acme/api", Environment: "production", SHA: "0123456789", RunID: 77,
		DeploymentID: 5, Creator: "dana"})
	if err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	if len(g.reviews) != 1 || !strings.Contains(g.reviews[0], "run 77 production approve=true") ||
		!strings.Contains(g.reviews[0], "rule window") {
		t.Fatalf("reviews %q", g.reviews)
	}

	// Friday: held, posted with the buttons.
	f.clock.now = time.Date(2026, 12, 4, 11, 0, 0, 0, loc)
	rec, err := f.bot.HandleDeployEvent(ctx, bot.DeployEvent{Kind: bot.DeployReview,
		Repo: "acme/api", Environment: "production", SHA: "abcdef1234", RunID: 78,
		DeploymentID: 6, Creator: "omar"})
	if err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	posts := f.chat.postsIn("CDEPLOYS")
	if len(posts) != 1 || !strings.Contains(posts[0].Msg.Text, "outside the change policy") ||
		len(g.reviews) != 1 {
		t.Fatalf("held deploy: posts %+v reviews %q", posts, g.reviews)
	}

	// A non-approver is refused and nothing reaches GitHub.
	_, err = f.bot.DecideEmergency(ctx, rec.ID, "USTRANGER", "stranger", true, "hotfix")
	if e := bot.AsError(err); e.Code != bot.CodeForbidden || !strings.Contains(e.Hint,
		"<@UAPPROVER>, <@UCTO>") {
		t.Fatalf("non-approver: %v", err)
	}

	// Two approvers at once: one decision.
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, who := range []string{"UAPPROVER", "UCTO"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.bot.DecideEmergency(ctx, rec.ID, who, who, true, "payments hotfix")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		if err == nil {
			ok++
		}
	}
	f.settle(t)
	if ok != 1 || len(g.reviews) != 2 || !strings.Contains(g.reviews[1], "approve=true") ||
		!strings.Contains(g.reviews[1], "emergency deploy approved in Slack by U") {
		t.Fatalf("%d decisions; reviews %q", ok, g.reviews)
	}

	audit, _ := f.bot.OpenFollowUps(ctx)
	if len(audit) != 1 || audit[0].ID != rec.ID {
		t.Fatalf("follow-ups %+v", audit)
	}
	if _, err := f.bot.DocumentEmergency(ctx, rec.ID, "UCTO", "https://wiki/x"); err != nil {
		t.Fatal(err)
	}
	if audit, _ = f.bot.OpenFollowUps(ctx); len(audit) != 0 {
		t.Errorf("follow-ups after documenting: %+v", audit)
	}

	// A plain deployment on Saturday is reported with a status.
	f.clock.now = time.Date(2026, 12, 5, 11, 0, 0, 0, loc)
	if _, err := f.bot.HandleDeployEvent(ctx, bot.DeployEvent{Kind: bot.DeployCreated,
		Repo: "acme/web", Environment: "production", DeploymentID: 9}); err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	if len(g.statuses) != 1 || !strings.Contains(g.statuses[0],
		"acme/web 9 pending: warroom: OUTSIDE the change policy") {
		t.Errorf("statuses %q", g.statuses)
	}
}

func TestHighRiskNeedsAnApproverInsideTheWindow(t *testing.T) {
	f, g := newDeployFixture(t)
	loc := deployPolicy(t).Location
	f.clock.now = time.Date(2026, 12, 3, 11, 0, 0, 0, loc)
	rec, err := f.bot.HandleDeployEvent(context.Background(), bot.DeployEvent{
		Kind: bot.DeployReview, Repo: "acme/db", Environment: "production", RunID: 9,
		Risk: "High"})
	if err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	if rec.Status != bot.DeployPending || rec.Rule != "high_risk" || len(g.reviews) != 0 {
		t.Errorf("high risk: %+v, reviews %q", rec, g.reviews)
	}
}

func TestGitHubFailureIsToldInTheDeploysChannel(t *testing.T) {
	f := newFixture(t)
	p := deployPolicy(t)
	p.Deploy.Channel = "CDEPLOYS"
	b, err := bot.New(bot.Options{Policy: p, Store: f.db, Chat: f.chat, Clock: f.clock,
		Gate: failingGate{}, MaxAttempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.now = time.Date(2026, 12, 3, 11, 0, 0, 0, p.Location)
	if _, err := b.HandleDeployEvent(context.Background(), bot.DeployEvent{
		Kind: bot.DeployReview, Repo: "acme/api", Environment: "production",
		RunID: 1}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		for b.RunDue(context.Background()) > 0 {
		}
		f.clock.Add(time.Minute)
	}
	posts := f.chat.postsIn("CDEPLOYS")
	if len(posts) != 2 || !strings.Contains(posts[0].Msg.Text, "keeps trying") ||
		!strings.Contains(posts[1].Msg.Text, "gave up") {
		t.Errorf("deploys channel: %+v", posts)
	}
}

type failingGate struct{}

func (failingGate) Review(context.Context, string, int64, string, bool, string) error {
	return fmt.Errorf("github: 502 bad gateway")
}

func (failingGate) SetStatus(context.Context, string, int64, string, string) error {
	return fmt.Errorf("github: 502 bad gateway")
}

func TestDeployOutcomeShowsOnItsMessage(t *testing.T) {
	f, _ := newDeployFixture(t)
	ctx := context.Background()
	f.clock.now = time.Date(2026, 12, 5, 11, 0, 0, 0, deployPolicy(t).Location)
	if _, err := f.bot.HandleDeployEvent(ctx, bot.DeployEvent{Kind: bot.DeployCreated,
		Repo: "acme/web", Environment: "production", DeploymentID: 9}); err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	for _, state := range []string{"in_progress", "failure", "failure"} {
		if _, err := f.bot.HandleDeployEvent(ctx, bot.DeployEvent{Kind: bot.DeployStatus,
			Repo: "acme/web", DeploymentID: 9, State: state}); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(2 * time.Second)
		f.settle(t)
	}
	edits := updatesIn(f.chat, "CDEPLOYS")
	if len(edits) != 1 || !strings.Contains(edits[0].Msg.Blocks[1].Text, "failed (failure)") {
		t.Errorf("edits %+v", edits)
	}
	if _, err := f.bot.HandleDeployEvent(ctx, bot.DeployEvent{Kind: bot.DeployStatus,
		Repo: "acme/unknown", DeploymentID: 1, State: "success"}); err != nil {
		t.Errorf("a status of a deployment warroom never saw: %v", err)
	}
}

func TestEnvironmentRiskAppliesWhenTheDeployDeclaresNone(t *testing.T) {
	f := newFixture(t)
	p := deployPolicy(t)
	p.Deploy.Approvers = []string{"UCTO"}
	p.Deploy.Environments = append(p.Deploy.Environments, bot.EnvironmentRule{
		Name: "db-migrations", Risk: "high", Windows: []bot.Window{{Days: []time.Weekday{
			time.Thursday}, Start: 2 * time.Hour, End: 4 * time.Hour}}})
	b, err := bot.New(bot.Options{Policy: p, Store: f.db, Chat: f.chat, Clock: f.clock,
		Gate: &gate{}})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 3, 3, 0, 0, 0, p.Location)
	rec, err := b.HandleDeployEvent(context.Background(), bot.DeployEvent{
		Kind: bot.DeployReview, Repo: "acme/db", Environment: "db-migrations", RunID: 3, At: at})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Risk != "high" || rec.Status != bot.DeployPending {
		t.Errorf("record %+v", rec)
	}
}
