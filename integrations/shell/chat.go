package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"

	"warroom/bot"
)

// Person is someone the shell's chat knows: the people a shell user can be
// and can mention.
type Person struct {
	// ID is the user id the bot stores, such as "U001".
	ID string
	// Handle is the name people mention, without the @.
	Handle string
	// Name is the person's full name, shown when listing people.
	Name string
}

// Chat is a chat platform in memory: the bot's view of Slack when it runs
// in a terminal. It keeps channels and messages and prints everything the
// bot posts, edits, pins and says privately, readably, on its writer.
//
// A channel id the bot uses that the chat does not know, such as an
// announcements channel from the config, is added under a name made from
// the id (AddChannel gives it a better one) rather than failing the bot's
// job. Channel ids the chat makes run C0001, C0002 and so on; message
// timestamps run 1700000000.000100, 1700000000.000200 and so on.
//
// All methods are safe for concurrent use; each printed message is written
// in one piece, so the job runner's goroutines never interleave lines.
type Chat struct {
	// mu guards every field below and every write to out, and to the
	// Shell's writer.
	mu     sync.Mutex
	out    io.Writer
	colour bool

	people   []Person
	channels []*channel
	messages map[string]*message
	// boards are the messages that carry buttons, oldest first.
	boards []*message

	nextChannel int
	nextTS      int64
	// seq counts what happened, so the Shell can ask what changed since
	// it last looked.
	seq     int64
	invites []invite

	// viewer is the shell's current user; prompt is the shell's prompt
	// and waiting says it is shown, waiting for input.
	viewer  string
	prompt  string
	waiting bool
}

var _ bot.Chat = (*Chat)(nil)

type channel struct {
	id      string
	name    string
	private bool
	topic   string
	members []string
	pins    []string
}

type message struct {
	channel string
	ts      string
	author  string
	msg     bot.Message
	// only, when set, is the one user who sees the message.
	only string
	// seq orders messages by when they were posted or last edited.
	seq int64
}

type invite struct {
	seq     int64
	channel string
	user    string
}

// maxBoards is how many messages with buttons the chat remembers.
const maxBoards = 50

// firstTS is the seconds part of the first message timestamp.
const firstTS = 1700000000

// errMessageNotFound reports an edit or pin of a message the chat does
// not have.
var errMessageNotFound = errors.New("message not found")

// NewChat returns an empty chat that prints on out and knows people. Colour
// is used only when out is a terminal and NO_COLOR is not set.
func NewChat(out io.Writer, people []Person) *Chat {
	c := &Chat{
		out:         out,
		colour:      wantColour(out),
		messages:    map[string]*message{},
		nextChannel: 1,
	}
	for _, p := range people {
		if p.Handle == "" {
			p.Handle = p.ID
		}
		c.people = append(c.people, p)
	}
	return c
}

// AddChannel makes the chat know a channel by an id the bot already holds,
// such as the announcements channel from the config, so that posts there
// show under name. Adding an id the chat knows renames that channel.
func (c *Chat) AddChannel(id, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()

	name = strings.TrimPrefix(name, "#")
	for _, ch := range c.channels {
		if ch.id == id {
			ch.name = name
			return
		}
	}
	c.channels = append(c.channels, &channel{id: id, name: name})
}

// CreateChannel creates a channel and returns its id, like C0001. A name
// already taken returns an error wrapping bot.ErrNameTaken.
func (c *Chat) CreateChannel(ctx context.Context, name string, private bool) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()

	name = strings.TrimPrefix(strings.TrimSpace(name), "#")
	if name == "" || strings.ContainsAny(name, " \t\n") {
		return "", bot.Permanent(fmt.Errorf("create channel %q: invalid name", name))
	}
	if c.byNameLocked(name) != nil {
		return "", fmt.Errorf("create channel %q: %w", name, bot.ErrNameTaken)
	}

	id := c.newChannelIDLocked()
	c.channels = append(c.channels, &channel{id: id, name: name, private: private})
	kind := "channel"
	if private {
		kind = "private channel"
	}
	c.noticeLocked(fmt.Sprintf("(warroom created the %s #%s; type \"join #%s\" to go there)",
		kind, name, name))
	return id, nil
}

// SetTopic sets a channel's topic and prints it when it changed.
func (c *Chat) SetTopic(ctx context.Context, channel, topic string) error {
	c.mu.Lock()
	defer c.mu.Unlock()

	ch := c.channelLocked(channel)
	if ch.topic == topic {
		return nil
	}
	ch.topic = topic
	c.noticeLocked(fmt.Sprintf("(topic of #%s: %s)", ch.name, c.plainLocked(topic)))
	return nil
}

// Invite adds users to a channel and prints who joined.
func (c *Chat) Invite(ctx context.Context, channel string, users []string) error {
	c.mu.Lock()
	defer c.mu.Unlock()

	ch := c.channelLocked(channel)
	var added []string
	for _, u := range users {
		if u == "" || slices.Contains(ch.members, u) {
			continue
		}
		ch.members = append(ch.members, u)
		c.seq++
		c.invites = append(c.invites, invite{seq: c.seq, channel: ch.id, user: u})
		added = append(added, "@"+c.handleLocked(u))
	}
	if len(added) > 0 {
		c.noticeLocked(fmt.Sprintf("(warroom invited %s to #%s)", strings.Join(added, ", "),
			ch.name))
	}
	return nil
}

// Post stores msg in channel, prints it and returns its timestamp.
func (c *Chat) Post(ctx context.Context, channel string, msg bot.Message) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()

	m := c.postLocked(channel, "", msg)
	return m.ts, nil
}

// Update replaces the message at ts and prints the new content, unless it
// reads the same as before.
func (c *Chat) Update(ctx context.Context, channel, ts string, msg bot.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()

	ch := c.channelLocked(channel)
	m, ok := c.messages[ch.id+"/"+ts]
	if !ok {
		return bot.Permanent(fmt.Errorf("update message %s in #%s: %w", ts, ch.name,
			errMessageNotFound))
	}

	before, after := c.bodyLocked(m.msg), c.bodyLocked(msg)
	msg.Thread = m.msg.Thread
	m.msg = msg
	c.rememberLocked(m)
	if slices.Equal(before, after) {
		return nil
	}

	var sb strings.Builder
	sb.WriteString(c.paint(ansiDim, "(card updated in #"+ch.name+")") + "\n")
	for _, line := range after {
		sb.WriteString("  " + line + "\n")
	}
	c.emitLocked(sb.String())
	return nil
}

// Pin pins the message at ts and prints one line saying so.
func (c *Chat) Pin(ctx context.Context, channel, ts string) error {
	c.mu.Lock()
	defer c.mu.Unlock()

	ch := c.channelLocked(channel)
	m, ok := c.messages[ch.id+"/"+ts]
	if !ok {
		return bot.Permanent(fmt.Errorf("pin message %s in #%s: %w", ts, ch.name,
			errMessageNotFound))
	}
	if slices.Contains(ch.pins, ts) {
		return nil
	}
	ch.pins = append(ch.pins, ts)
	c.noticeLocked(fmt.Sprintf("(warroom pinned %q in #%s)", shorten(c.summaryLocked(m.msg), 70),
		ch.name))
	return nil
}

// Notify prints msg as seen by one user only.
func (c *Chat) Notify(ctx context.Context, to bot.Recipient, msg bot.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()

	who := "you"
	if to.UserID != "" && to.UserID != c.viewer {
		who = "@" + c.handleLocked(to.UserID)
	}
	head := c.paint(ansiDim, "(only "+who+" "+sees(who)+" this)") + " warroom:"
	channel := to.ChannelID
	if ch := c.findLocked(channel); ch != nil {
		channel = ch.id
	}

	if hasButtons(msg) {
		c.nextTS++
		m := &message{channel: channel, ts: c.tsLocked(), author: "warroom", msg: msg,
			only: to.UserID}
		c.rememberLocked(m)
	}
	c.emitLocked(c.formatLocked(head, msg))
	return nil
}

// Permalink returns shell://<channel name>/<ts>, or shell://<channel name>
// when ts is empty.
func (c *Chat) Permalink(ctx context.Context, channel, ts string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()

	link := "shell://" + c.channelLocked(channel).name
	if ts != "" {
		link += "/" + ts
	}
	return link, nil
}

// FindUser resolves a handle, with or without its @ and in any case, to
// the id of one of the people. Anyone else is an error wrapping
// bot.ErrUserNotFound.
func (c *Chat) FindUser(ctx context.Context, handle string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if p, ok := c.personByHandleLocked(handle); ok {
		return p.ID, nil
	}
	return "", fmt.Errorf("find user %q: %w", handle, bot.ErrUserNotFound)
}

// postLocked stores and prints a message by author ("" for the bot).
func (c *Chat) postLocked(channel, author string, msg bot.Message) *message {
	ch := c.channelLocked(channel)
	c.nextTS++
	m := &message{channel: ch.id, ts: c.tsLocked(), author: author, msg: msg}
	c.messages[ch.id+"/"+m.ts] = m
	if hasButtons(msg) {
		c.rememberLocked(m)
	}

	where := "#" + ch.name
	if msg.Thread != "" {
		where += ", in a thread"
		if msg.Broadcast {
			where += " and the channel"
		}
	}
	who := "warroom"
	if author != "" {
		who = "@" + c.handleLocked(author)
	}
	c.emitLocked(c.formatLocked(c.paint(ansiCyan, "["+where+"]")+" "+who+":", msg))
	return m
}

// rememberLocked records m as the latest message with buttons.
func (c *Chat) rememberLocked(m *message) {
	c.seq++
	m.seq = c.seq
	c.boards = slices.DeleteFunc(c.boards, func(b *message) bool { return b == m })
	if !hasButtons(m.msg) {
		return
	}
	c.boards = append(c.boards, m)
	if len(c.boards) > maxBoards {
		c.boards = c.boards[len(c.boards)-maxBoards:]
	}
}

// tsLocked formats the current message counter as a Slack timestamp.
func (c *Chat) tsLocked() string {
	n := c.nextTS
	return fmt.Sprintf("%d.%06d", firstTS+n/10000, (n%10000)*100)
}

func (c *Chat) newChannelIDLocked() string {
	for {
		id := fmt.Sprintf("C%04d", c.nextChannel)
		c.nextChannel++
		if c.byIDLocked(id) == nil {
			return id
		}
	}
}

// channelLocked finds a channel by id or name. A channel the bot names
// that the chat does not know, such as an announcements channel from the
// config, is added under that name rather than failing the bot's job.
func (c *Chat) channelLocked(ref string) *channel {
	if ch := c.findLocked(ref); ch != nil {
		return ch
	}

	ch := &channel{id: ref, name: strings.ToLower(strings.TrimPrefix(ref, "#"))}
	c.channels = append(c.channels, ch)
	c.noticeLocked(fmt.Sprintf("(warroom used channel %s, new to the shell: it is #%s now)",
		ref, ch.name))
	return ch
}

// findLocked finds a channel by id, else by name with or without its #.
func (c *Chat) findLocked(ref string) *channel {
	if ch := c.byIDLocked(ref); ch != nil {
		return ch
	}
	return c.byNameLocked(strings.TrimPrefix(ref, "#"))
}

func (c *Chat) byIDLocked(id string) *channel {
	for _, ch := range c.channels {
		if ch.id == id {
			return ch
		}
	}
	return nil
}

func (c *Chat) byNameLocked(name string) *channel {
	for _, ch := range c.channels {
		if strings.EqualFold(ch.name, name) {
			return ch
		}
	}
	return nil
}

func (c *Chat) personByIDLocked(id string) (Person, bool) {
	for _, p := range c.people {
		if p.ID == id {
			return p, true
		}
	}
	return Person{}, false
}

func (c *Chat) personByHandleLocked(handle string) (Person, bool) {
	handle = strings.TrimPrefix(strings.TrimSpace(handle), "@")
	for _, p := range c.people {
		if handle != "" && strings.EqualFold(p.Handle, handle) {
			return p, true
		}
	}
	return Person{}, false
}

// handleLocked is the handle of user id, or the id itself for a stranger.
func (c *Chat) handleLocked(id string) string {
	if p, ok := c.personByIDLocked(id); ok {
		return p.Handle
	}
	return id
}

// peopleLocked lists the people as "@alice (Alice Smith)".
func (c *Chat) peopleLocked() string {
	names := make([]string, len(c.people))
	for i, p := range c.people {
		names[i] = "@" + p.Handle
		if p.Name != "" {
			names[i] += " (" + p.Name + ")"
		}
	}
	return strings.Join(names, ", ")
}

// addPerson adds p unless a person with the same id is known, and returns
// the person the chat knows by that id.
func (c *Chat) addPerson(p Person) Person {
	c.mu.Lock()
	defer c.mu.Unlock()

	if known, ok := c.personByIDLocked(p.ID); ok {
		return known
	}
	if p.Handle == "" {
		p.Handle = p.ID
	}
	c.people = append(c.people, p)
	return p
}

// invitedSince returns the channel user was last invited to after the
// event numbered mark, if any.
func (c *Chat) invitedSince(user string, mark int64) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()

	for i := len(c.invites) - 1; i >= 0 && c.invites[i].seq > mark; i-- {
		if c.invites[i].user == user {
			return c.invites[i].channel, true
		}
	}
	return "", false
}

// mark returns the number of the latest event.
func (c *Chat) mark() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()

	return c.seq
}

// join makes user a member of the channel named ref and returns its id.
func (c *Chat) join(ref, user string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()

	ch := c.findLocked(ref)
	if ch == nil {
		return "", false
	}
	if !slices.Contains(ch.members, user) {
		ch.members = append(ch.members, user)
	}
	return ch.id, true
}

// name returns the name of the channel id, without its #.
func (c *Chat) name(id string) string {
	c.mu.Lock()
	defer c.mu.Unlock()

	if ch := c.findLocked(id); ch != nil {
		return ch.name
	}
	return id
}

// ensureChannel returns the id of the channel called name, adding it with
// id, or a new id when id is empty or taken, when there is none.
func (c *Chat) ensureChannel(id, name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()

	if ch := c.byNameLocked(name); ch != nil {
		return ch.id
	}
	if id == "" || c.byIDLocked(id) != nil {
		id = c.newChannelIDLocked()
	}
	c.channels = append(c.channels, &channel{id: id, name: name})
	return id
}

// channelList describes the channels, one a line, marking current.
func (c *Chat) channelList(current string) string {
	c.mu.Lock()
	defer c.mu.Unlock()

	var sb strings.Builder
	for _, ch := range c.channels {
		mark := "  "
		if ch.id == current {
			mark = "* "
		}
		var about []string
		if ch.private {
			about = append(about, "private")
		}
		members := strconv.Itoa(len(ch.members)) + " member"
		if len(ch.members) != 1 {
			members += "s"
		}
		about = append(about, members)
		if ch.topic != "" {
			about = append(about, "topic: "+c.plainLocked(ch.topic))
		}
		fmt.Fprintf(&sb, "%s#%s  %s\n", mark, ch.name, strings.Join(about, " · "))
	}
	return sb.String()
}

// channelNames lists the channels as "#general, #incidents".
func (c *Chat) channelNames() string {
	c.mu.Lock()
	defer c.mu.Unlock()

	names := make([]string, len(c.channels))
	for i, ch := range c.channels {
		names[i] = "#" + ch.name
	}
	return strings.Join(names, ", ")
}

// pressable is a button as the shell can press it: with the message that
// carries it.
type pressable struct {
	button  bot.Button
	channel string
	ts      string
}

// buttons lists the buttons user can see, the most recent message first.
func (c *Chat) buttons(user string) []pressable {
	c.mu.Lock()
	defer c.mu.Unlock()

	var out []pressable
	for i := len(c.boards) - 1; i >= 0; i-- {
		m := c.boards[i]
		if m.only != "" && m.only != user {
			continue
		}
		for _, b := range m.msg.Blocks {
			for _, btn := range b.Buttons {
				out = append(out, pressable{button: btn, channel: m.channel, ts: m.ts})
			}
		}
	}
	return out
}

// showReply prints the bot's private answer to user in channel and
// remembers its buttons, as Slack does for an ephemeral message.
func (c *Chat) showReply(w io.Writer, channel, user string, msg bot.Message) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if hasButtons(msg) {
		c.nextTS++
		c.rememberLocked(&message{channel: channel, ts: c.tsLocked(), author: "warroom",
			msg: msg, only: user})
	}
	head := c.paint(ansiDim, "(only you see this)") + " warroom:"
	writeString(w, c.formatLocked(head, msg))
}

// postAs posts text by user in channel and returns the message's ts.
func (c *Chat) postAs(channel, user, text string) string {
	c.mu.Lock()
	defer c.mu.Unlock()

	return c.postLocked(channel, user, bot.Message{Text: text}).ts
}

// setViewer tells the chat who the shell's user is now.
func (c *Chat) setViewer(user string) {
	c.mu.Lock()
	defer c.mu.Unlock()

	c.viewer = user
}

// write writes s on w under the output lock.
func (c *Chat) write(w io.Writer, s string) {
	c.mu.Lock()
	defer c.mu.Unlock()

	writeString(w, s)
}

// showPrompt writes the prompt on w and records that the shell waits.
func (c *Chat) showPrompt(w io.Writer, prompt string) {
	c.mu.Lock()
	defer c.mu.Unlock()

	c.prompt = prompt
	c.waiting = true
	writeString(w, prompt)
}

// gotInput records that the shell stopped waiting, echoing the line on w
// when echo is set.
func (c *Chat) gotInput(w io.Writer, line string, echo bool) {
	c.mu.Lock()
	defer c.mu.Unlock()

	c.waiting = false
	if echo {
		writeString(w, line+"\n")
	}
}

// stopWaiting records that the shell no longer shows its prompt, and ends
// the prompt's line on w.
func (c *Chat) stopWaiting(w io.Writer) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if c.waiting {
		writeString(w, "\n")
	}
	c.waiting = false
}

// emitLocked writes s, whole lines, on the chat's writer. When the shell
// is waiting at its prompt, s goes on a line of its own and the prompt is
// shown again after it.
func (c *Chat) emitLocked(s string) {
	if c.waiting {
		s = "\n" + s + c.prompt
	}
	writeString(c.out, s)
}

// noticeLocked prints a one-line notice of something the bot did.
func (c *Chat) noticeLocked(s string) {
	c.emitLocked(c.paint(ansiDim, s) + "\n")
}

func writeString(w io.Writer, s string) {
	// A terminal that stopped taking output leaves nothing to report to.
	_, _ = io.WriteString(w, s)
}

func sees(who string) string {
	if who == "you" {
		return "see"
	}
	return "sees"
}

func hasButtons(msg bot.Message) bool {
	for _, b := range msg.Blocks {
		if len(b.Buttons) > 0 {
			return true
		}
	}
	return false
}

// person finds someone by id or by handle, with or without the @.
func (c *Chat) person(ref string) (Person, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if p, ok := c.personByIDLocked(ref); ok {
		return p, true
	}
	return c.personByHandleLocked(ref)
}

// peopleList lists the people as "@alice (Alice Smith), @bob".
func (c *Chat) peopleList() string {
	c.mu.Lock()
	defer c.mu.Unlock()

	return c.peopleLocked()
}

// slackText writes what a person typed the way Slack delivers it; see
// slackTextLocked.
func (c *Chat) slackText(text string, labels bool) string {
	c.mu.Lock()
	defer c.mu.Unlock()

	return c.slackTextLocked(text, labels)
}
