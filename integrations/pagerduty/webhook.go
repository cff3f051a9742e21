package pagerduty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/PagerDuty/go-pagerduty/webhookv3"
	"github.com/sirupsen/logrus"

	"warroom/bot"
)

// MaxWebhookBytes is the largest webhook body the Webhook reads; a larger
// one is refused with 413. PagerDuty's payloads are a few kilobytes.
const MaxWebhookBytes = 1 << 20

// DefaultHandleTimeout bounds WebhookOptions.Handle, so that PagerDuty
// has its answer within the five seconds it waits.
const DefaultHandleTimeout = 4 * time.Second

// envWebhookSecret names the webhook's secret in errors.
const envWebhookSecret = "PAGERDUTY_WEBHOOK_SECRET"

// webhookIDHeader carries the id of a delivery, the same on every retry.
const webhookIDHeader = "X-Webhook-Id"

// maxFailedIDs bounds how many failed deliveries the Webhook remembers.
const maxFailedIDs = 1000

// More log field names; POLICY.md names requestId.
const (
	logRequest   = "requestId"
	logWebhook   = "webhookId"
	logEvent     = "eventId"
	logEventType = "eventType"
	logIncident  = "pagerdutyIncident"
	logStatus    = "status"
)

// WebhookOptions configure a Webhook. Secret, Handle and Dedupe are
// required.
type WebhookOptions struct {
	// Secret is the webhook subscription's signing secret
	// (PAGERDUTY_WEBHOOK_SECRET).
	Secret string
	// Handle takes one incident event. It must be quick: PagerDuty wants
	// an answer within five seconds, so Handle stores the event (and
	// whatever jobs follow from it) and the bot's jobs do the rest. Its
	// context ends after HandleTimeout. An error answers 500, and
	// PagerDuty sends the event again later.
	Handle func(ctx context.Context, ev bot.PagerEvent) error
	// Dedupe reports whether a delivery id is seen for the first time,
	// and remembers it. PagerDuty retries a delivery for up to 48 hours,
	// so ids must be kept at least that long. When it fails, the event is
	// not handled and PagerDuty is asked to send it again (500).
	Dedupe func(ctx context.Context, webhookID string) (first bool, err error)
	Log    *logrus.Entry
	// RequestID reads the request id that the server's middleware put in
	// the request's context; nil leaves log lines without one.
	RequestID func(context.Context) string
	// HandleTimeout bounds each Handle call (DefaultHandleTimeout when
	// zero).
	HandleTimeout time.Duration
	// Now stamps an event whose occurred_at is missing or unreadable;
	// time.Now when nil.
	Now func() time.Time
}

// Webhook receives PagerDuty's webhooks v3 at POST /webhooks/pagerduty.
// It reads at most MaxWebhookBytes (else 413), verifies the
// X-PagerDuty-Signature header against the raw body before anything else
// (a missing or wrong signature gets 401 and one warn line, and nothing
// is done), decodes the event (400 when it is not the v3 envelope), and
// passes incident events to Handle once per delivery: a redelivery with
// the same X-Webhook-Id (or, without that header, the same event id) is
// answered 200 and not handled again.
//
// The events passed on are incident.* events whose data is the incident
// itself, such as incident.triggered, .acknowledged, .escalated,
// .reassigned, .resolved, .unacknowledged, .reopened and
// .priority_updated. Other events (pagey.ping, service.*, and incident
// events about notes, responders or status updates) are answered 200 and
// ignored.
//
// A delivery that Dedupe saw but Handle failed on is handled again when
// PagerDuty redelivers it, as long as this process still runs; after a
// restart that redelivery is taken for a duplicate. Handle that stores
// the event in the same transaction as Dedupe's record closes the gap.
type Webhook struct {
	secret        string
	handle        func(context.Context, bot.PagerEvent) error
	dedupe        func(context.Context, string) (bool, error)
	log           *logrus.Entry
	requestID     func(context.Context) string
	handleTimeout time.Duration
	now           func() time.Time

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
		return nil, fmt.Errorf("pagerduty webhook: missing %s", strings.Join(missing, ", "))
	}

	h := &Webhook{
		secret:        o.Secret,
		handle:        o.Handle,
		dedupe:        o.Dedupe,
		log:           o.Log,
		requestID:     o.RequestID,
		handleTimeout: o.HandleTimeout,
		now:           o.Now,
		failed:        make(map[string]bool),
	}
	if h.log == nil {
		h.log = logrus.NewEntry(logrus.StandardLogger())
	}
	if h.handleTimeout <= 0 {
		h.handleTimeout = DefaultHandleTimeout
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h, nil
}

// ServeHTTP takes one webhook delivery.
func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := h.log.WithField(logAction, "pagerduty.webhook")
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
	if err := h.verify(r, body); err != nil {
		refuse(w, log, http.StatusUnauthorized, "invalid or missing PagerDuty signature", err)
		return
	}

	// Decode it, and let go what the bot does not act on.
	ev, act, err := decodeEvent(body)
	if err != nil {
		refuse(w, log, http.StatusBadRequest, "malformed PagerDuty webhook: "+err.Error(), err)
		return
	}
	log = log.WithFields(logrus.Fields{logEvent: ev.ID, logEventType: ev.Type})
	if !act {
		log.Debug("ignored a PagerDuty event the bot does not act on")
		w.WriteHeader(http.StatusOK)
		return
	}
	if ev.At.IsZero() {
		ev.At = h.now().UTC()
	}

	// Handle it once per delivery.
	id := r.Header.Get(webhookIDHeader)
	if id == "" {
		id = ev.ID
	}
	log = log.WithFields(logrus.Fields{logWebhook: id, logIncident: ev.IncidentID})
	first, err := h.first(r.Context(), id)
	if err != nil {
		log.WithError(err).Error("check PagerDuty delivery against those handled")
		http.Error(w, "could not check the delivery; send it again",
			http.StatusInternalServerError)
		return
	}
	if !first {
		log.Debug("ignored a PagerDuty delivery handled already")
		w.WriteHeader(http.StatusOK)
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), h.handleTimeout)
	defer cancel()
	if err := h.handle(ctx, ev); err != nil {
		h.markFailed(id)
		log.WithError(err).Error("handle PagerDuty event")
		http.Error(w, "could not handle the event; send it again", http.StatusInternalServerError)
		return
	}
	log.Info("PagerDuty event received")
	w.WriteHeader(http.StatusOK)
}

// verify checks the body's signature with go-pagerduty, which reads the
// body from the request: it gets a copy.
func (h *Webhook) verify(r *http.Request, body []byte) error {
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err := webhookv3.VerifySignature(r, h.secret); err != nil {
		return fmt.Errorf("verify signature: %w", err)
	}
	return nil
}

// first reports whether the delivery id is new, or one whose handling
// failed before in this process. An empty id cannot be deduplicated.
func (h *Webhook) first(ctx context.Context, id string) (bool, error) {
	if id == "" {
		return true, nil
	}
	first, err := h.dedupe(ctx, id)
	if err != nil || first {
		return first, err
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
		Warn("refused a request said to come from PagerDuty")
	http.Error(w, text, status)
}

// envelope is a webhook v3 body. Only the fields the bot reads are
// declared; others are ignored.
type envelope struct {
	Event *struct {
		ID           string          `json:"id"`
		EventType    string          `json:"event_type"`
		ResourceType string          `json:"resource_type"`
		OccurredAt   string          `json:"occurred_at"`
		Agent        *reference      `json:"agent"`
		Data         json.RawMessage `json:"data"`
	} `json:"event"`
}

// reference is a PagerDuty object reference, such as a user_reference.
type reference struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Summary string `json:"summary"`
	Email   string `json:"email"`
}

// incidentData is the data of an event about an incident.
type incidentData struct {
	ID          string      `json:"id"`
	Type        string      `json:"type"`
	IncidentKey string      `json:"incident_key"`
	Title       string      `json:"title"`
	HTMLURL     string      `json:"html_url"`
	Urgency     string      `json:"urgency"`
	Status      string      `json:"status"`
	Assignees   []reference `json:"assignees"`
}

// decodeEvent reads a webhook v3 body. It reports act false for an event
// the bot does not act on, and an error for a body that is not a v3
// envelope or an incident event without an incident id. At is zero when
// occurred_at is missing or unreadable.
func decodeEvent(body []byte) (bot.PagerEvent, bool, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return bot.PagerEvent{}, false, fmt.Errorf("decode envelope: %w", err)
	}
	e := env.Event
	if e == nil {
		return bot.PagerEvent{}, false, errors.New("no event object")
	}
	if e.EventType == "" {
		return bot.PagerEvent{}, false, errors.New("event has no event_type")
	}

	ev := bot.PagerEvent{ID: e.ID, Type: e.EventType}
	if !strings.HasPrefix(e.EventType, "incident.") {
		return ev, false, nil
	}

	// Other incident events carry a note, a responder or a status update
	// as their data, with the incident only as a reference.
	var kind struct {
		Type string `json:"type"`
	}
	if len(e.Data) == 0 || json.Unmarshal(e.Data, &kind) != nil || kind.Type != "incident" {
		return ev, false, nil
	}
	var inc incidentData
	if err := json.Unmarshal(e.Data, &inc); err != nil {
		return ev, false, fmt.Errorf("decode incident: %w", err)
	}
	if inc.ID == "" {
		return ev, false, errors.New("incident event without an incident id")
	}

	ev.IncidentID = inc.ID
	ev.IncidentKey = inc.IncidentKey
	ev.Title = inc.Title
	ev.URL = inc.HTMLURL
	ev.Urgency = inc.Urgency
	ev.Status = inc.Status
	if e.Agent != nil {
		ev.Agent = e.Agent.Summary
		ev.AgentEmail = e.Agent.Email
		ev.AgentID = e.Agent.ID
	}
	for _, a := range inc.Assignees {
		if a.ID != "" {
			ev.AssigneeIDs = append(ev.AssigneeIDs, a.ID)
		}
		switch {
		case a.Email != "":
			ev.Assignees = append(ev.Assignees, a.Email)
		case a.Summary != "":
			ev.Assignees = append(ev.Assignees, a.Summary)
		case a.ID != "":
			ev.Assignees = append(ev.Assignees, a.ID)
		}
	}
	if at, err := time.Parse(time.RFC3339Nano, e.OccurredAt); err == nil {
		ev.At = at.UTC()
	}
	return ev, true, nil
}
