package shell

import (
	"context"
	"strings"
	"testing"

	"warroom/bot"
)

// playBot plays warroom for a scripted session: it answers as the router
// does and owes its chat calls to Settle, as the bot owes them to its job
// runner.
type playBot struct {
	t       *testing.T
	chat    *Chat
	pending []func(ctx context.Context) error

	channel   string
	cardTS    string
	commander string
	acked     bool
	resolved  bool
	said      []bot.ChannelMessage
}

var _ Frontdoor = (*playBot)(nil)

func (b *playBot) Command(ctx context.Context, cmd bot.Command) bot.Reply {
	if !strings.HasPrefix(cmd.Text, "declare ") {
		return reply(":warning: `/incident " + cmd.Text + "` is not a command I know.")
	}

	b.commander = cmd.UserID
	b.later(func(ctx context.Context) error {
		id, err := b.chat.CreateChannel(ctx, "incident-20261203-api-down", false)
		if err != nil {
			return err
		}
		b.channel = id
		if err := b.chat.Invite(ctx, id, []string{cmd.UserID, "U002"}); err != nil {
			return err
		}
		topic := "P1 | Investigating | IC: <@" + b.commander + ">"
		if err := b.chat.SetTopic(ctx, id, topic); err != nil {
			return err
		}
		if b.cardTS, err = b.chat.Post(ctx, id, b.card()); err != nil {
			return err
		}
		if err := b.chat.Pin(ctx, id, b.cardTS); err != nil {
			return err
		}
		link, err := b.chat.Permalink(ctx, id, "")
		if err != nil {
			return err
		}
		return b.chat.Notify(ctx, cmd.ReplyTo, bot.Message{
			Text: ":white_check_mark: INC-1 is open: <#" + id + "> (" + link + ")"})
	})
	return reply(":rotating_light: Declared P1 INC-1: API is down. " +
		"Setting up #incident-20261203-api-down now.")
}

func (b *playBot) Action(ctx context.Context, act bot.Action) bot.Reply {
	if act.MessageTS != b.cardTS || act.ChannelID != b.channel || act.Value != "1" {
		b.t.Errorf("action on the wrong message: %+v", act)
	}

	switch act.ActionID {
	case bot.ActionAcknowledge:
		b.acked = true
		b.later(b.sync)
		b.later(func(ctx context.Context) error {
			_, err := b.chat.Post(ctx, b.channel, bot.Message{
				Text: ":information_source: Acknowledged (<@" + act.UserID + ">)"})
			return err
		})
		return reply("You acknowledged INC-1.")
	case bot.ActionResolve:
		if act.UserID != b.commander {
			return reply(":warning: Only the commander, <@" + b.commander +
				">, may resolve the incident.")
		}
		return bot.Reply{Modal: &bot.Modal{ID: "incident.resolve", Title: "Resolve INC-1",
			Metadata: "1", Inputs: []bot.Input{{ID: "summary", Label: "Resolution summary",
				Kind: bot.InputMultiline, Optional: true}}}}
	}
	return reply(":warning: warroom does not know that button.")
}

func (b *playBot) Submit(ctx context.Context, sub bot.Submission) bot.Reply {
	if sub.ModalID != "incident.resolve" || sub.Value("summary") == "" {
		b.t.Errorf("unexpected submission %+v", sub)
	}
	b.resolved = true
	b.later(b.sync)
	return reply("INC-1 is resolved after 12m.")
}

func (b *playBot) Message(ctx context.Context, msg bot.ChannelMessage) {
	b.said = append(b.said, msg)
}

// settle runs what the bot owes, as the job runner would.
func (b *playBot) settle() {
	for len(b.pending) > 0 {
		job := b.pending[0]
		b.pending = b.pending[1:]
		if err := job(context.Background()); err != nil {
			b.t.Errorf("job: %v", err)
		}
	}
}

func (b *playBot) later(job func(ctx context.Context) error) {
	b.pending = append(b.pending, job)
}

func (b *playBot) sync(ctx context.Context) error {
	return b.chat.Update(ctx, b.channel, b.cardTS, b.card())
}

func (b *playBot) card() bot.Message {
	status := "Investigating"
	buttons := []string{"Acknowledge", "Take command", "Update status", "Resolve"}
	switch {
	case b.resolved:
		status, buttons = "Resolved", []string{"Reopen"}
	case b.acked:
		buttons = buttons[1:]
	}
	msg := card("1", buttons...)
	msg.Blocks[1].Fields = append(msg.Blocks[1].Fields, bot.Field{Label: "Status",
		Value: status})
	return msg
}

func reply(text string) bot.Reply {
	return bot.Reply{Message: &bot.Message{Text: text}}
}

// TestTranscript runs a whole scripted session, from declaring to
// resolving, and checks the transcript reads as a person would expect.
func TestTranscript(t *testing.T) {
	s := newSession()
	pb := &playBot{t: t, chat: s.chat}
	s.door = nil

	script := strings.Join([]string{
		"/incident declare API is down --sev P1",
		"Acknowledge",
		"as @bob",
		"resolve",
		"as @alice",
		"press Resolve",
		"Rolled back the deploy.",
		"",
		"join #general",
		"hello team, @bob is on it",
		"exit",
		"never read",
	}, "\n") + "\n"
	sh := New(s.chat, pb, "U001", strings.NewReader(script), s.out)
	sh.Settle = pb.settle
	runBounded(t, sh)
	out := s.output()
	t.Logf("transcript:\n%s", out)

	const channel = "#incident-20261203-api-down"
	want := []string{
		"warroom shell: you are @alice in #general",
		"alice@#general> /incident declare API is down --sev P1\n" +
			"(only you see this) warroom: 🚨 Declared P1 INC-1: API is down. " +
			"Setting up " + channel + " now.\n",
		"(warroom created the channel " + channel + "; type \"join " + channel +
			"\" to go there)\n",
		"(warroom invited @alice, @bob to " + channel + ")\n",
		"(topic of " + channel + ": P1 | Investigating | IC: @alice)\n",
		"[" + channel + "] warroom:\n  == 🔴 INC-1: API is down ==\n",
		"  [Acknowledge] [Take command] [Update status] [Resolve]\n",
		"(warroom pinned \"INC-1 P1 API is down\" in " + channel + ")\n",
		"(only you see this) warroom: ✅ INC-1 is open: " + channel +
			" (shell://incident-20261203-api-down)\n",
		"(you are in " + channel + " now: warroom invited you;",
		"alice@" + channel + "> Acknowledge\n" +
			"(only you see this) warroom: You acknowledged INC-1.\n" +
			"(card updated in " + channel + ")\n",
		"  [Take command] [Update status] [Resolve]\n",
		"[" + channel + "] warroom: ℹ️ Acknowledged (@alice)\n",
		"bob@" + channel + "> resolve\n" +
			"(only you see this) warroom: ⚠️ Only the commander, @alice, " +
			"may resolve the incident.\n",
		"== Resolve INC-1 ==",
		"Resolution summary (optional): one or more lines, then an empty line; Enter skips\n",
		"(only you see this) warroom: INC-1 is resolved after 12m.\n",
		"  Status: Resolved\n  · Declared by @alice\n  [Reopen]\n",
		"alice@#general> hello team, @bob is on it\n" +
			"[#general] @alice: hello team, @bob is on it\n",
		"alice@#general> exit\n",
	}
	for _, part := range want {
		if !strings.Contains(out, part) {
			t.Errorf("transcript lacks %q", part)
		}
	}
	if strings.Contains(out, "never read") {
		t.Error("the shell read on after exit")
	}
	if len(pb.said) != 1 || pb.said[0].Text != "hello team, <@U002> is on it" {
		t.Errorf("messages the bot heard: %+v", pb.said)
	}
}
