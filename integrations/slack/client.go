package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sirupsen/logrus"
	slackapi "github.com/slack-go/slack"

	"warroom/bot"
)

// Defaults of Config.
const (
	// DefaultAPIURL is Slack's own Web API.
	DefaultAPIURL = slackapi.APIURL
	// DefaultUserCacheTTL is how long FindUser trusts its user directory.
	DefaultUserCacheTTL = 5 * time.Minute
	// DefaultHTTPTimeout bounds each request of the default HTTP client.
	DefaultHTTPTimeout = 30 * time.Second
)

// Limits the Client keeps to.
const (
	// userRefreshFloor is how old the user directory must be before a
	// handle it does not know makes it load again, so that a stream of
	// unknown handles does not become a stream of users.list calls.
	userRefreshFloor = 30 * time.Second
	usersPageSize    = 200
	maxUserPages     = 1000
	maxInviteBatch   = 1000
	maxTopicChars    = 250
)

// Log field names, as POLICY.md names them.
const (
	logAction     = "action"
	logDuration   = "duration"
	logOutcome    = "outcome"
	logRetryAfter = "retryAfter"
	logChannel    = "channel"
	logUser       = "userId"
)

// Config configures a Client. Token is required.
type Config struct {
	// Token is the bot token; it starts with "xoxb-".
	Token string
	// APIURL is the Web API's base URL, DefaultAPIURL when empty. Tests
	// point it at a slackfake server.
	APIURL string
	// HTTPClient makes every request, response URL posts included. When
	// nil, a client with a DefaultHTTPTimeout timeout is used.
	HTTPClient *http.Client
	Log        *logrus.Entry
	// Metrics records each call; nil records nothing.
	Metrics *Metrics
	// UserCacheTTL is how long FindUser trusts the user directory it
	// loaded (DefaultUserCacheTTL when zero).
	UserCacheTTL time.Duration
	// Now is the clock of the user directory; time.Now when nil.
	Now func() time.Time
}

// Client is the bot's chat through the Slack Web API. Its errors tell the
// bot what to do: a *bot.RetryAfterError when Slack asked for a wait, an
// error for which bot.IsPermanent is true when no retry will mend it, and
// any other error for a failure worth a retry. Errors and log lines never
// carry the token or a response URL.
type Client struct {
	api     *slackapi.Client
	http    *http.Client
	log     *logrus.Entry
	metrics *Metrics
	now     func() time.Time
	userTTL time.Duration

	mu        sync.Mutex
	botUserID string
	ims       map[string]string

	// usersMu is held while the directory is read or loaded, so that
	// callers waiting on a load use its result instead of loading again.
	usersMu sync.Mutex
	users   *directory

	// groups caches user groups' members.
	groups groupCache
}

var _ bot.Chat = (*Client)(nil)

// NewClient builds a Client. It makes no call to Slack; AuthTest checks
// the token.
func NewClient(cfg Config) (*Client, error) {
	if cfg.Token == "" {
		return nil, errors.New("slack client: a bot token is required")
	}
	if !strings.HasPrefix(cfg.Token, "xoxb-") {
		return nil, errors.New("slack client: the token is not a bot token (xoxb-...)")
	}

	c := &Client{
		http:    cfg.HTTPClient,
		log:     cfg.Log,
		metrics: cfg.Metrics,
		now:     cfg.Now,
		userTTL: cfg.UserCacheTTL,
		ims:     make(map[string]string),
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if c.log == nil {
		c.log = logrus.NewEntry(logrus.StandardLogger())
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.userTTL <= 0 {
		c.userTTL = DefaultUserCacheTTL
	}

	apiURL := cfg.APIURL
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	c.api = slackapi.New(cfg.Token,
		slackapi.OptionAPIURL(apiURL), slackapi.OptionHTTPClient(c.http))
	return c, nil
}

// AuthTest checks the token with auth.test and returns the bot's user id.
func (c *Client) AuthTest(ctx context.Context) (string, error) {
	var resp *slackapi.AuthTestResponse
	err := c.call("auth.test", func() error {
		var err error
		resp, err = c.api.AuthTestContext(ctx)
		return err
	})
	if err != nil {
		return "", classify("auth.test", err)
	}

	c.mu.Lock()
	c.botUserID = resp.UserID
	c.mu.Unlock()
	return resp.UserID, nil
}

// botUser returns the bot's user id, asking auth.test the first time.
func (c *Client) botUser(ctx context.Context) (string, error) {
	c.mu.Lock()
	id := c.botUserID
	c.mu.Unlock()
	if id != "" {
		return id, nil
	}
	return c.AuthTest(ctx)
}

// CreateChannel creates a channel with conversations.create and returns
// its id. A name in use returns an error wrapping bot.ErrNameTaken.
func (c *Client) CreateChannel(ctx context.Context, name string, private bool) (string, error) {
	var ch *slackapi.Channel
	err := c.call("conversations.create", func() error {
		var err error
		ch, err = c.api.CreateConversationContext(ctx, slackapi.CreateConversationParams{
			ChannelName: name, IsPrivate: private,
		})
		return err
	})
	if slackCode(err) == "name_taken" {
		return "", bot.Permanent(
			fmt.Errorf("slack conversations.create %q: %w: %w", name, bot.ErrNameTaken, err))
	}
	if err != nil {
		return "", classify(fmt.Sprintf("conversations.create %q", name), err)
	}
	return ch.ID, nil
}

// SetTopic sets a channel's topic, cut to Slack's 250 characters.
func (c *Client) SetTopic(ctx context.Context, channel, topic string) error {
	topic = truncate(topic, maxTopicChars)

	err := c.call("conversations.setTopic", func() error {
		_, err := c.api.SetTopicOfConversationContext(ctx, channel, topic)
		return err
	})
	return classify("conversations.setTopic of "+channel, err)
}

// Invite adds users to a channel. The bot itself is skipped, and members
// already in count as invited. When Slack refuses some users (unknown,
// deactivated or guests), the others are still invited and the refusals
// only logged, so one bad id keeps nobody out; the call fails only when
// every user was refused.
func (c *Client) Invite(ctx context.Context, channel string, users []string) error {
	self, err := c.botUser(ctx)
	if err != nil {
		// Inviting the bot is refused one user at a time below, so the
		// bot's id is a saving, not a need.
		c.log.WithError(err).Debug("slack: bot user unknown; inviting without skipping it")
	}

	var todo []string
	for _, u := range users {
		if u != "" && u != self && !slices.Contains(todo, u) {
			todo = append(todo, u)
		}
	}

	for batch := range slices.Chunk(todo, maxInviteBatch) {
		if err := c.inviteBatch(ctx, channel, batch); err != nil {
			return err
		}
	}
	return nil
}

// inviteBatch invites users in one call, or one by one when Slack refused
// the call for some of them.
func (c *Client) inviteBatch(ctx context.Context, channel string, users []string) error {
	err := c.invite(ctx, channel, users)
	if err == nil || len(users) == 1 || !refusesUser(err) {
		return classify("conversations.invite to "+channel, err)
	}

	var refused []string
	var first error
	for _, u := range users {
		err := c.invite(ctx, channel, []string{u})
		switch {
		case err == nil:
		case refusesUser(err):
			refused = append(refused, u+" ("+slackCode(err)+")")
			first = firstErr(first, err)
			c.log.WithFields(logrus.Fields{
				logAction: "slack.conversations.invite", logChannel: channel, logUser: u,
			}).WithError(err).Warn("slack refused to invite a user; inviting the others")
		default:
			return classify("conversations.invite of "+u+" to "+channel, err)
		}
	}

	if len(refused) == len(users) {
		return bot.Permanent(fmt.Errorf("slack conversations.invite to %s: refused %s: %w",
			channel, strings.Join(refused, ", "), first))
	}
	return nil
}

// invite makes one conversations.invite call. A user already in the
// channel, or the bot inviting itself alone, is success.
func (c *Client) invite(ctx context.Context, channel string, users []string) error {
	fine := []string{"already_in_channel"}
	if len(users) == 1 {
		fine = append(fine, "cant_invite_self")
	}
	return c.call("conversations.invite", func() error {
		_, err := c.api.InviteUsersToConversationContext(ctx, channel, users...)
		return err
	}, fine...)
}

// Post posts msg in a channel, in msg.Thread when set, and returns the new
// message's ts.
func (c *Client) Post(ctx context.Context, channel string, msg bot.Message) (string, error) {
	opts := messageOptions(msg, false)
	if msg.Thread != "" {
		opts = append(opts, slackapi.MsgOptionTS(msg.Thread))
		if msg.Broadcast {
			opts = append(opts, slackapi.MsgOptionBroadcast())
		}
	}

	var ts string
	err := c.call("chat.postMessage", func() error {
		var err error
		_, ts, err = c.api.PostMessageContext(ctx, channel, opts...)
		return err
	})
	if err != nil {
		return "", classify("chat.postMessage to "+channel, err)
	}
	return ts, nil
}

// Update replaces the text and blocks of the message at ts.
func (c *Client) Update(ctx context.Context, channel, ts string, msg bot.Message) error {
	opts := messageOptions(msg, true)

	err := c.call("chat.update", func() error {
		_, _, _, err := c.api.UpdateMessageContext(ctx, channel, ts, opts...)
		return err
	})
	return classify("chat.update of "+ts+" in "+channel, err)
}

// messageOptions renders msg's text and blocks. An update always sends
// blocks, so that a message that had some and now has none loses them.
func messageOptions(msg bot.Message, update bool) []slackapi.MsgOption {
	opts := []slackapi.MsgOption{slackapi.MsgOptionText(msg.Text, false)}
	if blocks := RenderBlocks(msg); len(blocks) > 0 || update {
		opts = append(opts, slackapi.MsgOptionBlocks(blocks...))
	}
	return opts
}

// Pin pins the message at ts; a message pinned already is success.
func (c *Client) Pin(ctx context.Context, channel, ts string) error {
	err := c.call("pins.add", func() error {
		return c.api.AddPinContext(ctx, channel, slackapi.NewRefToMessage(channel, ts))
	}, "already_pinned")
	return classify("pins.add of "+ts+" in "+channel, err)
}

// Permalink returns a link to the message at ts. With ts empty it returns
// Slack's app_redirect link to the channel, which opens it in the reader's
// own workspace without a call to Slack.
func (c *Client) Permalink(ctx context.Context, channel, ts string) (string, error) {
	if ts == "" {
		return "https://slack.com/app_redirect?channel=" + url.QueryEscape(channel), nil
	}

	var link string
	err := c.call("chat.getPermalink", func() error {
		var err error
		link, err = c.api.GetPermalinkContext(ctx,
			&slackapi.PermalinkParameters{Channel: channel, Ts: ts})
		return err
	})
	if err != nil {
		return "", classify("chat.getPermalink of "+ts+" in "+channel, err)
	}
	return link, nil
}

// Notify shows msg to one user: through the response URL when there is
// one, else as an ephemeral message in the channel, else as a direct
// message. Each way that fails for good hands over to the next; a
// failure worth a retry is returned instead, so the message is not sent
// twice.
func (c *Client) Notify(ctx context.Context, to bot.Recipient, msg bot.Message) error {
	if to.ResponseURL != "" {
		err := c.respond(ctx, to.ResponseURL, msg)
		if err == nil || to.UserID == "" || ctx.Err() != nil {
			return err
		}
		c.log.WithFields(logrus.Fields{logAction: "slack.notify", logUser: to.UserID}).
			WithError(err).Debug("response url failed; trying the channel")
	}
	if to.UserID == "" {
		return bot.Permanent(errors.New("slack notify: the recipient has no user id"))
	}

	if to.ChannelID != "" {
		err := c.ephemeral(ctx, to, msg)
		if err == nil || !unreachableInChannel(err) {
			return err
		}
		c.log.WithFields(logrus.Fields{logAction: "slack.notify", logUser: to.UserID}).
			WithError(err).Debug("ephemeral message failed; sending a direct message")
	}

	return c.directMessage(ctx, to.UserID, msg)
}

// respond posts msg to a response URL, seen only by the user who acted.
func (c *Client) respond(ctx context.Context, responseURL string, msg bot.Message) error {
	wm := &slackapi.WebhookMessage{
		Text:            msg.Text,
		ResponseType:    slackapi.ResponseTypeEphemeral,
		ReplaceOriginal: false,
	}
	if blocks := RenderBlocks(msg); len(blocks) > 0 {
		wm.Blocks = &slackapi.Blocks{BlockSet: blocks}
	}

	err := c.call("response_url", func() error {
		return hideURL(slackapi.PostWebhookCustomHTTPContext(ctx, responseURL, c.http, wm))
	})
	return classify("response_url post", err)
}

// ephemeral posts msg in to's channel, seen by to's user only.
func (c *Client) ephemeral(ctx context.Context, to bot.Recipient, msg bot.Message) error {
	opts := messageOptions(msg, false)
	if msg.Thread != "" {
		opts = append(opts, slackapi.MsgOptionTS(msg.Thread))
	}

	err := c.call("chat.postEphemeral", func() error {
		_, err := c.api.PostEphemeralContext(ctx, to.ChannelID, to.UserID, opts...)
		return err
	})
	return classify("chat.postEphemeral to "+to.UserID+" in "+to.ChannelID, err)
}

// directMessage sends msg to the bot's direct message with user.
func (c *Client) directMessage(ctx context.Context, user string, msg bot.Message) error {
	im, err := c.openIM(ctx, user)
	if err != nil {
		return err
	}

	msg.Thread, msg.Broadcast = "", false
	_, err = c.Post(ctx, im, msg)
	if slackCode(err) == "channel_not_found" {
		c.mu.Lock()
		delete(c.ims, user)
		c.mu.Unlock()
	}
	return err
}

// openIM returns the id of the bot's direct message with user.
func (c *Client) openIM(ctx context.Context, user string) (string, error) {
	c.mu.Lock()
	id, ok := c.ims[user]
	c.mu.Unlock()
	if ok {
		return id, nil
	}

	var ch *slackapi.Channel
	err := c.call("conversations.open", func() error {
		var err error
		ch, _, _, err = c.api.OpenConversationContext(ctx,
			&slackapi.OpenConversationParameters{Users: []string{user}})
		return err
	})
	if err != nil {
		return "", classify("conversations.open with "+user, err)
	}

	c.mu.Lock()
	c.ims[user] = ch.ID
	c.mu.Unlock()
	return ch.ID, nil
}

// OpenModal opens m for the user whose interaction gave triggerID.
func (c *Client) OpenModal(ctx context.Context, triggerID string, m bot.Modal) error {
	if triggerID == "" {
		return bot.Permanent(fmt.Errorf("slack views.open of %q: no trigger id", m.ID))
	}
	view := RenderModal(m)

	err := c.call("views.open", func() error {
		_, err := c.api.OpenViewContext(ctx, triggerID, view)
		return err
	})
	return classify(fmt.Sprintf("views.open of %q", m.ID), err)
}

// FindUser resolves a handle to a user id. It accepts a user name
// ("alice.smith") or display name, with or without its @, in any case,
// and a mention as Slack escapes it ("<@U123|alice>"). Users come from
// users.list, loaded again once UserCacheTTL has passed, or when a handle
// is unknown and the directory is older than half a minute. A display
// name that several people share matches none of them. Deactivated users
// are not found. When a load fails and an older directory exists, the
// older one is used.
func (c *Client) FindUser(ctx context.Context, handle string) (string, error) {
	if id, ok := mentionedUser(handle); ok {
		return id, nil
	}

	c.usersMu.Lock()
	defer c.usersMu.Unlock()

	stale := c.users == nil || c.now().Sub(c.users.loaded) >= c.userTTL
	if stale {
		if err := c.loadUsers(ctx); err != nil {
			return "", err
		}
	}

	id, err := c.users.find(handle)
	if errors.Is(err, bot.ErrUserNotFound) && !stale &&
		c.now().Sub(c.users.loaded) >= userRefreshFloor {
		if err := c.loadUsers(ctx); err != nil {
			return "", err
		}
		id, err = c.users.find(handle)
	}
	return id, err
}

// loadUsers reads the whole directory from users.list. When that fails
// and a directory was loaded before, it keeps the old one, tries again
// after userRefreshFloor, and reports success.
func (c *Client) loadUsers(ctx context.Context) error {
	d := &directory{
		names:    make(map[string]string),
		displays: make(map[string][]string),
		ids:      make(map[string]bool),
		loaded:   c.now(),
	}

	p := c.api.GetUsersPaginated(slackapi.GetUsersOptionLimit(usersPageSize))
	for range maxUserPages {
		err := c.call("users.list", func() error {
			var err error
			p, err = p.Next(ctx)
			return err
		})
		if err != nil {
			return c.keepUsers(classify("users.list", err))
		}

		d.add(p.Users)
		if p.Cursor == "" {
			break
		}
	}

	c.users = d
	return nil
}

// keepUsers handles a failed load: with no directory, it returns err;
// else it logs err and keeps the old directory for userRefreshFloor more.
func (c *Client) keepUsers(err error) error {
	if c.users == nil {
		return err
	}

	c.log.WithField(logAction, "slack.users.list").WithError(err).
		Warn("slack user directory not refreshed; using the one loaded before")
	old := *c.users
	old.loaded = c.now().Add(userRefreshFloor - c.userTTL)
	c.users = &old
	return nil
}

// directory is the workspace's users, by the names people type.
type directory struct {
	names    map[string]string
	displays map[string][]string
	ids      map[string]bool
	loaded   time.Time
}

func (d *directory) add(users []slackapi.User) {
	for _, u := range users {
		if u.Deleted {
			continue
		}
		d.ids[u.ID] = true
		if u.Name != "" {
			d.names[strings.ToLower(u.Name)] = u.ID
		}
		for _, dn := range []string{u.Profile.DisplayName, u.Profile.DisplayNameNormalized} {
			dn = strings.ToLower(dn)
			if dn != "" && !slices.Contains(d.displays[dn], u.ID) {
				d.displays[dn] = append(d.displays[dn], u.ID)
			}
		}
	}
}

// find looks handle up by user name, then display name, then as an id.
func (d *directory) find(handle string) (string, error) {
	h := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(handle), "@"))
	if id, ok := d.names[h]; ok {
		return id, nil
	}
	switch ids := d.displays[h]; {
	case len(ids) == 1:
		return ids[0], nil
	case len(ids) > 1:
		return "", fmt.Errorf("slack user @%s: %d people share that display name: %w",
			h, len(ids), bot.ErrUserNotFound)
	}
	if id := strings.ToUpper(h); d.ids[id] {
		return id, nil
	}
	return "", fmt.Errorf("slack user @%s: %w", h, bot.ErrUserNotFound)
}

// mentionedUser reads the user id out of an escaped mention, <@U123> or
// <@U123|alice>.
func mentionedUser(handle string) (string, bool) {
	h := strings.TrimSpace(handle)
	inner, ok := strings.CutPrefix(h, "<@")
	if !ok || !strings.HasSuffix(inner, ">") {
		return "", false
	}
	id, _, _ := strings.Cut(strings.TrimSuffix(inner, ">"), "|")
	return id, id != ""
}

// call makes one request to Slack through fn, measures and logs it. Slack
// error codes in fine count as success: they say the work was done before.
func (c *Client) call(method string, fn func() error, fine ...string) error {
	start := time.Now()
	err := fn()
	if code := slackCode(err); code != "" && slices.Contains(fine, code) {
		err = nil
	}
	took := time.Since(start)

	outcome := outcomeOf(err)
	c.metrics.observe(method, outcome, took)

	log := c.log.WithFields(logrus.Fields{
		logAction:   "slack." + method,
		logDuration: took.Milliseconds(),
		logOutcome:  outcome,
	})
	var rl *slackapi.RateLimitedError
	switch {
	case errors.As(err, &rl):
		log.WithField(logRetryAfter, rl.RetryAfter.Seconds()).Warn("slack rate limit")
	case outcome == outcomeRateLimited:
		log.WithError(err).Warn("slack rate limit")
	case err != nil:
		log.WithError(err).Debug("slack call failed")
	default:
		log.Debug("slack call")
	}
	return err
}

// outcomeOf names a call's result for the metrics.
func outcomeOf(err error) string {
	var rl *slackapi.RateLimitedError
	var sc slackapi.StatusCodeError
	switch {
	case err == nil:
		return outcomeOK
	case errors.As(err, &rl), rateLimitCodes[slackCode(err)],
		errors.As(err, &sc) && sc.Code == http.StatusTooManyRequests:
		return outcomeRateLimited
	}
	return outcomeError
}

// Slack error codes that say "slow down" without an HTTP 429.
var rateLimitCodes = map[string]bool{"ratelimited": true, "rate_limited": true}

// permanentCodes are Slack error codes that no retry mends.
var permanentCodes = map[string]bool{
	"channel_not_found":                     true,
	"not_in_channel":                        true,
	"is_archived":                           true,
	"invalid_auth":                          true,
	"not_authed":                            true,
	"account_inactive":                      true,
	"token_revoked":                         true,
	"token_expired":                         true,
	"no_permission":                         true,
	"missing_scope":                         true,
	"not_allowed_token_type":                true,
	"ekm_access_denied":                     true,
	"team_access_not_granted":               true,
	"invalid_blocks":                        true,
	"invalid_blocks_format":                 true,
	"invalid_arguments":                     true,
	"msg_too_long":                          true,
	"no_text":                               true,
	"too_long":                              true,
	"user_not_found":                        true,
	"users_not_found":                       true,
	"user_not_in_channel":                   true,
	"cant_invite":                           true,
	"restricted_action":                     true,
	"message_not_found":                     true,
	"cant_update_message":                   true,
	"method_not_supported_for_channel_type": true,
	"name_taken":                            true,
	"expired_trigger_id":                    true,
	"exchanged_trigger_id":                  true,
	"invalid_trigger_id":                    true,
	"unknown_method":                        true,
}

// refusedUserCodes are conversations.invite codes about one of the users
// rather than the channel or the call.
var refusedUserCodes = map[string]bool{
	"user_not_found":                true,
	"cant_invite":                   true,
	"cant_invite_self":              true,
	"user_is_bot":                   true,
	"user_is_restricted":            true,
	"user_is_ultra_restricted":      true,
	"ura_max_channels":              true,
	"user_disabled":                 true,
	"invitee_cant_see_channel":      true,
	"no_external_invite_permission": true,
}

func refusesUser(err error) bool { return refusedUserCodes[slackCode(err)] }

// unreachableInChannel reports whether an ephemeral message failed because
// of where it went, so that a direct message may still arrive.
func unreachableInChannel(err error) bool {
	switch slackCode(err) {
	case "channel_not_found", "not_in_channel", "user_not_in_channel", "is_archived":
		return true
	}
	return false
}

// classify wraps err with what was being done and marks it as the bot
// needs: a wait Slack asked for, a permanent failure, or else retryable.
// Slack's explanation of invalid arguments or blocks joins the message.
func classify(what string, err error) error {
	if err == nil {
		return nil
	}

	wrapped := fmt.Errorf("slack %s: %w", what, err)
	var se slackapi.SlackErrorResponse
	if errors.As(err, &se) && len(se.ResponseMetadata.Messages) > 0 {
		wrapped = fmt.Errorf("slack %s: %w (%s)",
			what, err, strings.Join(se.ResponseMetadata.Messages, "; "))
	}

	var rl *slackapi.RateLimitedError
	var sc slackapi.StatusCodeError
	code := slackCode(err)
	switch {
	case errors.As(err, &rl):
		return &bot.RetryAfterError{Wait: rl.RetryAfter, Err: wrapped}
	case rateLimitCodes[code]:
		return &bot.RetryAfterError{Err: wrapped}
	case permanentCodes[code], strings.HasPrefix(code, "invalid_name"):
		return bot.Permanent(wrapped)
	case errors.As(err, &sc) && sc.Code >= 400 && sc.Code < 500 &&
		sc.Code != http.StatusTooManyRequests && sc.Code != http.StatusRequestTimeout:
		return bot.Permanent(wrapped)
	}
	return wrapped
}

// slackCode returns the Slack error code in err, or "".
func slackCode(err error) string {
	var se slackapi.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

// hideURL drops the URL from a transport error: a response URL lets anyone
// who holds it post, so it stays out of errors and logs.
func hideURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s response url: %w", strings.ToLower(ue.Op), ue.Err)
	}
	return err
}

// firstErr returns a unless it is nil, else b.
func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// truncate cuts s to at most limit characters, ending in an ellipsis when
// it cut anything.
func truncate(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	r := []rune(s)
	return string(r[:limit-1]) + "…"
}
