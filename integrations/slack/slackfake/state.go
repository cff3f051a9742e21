package slackfake

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// User is a member of the fake workspace.
type User struct {
	ID string
	// Handle is Slack's user name ("name" in users.list).
	Handle      string
	RealName    string
	DisplayName string
	Email       string
	Deleted     bool
	Bot         bool
}

// Channel is a conversation as the fake holds it.
type Channel struct {
	ID   string
	Name string
	// IM marks a direct message with User.
	IM      bool
	User    string
	Private bool
	Topic   string
	Creator string
	// Members are user ids in the order they joined.
	Members []string
	// Pins are the timestamps of pinned messages, in pin order.
	Pins     []string
	Archived bool
}

// Message is a message stored in a channel.
type Message struct {
	Channel string
	TS      string
	Text    string
	// Blocks is the blocks JSON as posted, nil when there were none.
	Blocks json.RawMessage
	// ThreadTS is the parent's ts for a thread reply, empty otherwise.
	ThreadTS  string
	Broadcast bool
	User      string
	Edited    bool
	// Reactions maps a reaction name to the users who added it.
	Reactions map[string][]string
}

// Ephemeral is a chat.postEphemeral message, seen only by User.
type Ephemeral struct {
	Channel  string
	User     string
	TS       string
	Text     string
	Blocks   json.RawMessage
	ThreadTS string
	At       time.Time
}

// ResponseCall is a post to a ResponseURL.
type ResponseCall struct {
	// Name is the name given to ResponseURL.
	Name string
	Body []byte
	// JSON is Body parsed.
	JSON            map[string]any
	Text            string
	ResponseType    string
	ReplaceOriginal bool
	DeleteOriginal  bool
	Blocks          json.RawMessage
	At              time.Time
}

// View is a modal opened with views.open, as last updated.
type View struct {
	ID              string
	TriggerID       string
	CallbackID      string
	PrivateMetadata string
	ExternalID      string
	Hash            string
	// JSON is the view object as sent.
	JSON json.RawMessage
	// Updates counts views.update calls on the view.
	Updates int
}

type user struct{ User }

type channel struct {
	Channel
	created  int64
	messages []*message
	pinnedAt map[string]int64
}

type message struct {
	Message
	// replies are the ts of thread replies, for a parent.
	replies []string
}

// AddUser adds a person with a handle (users.list "name", also the display
// name) and a real name; the email is handle@example.test.
func (s *Server) AddUser(id, handle, realName string) {
	s.PutUser(User{
		ID: id, Handle: handle, RealName: realName, DisplayName: handle,
		Email: handle + "@example.test",
	})
}

// PutUser adds u, or replaces the user with its id.
func (s *Server) PutUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putUser(u)
}

func (s *Server) putUser(u User) {
	if _, ok := s.users[u.ID]; !ok {
		s.userOrder = append(s.userOrder, u.ID)
	}
	s.users[u.ID] = &user{u}
}

// File is a file uploaded with files.getUploadURLExternal, the upload URL
// and files.completeUploadExternal.
type File struct {
	ID      string
	Name    string
	Title   string
	Channel string
	Content string
}

// Files lists the files shared so far, in order.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]File(nil), s.files...)
}

// AddUserGroup adds a user group (a Slack subteam, S...) with its members,
// for usergroups.users.list.
func (s *Server) AddUserGroup(id string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groups == nil {
		s.groups = map[string][]string{}
	}
	s.groups[id] = append([]string(nil), members...)
}

// AddChannel adds a channel the bot is not a member of, or replaces the
// channel with id by an empty one.
func (s *Server) AddChannel(id, name string, private bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addChannel(&channel{Channel: Channel{ID: id, Name: name, Private: private}})
}

// addChannel adds ch, or replaces the channel with its id.
func (s *Server) addChannel(ch *channel) {
	ch.created = 1700000000 + int64(len(s.chanOrder))
	ch.pinnedAt = make(map[string]int64)
	if _, ok := s.channels[ch.ID]; !ok {
		s.chanOrder = append(s.chanOrder, ch.ID)
	}
	s.channels[ch.ID] = ch
}

// AddMembers adds users, the bot among them if wanted, to a channel.
func (s *Server) AddMembers(channelID string, users ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.mustChannel(channelID)
	for _, u := range users {
		if !slices.Contains(ch.Members, u) {
			ch.Members = append(ch.Members, u)
		}
	}
}

// ArchiveChannel archives a channel, as a person could in Slack.
func (s *Server) ArchiveChannel(channelID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustChannel(channelID).Archived = true
}

// AddMessage stores m in a channel as if someone had posted it, and returns
// its ts. User defaults to the first person added; Channel and TS are set
// by the fake.
func (s *Server) AddMessage(channelID string, m Message) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.mustChannel(channelID)
	if m.User == "" {
		m.User = s.firstPerson()
	}
	return s.store(ch, m).TS
}

func (s *Server) firstPerson() string {
	for _, id := range s.userOrder {
		if id != BotUserID {
			return id
		}
	}
	return "U0NOBODY"
}

func (s *Server) mustChannel(id string) *channel {
	ch, ok := s.channels[id]
	if !ok {
		s.t.Fatalf("slackfake: no channel %s", id)
	}
	return ch
}

// Channel returns the channel with id.
func (s *Server) Channel(id string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[id]
	if !ok {
		return Channel{}, false
	}
	return ch.snapshot(), true
}

// ChannelByName returns the channel called name (without the #).
func (s *Server) ChannelByName(name string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.byName(strings.TrimPrefix(name, "#"))
	if ch == nil {
		return Channel{}, false
	}
	return ch.snapshot(), true
}

// IMChannel returns the id of the bot's direct message with user, once it
// was opened.
func (s *Server) IMChannel(user string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.dms[user]
	return id, ok
}

// Messages returns a channel's messages, thread replies included, oldest
// first.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[channelID]
	if !ok {
		return nil
	}
	out := make([]Message, len(ch.messages))
	for i, m := range ch.messages {
		out[i] = m.snapshot()
	}
	return out
}

// Message returns the message at ts in a channel.
func (s *Server) Message(channelID, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[channelID]
	if !ok {
		return Message{}, false
	}
	m := ch.find(ts)
	if m == nil {
		return Message{}, false
	}
	return m.snapshot(), true
}

// Ephemerals returns the chat.postEphemeral messages, in order.
func (s *Server) Ephemerals() []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Ephemeral, len(s.ephemerals))
	for i, e := range s.ephemerals {
		e.Blocks = slices.Clone(e.Blocks)
		out[i] = e
	}
	return out
}

// Responses returns the accepted posts to response URLs, in order.
func (s *Server) Responses() []ResponseCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ResponseCall, len(s.responses))
	for i, r := range s.responses {
		r.Body = slices.Clone(r.Body)
		r.Blocks = slices.Clone(r.Blocks)
		r.JSON = maps.Clone(r.JSON)
		out[i] = r
	}
	return out
}

// Views returns the views opened, in order, each as last updated.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, len(s.views))
	for i, v := range s.views {
		out[i] = *v
		out[i].JSON = slices.Clone(v.JSON)
	}
	return out
}

func (c *channel) snapshot() Channel {
	out := c.Channel
	out.Members = slices.Clone(c.Members)
	out.Pins = slices.Clone(c.Pins)
	return out
}

func (m *message) snapshot() Message {
	out := m.Message
	out.Blocks = slices.Clone(m.Blocks)
	out.Reactions = make(map[string][]string, len(m.Reactions))
	for k, v := range m.Reactions {
		out.Reactions[k] = slices.Clone(v)
	}
	return out
}

func (c *channel) find(ts string) *message {
	for _, m := range c.messages {
		if m.TS == ts {
			return m
		}
	}
	return nil
}

func (c *channel) isMember(user string) bool { return slices.Contains(c.Members, user) }

func (s *Server) byName(name string) *channel {
	for _, id := range s.chanOrder {
		if ch := s.channels[id]; !ch.IM && ch.Name == name {
			return ch
		}
	}
	return nil
}

// nextTS returns a new message timestamp in Slack's format, later than
// every one before it.
func (s *Server) nextTS() string {
	s.tick++
	micros := s.tick * 100
	epoch := s.epoch
	if epoch == 0 {
		epoch = 1700000000
	}
	return fmt.Sprintf("%d.%06d", epoch+micros/1e6, micros%1e6)
}

// SetEpoch makes message timestamps count up from t (1700000000, in
// November 2023, by default), for tests whose clock is elsewhere.
func (s *Server) SetEpoch(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.epoch = t.Unix()
}

// nextID returns a new id with prefix that no channel has yet.
func (s *Server) nextID(prefix string) string {
	for {
		s.seq++
		id := fmt.Sprintf("%s%04d", prefix, s.seq)
		if _, taken := s.channels[id]; !taken {
			return id
		}
	}
}

// store adds m to ch as a new message and returns it. A reply to a reply
// joins the parent's thread, and a reply whose parent is missing becomes a
// message of its own, as in Slack.
func (s *Server) store(ch *channel, m Message) *message {
	m.Channel = ch.ID
	m.TS = s.nextTS()
	if m.ThreadTS != "" {
		parent := ch.find(m.ThreadTS)
		if parent != nil && parent.ThreadTS != "" {
			parent = ch.find(parent.ThreadTS)
		}
		if parent == nil {
			m.ThreadTS, m.Broadcast = "", false
		} else {
			m.ThreadTS = parent.TS
			parent.replies = append(parent.replies, m.TS)
		}
	}
	if m.ThreadTS == "" {
		m.Broadcast = false
	}
	if m.Reactions == nil {
		m.Reactions = make(map[string][]string)
	}

	msg := &message{Message: m}
	ch.messages = append(ch.messages, msg)
	return msg
}

func newResponseCall(name string, body []byte, doc map[string]any) ResponseCall {
	rc := ResponseCall{Name: name, Body: body, JSON: doc, At: time.Now()}
	rc.Text, _ = doc["text"].(string)
	rc.ResponseType, _ = doc["response_type"].(string)
	rc.ReplaceOriginal, _ = doc["replace_original"].(bool)
	rc.DeleteOriginal, _ = doc["delete_original"].(bool)
	if b, ok := doc["blocks"]; ok && b != nil {
		rc.Blocks, _ = json.Marshal(b)
	}
	return rc
}
