package github

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

	gh "github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"warroom/bot"
)

// MaxWebhookBytes is the largest webhook body the Webhook reads; a larger
// one is refused with 413. GitHub caps its payloads at 25 MB, but the
// deployment events the bot reads are a few tens of kilobytes.
const MaxWebhookBytes = 5 << 20

// DefaultHandleTimeout bounds WebhookOptions.Handle, so that GitHub has
// its answer within the ten seconds it waits.
const DefaultHandleTimeout = 8 * time.Second

// envWebhookSecret names the webhook's secret in errors.
const envWebhookSecret = "GITHUB_WEBHOOK_SECRET"

// The webhook events the Webhook reads, as X-GitHub-Event names them.
const (
	eventPing             = "ping"
	eventProtectionRule   = "deployment_protection_rule"
	eventDeployment       = "deployment"
	eventDeploymentStatus = "deployment_status"
)

// maxFailedIDs bounds how many failed deliveries the Webhook remembers.
const maxFailedIDs = 1000

// maxRiskChars bounds the risk read from a deployment's payload.
const maxRiskChars = 32

// More log field names; POLICY.md names requestId.
const (
	logRequest    = "requestId"
	logDelivery   = "deliveryId"
	logEventType  = "eventType"
	logRepo       = "repo"
	logEnv        = "environment"
	logDeployment = "deploymentId"
	logRun        = "runId"
	logStatus     = "status"
)

// WebhookOptions configure a Webhook. Secret, Handle and Dedupe are
// required.
type WebhookOptions struct {
	// Secret is the GitHub App's (or repository webhook's) secret
	// (GITHUB_WEBHOOK_SECRET). It is required: go-github's ValidatePayload
	// checks nothing when both the secret and the signature are empty.
	Secret string
	// Handle takes one deployment event. It must be quick: GitHub waits
	// ten seconds for an answer, so Handle stores the event and the bot's
	// jobs do the rest. Its context ends after DefaultHandleTimeout. An
	// error answers 500; GitHub does not send a delivery again by itself,
	// but a redelivery (from the App's settings or its API) is handled.
	Handle func(ctx context.Context, ev bot.DeployEvent) error
	// Dedupe reports whether a delivery id (X-GitHub-Delivery, the same
	// on a redelivery) is seen for the first time, and remembers it. When
	// it fails, the event is not handled and the answer is 500.
	Dedupe func(ctx context.Context, deliveryID string) (first bool, err error)
	Log    *logrus.Entry
	// RequestID reads the request id that the server's middleware put in
	// the request's context; nil leaves log lines without one.
	RequestID func(context.Context) string
	// Now stamps each event with the time it was received; time.Now when
	// nil.
	Now func() time.Time
}

// Webhook receives GitHub's webhooks at POST /webhooks/github. It reads
// at most MaxWebhookBytes (else 413), verifies the X-Hub-Signature-256
// header against the raw body before anything else (a missing or wrong
// signature gets 401 and one warn line, and nothing is done), and passes
// three events to Handle, once per delivery:
//
//   - deployment_protection_rule (action requested), a custom protection
//     rule asking whether a workflow run may deploy: a bot.DeployReview
//     whose RunID comes from the deployment_callback_url;
//
//   - deployment (action created), a plain deployment: a
//     bot.DeployCreated.
//
//   - deployment_status, how a deployment went: a bot.DeployStatus.
//
// ping and every other event are answered 200 and ignored. A body those
// three events cannot be read from answers 400. A redelivery with the
// same X-GitHub-Delivery is answered 200 and not handled again.
//
// A delivery that Dedupe saw but Handle failed on is handled again when it
// is redelivered, as long as this process still runs; after a restart that
// redelivery is taken for a duplicate. Handle that stores the event in the
// same transaction as Dedupe's record closes the gap.
type Webhook struct {
	secret    []byte
	handle    func(context.Context, bot.DeployEvent) error
	dedupe    func(context.Context, string) (bool, error)
	log       *logrus.Entry
	requestID func(context.Context) string
	now       func() time.Time

	mu          sync.Mutex
	failed      map[string]bool
	failedOrder []string
}

// NewWebhook builds a Webhook. It returns an error when a required option
// is missing: an empty secret would let anyone post events.
func NewWebhook(o WebhookOptions) (*Webhook, error) {
	var missing []string
	if o.Secret == "" {
		missing = append(missing, "Secret ("+envWebhookSecret+")")
	}
	if o.Handle == nil {
		missing = append(missing, "Handle")
	}
	if o.Dedupe == nil {
		missing = append(missing, "Dedupe")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("github webhook: missing %s", strings.Join(missing, ", "))
	}

	h := &Webhook{
		secret:    []byte(o.Secret),
		handle:    o.Handle,
		dedupe:    o.Dedupe,
		log:       o.Log,
		requestID: o.RequestID,
		now:       o.Now,
		failed:    make(map[string]bool),
	}
	if h.log == nil {
		h.log = logrus.NewEntry(logrus.StandardLogger())
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h, nil
}

// ServeHTTP takes one webhook delivery.
func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := h.log.WithField(logAction, "github.webhook")
	if h.requestID != nil {
		if id := h.requestID(r.Context()); id != "" {
			log = log.WithField(logRequest, id)
		}
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "only POST is allowed", http.StatusMethodNotAllowed)
		return
	}

	// Read the body whole, within bounds, and check its signature first.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		refuse(w, log, http.StatusRequestEntityTooLarge, "request body too large", err)
		return
	case err != nil:
		refuse(w, log, http.StatusBadRequest, "request body could not be read", err)
		return
	}
	payload, err := h.verify(r, body)
	if err != nil {
		refuse(w, log, http.StatusUnauthorized, "invalid or missing GitHub signature", err)
		return
	}

	// Decode it, and let go what the bot does not act on.
	kind, delivery := gh.WebHookType(r), gh.DeliveryID(r)
	log = log.WithFields(logrus.Fields{logEventType: kind, logDelivery: delivery})
	ev, act, err := h.decode(kind, payload)
	if err != nil {
		refuse(w, log, http.StatusBadRequest, "malformed GitHub webhook: "+err.Error(), err)
		return
	}
	if !act {
		log.Debug("ignored a GitHub event the bot does not act on")
		w.WriteHeader(http.StatusOK)
		return
	}
	ev.DeliveryID = delivery
	log = log.WithFields(logrus.Fields{
		logRepo: ev.Repo, logEnv: ev.Environment, logDeployment: ev.DeploymentID,
		logRun: ev.RunID,
	})

	// Handle it once per delivery.
	first, err := h.first(r.Context(), delivery)
	if err != nil {
		log.WithError(err).Error("check GitHub delivery against those handled")
		http.Error(w, "could not check the delivery; send it again",
			http.StatusInternalServerError)
		return
	}
	if !first {
		log.Debug("ignored a GitHub delivery handled already")
		w.WriteHeader(http.StatusOK)
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), DefaultHandleTimeout)
	defer cancel()
	if err := h.handle(ctx, ev); err != nil {
		h.markFailed(delivery)
		log.WithError(err).Error("handle GitHub deployment event")
		http.Error(w, "could not handle the event; send it again", http.StatusInternalServerError)
		return
	}
	log.Info("GitHub deployment event received")
	w.WriteHeader(http.StatusOK)
}

// verify checks the body's signature with go-github, which reads the body
// from the request: it gets a copy. It returns the JSON payload, which a
// form-encoded delivery carries in its payload field.
func (h *Webhook) verify(r *http.Request, body []byte) ([]byte, error) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	payload, err := gh.ValidatePayload(r, h.secret)
	if err != nil {
		return nil, fmt.Errorf("verify signature: %w", err)
	}
	return payload, nil
}

// decode reads the payload of an event of type kind. It reports act false
// for an event the bot does not act on, and an error for a payload that
// the events it acts on cannot be read from.
func (h *Webhook) decode(kind string, payload []byte) (bot.DeployEvent, bool, error) {
	switch kind {
	case eventProtectionRule:
		return h.decodeReview(payload)
	case eventDeployment:
		return h.decodeDeployment(payload)
	case eventDeploymentStatus:
		return h.decodeStatus(payload)
	}
	return bot.DeployEvent{}, false, nil
}

// decodeStatus reads a deployment_status event: how a deployment went.
func (h *Webhook) decodeStatus(payload []byte) (bot.DeployEvent, bool, error) {
	var e gh.DeploymentStatusEvent
	if err := json.Unmarshal(payload, &e); err != nil {
		return bot.DeployEvent{}, false, fmt.Errorf("decode %s: %w", eventDeploymentStatus, err)
	}
	repo := e.GetRepo().GetFullName()
	if repo == "" || e.GetDeployment().GetID() == 0 {
		return bot.DeployEvent{}, false, errors.New("no repository or deployment")
	}

	ev := fromDeployment(e.Deployment, e.GetSender())
	ev.Kind = bot.DeployStatus
	ev.Repo = repo
	ev.State = e.GetDeploymentStatus().GetState()
	ev.Description = e.GetDeploymentStatus().GetDescription()
	ev.At = h.now().UTC()
	return ev, true, nil
}

// decodeReview reads a deployment_protection_rule event.
func (h *Webhook) decodeReview(payload []byte) (bot.DeployEvent, bool, error) {
	var e gh.DeploymentProtectionRuleEvent
	if err := json.Unmarshal(payload, &e); err != nil {
		return bot.DeployEvent{}, false, fmt.Errorf("decode %s: %w", eventProtectionRule, err)
	}
	if e.GetAction() != "requested" {
		return bot.DeployEvent{}, false, nil
	}

	repo := e.GetRepo().GetFullName()
	if repo == "" {
		return bot.DeployEvent{}, false, errors.New("no repository full_name")
	}
	env := e.GetEnvironment()
	if env == "" {
		env = e.GetDeployment().GetEnvironment()
	}
	if env == "" {
		return bot.DeployEvent{}, false, errors.New("no environment")
	}
	runID, err := runIDOf(e.GetDeploymentCallbackURL())
	if err != nil {
		return bot.DeployEvent{}, false, err
	}

	ev := fromDeployment(e.Deployment, e.GetSender())
	ev.Kind = bot.DeployReview
	ev.Repo = repo
	ev.Environment = env
	ev.RunID = runID
	ev.URL = runURL(e.GetRepo().GetHTMLURL(), runID)
	ev.At = h.now().UTC()
	return ev, true, nil
}

// decodeDeployment reads a deployment event. go-github v60's
// DeploymentEvent has no action, so it is read on its own.
func (h *Webhook) decodeDeployment(payload []byte) (bot.DeployEvent, bool, error) {
	var e struct {
		gh.DeploymentEvent
		Action string `json:"action"`
	}
	if err := json.Unmarshal(payload, &e); err != nil {
		return bot.DeployEvent{}, false, fmt.Errorf("decode %s: %w", eventDeployment, err)
	}
	if e.Action != "" && e.Action != "created" {
		return bot.DeployEvent{}, false, nil
	}

	repo := e.GetRepo().GetFullName()
	if repo == "" {
		return bot.DeployEvent{}, false, errors.New("no repository full_name")
	}
	if e.GetDeployment().GetID() == 0 {
		return bot.DeployEvent{}, false, errors.New("no deployment id")
	}

	ev := fromDeployment(e.Deployment, e.GetSender())
	ev.Kind = bot.DeployCreated
	ev.Repo = repo
	ev.URL = e.GetWorkflowRun().GetHTMLURL()
	if ev.URL == "" {
		ev.URL = deploymentsURL(e.GetRepo().GetHTMLURL(), ev.Environment)
	}
	ev.At = h.now().UTC()
	return ev, true, nil
}

// fromDeployment fills an event with what a deployment says of itself;
// the sender stands in for a deployment without a creator.
func fromDeployment(d *gh.Deployment, sender *gh.User) bot.DeployEvent {
	ev := bot.DeployEvent{
		Environment:  d.GetEnvironment(),
		Ref:          d.GetRef(),
		SHA:          d.GetSHA(),
		Creator:      d.GetCreator().GetLogin(),
		Description:  d.GetDescription(),
		DeploymentID: d.GetID(),
	}
	if ev.Creator == "" {
		ev.Creator = sender.GetLogin()
	}
	if d != nil {
		ev.Risk = riskOf(d.Payload)
	}
	return ev
}

// runIDOf reads the workflow run's id from a protection rule's callback
// URL, .../repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule,
// on github.com or under a GitHub Enterprise Server's /api/v3.
func runIDOf(callback string) (int64, error) {
	if callback == "" {
		return 0, errors.New("no deployment_callback_url")
	}
	u, err := url.Parse(callback)
	if err != nil {
		return 0, fmt.Errorf("deployment_callback_url: %w", err)
	}

	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	n := len(parts)
	if n < 4 || parts[n-1] != "deployment_protection_rule" || parts[n-3] != "runs" ||
		parts[n-4] != "actions" {
		return 0, fmt.Errorf("deployment_callback_url %q is not "+
			".../actions/runs/{run_id}/deployment_protection_rule", callback)
	}
	id, err := strconv.ParseInt(parts[n-2], 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("deployment_callback_url %q: run id %q is not a positive number",
			callback, parts[n-2])
	}
	return id, nil
}

// riskOf reads the risk a deployment declares in its payload:
// {"risk":"high"}, or the same object written as a JSON string, which is
// what GitHub gives back when a workflow passed the payload as text.
// Anything else declares none.
func riskOf(payload json.RawMessage) string {
	var text string
	if json.Unmarshal(payload, &text) == nil {
		payload = json.RawMessage(text)
	}
	var p struct {
		Risk any `json:"risk"`
	}
	if json.Unmarshal(payload, &p) != nil {
		return ""
	}
	risk, _ := p.Risk.(string)
	risk = strings.ToLower(strings.TrimSpace(risk))
	if len(risk) > maxRiskChars {
		return ""
	}
	return risk
}

// runURL links a workflow run in the browser; empty when the repository's
// page is not known.
func runURL(repoURL string, runID int64) string {
	if repoURL == "" {
		return ""
	}
	return strings.TrimRight(repoURL, "/") + "/actions/runs/" + strconv.FormatInt(runID, 10)
}

// deploymentsURL links the deployments to an environment in the browser;
// empty when the repository's page is not known.
func deploymentsURL(repoURL, env string) string {
	if repoURL == "" {
		return ""
	}
	u := strings.TrimRight(repoURL, "/") + "/deployments"
	if env != "" {
		u += "/" + url.PathEscape(env)
	}
	return u
}

// first reports whether the delivery id is new, or one whose handling
// failed before in this process. An empty id cannot be deduplicated.
func (h *Webhook) first(ctx context.Context, id string) (bool, error) {
	if id == "" {
		return true, nil
	}
	first, err := h.dedupe(ctx, id)
	if err != nil {
		return false, fmt.Errorf("dedupe delivery %q: %w", id, err)
	}
	if first {
		return true, nil
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	retry := h.failed[id]
	delete(h.failed, id)
	return retry, nil
}

// markFailed remembers that handling the delivery id failed, forgetting
// the oldest such id when there are too many.
func (h *Webhook) markFailed(id string) {
	if id == "" {
		return
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failed[id] {
		return
	}
	if len(h.failedOrder) >= maxFailedIDs {
		delete(h.failed, h.failedOrder[0])
		h.failedOrder = h.failedOrder[1:]
	}
	h.failed[id] = true
	h.failedOrder = append(h.failedOrder, id)
}

// refuse answers a request that could not be read, verified or decoded
// with status and a short plain-text body, and logs why in one warn line.
func refuse(w http.ResponseWriter, log *logrus.Entry, status int, text string, err error) {
	log.WithField(logStatus, status).WithError(err).
		Warn("refused a request said to come from GitHub")
	http.Error(w, text, status)
}
