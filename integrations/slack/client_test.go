package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"

	"warroom/bot"
	"warroom/integrations/slack"
	"warroom/integrations/slack/slackfake"
)

const botToken = "xoxb-1234-secret-token"

// harness is a Client wired to a fake Slack, with its own registry, a
// log kept in memory and a clock the test moves.
type harness struct {
	fake   *slackfake.Server
	client *slack.Client
	reg    *prometheus.Registry
	logs   *bytes.Buffer
	now    time.Time
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{
		fake: slackfake.New(t),
		reg:  prometheus.NewRegistry(),
		logs: &bytes.Buffer{},
		now:  time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC),
	}
	logger := logrus.New()
	logger.SetOutput(h.logs)
	logger.SetLevel(logrus.DebugLevel)
	logger.SetFormatter(&logrus.JSONFormatter{})

	client, err := slack.NewClient(slack.Config{
		Token:   botToken,
		APIURL:  h.fake.APIURL(),
		Log:     logrus.NewEntry(logger),
		Metrics: slack.NewMetrics(h.reg),
		Now:     func() time.Time { return h.now },
	})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	h.client = client

	h.fake.AddUser("U1", "alice", "Alice Archer")
	h.fake.AddUser("U2", "bob", "Bob Baker")
	t.Cleanup(func() {
		if strings.Contains(h.logs.String(), botToken) {
			t.Error("the token appears in the log")
		}
	})
	return h
}

// channel creates a channel through the client.
func (h *harness) channel(t *testing.T, name string) string {
	t.Helper()
	id, err := h.client.CreateChannel(context.Background(), name, false)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return id
}

func TestNewClientChecksToken(t *testing.T) {
	for _, token := range []string{"", "xoxp-user-secret"} {
		_, err := slack.NewClient(slack.Config{Token: token})
		if err == nil {
			t.Errorf("token %q accepted", token)
			continue
		}
		if token != "" && strings.Contains(err.Error(), token) {
			t.Errorf("error shows the token: %v", err)
		}
	}
}

func TestAuthTest(t *testing.T) {
	h := newHarness(t)

	id, err := h.client.AuthTest(context.Background())
	if err != nil || id != slackfake.BotUserID {
		t.Errorf("AuthTest = %q, %v; want %s", id, err, slackfake.BotUserID)
	}

	h.fake.FailNext("auth.test", slackfake.Fault{Error: "token_revoked"})
	if _, err := h.client.AuthTest(context.Background()); !bot.IsPermanent(err) {
		t.Errorf("revoked token: err = %v, want permanent", err)
	}
}

func TestCreateChannel(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()

	id, err := h.client.CreateChannel(ctx, "incident-20240305-db", true)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	ch, ok := h.fake.Channel(id)
	if !ok || ch.Name != "incident-20240305-db" || !ch.Private {
		t.Errorf("channel = %+v", ch)
	}

	tests := []struct {
		name      string
		wantTaken bool
	}{
		{"incident-20240305-db", true},
		{"Incident Two", false},
		{strings.Repeat("x", 81), false},
	}
	for _, tt := range tests {
		_, err := h.client.CreateChannel(ctx, tt.name, false)
		if err == nil {
			t.Errorf("%q: created", tt.name)
			continue
		}
		if errors.Is(err, bot.ErrNameTaken) != tt.wantTaken || !bot.IsPermanent(err) {
			t.Errorf("%q: err = %v; want name taken %v, permanent", tt.name, err, tt.wantTaken)
		}
	}
}

func TestInvite(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id := h.channel(t, "inc")

	tests := []struct {
		name        string
		users       []string
		wantMembers []string
		wantErr     bool
	}{
		{"skips the bot", []string{slackfake.BotUserID, "U1", "U1"}, []string{"U1"}, false},
		{"already in", []string{"U1"}, []string{"U1"}, false},
		{"some new", []string{"U1", "U2"}, []string{"U1", "U2"}, false},
		{"nobody", nil, []string{"U1", "U2"}, false},
	}
	for _, tt := range tests {
		err := h.client.Invite(ctx, id, tt.users)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v", tt.name, err)
		}
		ch, _ := h.fake.Channel(id)
		if got := strings.Join(ch.Members[1:], ","); got != strings.Join(tt.wantMembers, ",") {
			t.Errorf("%s: members = %v, want the bot and %v", tt.name, ch.Members, tt.wantMembers)
		}
	}
	for _, c := range h.fake.CallsTo("conversations.invite") {
		if strings.Contains(c.Params.Get("users"), slackfake.BotUserID) {
			t.Errorf("invited the bot: %v", c.Params)
		}
	}
}

func TestInviteRefusedUsers(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.fake.PutUser(slackfake.User{ID: "U3", Handle: "gone", Deleted: true})
	id := h.channel(t, "inc")

	if err := h.client.Invite(ctx, id, []string{"U404", "U1", "U3", "U2"}); err != nil {
		t.Errorf("invite with some bad ids: %v", err)
	}
	ch, _ := h.fake.Channel(id)
	if len(ch.Members) != 3 {
		t.Errorf("members = %v, want the bot, U1 and U2", ch.Members)
	}
	if !strings.Contains(h.logs.String(), "U404") {
		t.Error("the refused user is not logged")
	}

	err := h.client.Invite(ctx, id, []string{"U404", "U3"})
	if !bot.IsPermanent(err) || !strings.Contains(err.Error(), "U404 (user_not_found)") {
		t.Errorf("only bad ids: err = %v, want permanent, naming them", err)
	}

	h.fake.AddChannel("COUT", "outside", false)
	if err := h.client.Invite(ctx, "COUT", []string{"U1"}); !bot.IsPermanent(err) {
		t.Errorf("bot not in channel: err = %v, want permanent", err)
	}
}

func TestPostUpdatePin(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id := h.channel(t, "inc")

	msg := bot.Message{Text: "INC-1 declared", Blocks: []bot.Block{
		{Kind: bot.BlockHeader, Text: "INC-1: database down"},
		{Kind: bot.BlockActions, ID: "card", Buttons: []bot.Button{
			{Label: "Acknowledge", Action: "incident.ack", Value: "1", Style: bot.StylePrimary},
		}},
	}}
	ts, err := h.client.Post(ctx, id, msg)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	stored, _ := h.fake.Message(id, ts)
	if stored.Text != msg.Text ||
		!strings.Contains(string(stored.Blocks), `"action_id":"incident.ack"`) {
		t.Errorf("stored = %+v", stored)
	}

	threaded := bot.Message{Text: "update", Thread: ts, Broadcast: true}
	replyTS, err := h.client.Post(ctx, id, threaded)
	if err != nil {
		t.Fatalf("reply: %v", err)
	}
	if reply, _ := h.fake.Message(id, replyTS); reply.ThreadTS != ts || !reply.Broadcast {
		t.Errorf("reply = %+v, want in thread %s and broadcast", reply, ts)
	}

	if err := h.client.Update(ctx, id, ts, bot.Message{Text: "INC-1 resolved"}); err != nil {
		t.Fatalf("update: %v", err)
	}
	stored, _ = h.fake.Message(id, ts)
	if stored.Text != "INC-1 resolved" || stored.Blocks != nil {
		t.Errorf("updated = %+v, want the new text and no blocks", stored)
	}
	err = h.client.Update(ctx, id, "1.000001", bot.Message{Text: "x"})
	if !bot.IsPermanent(err) {
		t.Errorf("update of a missing message: err = %v, want permanent", err)
	}

	for range 2 {
		if err := h.client.Pin(ctx, id, ts); err != nil {
			t.Errorf("pin: %v", err)
		}
	}
	if ch, _ := h.fake.Channel(id); len(ch.Pins) != 1 || ch.Pins[0] != ts {
		t.Errorf("pins = %v", ch.Pins)
	}

	link, err := h.client.Permalink(ctx, id, ts)
	if err != nil || !strings.HasPrefix(link, slackfake.PermalinkBase+"/archives/"+id+"/p") {
		t.Errorf("permalink = %q, %v", link, err)
	}
	link, err = h.client.Permalink(ctx, id, "")
	if err != nil || link != "https://slack.com/app_redirect?channel="+id {
		t.Errorf("channel link = %q, %v", link, err)
	}
}

func TestSetTopic(t *testing.T) {
	h := newHarness(t)
	id := h.channel(t, "inc")

	long := strings.Repeat("status ", 60)
	if err := h.client.SetTopic(context.Background(), id, long); err != nil {
		t.Fatalf("set topic: %v", err)
	}
	ch, _ := h.fake.Channel(id)
	if n := len([]rune(ch.Topic)); n != 250 || !strings.HasSuffix(ch.Topic, "…") {
		t.Errorf("topic has %d characters (%q), want 250 ending in an ellipsis", n, ch.Topic)
	}
}

func TestNotify(t *testing.T) {
	msg := bot.Message{Text: "only for you", Blocks: []bot.Block{
		{Kind: bot.BlockSection, Text: "hi"},
	}}
	tests := []struct {
		name string
		user string
		// channel is "inc" for the incident channel U1 is in, "" for none.
		channel     string
		responseURL bool
		fault       *slackfake.Fault
		// want is where the message lands: response, ephemeral or dm.
		want string
	}{
		{name: "response url first", user: "U1", channel: "inc", responseURL: true,
			want: "response"},
		{name: "ephemeral in the channel", user: "U1", channel: "inc", want: "ephemeral"},
		{name: "expired response url, then ephemeral", user: "U1", channel: "inc",
			responseURL: true, fault: &slackfake.Fault{Error: "expired_url"}, want: "ephemeral"},
		{name: "user not in channel, so a direct message", user: "U2", channel: "inc",
			want: "dm"},
		{name: "channel gone, so a direct message", user: "U1", channel: "C404", want: "dm"},
		{name: "no channel, so a direct message", user: "U1", want: "dm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			ctx := context.Background()
			inc := h.channel(t, "inc")
			if err := h.client.Invite(ctx, inc, []string{"U1"}); err != nil {
				t.Fatal(err)
			}
			to := bot.Recipient{UserID: tt.user, ChannelID: tt.channel}
			if tt.channel == "inc" {
				to.ChannelID = inc
			}
			if tt.responseURL {
				to.ResponseURL = h.fake.ResponseURL("r")
			}
			if tt.fault != nil {
				h.fake.FailNext("response_url", *tt.fault)
			}

			if err := h.client.Notify(ctx, to, msg); err != nil {
				t.Fatalf("notify: %v", err)
			}

			got := map[string]int{
				"response":  len(h.fake.Responses()),
				"ephemeral": len(h.fake.Ephemerals()),
			}
			if im, ok := h.fake.IMChannel(to.UserID); ok {
				got["dm"] = len(h.fake.Messages(im))
			}
			for where, n := range got {
				if want := b2i(where == tt.want); n != want {
					t.Errorf("%s: %d messages, want %d", where, n, want)
				}
			}
			if tt.want == "response" {
				r := h.fake.Responses()[0]
				if r.ResponseType != "ephemeral" || r.ReplaceOriginal || r.Text != msg.Text ||
					r.JSON["replace_original"] != false || len(r.Blocks) == 0 {
					t.Errorf("response = %+v", r)
				}
			}
		})
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestNotifyFailures(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ch := h.channel(t, "inc")

	h.fake.FailNext("chat.postEphemeral", slackfake.Fault{Status: 500})
	err := h.client.Notify(ctx, bot.Recipient{UserID: "U1", ChannelID: ch}, bot.Message{Text: "x"})
	if err == nil || bot.IsPermanent(err) {
		t.Errorf("ephemeral outage: err = %v, want retryable", err)
	}
	if len(h.fake.CallsTo("conversations.open")) != 0 {
		t.Error("a retryable failure fell back to a direct message")
	}

	err = h.client.Notify(ctx, bot.Recipient{}, bot.Message{Text: "x"})
	if !bot.IsPermanent(err) {
		t.Errorf("nobody to notify: err = %v, want permanent", err)
	}

	url := h.fake.ResponseURL("secret-hook")
	h.fake.FailNext("response_url", slackfake.Fault{Status: 500})
	err = h.client.Notify(ctx, bot.Recipient{ResponseURL: url}, bot.Message{Text: "x"})
	if err == nil || strings.Contains(err.Error(), "secret-hook") {
		t.Errorf("response url failure: err = %v, want one without the URL", err)
	}

	// Nothing listens on port 1: the transport error would name the URL.
	err = h.client.Notify(ctx, bot.Recipient{ResponseURL: "http://127.0.0.1:1/secret-hook"},
		bot.Message{Text: "x"})
	if err == nil || strings.Contains(err.Error(), "secret-hook") {
		t.Errorf("unreachable response url: err = %v, want one without the URL", err)
	}
	if strings.Contains(h.logs.String(), "secret-hook") {
		t.Error("the response URL appears in the log")
	}
}

func TestFindUser(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.fake.PutUser(slackfake.User{ID: "U5", Handle: "alice.smith", DisplayName: "Ali"})
	h.fake.PutUser(slackfake.User{ID: "U6", Handle: "carol", DisplayName: "twin"})
	h.fake.PutUser(slackfake.User{ID: "U7", Handle: "dave", DisplayName: "twin"})
	h.fake.PutUser(slackfake.User{ID: "U8", Handle: "erin", Deleted: true})

	tests := []struct {
		handle string
		want   string
	}{
		{"alice", "U1"},
		{"@Alice", "U1"},
		{" alice.smith ", "U5"},
		{"ali", "U5"},
		{"<@U2|bob>", "U2"},
		{"<@U2>", "U2"},
		{"U2", "U2"},
		{"twin", ""},
		{"erin", ""},
		{"nobody", ""},
	}
	for _, tt := range tests {
		id, err := h.client.FindUser(ctx, tt.handle)
		if tt.want == "" {
			if !errors.Is(err, bot.ErrUserNotFound) {
				t.Errorf("FindUser(%q) = %q, %v; want ErrUserNotFound", tt.handle, id, err)
			}
			continue
		}
		if err != nil || id != tt.want {
			t.Errorf("FindUser(%q) = %q, %v; want %s", tt.handle, id, err, tt.want)
		}
	}
	if n := len(h.fake.CallsTo("users.list")); n != 1 {
		t.Errorf("users.list called %d times, want once: the directory is cached", n)
	}

	h.fake.AddUser("U9", "frank", "Frank")
	if _, err := h.client.FindUser(ctx, "frank"); !errors.Is(err, bot.ErrUserNotFound) {
		t.Errorf("new user found before the directory could be reloaded: %v", err)
	}
	h.now = h.now.Add(time.Minute)
	if id, err := h.client.FindUser(ctx, "frank"); err != nil || id != "U9" {
		t.Errorf("new user after a minute = %q, %v; want U9", id, err)
	}

	h.now = h.now.Add(10 * time.Minute)
	h.fake.FailNext("users.list", slackfake.Fault{Status: 503})
	if id, err := h.client.FindUser(ctx, "alice"); err != nil || id != "U1" {
		t.Errorf("with users.list down = %q, %v; want the old directory's answer", id, err)
	}
	if n := len(h.fake.CallsTo("users.list")); n != 3 {
		t.Errorf("users.list called %d times, want 3", n)
	}
}

func TestFindUserPages(t *testing.T) {
	h := newHarness(t)
	for i := range 450 {
		h.fake.AddUser(fmt.Sprintf("UP%03d", i), fmt.Sprintf("person%d", i), "")
	}

	id, err := h.client.FindUser(context.Background(), "person449")
	if err != nil || id != "UP449" {
		t.Errorf("FindUser on the third page = %q, %v", id, err)
	}
	if n := len(h.fake.CallsTo("users.list")); n != 3 {
		t.Errorf("users.list called %d times, want 3 pages of 200", n)
	}

	fresh := newHarness(t)
	fresh.fake.FailNext("users.list", slackfake.Fault{Status: 429, RetryAfter: 3})
	_, err = fresh.client.FindUser(context.Background(), "alice")
	var ra *bot.RetryAfterError
	if !errors.As(err, &ra) || ra.Wait != 3*time.Second {
		t.Errorf("rate limited with no directory: err = %v, want a 3s wait", err)
	}
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		name          string
		fault         slackfake.Fault
		channel       string
		wantWait      time.Duration
		wantPermanent bool
	}{
		{"rate limited", slackfake.Fault{Status: 429, RetryAfter: 30}, "", 30 * time.Second,
			false},
		{"server error", slackfake.Fault{Status: 500}, "", 0, false},
		{"internal_error code", slackfake.Fault{Error: "internal_error"}, "", 0, false},
		{"ratelimited code", slackfake.Fault{Error: "ratelimited"}, "", 0, false},
		{"channel gone", slackfake.Fault{}, "C404", 0, true},
		{"token revoked", slackfake.Fault{Error: "token_revoked"}, "", 0, true},
		{"missing scope", slackfake.Fault{Error: "missing_scope"}, "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			ch := tt.channel
			if ch == "" {
				ch = h.channel(t, "inc")
				h.fake.FailNext("chat.postMessage", tt.fault)
			}

			_, err := h.client.Post(context.Background(), ch, bot.Message{Text: "hello"})
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), "slack chat.postMessage to "+ch) &&
				!strings.Contains(err.Error(), "slack chat.postMessage to "+ch) {
				t.Errorf("err = %q, want it to say what failed", err)
			}
			if bot.IsPermanent(err) != tt.wantPermanent {
				t.Errorf("err = %v, permanent %v, want %v",
					err, bot.IsPermanent(err), tt.wantPermanent)
			}
			var ra *bot.RetryAfterError
			if tt.wantWait > 0 && (!errors.As(err, &ra) || ra.Wait != tt.wantWait) {
				t.Errorf("err = %v, want a wait of %s", err, tt.wantWait)
			}
			if strings.Contains(err.Error(), botToken) {
				t.Errorf("err shows the token: %v", err)
			}
		})
	}
}

func TestInvalidBlocksExplained(t *testing.T) {
	h := newHarness(t)
	ch := h.channel(t, "inc")

	same := []bot.Button{{Label: "A", Action: "same"}, {Label: "B", Action: "same"}}
	msg := bot.Message{Text: "x", Blocks: []bot.Block{{Kind: bot.BlockActions, Buttons: same}}}
	_, err := h.client.Post(context.Background(), ch, msg)
	if !bot.IsPermanent(err) || !strings.Contains(err.Error(), "duplicate action_id") {
		t.Errorf("err = %v, want permanent with Slack's explanation", err)
	}
}

func TestOpenModal(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	modal := bot.Modal{ID: "incident.declare", Title: "Declare an incident", Metadata: "C1",
		Inputs: []bot.Input{{ID: "title", Label: "Title", Kind: bot.InputText}}}

	if err := h.client.OpenModal(ctx, "trig-1", modal); err != nil {
		t.Fatalf("open: %v", err)
	}
	views := h.fake.Views()
	if len(views) != 1 || views[0].CallbackID != "incident.declare" ||
		views[0].PrivateMetadata != "C1" || views[0].TriggerID != "trig-1" {
		t.Errorf("views = %+v", views)
	}

	if err := h.client.OpenModal(ctx, "trig-1", modal); !bot.IsPermanent(err) {
		t.Errorf("reused trigger: err = %v, want permanent", err)
	}
	if err := h.client.OpenModal(ctx, "", modal); !bot.IsPermanent(err) {
		t.Errorf("no trigger: err = %v, want permanent", err)
	}
}

func TestCallsAreLogged(t *testing.T) {
	h := newHarness(t)
	h.fake.FailNext("conversations.create", slackfake.Fault{Status: 429, RetryAfter: 2})

	_, err := h.client.CreateChannel(context.Background(), "inc", false)
	if err == nil {
		t.Fatal("no error")
	}

	var found bool
	for _, line := range strings.Split(strings.TrimSpace(h.logs.String()), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if entry["action"] == "slack.conversations.create" && entry["level"] == "warning" &&
			entry["outcome"] == "rate_limited" && entry["retryAfter"] == 2.0 {
			found = true
		}
	}
	if !found {
		t.Errorf("no warning for the rate limit in:\n%s", h.logs)
	}
}
