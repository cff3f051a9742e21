package slackfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"

	"warroom/integrations/slack/slackfake"
)

const token = "xoxb-test-token"

func newClient(t *testing.T) (*slackfake.Server, *slackapi.Client) {
	t.Helper()
	srv := slackfake.New(t)
	return srv, slackapi.New(token, slackapi.OptionAPIURL(srv.APIURL()))
}

// slackCode returns the Slack error code in err, or "".
func slackCode(err error) string {
	var se slackapi.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

func TestAuthTest(t *testing.T) {
	srv, api := newClient(t)
	ctx := context.Background()

	resp, err := api.AuthTestContext(ctx)
	if err != nil {
		t.Fatalf("auth.test: %v", err)
	}
	if resp.UserID != slackfake.BotUserID || resp.TeamID != slackfake.TeamID {
		t.Errorf("auth.test = %+v, want user UBOT in team T0FAKE", resp)
	}

	bad := slackapi.New("xoxp-user-token", slackapi.OptionAPIURL(srv.APIURL()))
	if _, err := bad.AuthTestContext(ctx); slackCode(err) != "invalid_auth" {
		t.Errorf("user token: err = %v, want invalid_auth", err)
	}
	if got := len(srv.CallsTo("auth.test")); got != 2 {
		t.Errorf("recorded %d auth.test calls, want 2", got)
	}
	if p := srv.CallsTo("auth.test")[0].Params; p.Has("token") {
		t.Errorf("recorded params keep the token: %v", p)
	}
}

func TestCreateChannel(t *testing.T) {
	tests := []struct {
		name    string
		private bool
		wantErr string
	}{
		{name: "incident-20240101-db", wantErr: ""},
		{name: "incident_2", private: true, wantErr: ""},
		{name: "incident-20240101-db", wantErr: "name_taken"},
		{name: "Incident", wantErr: "invalid_name_specials"},
		{name: "has space", wantErr: "invalid_name_specials"},
		{name: "café", wantErr: "invalid_name_specials"},
		{name: strings.Repeat("a", 81), wantErr: "invalid_name_maxlength"},
		{name: "---", wantErr: "invalid_name_punctuation"},
		{name: "", wantErr: "invalid_name_required"},
	}
	srv, api := newClient(t)
	ctx := context.Background()

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := api.CreateConversationContext(ctx, slackapi.CreateConversationParams{
				ChannelName: tt.name, IsPrivate: tt.private,
			})
			if code := slackCode(err); code != tt.wantErr {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if tt.wantErr != "" {
				return
			}
			if ch.Name != tt.name || ch.IsPrivate != tt.private || !ch.IsMember {
				t.Errorf("channel = %+v", ch)
			}
			got, ok := srv.Channel(ch.ID)
			if !ok || got.Creator != slackfake.BotUserID ||
				len(got.Members) != 1 || got.Members[0] != slackfake.BotUserID {
				t.Errorf("stored channel = %+v", got)
			}
		})
	}

	first, _ := srv.ChannelByName("incident-20240101-db")
	second, _ := srv.ChannelByName("#incident_2")
	if first.ID != "C0001" || second.ID != "C0002" || !second.Private {
		t.Errorf("ids = %s, %s (private %v), want C0001, C0002 (private)",
			first.ID, second.ID, second.Private)
	}
}

func TestInvite(t *testing.T) {
	srv, api := newClient(t)
	ctx := context.Background()
	srv.AddUser("U1", "alice", "Alice")
	srv.AddUser("U2", "bob", "Bob")
	srv.AddChannel("C0OTHER", "other", false)
	ch, err := api.CreateConversationContext(ctx, slackapi.CreateConversationParams{
		ChannelName: "inc",
	})
	if err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name    string
		channel string
		users   []string
		wantErr string
		members int
	}{
		{"one", ch.ID, []string{"U1"}, "", 2},
		{"partly new", ch.ID, []string{"U1", "U2"}, "", 3},
		{"all members", ch.ID, []string{"U1", "U2"}, "already_in_channel", 3},
		{"unknown user", ch.ID, []string{"U2", "U404"}, "user_not_found", 3},
		{"self", ch.ID, []string{slackfake.BotUserID}, "cant_invite_self", 3},
		{"bot not in channel", "C0OTHER", []string{"U1"}, "not_in_channel", 3},
		{"no channel", "C404", []string{"U1"}, "channel_not_found", 3},
	}
	for _, s := range steps {
		_, err := api.InviteUsersToConversationContext(ctx, s.channel, s.users...)
		if code := slackCode(err); code != s.wantErr {
			t.Errorf("%s: err = %v, want %q", s.name, err, s.wantErr)
		}
		if got, _ := srv.Channel(ch.ID); len(got.Members) != s.members {
			t.Errorf("%s: members = %v, want %d", s.name, got.Members, s.members)
		}
	}
}

func TestPostUpdateAndThreads(t *testing.T) {
	srv, api := newClient(t)
	ctx := context.Background()
	ch, err := api.CreateConversationContext(ctx, slackapi.CreateConversationParams{
		ChannelName: "inc",
	})
	if err != nil {
		t.Fatal(err)
	}

	header := slackapi.NewHeaderBlock(
		slackapi.NewTextBlockObject("plain_text", "INC-1", false, false))
	_, ts1, err := api.PostMessageContext(ctx, ch.ID,
		slackapi.MsgOptionText("hello", false), slackapi.MsgOptionBlocks(header))
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	_, ts2, err := api.PostMessageContext(ctx, ch.ID,
		slackapi.MsgOptionText("reply", false), slackapi.MsgOptionTS(ts1),
		slackapi.MsgOptionBroadcast())
	if err != nil {
		t.Fatalf("reply: %v", err)
	}

	if !regexp.MustCompile(`^\d{10}\.\d{6}$`).MatchString(ts1) || ts2 <= ts1 {
		t.Errorf("ts = %q then %q, want Slack's format, increasing", ts1, ts2)
	}
	m1, _ := srv.Message(ch.ID, ts1)
	if m1.Text != "hello" || m1.User != slackfake.BotUserID ||
		!strings.Contains(string(m1.Blocks), `"type":"header"`) {
		t.Errorf("stored message = %+v", m1)
	}
	m2, _ := srv.Message(ch.ID, ts2)
	if m2.ThreadTS != ts1 || !m2.Broadcast {
		t.Errorf("reply = %+v, want in thread %s, broadcast", m2, ts1)
	}

	_, _, _, err = api.UpdateMessageContext(ctx, ch.ID, ts1,
		slackapi.MsgOptionText("edited", false), slackapi.MsgOptionBlocks())
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if m1, _ = srv.Message(ch.ID, ts1); m1.Text != "edited" || !m1.Edited || m1.Blocks != nil {
		t.Errorf("updated message = %+v, want new text, edited, no blocks", m1)
	}
	_, _, _, err = api.UpdateMessageContext(ctx, ch.ID, "1.000000",
		slackapi.MsgOptionText("x", false))
	if slackCode(err) != "message_not_found" {
		t.Errorf("update of a missing message: err = %v", err)
	}

	replies, _, _, err := api.GetConversationRepliesContext(ctx,
		&slackapi.GetConversationRepliesParameters{ChannelID: ch.ID, Timestamp: ts2})
	if err != nil || len(replies) != 2 || replies[0].Timestamp != ts1 ||
		replies[0].ReplyCount != 1 {
		t.Errorf("replies = %+v, %v; want the parent then the reply", replies, err)
	}
}

func TestPostErrors(t *testing.T) {
	srv, api := newClient(t)
	ctx := context.Background()
	srv.AddChannel("CPRIV", "secret", true)
	srv.AddChannel("CPUB", "public", false)
	srv.AddChannel("CARCH", "old", false)
	srv.AddMembers("CARCH", slackfake.BotUserID)
	srv.ArchiveChannel("CARCH")

	long := slackapi.NewSectionBlock(
		slackapi.NewTextBlockObject("mrkdwn", strings.Repeat("x", 3001), false, false), nil, nil)
	tests := []struct {
		name    string
		channel string
		opts    []slackapi.MsgOption
		wantErr string
	}{
		{"public, not a member", "CPUB", nil, ""},
		{"by name", "#public", nil, ""},
		{"private, not a member", "CPRIV", nil, "not_in_channel"},
		{"unknown", "C404", nil, "channel_not_found"},
		{"archived", "CARCH", nil, "is_archived"},
		{"section too long", "CPUB", []slackapi.MsgOption{slackapi.MsgOptionBlocks(long)},
			"invalid_blocks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]slackapi.MsgOption{slackapi.MsgOptionText("hi", false)}, tt.opts...)
			_, _, err := api.PostMessageContext(ctx, tt.channel, opts...)
			if code := slackCode(err); code != tt.wantErr {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}

	_, _, err := api.PostMessageContext(ctx, "CPUB")
	if slackCode(err) != "no_text" {
		t.Errorf("empty message: err = %v, want no_text", err)
	}
	_, _, err = api.PostMessageContext(ctx, "CPUB", slackapi.MsgOptionBlocks(long))
	var se slackapi.SlackErrorResponse
	if !errors.As(err, &se) || len(se.ResponseMetadata.Messages) == 0 ||
		!strings.Contains(se.ResponseMetadata.Messages[0], "/blocks/0/text/text") {
		t.Errorf("invalid_blocks should say where: %#v", err)
	}
}

func TestEphemeralPermalinkPinsReactions(t *testing.T) {
	srv, api := newClient(t)
	ctx := context.Background()
	srv.AddUser("U1", "alice", "Alice")
	srv.AddUser("U2", "bob", "Bob")
	ch, _ := api.CreateConversationContext(ctx,
		slackapi.CreateConversationParams{ChannelName: "inc"})
	if _, err := api.InviteUsersToConversationContext(ctx, ch.ID, "U1"); err != nil {
		t.Fatal(err)
	}
	_, ts, err := api.PostMessageContext(ctx, ch.ID, slackapi.MsgOptionText("card", false))
	if err != nil {
		t.Fatal(err)
	}

	if _, err := api.PostEphemeralContext(ctx, ch.ID, "U1",
		slackapi.MsgOptionText("just you", false)); err != nil {
		t.Errorf("ephemeral: %v", err)
	}
	_, err = api.PostEphemeralContext(ctx, ch.ID, "U2", slackapi.MsgOptionText("x", false))
	if slackCode(err) != "user_not_in_channel" {
		t.Errorf("ephemeral to a non-member: err = %v", err)
	}
	if e := srv.Ephemerals(); len(e) != 1 || e[0].User != "U1" || e[0].Text != "just you" {
		t.Errorf("ephemerals = %+v", e)
	}

	link, err := api.GetPermalinkContext(ctx,
		&slackapi.PermalinkParameters{Channel: ch.ID, Ts: ts})
	want := "https://fake.slack.test/archives/" + ch.ID + "/p" + strings.ReplaceAll(ts, ".", "")
	if err != nil || link != want {
		t.Errorf("permalink = %q, %v; want %q", link, err, want)
	}

	item := slackapi.NewRefToMessage(ch.ID, ts)
	if err := api.AddPinContext(ctx, ch.ID, item); err != nil {
		t.Errorf("pin: %v", err)
	}
	if err := api.AddPinContext(ctx, ch.ID, item); slackCode(err) != "already_pinned" {
		t.Errorf("second pin: err = %v, want already_pinned", err)
	}
	items, _, err := api.ListPinsContext(ctx, ch.ID)
	if err != nil || len(items) != 1 || items[0].Message == nil ||
		items[0].Message.Timestamp != ts {
		t.Errorf("pins.list = %+v, %v", items, err)
	}

	if err := api.AddReactionContext(ctx, "eyes", item); err != nil {
		t.Errorf("reaction: %v", err)
	}
	m, _ := srv.Message(ch.ID, ts)
	if got, _ := srv.Channel(ch.ID); len(got.Pins) != 1 || len(m.Reactions["eyes"]) != 1 {
		t.Errorf("pins = %v, reactions = %v", got.Pins, m.Reactions)
	}
}

func TestHistoryPaging(t *testing.T) {
	srv, api := newClient(t)
	ctx := context.Background()
	srv.AddUser("U1", "alice", "Alice")
	srv.AddChannel("C1", "inc", false)
	srv.AddMembers("C1", slackfake.BotUserID, "U1")

	var posted []string
	for i := range 5 {
		posted = append(posted, srv.AddMessage("C1", slackfake.Message{Text: fmt.Sprint(i)}))
	}
	srv.AddMessage("C1", slackfake.Message{Text: "in thread", ThreadTS: posted[0]})

	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		params := &slackapi.GetConversationHistoryParameters{
			ChannelID: "C1", Limit: 2, Cursor: cursor,
		}
		resp, err := api.GetConversationHistoryContext(ctx, params)
		if err != nil {
			t.Fatalf("history: %v", err)
		}
		for _, m := range resp.Messages {
			got = append(got, m.Text)
		}
		cursor = resp.ResponseMetaData.NextCursor
		if !resp.HasMore || pages > 5 {
			break
		}
	}
	if strings.Join(got, ",") != "4,3,2,1,0" {
		t.Errorf("history = %v, want newest first without the thread reply", got)
	}

	resp, err := api.GetConversationHistoryContext(ctx, &slackapi.GetConversationHistoryParameters{
		ChannelID: "C1", Oldest: posted[1], Latest: posted[3],
	})
	if err != nil || len(resp.Messages) != 1 || resp.Messages[0].Text != "2" {
		t.Errorf("history between = %+v, %v; want only message 2", resp, err)
	}
}

func TestUsersList(t *testing.T) {
	srv, api := newClient(t)
	ctx := context.Background()
	for i := range 5 {
		srv.AddUser(fmt.Sprintf("U%d", i), fmt.Sprintf("user%d", i), "")
	}

	p := api.GetUsersPaginated(slackapi.GetUsersOptionLimit(2))
	var n, pages int
	var err error
	for {
		if p, err = p.Next(ctx); err != nil {
			break
		}
		n += len(p.Users)
		pages++
	}
	if p.Failure(err) != nil || n != 6 || pages != 3 {
		t.Errorf("users.list gave %d users in %d pages (%v), want 6 in 3", n, pages, err)
	}

	u, err := api.GetUserInfoContext(ctx, "U3")
	if err != nil || u.Name != "user3" || u.Profile.DisplayName != "user3" {
		t.Errorf("users.info = %+v, %v", u, err)
	}
	_, err = api.GetUserByEmailContext(ctx, "nobody@example.test")
	if slackCode(err) != "users_not_found" {
		t.Errorf("lookupByEmail: err = %v", err)
	}
}

func TestViews(t *testing.T) {
	srv, api := newClient(t)
	ctx := context.Background()
	view := slackapi.ModalViewRequest{
		Type:       slackapi.VTModal,
		Title:      slackapi.NewTextBlockObject("plain_text", "Declare", false, false),
		CallbackID: "declare",
		Blocks: slackapi.Blocks{BlockSet: []slackapi.Block{
			slackapi.NewSectionBlock(
				slackapi.NewTextBlockObject("mrkdwn", "hi", false, false), nil, nil),
		}},
	}

	resp, err := api.OpenViewContext(ctx, "trigger-1", view)
	if err != nil || resp.ID == "" {
		t.Fatalf("views.open = %+v, %v", resp, err)
	}
	_, err = api.OpenViewContext(ctx, "trigger-1", view)
	if slackCode(err) != "exchanged_trigger_id" {
		t.Errorf("reused trigger: err = %v", err)
	}
	view.Title.Text = strings.Repeat("t", 25)
	_, err = api.OpenViewContext(ctx, "trigger-2", view)
	if slackCode(err) != "invalid_arguments" {
		t.Errorf("long title: err = %v", err)
	}
	view.Title.Text = "Updated"
	if _, err := api.UpdateViewContext(ctx, view, "", "", resp.ID); err != nil {
		t.Errorf("views.update: %v", err)
	}

	views := srv.Views()
	if len(views) != 1 || views[0].TriggerID != "trigger-1" || views[0].CallbackID != "declare" ||
		views[0].Updates != 1 || !strings.Contains(string(views[0].JSON), "Updated") {
		t.Errorf("views = %+v", views)
	}
}

func TestFaults(t *testing.T) {
	srv, api := newClient(t)
	ctx := context.Background()

	srv.FailNext("auth.test", slackfake.Fault{Status: 429, RetryAfter: 7})
	srv.FailNext("auth.test", slackfake.Fault{Status: 503})
	srv.FailNext("auth.test", slackfake.Fault{Error: "account_inactive"})

	_, err := api.AuthTestContext(ctx)
	var rl *slackapi.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second {
		t.Errorf("first: err = %v, want rate limited for 7s", err)
	}
	_, err = api.AuthTestContext(ctx)
	var sc slackapi.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != 503 {
		t.Errorf("second: err = %v, want status 503", err)
	}
	if _, err = api.AuthTestContext(ctx); slackCode(err) != "account_inactive" {
		t.Errorf("third: err = %v, want account_inactive", err)
	}
	if _, err = api.AuthTestContext(ctx); err != nil {
		t.Errorf("fourth: err = %v, want the faults used up", err)
	}

	srv.Fail("auth.test", slackfake.Fault{Status: 500})
	for range 2 {
		if _, err = api.AuthTestContext(ctx); !errors.As(err, &sc) || sc.Code != 500 {
			t.Errorf("while failing: err = %v, want 500", err)
		}
	}
	srv.Heal("auth.test")
	if _, err = api.AuthTestContext(ctx); err != nil {
		t.Errorf("healed: err = %v", err)
	}

	srv.FailNext("auth.test", slackfake.Fault{Delay: time.Second})
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err = api.AuthTestContext(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("delayed: err = %v, want the deadline", err)
	}
	if got := len(srv.CallsTo("auth.test")); got != 8 {
		t.Errorf("recorded %d calls, want 8 (faulted ones too)", got)
	}
}

func TestResponseURL(t *testing.T) {
	srv, _ := newClient(t)
	ctx := context.Background()
	u := srv.ResponseURL("cmd 1")

	msg := &slackapi.WebhookMessage{Text: "only you", ResponseType: "ephemeral"}
	for i := range 5 {
		if err := slackapi.PostWebhookContext(ctx, u, msg); err != nil {
			t.Fatalf("post %d: %v", i+1, err)
		}
	}
	var sc slackapi.StatusCodeError
	if err := slackapi.PostWebhookContext(ctx, u, msg); !errors.As(err, &sc) || sc.Code != 404 {
		t.Errorf("sixth post: err = %v, want 404 used_url", err)
	}

	srv.FailNext("response_url", slackfake.Fault{Error: "expired_url"})
	if err := slackapi.PostWebhookContext(ctx, srv.ResponseURL("other"), msg); err == nil {
		t.Error("faulted post: no error")
	}

	got := srv.Responses()
	if len(got) != 5 || got[0].Name != "cmd 1" || got[0].Text != "only you" ||
		got[0].ResponseType != "ephemeral" || got[0].ReplaceOriginal {
		t.Errorf("responses = %+v", got)
	}
	if n := len(srv.CallsTo("response_url")); n != 7 {
		t.Errorf("recorded %d response_url calls, want 7", n)
	}
}

func TestUnknownMethodAndJSONBodies(t *testing.T) {
	srv, _ := newClient(t)

	req, _ := http.NewRequest(http.MethodPost, srv.APIURL()+"files.upload",
		strings.NewReader(url.Values{"channels": {"C1"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+token)
	var out struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	do(t, req, &out)
	if out.OK || out.Error != "unknown_method" {
		t.Errorf("unknown method answered %+v", out)
	}

	srv.AddChannel("C1", "general", false)
	body := `{"channel":"C1","text":"as json","blocks":[{"type":"divider"}]}`
	req, _ = http.NewRequest(http.MethodPost, srv.APIURL()+"chat.postMessage",
		strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+token)
	do(t, req, &out)
	msgs := srv.Messages("C1")
	if !out.OK || len(msgs) != 1 || string(msgs[0].Blocks) != `[{"type":"divider"}]` {
		t.Errorf("JSON post answered %+v, stored %+v", out, msgs)
	}
	if c := srv.CallsTo("files.upload"); len(c) != 1 || c[0].Params.Get("channels") != "C1" {
		t.Errorf("unknown call recorded as %+v", c)
	}
}

func do(t *testing.T, req *http.Request, out any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentUse(t *testing.T) {
	srv, api := newClient(t)
	ctx := context.Background()
	srv.AddChannel("C1", "busy", false)

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 5 {
				text := fmt.Sprintf("%d-%d", i, j)
				if _, _, err := api.PostMessageContext(ctx, "C1",
					slackapi.MsgOptionText(text, false)); err != nil {
					t.Error(err)
				}
				_ = srv.Calls()
				_ = srv.Messages("C1")
			}
		}()
	}
	wg.Wait()

	msgs := srv.Messages("C1")
	seen := map[string]bool{}
	for _, m := range msgs {
		seen[m.TS] = true
	}
	if len(msgs) != 40 || len(seen) != 40 {
		t.Errorf("%d messages with %d distinct ts, want 40", len(msgs), len(seen))
	}
}
