// Package shell lets a person talk to warroom in a terminal, without Slack:
// `warroom shell`. Chat plays the chat platform in memory and prints what
// the bot posts; Shell reads what the person types and hands it to the
// same front door Slack's requests go through, so commands, buttons and
// forms behave as they do in Slack, against the same store.
//
// At the prompt, a line starting with "/" is a slash command; a button's
// label (optionally after "press" or "click") presses that button on the
// most recent message that has it; "join #name", "channels", "as @handle"
// and "help" are the shell's own; anything else is a message in the
// current channel. A form the bot opens is asked one input at a time.
//
// When the bot invites the shell's user to a channel while handling what
// they typed (declaring an incident does), the shell moves them into that
// channel, so the incident's card and commands are at hand. Invitations
// that arrive while the shell waits for input only print a notice.
//
// What a person types is posted at the top of the channel: the shell has
// no way to reply in a thread. The bot's thread replies print marked "in a
// thread".
package shell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"warroom/bot"
)

// Frontdoor is what the shell calls, as the Slack adapter does:
// *commands.Router satisfies it.
type Frontdoor = bot.Frontdoor

// Shell reads lines a person types and turns them into slash commands,
// button presses, form submissions and channel messages on a Frontdoor.
// A Shell runs once; its methods are not for concurrent use, but the bot
// may post through its Chat at any time.
type Shell struct {
	// Settle, when set, is called after every call on the Frontdoor and
	// before the next prompt. Passing a function that runs the bot's due
	// jobs makes the shell feel synchronous: what the bot owes is printed
	// before the person types again.
	Settle func()

	chat *Chat
	fd   Frontdoor
	in   io.Reader
	out  io.Writer
	// echo repeats each line read after the prompt, so a transcript of
	// input that is not a terminal reads like a session.
	echo bool

	user     string
	channel  string
	requests int
	lines    <-chan input
}

// input is one line read, or the error that ended reading.
type input struct {
	line string
	err  error
}

// generalID is the id of the channel the shell starts in.
const generalID = "C0000"

// errCancelled ends a form the person closed with /cancel.
var errCancelled = errors.New("form cancelled")

// New returns a shell in which user, a person's id or handle, talks to fd
// through chat, reading from in and writing to out. It starts in the
// channel "general", which it adds to chat when chat has none.
func New(chat *Chat, fd Frontdoor, user string, in io.Reader, out io.Writer) *Shell {
	s := &Shell{chat: chat, fd: fd, in: in, out: out, echo: !isTerminal(in)}

	p, ok := chat.person(user)
	if !ok {
		p = chat.addPerson(Person{ID: user, Handle: strings.TrimPrefix(user, "@")})
	}
	s.user = p.ID
	chat.setViewer(p.ID)

	s.channel = chat.ensureChannel(generalID, "general")
	chat.join(s.channel, s.user)
	return s
}

// Run reads and handles lines until the input ends, the person types
// "exit" or "quit", or ctx is done; none of these is an error. It returns
// an error only when reading the input fails.
//
// The input is read on a goroutine of its own. When Run returns before the
// input ends, that goroutine stays in its read until another line comes,
// the input is closed or the program exits, and then ends.
func (s *Shell) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.lines = s.read(ctx)
	s.banner()

	for {
		s.chat.showPrompt(s.out, s.prompt())
		line, err := s.next(ctx)
		if err != nil {
			return s.stop(err)
		}
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "exit", "quit":
			return nil
		}

		if err := s.handle(ctx, line); err != nil {
			return s.stop(err)
		}
	}
}

// stop turns the error that ended reading into Run's result.
func (s *Shell) stop(err error) error {
	s.chat.stopWaiting(s.out)
	if errors.Is(err, io.EOF) || errors.Is(err, context.Canceled) ||
		errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return fmt.Errorf("shell: %w", err)
}

// read reads lines from the input on a goroutine of its own, so that Run
// can stop when ctx is done while a read blocks.
func (s *Shell) read(ctx context.Context) <-chan input {
	lines := make(chan input)
	go func() {
		defer close(lines)

		sc := bufio.NewScanner(s.in)
		sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
		for sc.Scan() {
			select {
			case lines <- input{line: sc.Text()}:
			case <-ctx.Done():
				return
			}
		}

		err := sc.Err()
		if err == nil {
			err = io.EOF
		} else {
			err = fmt.Errorf("read input: %w", err)
		}
		select {
		case lines <- input{err: err}:
		case <-ctx.Done():
		}
	}()
	return lines
}

// next waits for the next line. It returns io.EOF when the input ended
// and ctx's error when ctx is done.
func (s *Shell) next(ctx context.Context) (string, error) {
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case in, ok := <-s.lines:
		if !ok {
			return "", io.EOF
		}
		if in.err != nil {
			return "", in.err
		}
		s.chat.gotInput(s.out, in.line, s.echo)
		return in.line, nil
	}
}

// handle acts on one line typed at the prompt. It returns an error only
// when reading more input, for a form, failed or ended.
func (s *Shell) handle(ctx context.Context, line string) error {
	line = strings.TrimSpace(line)
	mark := s.chat.mark()

	var err error
	word, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	single := arg != "" && !strings.ContainsAny(arg, " \t")
	switch lower := strings.ToLower(word); {
	case line == "":
		return nil
	case strings.HasPrefix(line, "/"):
		err = s.command(ctx, word, arg)
	case lower == "help" && arg == "":
		s.help()
	case lower == "channels" && arg == "":
		s.print("Channels (* is where you are):\n" + s.chat.channelList(s.channel))
	case (lower == "join" || lower == "cd") && single:
		s.join(arg)
	case lower == "as" && single:
		s.as(arg)
	default:
		var pressed bool
		pressed, err = s.press(ctx, line)
		if !pressed && err == nil {
			s.say(ctx, line)
		}
	}

	s.followInvite(mark)
	return err
}

// command sends a slash command, with the text escaped as Slack does.
func (s *Shell) command(ctx context.Context, name, text string) error {
	switch name {
	case "/":
		s.help()
		return nil
	case "/cancel":
		s.print("No form is open.\n")
		return nil
	}

	cmd := bot.Command{
		Name:      strings.ToLower(name),
		Text:      s.chat.slackText(text, true),
		UserID:    s.user,
		ChannelID: s.channel,
		ReplyTo:   bot.Recipient{UserID: s.user, ChannelID: s.channel},
		RequestID: s.requestID(),
	}
	reply := s.fd.Command(ctx, cmd)
	return s.answer(ctx, reply, s.channel)
}

// press presses the button labelled as line says, if there is one. A line
// that does not start with "press" or "click" and names no button is not
// a press; one that does is, and lists the buttons there are.
func (s *Shell) press(ctx context.Context, line string) (bool, error) {
	label, explicit := buttonLabel(line)
	visible := s.chat.buttons(s.user)
	p, ok := findButton(visible, label, explicit)
	if !ok {
		if explicit {
			s.print(noSuchButton(visible, label))
		}
		return explicit, nil
	}

	act := bot.Action{
		ActionID:  p.button.Action,
		Value:     p.button.Value,
		UserID:    s.user,
		ChannelID: p.channel,
		MessageTS: p.ts,
		ReplyTo:   bot.Recipient{UserID: s.user, ChannelID: p.channel},
		RequestID: s.requestID(),
	}
	reply := s.fd.Action(ctx, act)
	return true, s.answer(ctx, reply, p.channel)
}

// say posts line as the user's message in the current channel and tells
// the bot about it.
func (s *Shell) say(ctx context.Context, line string) {
	text := s.chat.slackText(line, false)
	ts := s.chat.postAs(s.channel, s.user, text)
	s.fd.Message(ctx, bot.ChannelMessage{
		ChannelID: s.channel,
		UserID:    s.user,
		Text:      text,
		TS:        ts,
	})
	s.settle()
}

// answer shows the bot's reply, lets the bot settle, and fills in the
// form the reply opens, if any.
func (s *Shell) answer(ctx context.Context, reply bot.Reply, channel string) error {
	s.show(reply, channel)
	s.settle()

	if reply.Modal == nil {
		return nil
	}
	return s.fill(ctx, reply.Modal, channel)
}

// show prints a reply's message, privately or in channel, and any field
// errors it carries.
func (s *Shell) show(reply bot.Reply, channel string) {
	for _, id := range slices.Sorted(maps.Keys(reply.FieldErrors)) {
		s.print(fmt.Sprintf("%s: %s\n", id, reply.FieldErrors[id]))
	}
	if reply.Message == nil {
		return
	}

	if reply.InChannel {
		// Posting in memory cannot fail.
		_, _ = s.chat.Post(context.Background(), channel, *reply.Message)
		return
	}
	s.chat.showReply(s.out, channel, s.user, *reply.Message)
}

// settle lets the bot catch up, when the shell was given a way to.
func (s *Shell) settle() {
	if s.Settle != nil {
		s.Settle()
	}
}

// followInvite moves the user into the channel the bot invited them to
// since mark, if it did.
func (s *Shell) followInvite(mark int64) {
	ch, ok := s.chat.invitedSince(s.user, mark)
	if !ok || ch == s.channel {
		return
	}
	s.channel = ch
	s.print(fmt.Sprintf("(you are in #%s now: warroom invited you; \"join #general\" "+
		"goes back)\n", s.chat.name(ch)))
}

// join moves the user to the channel named ref.
func (s *Shell) join(ref string) {
	id, ok := s.chat.join(ref, s.user)
	if !ok {
		s.print(fmt.Sprintf("There is no channel %s. Channels: %s\n", "#"+
			strings.TrimPrefix(ref, "#"), s.chat.channelNames()))
		return
	}
	s.channel = id
	s.print(fmt.Sprintf("(you are in #%s now)\n", s.chat.name(id)))
}

// as makes the shell act as the person with handle.
func (s *Shell) as(handle string) {
	p, ok := s.chat.person(handle)
	if !ok {
		s.print(fmt.Sprintf("Nobody is called @%s. People: %s\n",
			strings.TrimPrefix(handle, "@"), s.chat.peopleList()))
		return
	}
	s.user = p.ID
	s.chat.setViewer(p.ID)
	s.print(fmt.Sprintf("(you are @%s now)\n", p.Handle))
}

func (s *Shell) banner() {
	s.print(fmt.Sprintf("warroom shell: you are @%s in #general, talking to warroom "+
		"without Slack.\n"+
		"  /incident declare API is down --sev P1   declares an incident\n"+
		"  /incident help                           lists the bot's commands\n"+
		"  help                                     lists the shell's own\n",
		s.userHandle()))
}

func (s *Shell) help() {
	text := "Type any of these at the prompt:\n" +
		"  /incident <command>   a slash command, as in Slack (/incident help lists them)\n" +
		"  <button label>        presses that button on the latest message that has it,\n" +
		"                        like \"Acknowledge\" or \"press take command\"\n" +
		"  join #channel         goes to a channel (also: cd #channel)\n" +
		"  channels              lists the channels\n" +
		"  as @handle            acts as someone else, to try who may do what\n" +
		"  help                  shows this\n" +
		"  exit                  leaves (also: quit, or end the input)\n" +
		"  anything else         is your message in the current channel\n" +
		"In a form, answer each question in turn; /cancel closes it unsent.\n" +
		"Buttons: " + buttonList(s.chat.buttons(s.user)) + "\n" +
		"Channels: " + s.chat.channelNames() + "\n" +
		"People: " + s.chat.peopleList() + "\n"
	s.print(text)
}

// prompt is "alice@#general> ".
func (s *Shell) prompt() string {
	return s.userHandle() + "@#" + s.chat.name(s.channel) + "> "
}

// userHandle is the current user's handle.
func (s *Shell) userHandle() string {
	p, _ := s.chat.person(s.user)
	return p.Handle
}

func (s *Shell) requestID() string {
	s.requests++
	return "shell-" + strconv.Itoa(s.requests)
}

// print writes text on the shell's output, between the bot's messages.
func (s *Shell) print(text string) {
	s.chat.write(s.out, text)
}

// buttonLabel reads the label a line names, and whether it said "press"
// or "click".
func buttonLabel(line string) (string, bool) {
	label := strings.Join(strings.Fields(line), " ")
	for _, verb := range []string{"press ", "click "} {
		if len(label) > len(verb) && strings.EqualFold(label[:len(verb)], verb) {
			return strings.TrimSpace(label[len(verb):]), true
		}
	}
	return label, false
}

// findButton picks the button labelled label on the most recent message
// that has one. When the person said "press", a label's unique beginning
// is enough, so "press done: 3" presses "Done: 3. Page the on-call".
func findButton(visible []pressable, label string, explicit bool) (pressable, bool) {
	for _, p := range visible {
		if strings.EqualFold(p.button.Label, label) {
			return p, true
		}
	}
	if !explicit || label == "" {
		return pressable{}, false
	}

	var found []pressable
	for _, p := range visible {
		prefix := strings.HasPrefix(strings.ToLower(p.button.Label), strings.ToLower(label))
		if prefix && !hasLabel(found, p.button.Label) {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		return pressable{}, false
	}
	return found[0], true
}

func hasLabel(list []pressable, label string) bool {
	for _, p := range list {
		if p.button.Label == label {
			return true
		}
	}
	return false
}

// noSuchButton says that no button is labelled label, and which are.
func noSuchButton(visible []pressable, label string) string {
	if len(visible) == 0 {
		return fmt.Sprintf("There is no button %q: no message you can see has buttons yet.\n",
			label)
	}
	return fmt.Sprintf("There is no button %q. Buttons you can press: %s\n", label,
		buttonList(visible))
}

// buttonList shows the distinct labels, the most recent first, as
// "[Acknowledge] [Resolve]".
func buttonList(visible []pressable) string {
	if len(visible) == 0 {
		return "none yet"
	}
	var labels []string
	var seen []pressable
	for _, p := range visible {
		if !hasLabel(seen, p.button.Label) {
			seen = append(seen, p)
			labels = append(labels, "["+p.button.Label+"]")
		}
	}
	return strings.Join(labels, " ")
}
