// Package github is the bot's deploy gate through GitHub, by way of
// go-github: a receiver for the deployment_protection_rule and deployment
// webhooks that turns them into bot.DeployEvents, and a Client that
// approves or rejects a workflow run waiting at a custom deployment
// protection rule and gives plain deployments a status.
package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	gh "github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"warroom/bot"
)

// Defaults of Config.
const (
	// DefaultAPIURL is GitHub's REST API.
	DefaultAPIURL = "https://api.github.com/"
	// DefaultHTTPTimeout bounds each request, its answer included.
	DefaultHTTPTimeout = 10 * time.Second
)

// envToken names the token in errors, so that an operator knows what to
// set.
const envToken = "GITHUB_TOKEN"

// Limits the Client keeps to.
const (
	// maxDescriptionChars is GitHub's limit on a deployment status's
	// description.
	maxDescriptionChars = 140
	// defaultRateWait is how long to wait on a rate limit GitHub gave no
	// time for; GitHub's documentation says to wait at least a minute.
	defaultRateWait = time.Minute
)

// Log field names, as POLICY.md names them where it does.
const (
	logAction     = "action"
	logDuration   = "duration"
	logOutcome    = "outcome"
	logRetryAfter = "retryAfter"
)

// The states of a protection rule's review.
const (
	stateApproved = "approved"
	stateRejected = "rejected"
)

// deploymentStates are the states GitHub takes for a deployment status.
var deploymentStates = []string{
	"error", "failure", "inactive", "in_progress", "queued", "pending", "success",
}

// Config configures a Client.
type Config struct {
	// Token is a token that may review deployments and write deployment
	// statuses: GITHUB_TOKEN, or a GitHub App's installation token.
	// Required.
	Token string
	// APIURL is the base URL of the REST API, DefaultAPIURL when empty;
	// for GitHub Enterprise Server it is https://HOST/api/v3/. A missing
	// trailing slash is added. Tests point it at a githubfake.
	APIURL string
	// HTTPClient makes the requests; a client with DefaultHTTPTimeout
	// when nil, and one without a timeout gets that one.
	HTTPClient *http.Client
	Log        *logrus.Entry
	// Metrics records each call; nil records nothing.
	Metrics *Metrics
}

// Client is the bot's deploy gate through GitHub's REST API. Its errors
// tell the bot what to do: a *bot.RetryAfterError when GitHub asked for a
// wait (a primary or secondary rate limit), an error for which
// bot.IsPermanent is true when no retry will mend it (401, 403, 404, 422
// and other refusals, with GitHub's message, or a bad argument), and any
// other error for a failure worth a retry (a 5xx, the network). Errors
// and log lines never carry the token.
type Client struct {
	api     *gh.Client
	token   string
	log     *logrus.Entry
	metrics *Metrics
	now     func() time.Time
}

var _ bot.DeployGate = (*Client)(nil)

// NewClient builds a Client. It makes no call to GitHub. It returns an
// error when the token is missing or the API URL is not an http or https
// URL.
func NewClient(cfg Config) (*Client, error) {
	if cfg.Token == "" {
		return nil, fmt.Errorf("github client: %s is not set", envToken)
	}
	base, err := baseURL(cfg.APIURL)
	if err != nil {
		return nil, err
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
	api := gh.NewClient(hc).WithAuthToken(cfg.Token)
	api.BaseURL = base

	c := &Client{
		api:     api,
		token:   cfg.Token,
		log:     cfg.Log,
		metrics: cfg.Metrics,
		now:     time.Now,
	}
	if c.log == nil {
		c.log = logrus.NewEntry(logrus.StandardLogger())
	}
	return c, nil
}

// baseURL parses raw, or DefaultAPIURL when raw is empty, after checking
// that it is an absolute http or https URL, and gives it the trailing
// slash go-github needs.
func baseURL(raw string) (*url.URL, error) {
	if raw == "" {
		raw = DefaultAPIURL
	}
	if !strings.HasSuffix(raw, "/") {
		raw += "/"
	}

	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("github client: github.api_url is not a URL")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("github client: github.api_url %q is not an http or https URL",
			u.Redacted())
	}
	return u, nil
}

// reviewRequest is the body of a review of a custom deployment protection
// rule (POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule).
type reviewRequest struct {
	EnvironmentName string `json:"environment_name"`
	State           string `json:"state"`
	Comment         string `json:"comment,omitempty"`
}

// Review approves or rejects the deployment that workflow run runID of
// repo ("owner/name") waits for at a custom deployment protection rule in
// environment, with comment. GitHub answers 422 when the run waits for no
// such review (already reviewed, or not at this gate): a permanent error.
// go-github v60 has no method for this call, so it is built here.
func (c *Client) Review(ctx context.Context, repo string, runID int64, environment string,
	approve bool, comment string) error {
	state := stateRejected
	if approve {
		state = stateApproved
	}
	what := fmt.Sprintf("review (%s) run %d of %s in %q", state, runID, repo, environment)
	owner, name, err := splitRepo(repo)
	if err != nil {
		return bot.Permanent(fmt.Errorf("github %s: %w", what, err))
	}
	if runID <= 0 {
		return bot.Permanent(fmt.Errorf("github %s: the run id is not positive", what))
	}
	if environment == "" {
		return bot.Permanent(fmt.Errorf("github %s: the environment is empty", what))
	}

	path := fmt.Sprintf("repos/%s/%s/actions/runs/%d/deployment_protection_rule",
		url.PathEscape(owner), url.PathEscape(name), runID)
	body := &reviewRequest{EnvironmentName: environment, State: state, Comment: comment}
	return c.call(ctx, methodReview, what, func(ctx context.Context) (*gh.Response, error) {
		req, err := c.api.NewRequest(http.MethodPost, path, body)
		if err != nil {
			return nil, fmt.Errorf("build request: %w", err)
		}
		return c.api.Do(ctx, req, nil)
	})
}

// SetStatus gives deployment deploymentID of repo ("owner/name") a status
// with state (error, failure, inactive, in_progress, queued, pending or
// success) and description, cut to GitHub's 140 characters. Another state
// is refused with a permanent error before anything is sent.
func (c *Client) SetStatus(ctx context.Context, repo string, deploymentID int64, state,
	description string) error {
	what := fmt.Sprintf("set status %q of deployment %d of %s", state, deploymentID, repo)
	owner, name, err := splitRepo(repo)
	if err != nil {
		return bot.Permanent(fmt.Errorf("github %s: %w", what, err))
	}
	if deploymentID <= 0 {
		return bot.Permanent(fmt.Errorf("github %s: the deployment id is not positive", what))
	}
	if !validState(state) {
		return bot.Permanent(fmt.Errorf("github %s: the state is not one of %s",
			what, strings.Join(deploymentStates, ", ")))
	}

	req := &gh.DeploymentStatusRequest{
		State:       gh.String(state),
		Description: gh.String(truncate(description, maxDescriptionChars)),
	}
	return c.call(ctx, methodSetStatus, what, func(ctx context.Context) (*gh.Response, error) {
		_, resp, err := c.api.Repositories.CreateDeploymentStatus(ctx,
			url.PathEscape(owner), url.PathEscape(name), deploymentID, req)
		return resp, err
	})
}

// splitRepo splits "owner/name".
func splitRepo(repo string) (owner, name string, err error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("repository %q is not owner/name", repo)
	}
	return owner, name, nil
}

// validState reports whether GitHub takes state for a deployment status.
func validState(state string) bool {
	for _, s := range deploymentStates {
		if s == state {
			return true
		}
	}
	return false
}

// call makes one request to GitHub through fn, measures and logs it, and
// returns its error classified and wrapped with what was being done.
func (c *Client) call(ctx context.Context, method, what string,
	fn func(context.Context) (*gh.Response, error)) error {
	start := time.Now()
	resp, err := fn(ctx)
	took := time.Since(start)

	// An answer of 202 is a success that go-github reports as an error.
	var accepted *gh.AcceptedError
	if errors.As(err, &accepted) {
		err = nil
	}
	err = c.classify(what, resp, err)
	outcome := outcomeOf(err)
	c.metrics.observe(method, outcome, took)

	log := c.log.WithFields(logrus.Fields{
		logAction:   "github." + method,
		logDuration: took.Milliseconds(),
		logOutcome:  outcome,
	})
	var wait *bot.RetryAfterError
	switch {
	case errors.As(err, &wait):
		log.WithField(logRetryAfter, wait.Wait.Seconds()).WithError(err).
			Warn("github rate limit")
	case err != nil:
		log.WithError(err).Debug("github call failed")
	default:
		log.Debug("github call")
	}
	return err
}

// outcomeOf names a call's classified result for the metrics.
func outcomeOf(err error) string {
	var wait *bot.RetryAfterError
	switch {
	case err == nil:
		return outcomeOK
	case errors.As(err, &wait):
		return outcomeRateLimited
	}
	return outcomeError
}

// classify wraps err with what was being done and marks it as the bot
// needs: a wait GitHub asked for, a permanent failure, or else retryable.
func (c *Client) classify(what string, resp *gh.Response, err error) error {
	if err == nil {
		return nil
	}
	wrapped := c.redact(fmt.Errorf("github %s: %w", what, err))

	// Rate limits first: GitHub answers them with 403 or 429.
	var primary *gh.RateLimitError
	var secondary *gh.AbuseRateLimitError
	switch {
	case errors.As(err, &primary):
		return &bot.RetryAfterError{Wait: c.until(primary.Rate.Reset.Time), Err: wrapped}
	case errors.As(err, &secondary):
		wait := defaultRateWait
		if secondary.RetryAfter != nil && *secondary.RetryAfter > 0 {
			wait = *secondary.RetryAfter
		}
		return &bot.RetryAfterError{Wait: wait, Err: wrapped}
	}

	status := 0
	if resp != nil && resp.Response != nil {
		status = resp.StatusCode
	}
	switch {
	case status == http.StatusTooManyRequests:
		return &bot.RetryAfterError{Wait: retryAfter(resp.Header.Get("Retry-After")), Err: wrapped}
	case status == http.StatusRequestTimeout, status >= 500, status == 0:
		return wrapped
	case status >= 400:
		return bot.Permanent(wrapped)
	}
	return wrapped
}

// until is how long until reset, rounded up to a second; defaultRateWait
// when GitHub did not say or the time has passed.
func (c *Client) until(reset time.Time) time.Duration {
	if reset.IsZero() {
		return defaultRateWait
	}
	wait := reset.Sub(c.now())
	if wait <= 0 {
		return time.Second
	}
	return (wait + time.Second - 1).Truncate(time.Second)
}

// retryAfter reads a Retry-After header in seconds; defaultRateWait when
// it is missing or unreadable.
func retryAfter(h string) time.Duration {
	secs, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || secs <= 0 {
		return defaultRateWait
	}
	return time.Duration(secs) * time.Second
}

// redact replaces the token in err's text, in case GitHub or a proxy
// echoed it back. The replacement keeps the text only: the original chain
// could still print the token.
func (c *Client) redact(err error) error {
	msg := err.Error()
	if c.token == "" || !strings.Contains(msg, c.token) {
		return err
	}
	return errors.New(strings.ReplaceAll(msg, c.token, "[redacted]"))
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
