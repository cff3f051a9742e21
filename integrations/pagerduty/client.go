// Package pagerduty is the bot's paging service through PagerDuty, by way
// of go-pagerduty: alerts through the Events API v2, escalations and
// on-calls through the REST API, and a receiver for webhooks v3 that
// turns PagerDuty's news into bot.PagerEvents.
package pagerduty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	pd "github.com/PagerDuty/go-pagerduty"
	"github.com/sirupsen/logrus"

	"warroom/bot"
)

// Defaults of Config.
const (
	// DefaultAPIURL is PagerDuty's REST API.
	DefaultAPIURL = "https://api.pagerduty.com"
	// DefaultEventsURL is PagerDuty's Events API; events go to its
	// /v2/enqueue.
	DefaultEventsURL = "https://events.pagerduty.com"
	// DefaultHTTPTimeout bounds each request, its answer included.
	DefaultHTTPTimeout = 10 * time.Second
	// DefaultOnCallTTL is how long OnCall trusts an answer it fetched.
	DefaultOnCallTTL = 5 * time.Minute
)

// The environment variables that hold the secrets, named in errors so
// that an operator knows what to set.
const (
	envToken      = "PAGERDUTY_API_TOKEN"
	envRoutingKey = "PAGERDUTY_ROUTING_KEY"
)

// Limits the Client keeps to.
const (
	// maxSummaryChars is the Events API's limit on payload.summary.
	maxSummaryChars = 1024
	// maxDedupKeyChars is the Events API's limit on dedup_key.
	maxDedupKeyChars = 255
	// onCallPageSize is the REST API's largest page.
	onCallPageSize = 100
	maxOnCallPages = 20
	// onCallRetryFloor is how long OnCall keeps serving an old answer
	// after a refresh failed, before it asks PagerDuty again.
	onCallRetryFloor = 30 * time.Second
	// maxErrorBody bounds what is kept of an error answer's body.
	maxErrorBody = 4 << 10
)

// What the Client says about itself in the events it sends.
const (
	defaultSource = "warroom"
	clientName    = "warroom"
	linkText      = "Slack channel"
)

// Log field names, as POLICY.md names them where it does.
const (
	logAction     = "action"
	logDuration   = "duration"
	logOutcome    = "outcome"
	logRetryAfter = "retryAfter"
	logDedupKey   = "dedupKey"
	logOnCall     = "oncall"
)

// Config configures a Client. RoutingKey is needed to send events, Token
// to escalate and to read on-calls; at least one of them must be set.
type Config struct {
	// Token is a REST API token (PAGERDUTY_API_TOKEN).
	Token string
	// RoutingKey is the Events API v2 integration key of the service
	// that pages open alerts on (PAGERDUTY_ROUTING_KEY).
	RoutingKey string
	// APIURL and EventsURL are the base URLs of the REST API and of the
	// Events API, DefaultAPIURL and DefaultEventsURL when empty. A
	// trailing slash is dropped. Tests point both at a pagerdutyfake.
	APIURL    string
	EventsURL string
	// From is the email of the PagerDuty user that REST writes act as
	// when the caller names nobody (the From header).
	From string
	// HTTPClient makes every request. When nil, a client with a
	// DefaultHTTPTimeout timeout is used; a client without a timeout is
	// given that one, so that no call waits forever.
	HTTPClient *http.Client
	Log        *logrus.Entry
	// Metrics records each call; nil records nothing.
	Metrics *Metrics
	// OnCallTTL is how long OnCall answers from its cache
	// (DefaultOnCallTTL when zero).
	OnCallTTL time.Duration
	// Now is the clock of the on-call cache; time.Now when nil.
	Now func() time.Time
}

// Client is the bot's pager through PagerDuty. Its errors tell the bot
// what to do: a *bot.RetryAfterError when PagerDuty asked for a wait, an
// error for which bot.IsPermanent is true when no retry will mend it (a
// refused token, a bad request, a missing secret), and any other error
// for a failure worth a retry (PagerDuty down, a 5xx, the network).
// Errors and log lines never carry the token or the routing key.
type Client struct {
	api        *pd.Client
	routingKey string
	hasToken   bool
	from       string
	secrets    []string
	log        *logrus.Entry
	metrics    *Metrics
	now        func() time.Time
	onCallTTL  time.Duration

	mu      sync.Mutex
	onCalls map[string]*onCallEntry
}

var _ bot.Pager = (*Client)(nil)

// NewClient builds a Client. It makes no call to PagerDuty. It returns an
// error when neither a token nor a routing key is set, or when a base URL
// is not an http or https URL.
func NewClient(cfg Config) (*Client, error) {
	if cfg.Token == "" && cfg.RoutingKey == "" {
		return nil, fmt.Errorf("pagerduty client: neither %s nor %s is set",
			envToken, envRoutingKey)
	}
	apiURL, err := baseURL("pagerduty.api_url", cfg.APIURL, DefaultAPIURL)
	if err != nil {
		return nil, err
	}
	eventsURL, err := baseURL("pagerduty.events_url", cfg.EventsURL, DefaultEventsURL)
	if err != nil {
		return nil, err
	}

	c := &Client{
		routingKey: cfg.RoutingKey,
		hasToken:   cfg.Token != "",
		from:       cfg.From,
		log:        cfg.Log,
		metrics:    cfg.Metrics,
		now:        cfg.Now,
		onCallTTL:  cfg.OnCallTTL,
		onCalls:    make(map[string]*onCallEntry),
	}
	for _, s := range []string{cfg.Token, cfg.RoutingKey} {
		if s != "" {
			c.secrets = append(c.secrets, s)
		}
	}
	if c.log == nil {
		c.log = logrus.NewEntry(logrus.StandardLogger())
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.onCallTTL <= 0 {
		c.onCallTTL = DefaultOnCallTTL
	}

	hc := cfg.HTTPClient
	switch {
	case hc == nil:
		hc = &http.Client{Timeout: DefaultHTTPTimeout}
	case hc.Timeout <= 0:
		bounded := *hc
		bounded.Timeout = DefaultHTTPTimeout
		hc = &bounded
	}
	c.api = pd.NewClient(cfg.Token,
		pd.WithAPIEndpoint(apiURL), pd.WithV2EventsAPIEndpoint(eventsURL))
	c.api.HTTPClient = &recorder{http: hc, now: c.now}
	return c, nil
}

// baseURL returns raw, or def when raw is empty, without a trailing
// slash, after checking that it is an absolute http or https URL.
func baseURL(key, raw, def string) (string, error) {
	if raw == "" {
		return def, nil
	}
	raw = strings.TrimRight(raw, "/")

	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("pagerduty client: %s is not a URL", key)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("pagerduty client: %s %q is not an http or https URL",
			key, u.Redacted())
	}
	return raw, nil
}

// Trigger opens an alert through the Events API v2. The summary is cut to
// PagerDuty's 1024 characters; a severity other than critical, error,
// warning or info becomes error; an empty source becomes "warroom"; Link,
// when set, is attached as the "Slack channel" link. PagerDuty keeps one
// open alert per dedup key, so a repeated trigger pages nobody again.
func (c *Client) Trigger(ctx context.Context, t bot.PageTrigger) error {
	if err := c.checkEvent("trigger", t.DedupKey); err != nil {
		return err
	}

	summary := strings.TrimSpace(t.Summary)
	if summary == "" {
		summary = "Page " + t.DedupKey
	}
	source := strings.TrimSpace(t.Source)
	if source == "" {
		source = defaultSource
	}
	payload := &pd.V2Payload{
		Summary:  truncate(summary, maxSummaryChars),
		Source:   source,
		Severity: severity(t.Severity),
	}
	if len(t.Details) > 0 {
		payload.Details = t.Details
	}

	ev := &pd.V2Event{
		RoutingKey: c.routingKey,
		Action:     "trigger",
		DedupKey:   t.DedupKey,
		Client:     clientName,
		Payload:    payload,
	}
	if t.Link != "" {
		ev.ClientURL = t.Link
		ev.Links = []any{link{Href: t.Link, Text: linkText}}
	}
	return c.event(ctx, ev)
}

// Acknowledge acknowledges the alert opened with dedupKey. PagerDuty
// accepts it even when no such alert is open, and then does nothing.
func (c *Client) Acknowledge(ctx context.Context, dedupKey string) error {
	if err := c.checkEvent("acknowledge", dedupKey); err != nil {
		return err
	}
	return c.event(ctx, &pd.V2Event{
		RoutingKey: c.routingKey, Action: "acknowledge", DedupKey: dedupKey,
	})
}

// Resolve resolves the alert opened with dedupKey. PagerDuty accepts it
// even when no such alert is open, and then does nothing.
func (c *Client) Resolve(ctx context.Context, dedupKey string) error {
	if err := c.checkEvent("resolve", dedupKey); err != nil {
		return err
	}
	return c.event(ctx, &pd.V2Event{
		RoutingKey: c.routingKey, Action: "resolve", DedupKey: dedupKey,
	})
}

// link is one entry of an event's links.
type link struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// checkEvent refuses an event that PagerDuty could not take.
func (c *Client) checkEvent(action, dedupKey string) error {
	switch {
	case c.routingKey == "":
		return bot.Permanent(fmt.Errorf("pagerduty %s of %q: no routing key: set %s",
			action, dedupKey, envRoutingKey))
	case dedupKey == "":
		return bot.Permanent(fmt.Errorf("pagerduty %s: the dedup key is empty", action))
	case utf8.RuneCountInString(dedupKey) > maxDedupKeyChars:
		return bot.Permanent(fmt.Errorf("pagerduty %s: the dedup key is longer than %d characters",
			action, maxDedupKeyChars))
	}
	return nil
}

// event sends ev to the Events API, through the client's own endpoint.
func (c *Client) event(ctx context.Context, ev *pd.V2Event) error {
	what := fmt.Sprintf("%s of %q", ev.Action, ev.DedupKey)

	return c.call(ctx, "events."+ev.Action, what, func(ctx context.Context) error {
		_, err := c.api.ManageEventWithContext(ctx, ev)
		return err
	})
}

// severity returns s as one of the Events API's severities, error when it
// is none of them.
func severity(s string) string {
	switch s = strings.ToLower(strings.TrimSpace(s)); s {
	case "critical", "error", "warning", "info":
		return s
	}
	return "error"
}

// Escalate raises PagerDuty's open incident for dedupKey (its incident
// key) to escalation level, 1 being the first, acting as the PagerDuty
// user whose email is from (Config.From when from is empty). A level
// below 1 is refused, as is a level the incident's escalation policy does
// not have (PagerDuty answers 400). When no incident with that key is
// triggered or acknowledged, the error wraps bot.ErrNotFound; the Events
// API opens incidents a moment after it accepts a trigger, so an
// escalation sent right after its trigger may see none yet.
func (c *Client) Escalate(ctx context.Context, dedupKey string, level int, from string) error {
	if level < 1 {
		return bot.Permanent(fmt.Errorf(
			"pagerduty escalate %q to level %d: escalation levels start at 1", dedupKey, level))
	}
	if err := c.needToken("escalate " + strconv.Quote(dedupKey)); err != nil {
		return err
	}
	if from == "" {
		from = c.from
	}
	if from == "" {
		return bot.Permanent(fmt.Errorf(
			"pagerduty escalate %q: no email to act as: set the PagerDuty From email", dedupKey))
	}

	ids, err := c.openIncidents(ctx, dedupKey)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return bot.Permanent(fmt.Errorf("pagerduty escalate %q: no open incident has that key: %w",
			dedupKey, bot.ErrNotFound))
	}

	opts := make([]pd.ManageIncidentsOptions, len(ids))
	for i, id := range ids {
		opts[i] = pd.ManageIncidentsOptions{ID: id, EscalationLevel: uint(level)}
	}
	what := fmt.Sprintf("escalate %s (%q) to level %d", strings.Join(ids, ", "), dedupKey, level)
	return c.call(ctx, "incidents.manage", what, func(ctx context.Context) error {
		_, err := c.api.ManageIncidentsWithContext(ctx, from, opts)
		return err
	})
}

// openIncidents returns the ids of the triggered or acknowledged
// incidents whose incident key is key, however old.
func (c *Client) openIncidents(ctx context.Context, key string) ([]string, error) {
	opts := pd.ListIncidentsOptions{
		Limit:       onCallPageSize,
		IncidentKey: key,
		Statuses:    []string{"triggered", "acknowledged"},
		DateRange:   "all",
	}

	var resp *pd.ListIncidentsResponse
	err := c.call(ctx, "incidents.list", fmt.Sprintf("incidents of %q", key),
		func(ctx context.Context) error {
			var err error
			resp, err = c.api.ListIncidentsWithContext(ctx, opts)
			return err
		})
	if err != nil {
		return nil, err
	}

	var ids []string
	for _, inc := range resp.Incidents {
		// A fake or a future API that ignores the filter must not make
		// the bot escalate someone else's incident.
		if inc.ID != "" && (inc.IncidentKey == "" || inc.IncidentKey == key) {
			ids = append(ids, inc.ID)
		}
	}
	return ids, nil
}

// needToken refuses a REST call when no token was configured.
func (c *Client) needToken(what string) error {
	if c.hasToken {
		return nil
	}
	return bot.Permanent(fmt.Errorf("pagerduty %s: no REST API token: set %s", what, envToken))
}

// call makes one request to PagerDuty through fn, measures and logs it,
// and returns its error classified and wrapped with what was being done.
func (c *Client) call(
	ctx context.Context, method, what string, fn func(context.Context) error,
) error {
	info := &callInfo{}
	start := time.Now()
	err := fn(context.WithValue(ctx, callKey{}, info))
	took := time.Since(start)

	outcome := outcomeOf(err)
	c.metrics.observe(method, outcome, took)
	err = c.classify(ctx, what, err, info)

	log := c.log.WithFields(logrus.Fields{
		logAction:   "pagerduty." + method,
		logDuration: took.Milliseconds(),
		logOutcome:  outcome,
	})
	switch {
	case outcome == outcomeRateLimited:
		log.WithField(logRetryAfter, info.retryAfter.Seconds()).WithError(err).
			Warn("pagerduty rate limit")
	case err != nil:
		log.WithError(err).Debug("pagerduty call failed")
	default:
		log.Debug("pagerduty call")
	}
	return err
}

// outcomeOf names a call's result for the metrics.
func outcomeOf(err error) string {
	var ae pd.APIError
	switch {
	case err == nil:
		return outcomeOK
	case errors.As(err, &ae) && ae.RateLimited():
		return outcomeRateLimited
	}
	return outcomeError
}

// classify wraps err with what was being done and marks it as the bot
// needs: a wait PagerDuty asked for, a permanent failure, or else
// retryable. The Events API's own explanation of a refusal joins the
// message.
func (c *Client) classify(ctx context.Context, what string, err error, info *callInfo) error {
	if err == nil {
		return nil
	}

	var ae pd.APIError
	isAPI := errors.As(err, &ae)
	if detail := eventsDetail(info.body); isAPI && !ae.APIError.Valid && detail != "" {
		err = fmt.Errorf("%w (%s)", err, detail)
	}
	// go-pagerduty flattens transport errors into text, so a cancelled
	// context is put back in the chain for errors.Is.
	wrapped := fmt.Errorf("pagerduty %s: %w", what, err)
	if ctxErr := ctx.Err(); ctxErr != nil && !isAPI {
		wrapped = fmt.Errorf("pagerduty %s: %w: %w", what, ctxErr, err)
	}
	wrapped = c.redact(wrapped)

	switch {
	case !isAPI:
		return wrapped
	case ae.RateLimited():
		return &bot.RetryAfterError{Wait: info.retryAfter, Err: wrapped}
	case ae.Temporary(), ae.StatusCode == http.StatusRequestTimeout:
		return wrapped
	case ae.StatusCode >= 400 && ae.StatusCode < 500:
		return bot.Permanent(wrapped)
	}
	return wrapped
}

// eventsDetail reads the Events API's error answer, which go-pagerduty's
// client does not decode: {"status","message","errors"}.
func eventsDetail(body []byte) string {
	var eo pd.EventsAPIV2ErrorObject
	if len(body) == 0 || json.Unmarshal(body, &eo) != nil {
		return ""
	}
	parts := make([]string, 0, 2+len(eo.Errors))
	for _, p := range append([]string{eo.Status, eo.Message}, eo.Errors...) {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ": ")
}

// redact replaces the token and the routing key in err's text, in case
// PagerDuty or a proxy echoed one back. The replacement keeps the text
// only: the original chain could still print the secret.
func (c *Client) redact(err error) error {
	msg := err.Error()
	clean := msg
	for _, s := range c.secrets {
		clean = strings.ReplaceAll(clean, s, "[redacted]")
	}
	if clean == msg {
		return err
	}
	return errors.New(clean)
}

// callKey keys the callInfo of one call in its request's context.
type callKey struct{}

// callInfo is what the recorder learns of a call's HTTP answer that
// go-pagerduty's errors leave out. Only the goroutine making the call
// touches it.
type callInfo struct {
	retryAfter time.Duration
	body       []byte
}

// recorder is the HTTP client go-pagerduty uses. It notes the Retry-After
// header and the start of the body of an error answer in the callInfo of
// the request's context, and leaves the answer as it was.
type recorder struct {
	http *http.Client
	now  func() time.Time
}

// Do makes the request.
func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	resp, err := r.http.Do(req)
	info, _ := req.Context().Value(callKey{}).(*callInfo)
	if err != nil || info == nil || resp.StatusCode < 300 {
		return resp, err
	}

	if resp.StatusCode == http.StatusTooManyRequests {
		info.retryAfter = retryAfter(resp.Header.Get("Retry-After"), r.now())
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	info.body = head
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	return resp, nil
}

// retryAfter reads a Retry-After header, in seconds or as an HTTP date;
// zero when it is missing or unreadable.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if secs, err := strconv.Atoi(h); err == nil {
		return time.Duration(max(secs, 0)) * time.Second
	}
	if at, err := http.ParseTime(h); err == nil && at.After(now) {
		return at.Sub(now).Round(time.Second)
	}
	return 0
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
