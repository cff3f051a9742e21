package shell

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"warroom/bot"
)

func TestChatPrintsCard(t *testing.T) {
	s := newSession()
	ctx := context.Background()
	id, err := s.chat.CreateChannel(ctx, "incident-20261203-api-down", false)
	if err != nil {
		t.Fatalf("CreateChannel: %v", err)
	}
	s.out.Reset()

	msg := card("1", "Acknowledge", "Take command", "Update status", "Resolve")
	msg.Blocks = slices.Insert(msg.Blocks, 2, bot.Block{Kind: bot.BlockSection,
		Text: "Users see 500s &amp; timeouts\nsince <https://status.example.com|the deploy>"})
	if _, err := s.chat.Post(ctx, id, msg); err != nil {
		t.Fatalf("Post: %v", err)
	}

	want := `[#incident-20261203-api-down] warroom:
  == 🔴 INC-1: API is down ==
  Severity: P1 high
  Commander: @alice
    Users see 500s & timeouts
    since the deploy (https://status.example.com)
  · Declared by @alice
  [Acknowledge] [Take command] [Update status] [Resolve]
`
	if got := s.output(); got != want {
		t.Errorf("printed\n%s\nwant\n%s", got, want)
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"mention", "ping <@U002>", "ping @bob"},
		{"labelled mention", "ping <@U003|carol>", "ping @carol.ops"},
		{"stranger with label", "ping <@U999|zed>", "ping @zed"},
		{"stranger", "ping <@U999>", "ping @U999"},
		{"channel", "see <#C0000>", "see #general"},
		{"unknown channel with label", "see <#C0404|ops>", "see #ops"},
		{"link with label", "<https://x.example/a?b=1&amp;c=2|runbook>",
			"runbook (https://x.example/a?b=1&c=2)"},
		{"bare link", "<https://x.example>", "https://x.example"},
		{"special mention", "<!here> look", "@here look"},
		{"escapes", "a &lt;b&gt; &amp;amp;", "a <b> &amp;"},
		{"mrkdwn kept", "*bold* _it_ `code`", "*bold* _it_ `code`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession()
			s.chat.ensureChannel(generalID, "general")

			s.chat.mu.Lock()
			got := s.chat.plainLocked(tt.in)
			s.chat.mu.Unlock()
			if got != tt.want {
				t.Errorf("plain(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestChatNotices(t *testing.T) {
	tests := []struct {
		name string
		do   func(ctx context.Context, c *Chat, channel, ts string) error
		want string
	}{
		{
			name: "topic",
			do: func(ctx context.Context, c *Chat, channel, _ string) error {
				return c.SetTopic(ctx, channel, "P1 | Investigating | IC: <@U001> | API down")
			},
			want: "(topic of #general: P1 | Investigating | IC: @alice | API down)\n",
		},
		{
			name: "invite skips members",
			do: func(ctx context.Context, c *Chat, channel, _ string) error {
				if err := c.Invite(ctx, channel, []string{"U002", "U404"}); err != nil {
					return err
				}
				return c.Invite(ctx, channel, []string{"U002"})
			},
			want: "(warroom invited @bob, @U404 to #general)\n",
		},
		{
			name: "pin",
			do: func(ctx context.Context, c *Chat, channel, ts string) error {
				return c.Pin(ctx, channel, ts)
			},
			want: "(warroom pinned \"INC-1 P1 API is down\" in #general)\n",
		},
		{
			name: "update",
			do: func(ctx context.Context, c *Chat, channel, ts string) error {
				return c.Update(ctx, channel, ts, bot.Message{Text: "INC-1 resolved by <@U002>"})
			},
			want: "(card updated in #general)\n  INC-1 resolved by @bob\n",
		},
		{
			name: "update to the same content prints nothing",
			do: func(ctx context.Context, c *Chat, channel, ts string) error {
				return c.Update(ctx, channel, ts, card("1"))
			},
			want: "",
		},
		{
			name: "notify the viewer",
			do: func(ctx context.Context, c *Chat, _, _ string) error {
				c.setViewer("U001")
				return c.Notify(ctx, bot.Recipient{UserID: "U001"}, bot.Message{Text: "hi"})
			},
			want: "(only you see this) warroom: hi\n",
		},
		{
			name: "notify someone else",
			do: func(ctx context.Context, c *Chat, _, _ string) error {
				c.setViewer("U001")
				return c.Notify(ctx, bot.Recipient{UserID: "U002"}, bot.Message{Text: "hi"})
			},
			want: "(only @bob sees this) warroom: hi\n",
		},
		{
			name: "thread reply",
			do: func(ctx context.Context, c *Chat, channel, ts string) error {
				_, err := c.Post(ctx, channel, bot.Message{Text: "update", Thread: ts,
					Broadcast: true})
				return err
			},
			want: "[#general, in a thread and the channel] warroom: update\n",
		},
		{
			name: "unknown channel is adopted",
			do: func(ctx context.Context, c *Chat, _, _ string) error {
				_, err := c.Post(ctx, "CANNOUNCE", bot.Message{Text: "news"})
				return err
			},
			want: "(warroom used channel CANNOUNCE, new to the shell: it is #cannounce now)\n" +
				"[#cannounce] warroom: news\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession()
			channel, ts := s.post(t, "general", card("1"))
			s.out.Reset()

			if err := tt.do(context.Background(), s.chat, channel, ts); err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got := s.output(); got != tt.want {
				t.Errorf("printed %q, want %q", got, tt.want)
			}
		})
	}
}

func TestChatUnknownMessage(t *testing.T) {
	tests := []struct {
		name string
		do   func(ctx context.Context, c *Chat) error
	}{
		{"update", func(ctx context.Context, c *Chat) error {
			return c.Update(ctx, generalID, "1.000000", bot.Message{Text: "x"})
		}},
		{"pin", func(ctx context.Context, c *Chat) error {
			return c.Pin(ctx, generalID, "1.000000")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession()
			s.chat.ensureChannel(generalID, "general")

			err := tt.do(context.Background(), s.chat)
			if !errors.Is(err, errMessageNotFound) || !bot.IsPermanent(err) {
				t.Errorf("got %v, want a permanent error wrapping %v", err, errMessageNotFound)
			}
		})
	}
}

func TestCreateChannel(t *testing.T) {
	tests := []struct {
		name    string
		names   []string
		wantIDs []string
		// taken is the index of the call that must fail with name taken.
		taken int
	}{
		{"distinct names", []string{"a", "b"}, []string{"C0001", "C0002"}, -1},
		{"same name", []string{"inc-x", "inc-x"}, []string{"C0001", ""}, 1},
		{"name differs in case", []string{"inc-x", "#INC-X"}, []string{"C0001", ""}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewChat(&strings.Builder{}, testPeople)
			for i, name := range tt.names {
				id, err := c.CreateChannel(context.Background(), name, false)
				if i == tt.taken {
					if !errors.Is(err, bot.ErrNameTaken) {
						t.Errorf("CreateChannel(%q) error = %v, want name taken", name, err)
					}
					continue
				}
				if err != nil || id != tt.wantIDs[i] {
					t.Errorf("CreateChannel(%q) = %q, %v; want %q", name, id, err, tt.wantIDs[i])
				}
			}
		})
	}
}

func TestFindUser(t *testing.T) {
	tests := []struct {
		handle string
		want   string
	}{
		{"alice", "U001"},
		{"@alice", "U001"},
		{"ALICE", "U001"},
		{" @Bob ", "U002"},
		{"carol.ops", "U003"},
		{"zed", ""},
		{"", ""},
		{"U001", ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.handle), func(t *testing.T) {
			c := NewChat(&strings.Builder{}, testPeople)
			id, err := c.FindUser(context.Background(), tt.handle)
			if tt.want == "" {
				if !errors.Is(err, bot.ErrUserNotFound) {
					t.Errorf("FindUser(%q) = %q, %v; want user not found", tt.handle, id, err)
				}
				return
			}
			if err != nil || id != tt.want {
				t.Errorf("FindUser(%q) = %q, %v; want %q", tt.handle, id, err, tt.want)
			}
		})
	}
}

func TestPermalink(t *testing.T) {
	tests := []struct {
		name string
		ts   string
		want string
	}{
		{"message", "1700000000.000100", "shell://incident-x/1700000000.000100"},
		{"channel", "", "shell://incident-x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewChat(&strings.Builder{}, testPeople)
			id, err := c.CreateChannel(context.Background(), "incident-x", true)
			if err != nil {
				t.Fatalf("CreateChannel: %v", err)
			}

			got, err := c.Permalink(context.Background(), id, tt.ts)
			if err != nil || got != tt.want {
				t.Errorf("Permalink = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestConcurrentPost posts from many goroutines, as the job runner does:
// every message gets its own timestamp and prints as a whole line.
func TestConcurrentPost(t *testing.T) {
	const goroutines, posts = 8, 50
	s := newSession()
	channel, _ := s.post(t, "general", bot.Message{Text: "first"})
	s.out.Reset()

	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		tss []string
	)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range posts {
				ts, err := s.chat.Post(context.Background(), channel,
					bot.Message{Text: fmt.Sprintf("message %d-%d", g, i)})
				if err != nil {
					t.Errorf("Post: %v", err)
					return
				}
				mu.Lock()
				tss = append(tss, ts)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	slices.Sort(tss)
	if n := len(slices.Compact(tss)); n != goroutines*posts {
		t.Errorf("%d distinct timestamps, want %d", n, goroutines*posts)
	}
	got := strings.Split(strings.TrimSuffix(s.output(), "\n"), "\n")
	if len(got) != goroutines*posts {
		t.Fatalf("%d lines printed, want %d", len(got), goroutines*posts)
	}
	for _, line := range got {
		if !strings.HasPrefix(line, "[#general] warroom: message ") {
			t.Errorf("garbled line %q", line)
		}
	}
}

func TestTimestamps(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{1, "1700000000.000100"},
		{2, "1700000000.000200"},
		{9999, "1700000000.999900"},
		{10000, "1700000001.000000"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			c := NewChat(&strings.Builder{}, nil)
			c.nextTS = tt.n
			if got := c.tsLocked(); got != tt.want {
				t.Errorf("ts %d = %q, want %q", tt.n, got, tt.want)
			}
		})
	}
}

func TestColour(t *testing.T) {
	tests := []struct {
		name   string
		colour bool
		want   string
	}{
		{"plain off a terminal", false, "  [Acknowledge]\n"},
		{"coloured on a terminal", true, "  " + ansiGreen + "[Acknowledge]" + ansiReset + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession()
			if s.chat.colour {
				t.Fatal("colour on for a buffer")
			}
			s.chat.colour = tt.colour
			msg := card("1")
			msg.Blocks[3].Buttons = []bot.Button{{Label: "Acknowledge", Style: bot.StylePrimary}}

			s.post(t, "general", msg)
			if out := s.output(); !strings.HasSuffix(out, tt.want) {
				t.Errorf("output %q does not end with %q", out, tt.want)
			}
		})
	}
}
