package shell

import (
	"context"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"warroom/bot"
	"warroom/commands"
)

// The router is the front door main hands the shell.
var _ Frontdoor = (*commands.Router)(nil)

func TestSlashCommand(t *testing.T) {
	tests := []struct {
		name     string
		line     string
		wantName string
		wantText string
	}{
		{"words", "/incident declare API is down --sev P1", "/incident",
			"declare API is down --sev P1"},
		{"mention", "/incident commander @bob", "/incident", "commander <@U002|bob>"},
		{"mention in any case, with punctuation", "/incident note thanks @Bob.", "/incident",
			"note thanks <@U002|bob>."},
		{"dotted handle", "/incident role ops @carol.ops", "/incident",
			"role ops <@U003|carol.ops>"},
		{"unknown handle kept", "/incident commander @zed", "/incident", "commander @zed"},
		{"special mention", "/incident note @here look", "/incident", "note <!here> look"},
		{"channel", "/incident note see #general", "/incident", "note see <#C0000|general>"},
		{"escaped text", "/incident note a<b && c>d", "/incident",
			"note a&lt;b &amp;&amp; c&gt;d"},
		{"email is no mention", "/incident note mail bob@example.com", "/incident",
			"note mail bob@example.com"},
		{"name only", "/Incident", "/incident", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession()
			s.run(t, tt.line+"\n", nil)

			if len(s.door.commands) != 1 {
				t.Fatalf("%d commands, want 1", len(s.door.commands))
			}
			want := bot.Command{
				Name:      tt.wantName,
				Text:      tt.wantText,
				UserID:    "U001",
				ChannelID: generalID,
				ReplyTo:   bot.Recipient{UserID: "U001", ChannelID: generalID},
				RequestID: "shell-1",
			}
			if got := s.door.commands[0]; got != want {
				t.Errorf("command\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestReplyMessage(t *testing.T) {
	tests := []struct {
		name  string
		reply bot.Reply
		want  string
	}{
		{"private", bot.Reply{Message: &bot.Message{Text: "Declared INC-1 in <#C0000>"}},
			"(only you see this) warroom: Declared INC-1 in #general\n"},
		{"in channel", bot.Reply{InChannel: true, Message: &bot.Message{Text: "Hello all"}},
			"[#general] warroom: Hello all\n"},
		{"field errors", bot.Reply{FieldErrors: map[string]string{"b": "no", "a": "bad"}},
			"a: bad\nb: no\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession()
			s.door.onCommand = func(bot.Command) bot.Reply { return tt.reply }

			out := s.run(t, "/incident x\n", nil)
			if !strings.Contains(out, "alice@#general> /incident x\n"+tt.want) {
				t.Errorf("output\n%s\nwant it to contain\n%s", out, tt.want)
			}
		})
	}
}

// declareForm is a form with every kind of input.
var declareForm = &bot.Modal{
	ID:       "incident.declare",
	Title:    "Declare an incident",
	Submit:   "Declare",
	Metadata: "meta",
	Inputs: []bot.Input{
		{ID: "title", Label: "Title", Kind: bot.InputText, MaxLen: 20, Hint: "A few words."},
		{ID: "severity", Label: "Severity", Kind: bot.InputSelect, Initial: []string{"P2"},
			Options: []bot.Option{{Value: "P1", Label: "P1 high"},
				{Value: "P2", Label: "P2 medium"}, {Value: "P3", Label: "P3 low"}}},
		{ID: "components", Label: "Affected components", Kind: bot.InputMultiSelect,
			Optional: true, Options: []bot.Option{{Value: "api", Label: "API"},
				{Value: "db", Label: "Database"}, {Value: "web", Label: "Web app"}}},
		{ID: "summary", Label: "Summary", Kind: bot.InputMultiline, Optional: true},
		{ID: "private", Label: "Visibility", Kind: bot.InputCheckbox, Optional: true,
			Options: []bot.Option{{Value: "private", Label: "Private channel"}}},
	},
}

func TestModal(t *testing.T) {
	tests := []struct {
		name    string
		answers string
		want    map[string][]string
		// wantOut are parts of the output.
		wantOut []string
	}{
		{
			name:    "select by number, optionals skipped",
			answers: "API down\n1\n\n\n\n",
			want:    map[string][]string{"title": {"API down"}, "severity": {"P1"}},
			wantOut: []string{
				"== Declare an incident ==",
				"Title: at most 20 characters\n  A few words.\n",
				"Severity: pick one, by number or value; Enter keeps P2\n" +
					"  1) P1 high\n  2) P2 medium (current)\n  3) P3 low\n",
				"  2) Database [db]\n",
				"(only you see this) warroom: Declared.\n",
			},
		},
		{
			name:    "select by value, Enter keeps the initial",
			answers: "API down\np3\n\n\n\n",
			want:    map[string][]string{"title": {"API down"}, "severity": {"P3"}},
		},
		{
			name:    "initial kept",
			answers: "API down\n\n\n\n\n",
			want:    map[string][]string{"title": {"API down"}, "severity": {"P2"}},
		},
		{
			name:    "multiselect by numbers",
			answers: "API down\n\n1, 3\n\n\n",
			want: map[string][]string{"title": {"API down"}, "severity": {"P2"},
				"components": {"api", "web"}},
		},
		{
			name:    "multiselect by values and labels",
			answers: "API down\n\nDB,api, web app\n\n\n",
			want: map[string][]string{"title": {"API down"}, "severity": {"P2"},
				"components": {"db", "api", "web"}},
		},
		{
			name:    "multiline and checkbox",
			answers: "API down\n\n\nUsers see 500s.\nSince 10:02.\n\ny\n",
			want: map[string][]string{"title": {"API down"}, "severity": {"P2"},
				"summary": {"Users see 500s.\nSince 10:02."}, "private": {"private"}},
		},
		{
			name:    "checkbox by number",
			answers: "API down\n\n\n\n1\n",
			want: map[string][]string{"title": {"API down"}, "severity": {"P2"},
				"private": {"private"}},
		},
		{
			name:    "bad answers asked again",
			answers: "\nThis title is far too long\nAPI down\n9\n1,2\nP1\nmobile\n\n\nmaybe\nno\n",
			want:    map[string][]string{"title": {"API down"}, "severity": {"P1"}},
			wantOut: []string{
				"This one is required; /cancel closes the form.",
				"That is 26 characters long; at most 20 fit.",
				`"9" is not one of the options: type a number from 1 to 3, or a value such as P1.`,
				"Pick just one.",
				`"mobile" is not one of the options`,
				`"maybe" is not one of the options`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession()
			s.door.onCommand = func(bot.Command) bot.Reply { return bot.Reply{Modal: declareForm} }
			s.door.onSubmit = func(int, bot.Submission) bot.Reply {
				return bot.Reply{Message: &bot.Message{Text: "Declared."}}
			}

			out := s.run(t, "/incident declare\n"+tt.answers, nil)
			if len(s.door.submits) != 1 {
				t.Fatalf("%d submissions, want 1; output:\n%s", len(s.door.submits), out)
			}
			sub := s.door.submits[0]
			if !reflect.DeepEqual(sub.Values, tt.want) {
				t.Errorf("values %q, want %q", sub.Values, tt.want)
			}
			wantSub := bot.Submission{ModalID: "incident.declare", Metadata: "meta",
				UserID: "U001", ReplyTo: bot.Recipient{UserID: "U001", ChannelID: generalID},
				RequestID: "shell-2", Values: sub.Values}
			if !reflect.DeepEqual(sub, wantSub) {
				t.Errorf("submission %+v, want %+v", sub, wantSub)
			}
			for _, part := range tt.wantOut {
				if !strings.Contains(out, part) {
					t.Errorf("output lacks %q:\n%s", part, out)
				}
			}
		})
	}
}

func TestModalFieldErrors(t *testing.T) {
	tests := []struct {
		name    string
		errors  map[string]string
		answers string
		want    map[string][]string
		wantOut string
	}{
		{
			name:    "named input asked again",
			errors:  map[string]string{"title": "Say what is broken."},
			answers: "Broken\n1\n2\n\n\nAPI down\n",
			want: map[string][]string{"title": {"API down"}, "severity": {"P1"},
				"components": {"db"}},
			wantOut: "The form needs changes:\n  Title: Say what is broken.\n",
		},
		{
			name:    "unknown input asks everything",
			errors:  map[string]string{"other": "Something is off."},
			answers: "Broken\n1\n\n\n\nAPI down\n3\n\n\n\n",
			want:    map[string][]string{"title": {"API down"}, "severity": {"P3"}},
			wantOut: "The form needs changes:\n  other: Something is off.\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession()
			s.door.onCommand = func(bot.Command) bot.Reply { return bot.Reply{Modal: declareForm} }
			s.door.onSubmit = func(n int, _ bot.Submission) bot.Reply {
				if n == 0 {
					return bot.Reply{FieldErrors: tt.errors}
				}
				return bot.Reply{Message: &bot.Message{Text: "Declared."}}
			}

			out := s.run(t, "/incident declare\n"+tt.answers, nil)
			if len(s.door.submits) != 2 {
				t.Fatalf("%d submissions, want 2; output:\n%s", len(s.door.submits), out)
			}
			if got := s.door.submits[1].Values; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("second submission %q, want %q", got, tt.want)
			}
			if !strings.Contains(out, tt.wantOut) || !strings.Contains(out, "Declared.") {
				t.Errorf("output lacks %q or the reply:\n%s", tt.wantOut, out)
			}
		})
	}
}

func TestModalClosed(t *testing.T) {
	tests := []struct {
		name    string
		answers string
		want    string
	}{
		{"cancel", "API down\n/cancel\nhello\n", "(form closed; nothing was sent)\n"},
		{"end of input", "API down\n", "(form closed; nothing was sent)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession()
			s.door.onCommand = func(bot.Command) bot.Reply { return bot.Reply{Modal: declareForm} }

			out := s.run(t, "/incident declare\n"+tt.answers, nil)
			if len(s.door.submits) != 0 {
				t.Errorf("%d submissions, want none", len(s.door.submits))
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out)
			}
		})
	}
}

func TestPressButton(t *testing.T) {
	tests := []struct {
		name       string
		line       string
		wantAction string
		wantValue  string
		// wantLater says the newer message's button is pressed.
		wantLater bool
	}{
		{"label", "take command", bot.ActionTakeCommand, "1", false},
		{"press, most recent wins", "press Acknowledge", bot.ActionAcknowledge, "2", true},
		{"click, spaces and case", "CLICK   resolve", bot.ActionResolve, "1", false},
		{"unique beginning", "press update", bot.ActionUpdateStatus, "1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession()
			s.chat.ensureChannel(generalID, "general")
			cardChannel, cardTS := s.post(t, "incident-1",
				card("1", "Acknowledge", "Take command", "Update status", "Resolve"))
			laterChannel, laterTS := s.post(t, "incident-2", card("2", "Acknowledge"))

			s.run(t, tt.line+"\n", nil)
			if len(s.door.actions) != 1 {
				t.Fatalf("%d actions, want 1", len(s.door.actions))
			}
			channel, ts := cardChannel, cardTS
			if tt.wantLater {
				channel, ts = laterChannel, laterTS
			}
			want := bot.Action{
				ActionID:  tt.wantAction,
				Value:     tt.wantValue,
				UserID:    "U001",
				ChannelID: channel,
				MessageTS: ts,
				ReplyTo:   bot.Recipient{UserID: "U001", ChannelID: channel},
				RequestID: "shell-1",
			}
			if got := s.door.actions[0]; got != want {
				t.Errorf("action\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestUnknownButton(t *testing.T) {
	tests := []struct {
		name        string
		buttons     bool
		line        string
		want        string
		wantMessage bool
	}{
		{"lists the buttons", true, "press Escalate",
			`There is no button "Escalate". Buttons you can press: ` +
				"[Acknowledge] [Take command] [Update status] [Resolve]\n", false},
		{"no buttons yet", false, "click Acknowledge",
			`There is no button "Acknowledge": no message you can see has buttons yet.`, false},
		{"without press it is a message", true, "Escalate",
			"[#general] @alice: Escalate\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession()
			s.chat.ensureChannel(generalID, "general")
			if tt.buttons {
				s.post(t, "incident-1",
					card("1", "Acknowledge", "Take command", "Update status", "Resolve"))
				s.post(t, "incident-2", card("2", "Acknowledge"))
			}

			out := s.run(t, tt.line+"\n", nil)
			if len(s.door.actions) != 0 {
				t.Errorf("%d actions, want none", len(s.door.actions))
			}
			if got := len(s.door.messages) == 1; got != tt.wantMessage {
				t.Errorf("message sent = %v, want %v", got, tt.wantMessage)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out)
			}
		})
	}
}

func TestReplyButtonsArePressable(t *testing.T) {
	s := newSession()
	s.door.onCommand = func(bot.Command) bot.Reply {
		return bot.Reply{Message: &bot.Message{Text: "Checklist", Blocks: []bot.Block{
			{Kind: bot.BlockSection, Text: "1. Page the on-call"},
			{Kind: bot.BlockActions, Buttons: []bot.Button{{Label: "Done: 1. Page the on-call",
				Action: bot.ActionTickStep, Value: "1:0"}}},
		}}}
	}

	out := s.run(t, "/incident checklist\npress done: 1\nas @bob\npress done: 1\n", nil)
	if len(s.door.actions) != 1 {
		t.Fatalf("%d actions, want 1 (bob cannot see alice's reply):\n%s",
			len(s.door.actions), out)
	}
	act := s.door.actions[0]
	if act.ActionID != bot.ActionTickStep || act.Value != "1:0" || act.ChannelID != generalID ||
		act.MessageTS == "" {
		t.Errorf("action %+v", act)
	}
}

func TestChannelMessage(t *testing.T) {
	tests := []struct {
		name     string
		line     string
		wantText string
		wantOut  string
	}{
		{"plain", "looking into it", "looking into it", "[#general] @alice: looking into it\n"},
		{"mention and escapes", "@bob can you check a<b & c?",
			"<@U002> can you check a&lt;b &amp; c?",
			"[#general] @alice: @bob can you check a<b & c?\n"},
		{"several words starting with join", "join the bridge call", "join the bridge call",
			"[#general] @alice: join the bridge call\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession()
			out := s.run(t, tt.line+"\n", nil)

			if len(s.door.messages) != 1 {
				t.Fatalf("%d messages, want 1", len(s.door.messages))
			}
			msg := s.door.messages[0]
			if msg.Text != tt.wantText || msg.UserID != "U001" || msg.ChannelID != generalID ||
				msg.TS != "1700000000.000100" {
				t.Errorf("message %+v, want text %q", msg, tt.wantText)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("output lacks %q:\n%s", tt.wantOut, out)
			}
		})
	}
}

func TestShellCommands(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		wantOut []string
	}{
		{"join", "join #incident-1\n", []string{"(you are in #incident-1 now)\n",
			"alice@#incident-1> "}},
		{"cd without #", "cd INCIDENT-1\n", []string{"alice@#incident-1> "}},
		{"join unknown", "join #nope\n",
			[]string{"There is no channel #nope. Channels: #general, #incident-1\n"}},
		{"channels", "channels\n", []string{"* #general  1 member\n",
			"  #incident-1  0 members · topic: P1 | @bob\n"}},
		{"as", "as @bob\n/incident x\n", []string{"(you are @bob now)\n", "bob@#general> "}},
		{"as unknown", "as zed\n", []string{
			"Nobody is called @zed. People: @alice (Alice Adams), @bob (Bob Brown), @carol.ops"}},
		{"help", "help\n", []string{"/incident <command>", "as @handle",
			"Channels: #general, #incident-1\n", "Buttons: none yet\n"}},
		{"banner", "", []string{"/incident declare API is down --sev P1", "/incident help"}},
		{"quit", "quit\nhello\n", []string{"alice@#general> quit\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession()
			s.chat.ensureChannel(generalID, "general")
			id := s.chat.ensureChannel("", "incident-1")
			if err := s.chat.SetTopic(context.Background(), id, "P1 | <@U002>"); err != nil {
				t.Fatal(err)
			}

			out := s.run(t, tt.script, nil)
			for _, part := range tt.wantOut {
				if !strings.Contains(out, part) {
					t.Errorf("output lacks %q:\n%s", part, out)
				}
			}
			if len(s.door.messages) != 0 {
				t.Errorf("shell command sent as a message: %+v", s.door.messages)
			}
			if tt.name == "as" && (len(s.door.commands) != 1 ||
				s.door.commands[0].UserID != "U002") {
				t.Errorf("command after as: %+v", s.door.commands)
			}
		})
	}
}

// TestSettle checks that Settle runs after each call on the front door and
// that an invitation during it moves the user to the new channel.
func TestSettle(t *testing.T) {
	s := newSession()
	var settled int
	ctx := context.Background()
	s.door.onCommand = func(bot.Command) bot.Reply {
		return bot.Reply{Message: &bot.Message{Text: "Declared INC-1."}}
	}
	settle := func() {
		settled++
		if settled > 1 {
			return
		}
		id, err := s.chat.CreateChannel(ctx, "incident-20261203-api-down", false)
		if err != nil {
			t.Errorf("CreateChannel: %v", err)
			return
		}
		_ = s.chat.Invite(ctx, id, []string{"U001", "U002"})
		_, _ = s.chat.Post(ctx, id, card("1", "Acknowledge"))
	}

	out := s.run(t, "/incident declare API is down\nfixing\n", func(sh *Shell) {
		sh.Settle = settle
	})
	if settled != 2 {
		t.Errorf("Settle ran %d times, want 2 (after the command and the message)", settled)
	}
	for _, part := range []string{
		"(only you see this) warroom: Declared INC-1.\n" +
			"(warroom created the channel #incident-20261203-api-down; " +
			"type \"join #incident-20261203-api-down\" to go there)\n",
		"(you are in #incident-20261203-api-down now: warroom invited you;",
		"alice@#incident-20261203-api-down> fixing\n",
	} {
		if !strings.Contains(out, part) {
			t.Errorf("output lacks %q:\n%s", part, out)
		}
	}
	if len(s.door.messages) != 1 || s.door.messages[0].ChannelID != "C0001" {
		t.Errorf("message not in the incident channel: %+v", s.door.messages)
	}
}

// TestRunStops checks that Run ends when its context is done while it
// waits for input, and that a post arriving meanwhile shows the prompt
// again.
func TestRunStops(t *testing.T) {
	tests := []struct {
		name string
		stop func(cancel context.CancelFunc, w *io.PipeWriter)
	}{
		{"context done", func(cancel context.CancelFunc, _ *io.PipeWriter) { cancel() }},
		{"input closed", func(_ context.CancelFunc, w *io.PipeWriter) { _ = w.Close() }},
		{"exit", func(_ context.CancelFunc, w *io.PipeWriter) {
			_, _ = io.WriteString(w, "exit\n")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession()
			r, w := io.Pipe()
			defer func() { _ = w.Close() }()
			sh := New(s.chat, s.door, "alice", r, s.out)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()

			done := make(chan error, 1)
			go func() { done <- sh.Run(ctx) }()
			if _, err := io.WriteString(w, "hello\n"); err != nil {
				t.Fatalf("write: %v", err)
			}
			waitFor(t, func() bool { return strings.Count(s.output(), "alice@#general> ") == 2 })
			if _, err := s.chat.Post(ctx, generalID, bot.Message{Text: "async"}); err != nil {
				t.Fatalf("Post: %v", err)
			}

			tt.stop(cancel, w)
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return")
			}
			want := "alice@#general> \n[#general] warroom: async\nalice@#general> "
			if out := s.output(); !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		})
	}
}

// waitFor polls cond until it holds, failing the test after a while.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
