package slackfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// handler runs one Web API method with the server's lock held.
type handler func(s *Server, p url.Values) reply

// methods are the Web API methods the fake knows.
var methods = map[string]handler{
	"auth.test":                    (*Server).authTest,
	"users.info":                   (*Server).usersInfo,
	"users.list":                   (*Server).usersList,
	"users.lookupByEmail":          (*Server).usersLookupByEmail,
	"conversations.create":         (*Server).conversationsCreate,
	"conversations.info":           (*Server).conversationsInfo,
	"conversations.list":           (*Server).conversationsList,
	"conversations.setTopic":       (*Server).conversationsSetTopic,
	"conversations.invite":         (*Server).conversationsInvite,
	"conversations.join":           (*Server).conversationsJoin,
	"conversations.members":        (*Server).conversationsMembers,
	"conversations.archive":        (*Server).conversationsArchive,
	"conversations.open":           (*Server).conversationsOpen,
	"conversations.history":        (*Server).conversationsHistory,
	"conversations.replies":        (*Server).conversationsReplies,
	"chat.postMessage":             (*Server).chatPostMessage,
	"chat.update":                  (*Server).chatUpdate,
	"chat.delete":                  (*Server).chatDelete,
	"chat.postEphemeral":           (*Server).chatPostEphemeral,
	"chat.getPermalink":            (*Server).chatGetPermalink,
	"pins.add":                     (*Server).pinsAdd,
	"pins.remove":                  (*Server).pinsRemove,
	"pins.list":                    (*Server).pinsList,
	"reactions.add":                (*Server).reactionsAdd,
	"views.open":                   (*Server).viewsOpen,
	"views.update":                 (*Server).viewsUpdate,
	"usergroups.users.list":        (*Server).userGroupsUsersList,
	"files.getUploadURLExternal":   (*Server).filesGetUploadURL,
	"files.completeUploadExternal": (*Server).filesCompleteUpload,
}

// Slack's limits the fake enforces.
const (
	maxChannelName  = 80
	maxTopic        = 250
	maxMessageText  = 40000
	maxInviteUsers  = 1000
	defaultPage     = 100
	maxPage         = 1000
	maxHistoryLimit = 999
)

func (s *Server) authTest(url.Values) reply {
	return reply{
		"url":     PermalinkBase + "/",
		"team":    TeamName,
		"user":    BotHandle,
		"team_id": TeamID,
		"user_id": BotUserID,
		"bot_id":  BotID,
	}
}

func (s *Server) usersInfo(p url.Values) reply {
	if list := p.Get("users"); list != "" {
		var users []map[string]any
		for _, id := range strings.Split(list, ",") {
			u, ok := s.users[strings.TrimSpace(id)]
			if !ok {
				return errReply("user_not_found")
			}
			users = append(users, userJSON(u))
		}
		return reply{"users": users}
	}

	u, ok := s.users[p.Get("user")]
	if !ok {
		return errReply("user_not_found")
	}
	return reply{"user": userJSON(u)}
}

func (s *Server) filesGetUploadURL(p url.Values) reply {
	name := p.Get("filename")
	length, err := strconv.Atoi(p.Get("length"))
	if name == "" || err != nil || length <= 0 {
		return errReply("invalid_arguments")
	}
	s.seq++
	id := fmt.Sprintf("F%04d", s.seq)
	if s.uploads == nil {
		s.uploads = map[string]*File{}
	}
	s.uploads[id] = &File{ID: id, Name: name}
	return reply{"upload_url": s.srv.URL + "/api/upload/" + id, "file_id": id}
}

func (s *Server) filesCompleteUpload(p url.Values) reply {
	var files []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(p.Get("files")), &files); err != nil || len(files) == 0 {
		return errReply("invalid_arguments")
	}
	channel := p.Get("channel_id")
	if channel != "" {
		if _, ok := s.channels[channel]; !ok {
			return errReply("channel_not_found")
		}
	}

	var out []map[string]any
	for _, f := range files {
		up, ok := s.uploads[f.ID]
		if !ok || up.Content == "" {
			return errReply("file_not_found")
		}
		done := *up
		done.Title, done.Channel = f.Title, channel
		s.files = append(s.files, done)
		delete(s.uploads, f.ID)
		out = append(out, map[string]any{"id": f.ID, "title": f.Title})
	}
	return reply{"files": out}
}

func (s *Server) userGroupsUsersList(p url.Values) reply {
	members, ok := s.groups[p.Get("usergroup")]
	if !ok {
		return errReply("no_such_subteam")
	}
	return reply{"users": slices.Clone(members)}
}

func (s *Server) usersList(p url.Values) reply {
	start, limit, bad := page(p, 0)
	if bad != nil {
		return bad
	}

	end, next := pageEnd(start, limit, len(s.userOrder))
	members := []map[string]any{}
	for _, id := range s.userOrder[min(start, end):end] {
		members = append(members, userJSON(s.users[id]))
	}
	return reply{
		"members":           members,
		"cache_ts":          1700000000,
		"response_metadata": map[string]any{"next_cursor": next},
	}
}

func (s *Server) usersLookupByEmail(p url.Values) reply {
	email := strings.ToLower(p.Get("email"))
	for _, id := range s.userOrder {
		if u := s.users[id]; email != "" && strings.ToLower(u.Email) == email {
			return reply{"user": userJSON(u)}
		}
	}
	return errReply("users_not_found")
}

func userJSON(u *user) map[string]any {
	return map[string]any{
		"id":        u.ID,
		"team_id":   TeamID,
		"name":      u.Handle,
		"deleted":   u.Deleted,
		"real_name": u.RealName,
		"is_bot":    u.Bot,
		"profile": map[string]any{
			"real_name":               u.RealName,
			"real_name_normalized":    u.RealName,
			"display_name":            u.DisplayName,
			"display_name_normalized": u.DisplayName,
			"email":                   u.Email,
			"team":                    TeamID,
		},
	}
}

func (s *Server) conversationsCreate(p url.Values) reply {
	name := p.Get("name")
	if code := checkChannelName(name); code != "" {
		return errReply(code)
	}
	if s.byName(name) != nil {
		return errReply("name_taken")
	}

	ch := &channel{Channel: Channel{
		ID:      s.nextID("C"),
		Name:    name,
		Private: truthy(p.Get("is_private")),
		Creator: BotUserID,
		Members: []string{BotUserID},
	}}
	s.addChannel(ch)
	return reply{"channel": channelJSON(ch)}
}

// checkChannelName returns Slack's error code for a name it refuses.
func checkChannelName(name string) string {
	if name == "" {
		return "invalid_name_required"
	}
	if utf8.RuneCountInString(name) > maxChannelName {
		return "invalid_name_maxlength"
	}
	punctuation := true
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			punctuation = false
		case r == '-' || r == '_':
		default:
			return "invalid_name_specials"
		}
	}
	if punctuation {
		return "invalid_name_punctuation"
	}
	return ""
}

func (s *Server) conversationsInfo(p url.Values) reply {
	ch, bad := s.visible(p.Get("channel"))
	if bad != nil {
		return bad
	}
	return reply{"channel": channelJSON(ch)}
}

func (s *Server) conversationsList(p url.Values) reply {
	types := p.Get("types")
	if types == "" {
		types = "public_channel"
	}
	want := strings.Split(types, ",")

	var list []*channel
	for _, id := range s.chanOrder {
		ch := s.channels[id]
		kind := "public_channel"
		switch {
		case ch.IM:
			kind = "im"
		case ch.Private:
			kind = "private_channel"
		}
		if !slices.Contains(want, kind) || (ch.Private && !ch.isMember(BotUserID)) {
			continue
		}
		if ch.Archived && truthy(p.Get("exclude_archived")) {
			continue
		}
		list = append(list, ch)
	}

	start, limit, bad := page(p, defaultPage)
	if bad != nil {
		return bad
	}
	end, next := pageEnd(start, limit, len(list))
	channels := []map[string]any{}
	for _, ch := range list[min(start, end):end] {
		channels = append(channels, channelJSON(ch))
	}
	return reply{"channels": channels, "response_metadata": map[string]any{"next_cursor": next}}
}

func (s *Server) conversationsSetTopic(p url.Values) reply {
	ch, bad := s.visible(p.Get("channel"))
	if bad != nil {
		return bad
	}
	switch {
	case ch.Archived:
		return errReply("is_archived")
	case !ch.isMember(BotUserID):
		return errReply("not_in_channel")
	case utf8.RuneCountInString(p.Get("topic")) > maxTopic:
		return errReply("too_long")
	}

	ch.Topic = p.Get("topic")
	return reply{"channel": channelJSON(ch)}
}

// conversationsInvite invites all users or none: an unknown user fails the
// call unless force is set, and the call fails with already_in_channel only
// when every user is a member already.
func (s *Server) conversationsInvite(p url.Values) reply {
	ch, bad := s.visible(p.Get("channel"))
	if bad != nil {
		return bad
	}
	switch {
	case ch.IM:
		return errReply("method_not_supported_for_channel_type")
	case ch.Archived:
		return errReply("is_archived")
	case !ch.isMember(BotUserID):
		return errReply("not_in_channel")
	}

	var ids []string
	for _, id := range strings.Split(p.Get("users"), ",") {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return errReply("no_user")
	}
	if len(ids) > maxInviteUsers {
		return errReply("too_many_users")
	}

	var valid []string
	var failures []map[string]any
	for _, id := range ids {
		code := ""
		u, known := s.users[id]
		switch {
		case id == BotUserID:
			code = "cant_invite_self"
		case !known:
			code = "user_not_found"
		case u.Deleted:
			code = "cant_invite"
		}
		if code != "" {
			failures = append(failures, map[string]any{"user": id, "ok": false, "error": code})
			continue
		}
		valid = append(valid, id)
	}
	if len(failures) > 0 && (!truthy(p.Get("force")) || len(valid) == 0) {
		out := errReply(failures[0]["error"].(string))
		out["errors"] = failures
		return out
	}

	added := 0
	for _, id := range valid {
		if !ch.isMember(id) {
			ch.Members = append(ch.Members, id)
			added++
		}
	}
	if added == 0 {
		return errReply("already_in_channel")
	}
	out := reply{"channel": channelJSON(ch)}
	if len(failures) > 0 {
		out["errors"] = failures
	}
	return out
}

func (s *Server) conversationsJoin(p url.Values) reply {
	ch, ok := s.channels[p.Get("channel")]
	if !ok || (ch.Private && !ch.isMember(BotUserID)) {
		return errReply("channel_not_found")
	}
	switch {
	case ch.IM || ch.Private:
		return errReply("method_not_supported_for_channel_type")
	case ch.Archived:
		return errReply("is_archived")
	}

	out := reply{"channel": channelJSON(ch)}
	if ch.isMember(BotUserID) {
		out["warning"] = "already_in_channel"
		out["response_metadata"] = map[string]any{"warnings": []string{"already_in_channel"}}
		return out
	}
	ch.Members = append(ch.Members, BotUserID)
	out["channel"] = channelJSON(ch)
	return out
}

func (s *Server) conversationsMembers(p url.Values) reply {
	ch, bad := s.visible(p.Get("channel"))
	if bad != nil {
		return bad
	}
	start, limit, bad := page(p, defaultPage)
	if bad != nil {
		return bad
	}

	end, next := pageEnd(start, limit, len(ch.Members))
	members := slices.Clone(ch.Members[min(start, end):end])
	if members == nil {
		members = []string{}
	}
	return reply{"members": members, "response_metadata": map[string]any{"next_cursor": next}}
}

func (s *Server) conversationsArchive(p url.Values) reply {
	ch, bad := s.visible(p.Get("channel"))
	if bad != nil {
		return bad
	}
	switch {
	case ch.IM:
		return errReply("method_not_supported_for_channel_type")
	case ch.Name == "general":
		return errReply("cant_archive_general")
	case ch.Archived:
		return errReply("already_archived")
	case !ch.isMember(BotUserID):
		return errReply("not_in_channel")
	}
	ch.Archived = true
	return reply{}
}

// conversationsOpen opens the bot's direct message with one user; group
// direct messages are not faked.
func (s *Server) conversationsOpen(p url.Values) reply {
	if id := p.Get("channel"); id != "" {
		ch, ok := s.channels[id]
		if !ok || !ch.IM {
			return errReply("channel_not_found")
		}
		return reply{"channel": channelJSON(ch), "no_op": true, "already_open": true}
	}

	users := strings.Split(p.Get("users"), ",")
	switch {
	case p.Get("users") == "":
		return errReply("users_list_not_supplied")
	case len(users) > 1:
		return errReply("invalid_arguments",
			"[ERROR] slackfake opens direct messages with one user only")
	}
	u, ok := s.users[users[0]]
	switch {
	case !ok:
		return errReply("user_not_found")
	case u.Deleted:
		return errReply("user_disabled")
	}

	if id, open := s.dms[u.ID]; open {
		ch := s.channels[id]
		return reply{"channel": channelJSON(ch), "no_op": true, "already_open": true}
	}
	ch := &channel{Channel: Channel{
		ID: s.nextID("D"), IM: true, User: u.ID, Members: []string{BotUserID, u.ID},
	}}
	s.addChannel(ch)
	s.dms[u.ID] = ch.ID
	return reply{"channel": channelJSON(ch)}
}

// conversationsHistory lists a channel's messages newest first: the
// top-level ones and the thread replies broadcast to the channel.
func (s *Server) conversationsHistory(p url.Values) reply {
	ch, bad := s.readable(p.Get("channel"))
	if bad != nil {
		return bad
	}

	var list []*message
	for _, m := range slices.Backward(ch.messages) {
		if (m.ThreadTS == "" || m.Broadcast) && inRange(m.TS, p) {
			list = append(list, m)
		}
	}
	return s.messagePage(ch, list, p, defaultPage)
}

// conversationsReplies lists a thread oldest first, its parent first.
func (s *Server) conversationsReplies(p url.Values) reply {
	ch, bad := s.readable(p.Get("channel"))
	if bad != nil {
		return bad
	}
	root := ch.find(p.Get("ts"))
	if root == nil {
		return errReply("thread_not_found")
	}
	if root.ThreadTS != "" {
		root = ch.find(root.ThreadTS)
	}

	var list []*message
	for _, m := range ch.messages {
		if (m == root || m.ThreadTS == root.TS) && (m == root || inRange(m.TS, p)) {
			list = append(list, m)
		}
	}
	return s.messagePage(ch, list, p, maxPage)
}

// messagePage answers one page of list, with a cursor naming the ts of
// the first message of the next page.
func (s *Server) messagePage(ch *channel, list []*message, p url.Values, def int) reply {
	limit, err := strconv.Atoi(p.Get("limit"))
	if err != nil || limit <= 0 {
		limit = def
	}
	limit = min(limit, maxHistoryLimit)

	start := 0
	if c := p.Get("cursor"); c != "" {
		ts, ok := decodeCursor(c, "next_ts:")
		if !ok {
			return errReply("invalid_cursor")
		}
		start = slices.IndexFunc(list, func(m *message) bool { return m.TS == ts })
		if start < 0 {
			return errReply("invalid_cursor")
		}
	}

	end := min(start+limit, len(list))
	msgs := []map[string]any{}
	for _, m := range list[start:end] {
		msgs = append(msgs, s.messageJSON(ch, m))
	}
	out := reply{"messages": msgs, "has_more": end < len(list), "pin_count": len(ch.Pins)}
	if end < len(list) {
		out["response_metadata"] = map[string]any{
			"next_cursor": encodeCursor("next_ts:" + list[end].TS),
		}
	}
	return out
}

// inRange applies the oldest, latest and inclusive parameters to ts.
func inRange(ts string, p url.Values) bool {
	t := tsMicros(ts)
	incl := truthy(p.Get("inclusive"))
	if o := p.Get("oldest"); o != "" {
		if lo := tsMicros(o); t < lo || (t == lo && !incl) {
			return false
		}
	}
	if l := p.Get("latest"); l != "" {
		if hi := tsMicros(l); t > hi || (t == hi && !incl) {
			return false
		}
	}
	return true
}

// tsMicros reads a Slack timestamp as microseconds since the epoch.
func tsMicros(ts string) int64 {
	sec, frac, _ := strings.Cut(ts, ".")
	s, _ := strconv.ParseInt(sec, 10, 64)
	frac = (frac + "000000")[:6]
	f, _ := strconv.ParseInt(frac, 10, 64)
	return s*1e6 + f
}

func (s *Server) chatPostMessage(p url.Values) reply {
	ch := s.resolve(p.Get("channel"))
	switch {
	case ch == nil:
		return errReply("channel_not_found")
	case ch.Private && !ch.isMember(BotUserID):
		return errReply("not_in_channel")
	case ch.Archived:
		return errReply("is_archived")
	}

	blocks, bad := messageBlocks(p)
	if bad != nil {
		return bad
	}

	m := s.store(ch, Message{
		Text:      p.Get("text"),
		Blocks:    blocks,
		ThreadTS:  p.Get("thread_ts"),
		Broadcast: truthy(p.Get("reply_broadcast")),
		User:      BotUserID,
	})
	return reply{"channel": ch.ID, "ts": m.TS, "message": s.messageJSON(ch, m)}
}

// messageBlocks checks a message's text and blocks as Slack does and
// returns the blocks to store.
func messageBlocks(p url.Values) (json.RawMessage, reply) {
	var blocks json.RawMessage
	if raw := strings.TrimSpace(p.Get("blocks")); raw != "" && raw != "[]" && raw != "null" {
		var problems []string
		blocks, problems = checkBlocks(raw, maxMessageBlocks)
		if len(problems) > 0 {
			return nil, errReply("invalid_blocks", problems...)
		}
	}

	text := p.Get("text")
	if text == "" && blocks == nil && p.Get("attachments") == "" {
		return nil, errReply("no_text")
	}
	if utf8.RuneCountInString(text) > maxMessageText {
		return nil, errReply("msg_too_long")
	}
	return blocks, nil
}

// chatUpdate replaces a message's text, and its blocks when blocks are
// given; blocks=[] removes them.
func (s *Server) chatUpdate(p url.Values) reply {
	ch, bad := s.visible(p.Get("channel"))
	if bad != nil {
		return bad
	}
	m := ch.find(p.Get("ts"))
	switch {
	case m == nil:
		return errReply("message_not_found")
	case m.User != BotUserID:
		return errReply("cant_update_message")
	case ch.Archived:
		return errReply("is_archived")
	}

	next := url.Values{"text": {m.Text}}
	if _, ok := p["text"]; ok {
		next.Set("text", p.Get("text"))
	}
	if _, ok := p["blocks"]; ok {
		next.Set("blocks", p.Get("blocks"))
	} else if m.Blocks != nil {
		next.Set("blocks", string(m.Blocks))
	}
	next.Set("attachments", p.Get("attachments"))
	blocks, bad := messageBlocks(next)
	if bad != nil {
		return bad
	}

	m.Text, m.Blocks, m.Edited = next.Get("text"), blocks, true
	return reply{"channel": ch.ID, "ts": m.TS, "text": m.Text, "message": s.messageJSON(ch, m)}
}

func (s *Server) chatDelete(p url.Values) reply {
	ch, bad := s.visible(p.Get("channel"))
	if bad != nil {
		return bad
	}
	m := ch.find(p.Get("ts"))
	switch {
	case m == nil:
		return errReply("message_not_found")
	case m.User != BotUserID:
		return errReply("cant_delete_message")
	}

	isIt := func(ts string) bool { return ts == m.TS }
	ch.messages = slices.DeleteFunc(ch.messages, func(x *message) bool { return x == m })
	ch.Pins = slices.DeleteFunc(ch.Pins, isIt)
	if parent := ch.find(m.ThreadTS); parent != nil {
		parent.replies = slices.DeleteFunc(parent.replies, isIt)
	}
	return reply{"channel": ch.ID, "ts": m.TS}
}

func (s *Server) chatPostEphemeral(p url.Values) reply {
	ch := s.resolve(p.Get("channel"))
	switch {
	case ch == nil:
		return errReply("channel_not_found")
	case ch.Private && !ch.isMember(BotUserID):
		return errReply("not_in_channel")
	case ch.Archived:
		return errReply("is_archived")
	}
	u, ok := s.users[p.Get("user")]
	switch {
	case !ok:
		return errReply("user_not_found")
	case !ch.isMember(u.ID):
		return errReply("user_not_in_channel")
	}

	blocks, bad := messageBlocks(p)
	if bad != nil {
		return bad
	}

	e := Ephemeral{
		Channel:  ch.ID,
		User:     u.ID,
		TS:       s.nextTS(),
		Text:     p.Get("text"),
		Blocks:   blocks,
		ThreadTS: p.Get("thread_ts"),
	}
	s.ephemerals = append(s.ephemerals, e)
	return reply{"message_ts": e.TS}
}

func (s *Server) chatGetPermalink(p url.Values) reply {
	ch, bad := s.visible(p.Get("channel"))
	if bad != nil {
		return bad
	}
	m := ch.find(p.Get("message_ts"))
	if m == nil {
		return errReply("message_not_found")
	}

	link := permalink(ch.ID, m.TS)
	if m.ThreadTS != "" {
		link += "?thread_ts=" + m.ThreadTS + "&cid=" + ch.ID
	}
	return reply{"channel": ch.ID, "permalink": link}
}

func permalink(channelID, ts string) string {
	return PermalinkBase + "/archives/" + channelID + "/p" + strings.ReplaceAll(ts, ".", "")
}

func (s *Server) pinsAdd(p url.Values) reply {
	ch, m, bad := s.pinTarget(p)
	if bad != nil {
		return bad
	}
	if slices.Contains(ch.Pins, m.TS) {
		return errReply("already_pinned")
	}
	ch.Pins = append(ch.Pins, m.TS)
	ch.pinnedAt[m.TS] = tsMicros(s.nextTS()) / 1e6
	return reply{}
}

func (s *Server) pinsRemove(p url.Values) reply {
	ch, m, bad := s.pinTarget(p)
	if bad != nil {
		return bad
	}
	if !slices.Contains(ch.Pins, m.TS) {
		return errReply("no_pin")
	}
	ch.Pins = slices.DeleteFunc(ch.Pins, func(ts string) bool { return ts == m.TS })
	return reply{}
}

func (s *Server) pinTarget(p url.Values) (*channel, *message, reply) {
	ch, bad := s.visible(p.Get("channel"))
	if bad != nil {
		return nil, nil, bad
	}
	switch {
	case ch.Archived:
		return nil, nil, errReply("is_archived")
	case !ch.isMember(BotUserID):
		return nil, nil, errReply("not_in_channel")
	case p.Get("timestamp") == "":
		return nil, nil, errReply("no_item_specified")
	}
	m := ch.find(p.Get("timestamp"))
	if m == nil {
		return nil, nil, errReply("message_not_found")
	}
	return ch, m, nil
}

func (s *Server) pinsList(p url.Values) reply {
	ch, bad := s.visible(p.Get("channel"))
	if bad != nil {
		return bad
	}

	items := []map[string]any{}
	for _, ts := range slices.Backward(ch.Pins) {
		items = append(items, map[string]any{
			"type":       "message",
			"channel":    ch.ID,
			"created":    ch.pinnedAt[ts],
			"created_by": BotUserID,
			"message":    s.messageJSON(ch, ch.find(ts)),
		})
	}
	return reply{"items": items}
}

func (s *Server) reactionsAdd(p url.Values) reply {
	ch, bad := s.visible(p.Get("channel"))
	if bad != nil {
		return bad
	}
	name := strings.Trim(p.Get("name"), ":")
	m := ch.find(p.Get("timestamp"))
	switch {
	case ch.Archived:
		return errReply("is_archived")
	case name == "":
		return errReply("invalid_name")
	case m == nil:
		return errReply("message_not_found")
	case slices.Contains(m.Reactions[name], BotUserID):
		return errReply("already_reacted")
	}
	m.Reactions[name] = append(m.Reactions[name], BotUserID)
	return reply{}
}

// viewsOpen opens a modal. Each trigger id works once, as in Slack.
func (s *Server) viewsOpen(p url.Values) reply {
	trigger := p.Get("trigger_id")
	switch {
	case trigger == "":
		return errReply("invalid_arguments", "[ERROR] missing required field: trigger_id")
	case s.triggers[trigger]:
		return errReply("exchanged_trigger_id")
	}

	doc, raw, bad := parseView(p.Get("view"))
	if bad != nil {
		return bad
	}

	s.triggers[trigger] = true
	v := &View{
		ID:        fmt.Sprintf("V%04d", len(s.views)+1),
		TriggerID: trigger,
	}
	s.setView(v, doc, raw)
	s.views = append(s.views, v)
	return reply{"view": viewJSON(v, doc)}
}

func (s *Server) viewsUpdate(p url.Values) reply {
	var v *View
	for _, x := range s.views {
		if (p.Get("view_id") != "" && x.ID == p.Get("view_id")) ||
			(p.Get("external_id") != "" && x.ExternalID == p.Get("external_id")) {
			v = x
		}
	}
	switch {
	case v == nil:
		return errReply("not_found")
	case p.Get("hash") != "" && p.Get("hash") != v.Hash:
		return errReply("hash_conflict")
	}

	doc, raw, bad := parseView(p.Get("view"))
	if bad != nil {
		return bad
	}

	s.setView(v, doc, raw)
	v.Updates++
	return reply{"view": viewJSON(v, doc)}
}

func parseView(text string) (map[string]any, json.RawMessage, reply) {
	var doc map[string]any
	if err := json.Unmarshal([]byte(text), &doc); err != nil || doc == nil {
		return nil, nil, errReply("invalid_arguments", "[ERROR] view must be a JSON object")
	}
	if problems := checkView(doc); len(problems) > 0 {
		return nil, nil, errReply("invalid_arguments", problems...)
	}
	raw, _ := json.Marshal(doc)
	return doc, raw, nil
}

func (s *Server) setView(v *View, doc map[string]any, raw json.RawMessage) {
	v.JSON = raw
	v.CallbackID, _ = doc["callback_id"].(string)
	v.PrivateMetadata, _ = doc["private_metadata"].(string)
	v.ExternalID, _ = doc["external_id"].(string)
	v.Hash = s.nextTS() + ".fakehash"
}

func viewJSON(v *View, doc map[string]any) map[string]any {
	out := make(map[string]any, len(doc)+8)
	for k, x := range doc {
		out[k] = x
	}
	out["id"] = v.ID
	out["team_id"] = TeamID
	out["hash"] = v.Hash
	out["state"] = map[string]any{"values": map[string]any{}}
	out["root_view_id"] = v.ID
	out["previous_view_id"] = nil
	out["bot_id"] = BotID
	out["app_installed_team_id"] = TeamID
	return out
}

// visible finds a channel the bot can see: public channels, its direct
// messages and the private channels it is in. Slack hides the rest.
func (s *Server) visible(id string) (*channel, reply) {
	ch, ok := s.channels[id]
	if !ok || (ch.Private && !ch.isMember(BotUserID)) {
		return nil, errReply("channel_not_found")
	}
	return ch, nil
}

// readable is visible, for reading history, which needs membership.
func (s *Server) readable(id string) (*channel, reply) {
	ch, bad := s.visible(id)
	if bad != nil {
		return nil, bad
	}
	if !ch.isMember(BotUserID) {
		return nil, errReply("not_in_channel")
	}
	return ch, nil
}

// resolve finds the channel a chat method names: an id, a user id (the
// bot's direct message with them, opened on demand) or a #name.
func (s *Server) resolve(ref string) *channel {
	if ch, ok := s.channels[ref]; ok {
		return ch
	}
	if u, ok := s.users[ref]; ok && !u.Deleted {
		s.conversationsOpen(url.Values{"users": {u.ID}})
		return s.channels[s.dms[u.ID]]
	}
	if ref == "" {
		return nil
	}
	return s.byName(strings.TrimPrefix(ref, "#"))
}

func channelJSON(ch *channel) map[string]any {
	if ch.IM {
		return map[string]any{
			"id": ch.ID, "is_im": true, "user": ch.User, "created": ch.created,
			"is_org_shared": false, "is_user_deleted": false,
		}
	}
	topic := ""
	if ch.Topic != "" {
		topic = BotUserID
	}
	return map[string]any{
		"id":              ch.ID,
		"name":            ch.Name,
		"name_normalized": ch.Name,
		"is_channel":      true,
		"is_group":        false,
		"is_im":           false,
		"is_mpim":         false,
		"is_private":      ch.Private,
		"is_archived":     ch.Archived,
		"is_general":      ch.Name == "general",
		"is_member":       ch.isMember(BotUserID),
		"created":         ch.created,
		"creator":         ch.Creator,
		"num_members":     len(ch.Members),
		"topic":           map[string]any{"value": ch.Topic, "creator": topic, "last_set": 0},
		"purpose":         map[string]any{"value": "", "creator": "", "last_set": 0},
		"previous_names":  []string{},
	}
}

func (s *Server) messageJSON(ch *channel, m *message) map[string]any {
	out := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "user": m.User}
	if m.User == BotUserID {
		out["bot_id"] = BotID
	}
	if m.Blocks != nil {
		out["blocks"] = m.Blocks
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
		if parent := ch.find(m.ThreadTS); parent != nil {
			out["parent_user_id"] = parent.User
		}
		if m.Broadcast {
			out["subtype"] = "thread_broadcast"
		}
	}
	if len(m.replies) > 0 {
		out["thread_ts"] = m.TS
		out["reply_count"] = len(m.replies)
		out["latest_reply"] = m.replies[len(m.replies)-1]
		var users []string
		for _, ts := range m.replies {
			if r := ch.find(ts); r != nil && !slices.Contains(users, r.User) {
				users = append(users, r.User)
			}
		}
		out["reply_users"] = users
	}
	if m.Edited {
		out["edited"] = map[string]any{"user": m.User, "ts": m.TS}
	}
	if len(m.Reactions) > 0 {
		names := make([]string, 0, len(m.Reactions))
		for name := range m.Reactions {
			names = append(names, name)
		}
		sort.Strings(names)
		var reactions []map[string]any
		for _, name := range names {
			users := m.Reactions[name]
			reactions = append(reactions, map[string]any{
				"name": name, "users": users, "count": len(users),
			})
		}
		out["reactions"] = reactions
	}
	if slices.Contains(ch.Pins, m.TS) {
		out["pinned_to"] = []string{ch.ID}
	}
	return out
}

// page reads limit and an offset cursor; a limit of zero means def, and a
// def of zero means everything.
func page(p url.Values, def int) (start, limit int, bad reply) {
	limit = def
	if l := p.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 {
			return 0, 0, errReply("invalid_limit")
		}
		if n > 0 {
			limit = min(n, maxPage)
		}
	}
	if c := p.Get("cursor"); c != "" {
		off, ok := decodeCursor(c, "offset:")
		n, err := strconv.Atoi(off)
		if !ok || err != nil || n < 0 {
			return 0, 0, errReply("invalid_cursor")
		}
		start = n
	}
	return start, limit, nil
}

// pageEnd returns where a page from start ends and the cursor of the next
// page, "" when it is the last.
func pageEnd(start, limit, total int) (int, string) {
	if limit <= 0 || start+limit >= total {
		return total, ""
	}
	return start + limit, encodeCursor("offset:" + strconv.Itoa(start+limit))
}

func encodeCursor(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func decodeCursor(c, prefix string) (string, bool) {
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return "", false
	}
	return strings.CutPrefix(string(b), prefix)
}

func truthy(v string) bool { return v == "true" || v == "1" }
