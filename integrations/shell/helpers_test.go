package shell

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"warroom/bot"
)

// testPeople are the people every test's chat knows.
var testPeople = []Person{
	{ID: "U001", Handle: "alice", Name: "Alice Adams"},
	{ID: "U002", Handle: "bob", Name: "Bob Brown"},
	{ID: "U003", Handle: "carol.ops"},
}

// fakeDoor is a Frontdoor that records what it is called with and answers
// with the replies its functions give, or an empty reply.
type fakeDoor struct {
	mu       sync.Mutex
	commands []bot.Command
	actions  []bot.Action
	submits  []bot.Submission
	messages []bot.ChannelMessage

	onCommand func(bot.Command) bot.Reply
	onAction  func(bot.Action) bot.Reply
	// onSubmit gets the number of earlier submissions too.
	onSubmit func(int, bot.Submission) bot.Reply
}

var _ Frontdoor = (*fakeDoor)(nil)

func (f *fakeDoor) Command(ctx context.Context, cmd bot.Command) bot.Reply {
	f.mu.Lock()
	f.commands = append(f.commands, cmd)
	f.mu.Unlock()

	if f.onCommand == nil {
		return bot.Reply{}
	}
	return f.onCommand(cmd)
}

func (f *fakeDoor) Action(ctx context.Context, act bot.Action) bot.Reply {
	f.mu.Lock()
	f.actions = append(f.actions, act)
	f.mu.Unlock()

	if f.onAction == nil {
		return bot.Reply{}
	}
	return f.onAction(act)
}

func (f *fakeDoor) Submit(ctx context.Context, sub bot.Submission) bot.Reply {
	f.mu.Lock()
	n := len(f.submits)
	f.submits = append(f.submits, sub)
	f.mu.Unlock()

	if f.onSubmit == nil {
		return bot.Reply{}
	}
	return f.onSubmit(n, sub)
}

func (f *fakeDoor) Message(ctx context.Context, msg bot.ChannelMessage) {
	f.mu.Lock()
	defer f.mu.Unlock()

	f.messages = append(f.messages, msg)
}

// session is a chat, its output and a front door, for one test.
type session struct {
	out  *bytes.Buffer
	chat *Chat
	door *fakeDoor
}

func newSession() *session {
	out := &bytes.Buffer{}
	return &session{out: out, chat: NewChat(out, testPeople), door: &fakeDoor{}}
}

// run runs a shell as alice on script until the script ends, and returns
// the output. setup, when set, changes the shell before it runs.
func (s *session) run(t *testing.T, script string, setup func(*Shell)) string {
	t.Helper()
	sh := New(s.chat, s.door, "U001", strings.NewReader(script), s.out)
	if setup != nil {
		setup(sh)
	}
	runBounded(t, sh)
	return s.output()
}

// output is what the chat and the shell printed so far.
func (s *session) output() string {
	s.chat.mu.Lock()
	defer s.chat.mu.Unlock()

	return s.out.String()
}

// runBounded runs sh and fails the test if it does not end within a few
// seconds or ends with an error.
func runBounded(t *testing.T, sh *Shell) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	done := make(chan error, 1)
	go func() { done <- sh.Run(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return")
	}
	if ctx.Err() != nil {
		t.Fatal("Run ended only because its context timed out")
	}
}

// card is an incident card like the bot's, with the buttons it carries.
func card(id string, labels ...string) bot.Message {
	actions := map[string]string{
		"Acknowledge":   bot.ActionAcknowledge,
		"Take command":  bot.ActionTakeCommand,
		"Update status": bot.ActionUpdateStatus,
		"Resolve":       bot.ActionResolve,
		"Reopen":        bot.ActionReopen,
	}
	var buttons []bot.Button
	for _, l := range labels {
		buttons = append(buttons, bot.Button{Label: l, Action: actions[l], Value: id})
	}
	return bot.Message{
		Text: "INC-" + id + " P1 API is down",
		Blocks: []bot.Block{
			{Kind: bot.BlockHeader, Text: ":red_circle: INC-" + id + ": API is down"},
			{Kind: bot.BlockFields, Fields: []bot.Field{
				{Label: "Severity", Value: "P1 high"},
				{Label: "Commander", Value: "<@U001>"},
			}},
			{Kind: bot.BlockContext, Text: "Declared by <@U001>"},
			{Kind: bot.BlockActions, ID: "incident-" + id, Buttons: buttons},
		},
	}
}

// post posts msg in the channel named name, creating it if need be, and
// returns the channel id and the message ts.
func (s *session) post(t *testing.T, name string, msg bot.Message) (string, string) {
	t.Helper()
	ctx := context.Background()
	id := s.chat.ensureChannel("", name)
	ts, err := s.chat.Post(ctx, id, msg)
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	return id, ts
}
