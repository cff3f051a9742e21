package bot_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"warroom/bot"
	"warroom/storage"
)

// clock is a clock the test moves by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// chat records what the bot does in chat and fails on request.
type chat struct {
	mu       sync.Mutex
	channels map[string]string // id -> name
	names    map[string]bool
	members  map[string][]string
	topics   map[string]string
	posts    []post
	updates  []post
	pins     []string
	notices  []string
	fail     map[string]error // method -> error returned until cleared
	users    map[string]string
	seq      int
	// now, when set, stamps posts and edits.
	now func() time.Time
}

func (c *chat) stamp() time.Time {
	if c.now == nil {
		return time.Time{}
	}
	return c.now()
}

type post struct {
	Channel string
	TS      string
	Msg     bot.Message
	At      time.Time
}

func newChat() *chat {
	return &chat{channels: map[string]string{}, names: map[string]bool{},
		members: map[string][]string{}, topics: map[string]string{},
		fail: map[string]error{}, users: map[string]string{"alice": "UALICE"}}
}

func (c *chat) failing(method string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fail[method]
}

func (c *chat) setFail(method string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		delete(c.fail, method)
		return
	}
	c.fail[method] = err
}

func (c *chat) CreateChannel(_ context.Context, name string, _ bool) (string, error) {
	if err := c.failing("create"); err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.names[name] {
		return "", fmt.Errorf("create %s: %w", name, bot.ErrNameTaken)
	}
	c.seq++
	id := fmt.Sprintf("C%04d", c.seq)
	c.channels[id] = name
	c.names[name] = true
	return id, nil
}

func (c *chat) SetTopic(_ context.Context, channel, topic string) error {
	if err := c.failing("topic"); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.topics[channel] = topic
	return nil
}

func (c *chat) Invite(_ context.Context, channel string, users []string) error {
	if err := c.failing("invite"); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.members[channel] = append(c.members[channel], users...)
	return nil
}

func (c *chat) Post(_ context.Context, channel string, msg bot.Message) (string, error) {
	if err := c.failing("post"); err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	ts := fmt.Sprintf("1700000000.%06d", c.seq)
	c.posts = append(c.posts, post{channel, ts, msg, c.stamp()})
	return ts, nil
}

func (c *chat) Update(_ context.Context, channel, ts string, msg bot.Message) error {
	if err := c.failing("update"); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.updates = append(c.updates, post{channel, ts, msg, c.stamp()})
	return nil
}

func (c *chat) Pin(_ context.Context, channel, ts string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pins = append(c.pins, channel+"/"+ts)
	return nil
}

func (c *chat) Notify(_ context.Context, to bot.Recipient, msg bot.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.notices = append(c.notices, to.UserID+": "+msg.Text)
	return nil
}

func (c *chat) Permalink(_ context.Context, channel, ts string) (string, error) {
	return "https://chat.test/" + channel + "/" + ts, nil
}

func (c *chat) FindUser(_ context.Context, handle string) (string, error) {
	if id, ok := c.users[handle]; ok {
		return id, nil
	}
	return "", bot.ErrUserNotFound
}

func (c *chat) postsIn(channel string) []post {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []post
	for _, p := range c.posts {
		if p.Channel == channel {
			out = append(out, p)
		}
	}
	return out
}

func (c *chat) channelCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.channels)
}

func (c *chat) allNotices() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.notices)
}

// policy is the shipped policy, cut down to what the tests need.
func policy(t testing.TB) bot.Policy {
	loc, err := time.LoadLocation("Asia/Tashkent")
	if err != nil {
		t.Fatal(err)
	}
	return bot.Policy{
		Location: loc,
		Severities: []bot.Severity{
			{Name: "P0", Label: "critical", Response: 15 * time.Minute,
				UpdateEvery: 30 * time.Minute},
			{Name: "P1", Label: "high", Response: time.Hour, UpdateEvery: 30 * time.Minute},
			{Name: "P2", Label: "medium", Response: 4 * time.Hour, UpdateEvery: time.Hour},
		},
		DefaultSeverity: "P2",
		Components:      []bot.Component{{ID: "api", Name: "API"}, {ID: "stt", Name: "STT"}},
		Responders: []bot.ResponderRule{
			{Components: []string{"api"}, Severities: []string{"P0", "P1"},
				Users: []string{"UAPI"}},
		},
		Admins:          []string{"UADMIN"},
		AnnounceChannel: "CANNOUNCE",
		ChannelPrefix:   "incident",
		Checklist: []bot.ChecklistStep{
			{Step: "Acknowledge", Auto: bot.AutoAcknowledged},
			{Step: "Open a channel", Auto: bot.AutoChannel},
			{Step: "Assign a commander", Auto: bot.AutoCommander},
			{Step: "Update the status page", Auto: bot.AutoStatusUpdate},
			{Step: "Resolve", Auto: bot.AutoResolved},
		},
		PostmortemDue: 48 * time.Hour,
	}
}

type fixture struct {
	bot   *bot.Bot
	chat  *chat
	clock *clock
	db    *storage.DB
	logs  *test.Hook
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "warroom.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	logger, hook := test.NewNullLogger()
	logger.SetLevel(logrus.DebugLevel)
	f := &fixture{chat: newChat(), db: db, logs: hook,
		clock: &clock{now: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}}
	f.chat.now = f.clock.Now
	f.bot, err = bot.New(bot.Options{Policy: policy(t), Store: db, Chat: f.chat,
		Clock: f.clock, Log: logrus.NewEntry(logger), MaxAttempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// settle runs jobs until none is due.
func (f *fixture) settle(t *testing.T) {
	t.Helper()
	for i := 0; i < 50; i++ {
		if f.bot.RunDue(context.Background()) == 0 {
			return
		}
	}
	t.Fatal("jobs still due after 50 rounds")
}

func (f *fixture) declare(t *testing.T, title, sev string, comps ...string) *bot.Incident {
	t.Helper()
	inc, _, err := f.bot.Declare(context.Background(), bot.Declaration{
		Title: title, Severity: sev, Components: comps, By: "UDECL",
		ReplyTo: bot.Recipient{UserID: "UDECL", ChannelID: "CGENERAL"},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	inc, err = f.bot.Incident(context.Background(), inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func TestDeclareSetsUpTheIncident(t *testing.T) {
	f := newFixture(t)
	inc := f.declare(t, "API is down!", "p1", "API")

	if inc.ChannelName != "incident-20261203-api-is-down" {
		t.Errorf("channel name = %q", inc.ChannelName)
	}
	if !inc.Ready || inc.ChannelID == "" || inc.CardTS == "" || inc.AnnounceTS == "" {
		t.Fatalf("incident not fully set up: %+v", inc)
	}
	if inc.Severity != "P1" || inc.Commander != "UDECL" {
		t.Errorf("severity %q commander %q", inc.Severity, inc.Commander)
	}
	if got := f.chat.members[inc.ChannelID]; !slices.Equal(got, []string{"UDECL", "UAPI"}) {
		t.Errorf("invited %v, want the declarer and the API responder", got)
	}
	if topic := f.chat.topics[inc.ChannelID]; !strings.Contains(topic, "P1 | Investigating") {
		t.Errorf("topic = %q", topic)
	}
	if !slices.Contains(f.chat.pins, inc.ChannelID+"/"+inc.CardTS) {
		t.Errorf("card not pinned: %v", f.chat.pins)
	}
	if len(f.chat.postsIn("CANNOUNCE")) != 1 {
		t.Errorf("announcements: %v", f.chat.postsIn("CANNOUNCE"))
	}
	notices := f.chat.allNotices()
	if len(notices) != 1 || !strings.Contains(notices[0], "<#"+inc.ChannelID+">") {
		t.Errorf("declarer was not sent the channel: %v", notices)
	}
	if !inc.Checklist[1].Done() || !inc.Checklist[2].Done() || inc.Checklist[0].Done() {
		t.Errorf("checklist ticks: %+v", inc.Checklist)
	}
}

func TestDeclareRefusesBadInput(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name string
		d    bot.Declaration
		want string
	}{
		{"no title", bot.Declaration{Severity: "P1"}, "needs a title"},
		{"bad severity", bot.Declaration{Title: "x", Severity: "P9"}, "P0, P1, P2"},
		{"bad component", bot.Declaration{Title: "x", Severity: "P1",
			Components: []string{"mainframe"}}, "api, stt"},
		{"long title", bot.Declaration{Title: strings.Repeat("x", 151), Severity: "P1"},
			"at most 150"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := f.bot.Declare(context.Background(), tc.d)
			var e *bot.Error
			if !errors.As(err, &e) || e.Code != bot.CodeInvalid {
				t.Fatalf("err = %v, want an invalid-input error", err)
			}
			if !strings.Contains(e.Message+" "+e.Hint, tc.want) {
				t.Errorf("error %q / %q does not mention %q", e.Message, e.Hint, tc.want)
			}
		})
	}
	open, _ := f.bot.OpenIncidents(context.Background())
	if len(open) != 0 {
		t.Errorf("bad declarations stored incidents: %v", open)
	}
}

func TestSecondIncidentSameDayGetsDistinctChannel(t *testing.T) {
	f := newFixture(t)
	a := f.declare(t, "API down", "P1")
	b := f.declare(t, "API down", "P2")
	if a.ChannelName == b.ChannelName || b.ChannelName != "incident-20261203-api-down-2" {
		t.Errorf("names %q and %q", a.ChannelName, b.ChannelName)
	}
}

func TestTakenNameInChatMovesToNextName(t *testing.T) {
	f := newFixture(t)
	f.chat.names["incident-20261203-db-slow"] = true
	inc := f.declare(t, "DB slow", "P2")
	if inc.ChannelName != "incident-20261203-db-slow-2" || inc.ChannelID == "" {
		t.Errorf("incident got %q (%q)", inc.ChannelName, inc.ChannelID)
	}
}

func TestChatFailureDuringDeclarationIsFinishedByRetry(t *testing.T) {
	f := newFixture(t)
	f.chat.setFail("invite", errors.New("slack: 500 internal error"))

	inc, _, err := f.bot.Declare(context.Background(), bot.Declaration{Title: "STT broken",
		Severity: "P1", By: "UDECL", ReplyTo: bot.Recipient{UserID: "UDECL"}})
	if err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	notices := f.chat.allNotices()
	if len(notices) != 1 || !strings.Contains(notices[0], "500 internal error") {
		t.Fatalf("declarer not told of the failure: %v", notices)
	}

	// Every retry fails until the bot gives up; the declarer is told how to
	// finish the job.
	for i := 0; i < 3; i++ {
		f.clock.Add(10 * time.Minute)
		f.settle(t)
	}
	notices = f.chat.allNotices()
	if len(notices) != 2 || !strings.Contains(notices[1], "again") {
		t.Fatalf("declarer not told how to finish: %v", notices)
	}

	// Declaring again finishes the same incident in the same channel.
	f.chat.setFail("invite", nil)
	again, resumed, err := f.bot.Declare(context.Background(), bot.Declaration{
		Title: "STT broken", Severity: "P1", By: "UDECL"})
	if err != nil || !resumed || again.ID != inc.ID {
		t.Fatalf("redeclare: %v resumed=%v id=%d want %d", err, resumed, again.ID, inc.ID)
	}
	f.settle(t)
	inc, _ = f.bot.Incident(context.Background(), inc.ID)
	if !inc.Ready || f.chat.channelCount() != 1 {
		t.Errorf("ready=%v channels=%d", inc.Ready, f.chat.channelCount())
	}
}

func TestRateLimitWaitsAsAsked(t *testing.T) {
	f := newFixture(t)
	f.chat.setFail("post", &bot.RetryAfterError{Wait: 30 * time.Second,
		Err: errors.New("rate limited")})
	inc, _, err := f.bot.Declare(context.Background(), bot.Declaration{Title: "Queue deep",
		Severity: "P2", By: "UDECL"})
	if err != nil {
		t.Fatal(err)
	}
	f.settle(t)
	f.chat.setFail("post", nil)

	f.clock.Add(29 * time.Second)
	f.settle(t)
	if got, _ := f.bot.Incident(context.Background(), inc.ID); got.CardTS != "" {
		t.Fatal("card posted before the wait was over")
	}
	f.clock.Add(time.Second)
	f.settle(t)
	if got, _ := f.bot.Incident(context.Background(), inc.ID); got.CardTS == "" {
		t.Fatal("card not posted after the wait")
	}
}

func TestOnlyCommanderOrAdminResolves(t *testing.T) {
	f := newFixture(t)
	inc := f.declare(t, "LLM errors", "P1")
	ctx := context.Background()

	_, err := f.bot.Resolve(ctx, inc.ID, "USTRANGER", "")
	var e *bot.Error
	if !errors.As(err, &e) || e.Code != bot.CodeForbidden ||
		!strings.Contains(e.Message, "<@UDECL>") {
		t.Fatalf("stranger resolving: %v", err)
	}
	if _, err := f.bot.SetSeverity(ctx, inc.ID, "USTRANGER", "P0", "worse"); err == nil {
		t.Fatal("stranger changed the severity")
	}
	if _, err := f.bot.SetSeverity(ctx, inc.ID, "UADMIN", "P0", "worse"); err != nil {
		t.Fatalf("admin changing severity: %v", err)
	}

	f.clock.Add(90 * time.Minute)
	got, err := f.bot.Resolve(ctx, inc.ID, "UDECL", "rolled back")
	if err != nil {
		t.Fatal(err)
	}
	if got.TimeToResolve() != 90*time.Minute || got.TimeToAcknowledge() != 90*time.Minute {
		t.Errorf("ttr %v tta %v", got.TimeToResolve(), got.TimeToAcknowledge())
	}
	if !got.PostmortemDue.Equal(f.clock.Now().Add(48 * time.Hour)) {
		t.Errorf("post-mortem due %v", got.PostmortemDue)
	}
	f.settle(t)

	var last post
	for _, u := range f.chat.updates {
		if u.TS == inc.CardTS {
			last = u
		}
	}
	if !strings.Contains(last.Msg.Text, "resolved") {
		t.Errorf("card not updated to resolved: %+v", last)
	}
	thread := f.chat.postsIn("CANNOUNCE")
	if l := thread[len(thread)-1]; l.Msg.Thread != inc.AnnounceTS {
		t.Errorf("resolution not in the announcement thread: %+v", l)
	}
	if _, err := f.bot.PostUpdate(ctx, inc.ID, "UDECL", "more"); err == nil {
		t.Error("update on a resolved incident accepted")
	}
}

func TestReminderWhenNoUpdate(t *testing.T) {
	f := newFixture(t)
	inc := f.declare(t, "TTS slow", "P1")
	ctx := context.Background()
	reminders := func() int {
		n := 0
		for _, p := range f.chat.postsIn(inc.ChannelID) {
			if strings.Contains(p.Msg.Text, "no status update") {
				n++
			}
		}
		return n
	}

	f.clock.Add(20 * time.Minute)
	if _, err := f.bot.PostUpdate(ctx, inc.ID, "UDECL", "looking at the TTS vendor"); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(20 * time.Minute)
	f.settle(t)
	if n := reminders(); n != 0 {
		t.Fatalf("reminded %d times 20 minutes after an update", n)
	}

	f.clock.Add(11 * time.Minute)
	f.settle(t)
	if n := reminders(); n != 1 {
		t.Fatalf("reminded %d times 31 minutes after an update, want 1", n)
	}
	p := f.chat.postsIn(inc.ChannelID)
	if !strings.Contains(p[len(p)-1].Msg.Text, "<@UDECL>") {
		t.Errorf("reminder does not mention the commander: %q", p[len(p)-1].Msg.Text)
	}

	f.clock.Add(30 * time.Minute)
	f.settle(t)
	if n := reminders(); n != 2 {
		t.Errorf("reminded %d times after another interval, want 2", n)
	}
}

func TestAcknowledgeOnce(t *testing.T) {
	f := newFixture(t)
	inc := f.declare(t, "Payments failing", "P0")
	ctx := context.Background()

	f.clock.Add(4 * time.Minute)
	var wg sync.WaitGroup
	firsts := make(chan bool, 2)
	for _, who := range []string{"UA", "UB"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, first, err := f.bot.Acknowledge(ctx, inc.ID, who)
			if err != nil {
				t.Error(err)
			}
			firsts <- first
		}()
	}
	wg.Wait()
	close(firsts)
	n := 0
	for first := range firsts {
		if first {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d acknowledgements counted as first, want 1", n)
	}

	events, _ := f.bot.Timeline(ctx, inc.ID)
	acks := 0
	for _, ev := range events {
		if ev.Kind == bot.EventAcknowledged {
			acks++
		}
	}
	got, _ := f.bot.Incident(ctx, inc.ID)
	if acks != 1 || got.TimeToAcknowledge() != 4*time.Minute {
		t.Errorf("acks on timeline %d, tta %v", acks, got.TimeToAcknowledge())
	}
}

func TestTimelineHoldsEveryChangeInOrder(t *testing.T) {
	f := newFixture(t)
	inc := f.declare(t, "Search broken", "P2")
	ctx := context.Background()

	steps := []func() error{
		func() error { _, err := f.bot.SetCommander(ctx, inc.ID, "UDECL", "UALICE"); return err },
		func() error {
			_, err := f.bot.AssignRole(ctx, inc.ID, "UALICE", bot.RoleComms, "UB")
			return err
		},
		func() error {
			_, err := f.bot.SetStatus(ctx, inc.ID, "UALICE", bot.StatusIdentified, "bad index")
			return err
		},
		func() error { _, err := f.bot.AddNote(ctx, inc.ID, "UB", "customers told"); return err },
		func() error { _, _, err := f.bot.TickStep(ctx, inc.ID, "UB", 0); return err },
		func() error { _, err := f.bot.Resolve(ctx, inc.ID, "UALICE", "reindexed"); return err },
		func() error { _, err := f.bot.Reopen(ctx, inc.ID, "UALICE", "came back"); return err },
	}
	for i, step := range steps {
		f.clock.Add(time.Minute)
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}

	events, err := f.bot.Timeline(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []bot.EventKind
	for _, ev := range events {
		kinds = append(kinds, ev.Kind)
	}
	want := []bot.EventKind{bot.EventDeclared, bot.EventChannel, bot.EventCommander,
		bot.EventRole, bot.EventStatus, bot.EventNote, bot.EventChecklist, bot.EventResolved,
		bot.EventReopened}
	if !slices.Equal(kinds, want) {
		t.Errorf("timeline kinds\n got %v\nwant %v", kinds, want)
	}
}

func TestSlug(t *testing.T) {
	cases := []struct {
		title string
		max   int
		want  string
	}{
		{"API is down!", 60, "api-is-down"},
		{"  Ünïcode & émoji 🔥 STT ", 60, "n-code-moji-stt"},
		{"---", 60, ""},
		{"a very long title that goes on and on", 10, "a-very-lon"},
		{"ends with dash-", 9, "ends-with"},
	}
	for _, tc := range cases {
		t.Run(tc.title, func(t *testing.T) {
			if got := bot.Slug(tc.title, tc.max); got != tc.want {
				t.Errorf("Slug(%q, %d) = %q, want %q", tc.title, tc.max, got, tc.want)
			}
		})
	}
}
