package alertmanager

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/sirupsen/logrus"

	"warroom/bot"
)

// DefaultMaxBodyBytes is the largest body the Webhook reads when
// WebhookOptions.MaxBodyBytes is zero; a larger one is refused with 413.
// A group of a thousand alerts with a few annotations each fits in it.
const DefaultMaxBodyBytes int64 = 8 << 20

// Log field names; POLICY.md names action and requestId.
const (
	logAction      = "action"
	logRequest     = "requestId"
	logHTTPStatus  = "status"
	logGroupKey    = "groupKey"
	logReceiver    = "receiver"
	logAlertStatus = "alertStatus"
	logAlerts      = "alerts"
	logTruncated   = "truncatedAlerts"
)

// WebhookOptions configure a Webhook. Handle is required.
type WebhookOptions struct {
	// Token is the bearer token Alertmanager sends (its webhook_config's
	// http_config.authorization, type Bearer). Empty means that requests
	// are not checked: leave it empty only where nothing else can reach
	// the endpoint.
	Token string
	// Handle takes one notification. It must be quick, storing the
	// notification and scheduling what follows from it (posts, pages)
	// for the bot's jobs, because Alertmanager waits for the answer
	// before it sends that receiver anything else. Its context is the
	// request's. An error answers 500, and Alertmanager sends the
	// notification again; so do repeat_interval and Alertmanager's own
	// retries, so Handle must take the same notification twice without
	// harm.
	Handle func(ctx context.Context, n bot.Notification) error
	// Log receives one line a request; the standard logger when nil.
	Log *logrus.Entry
	// RequestID reads the request id that the server's middleware put in
	// the request's context; nil leaves log lines without one.
	RequestID func(context.Context) string
	// MaxBodyBytes is the largest body read (DefaultMaxBodyBytes when
	// zero or less).
	MaxBodyBytes int64
}

// Webhook receives Alertmanager's webhook at POST /webhooks/alertmanager.
// Other methods get 405. With a token configured, a request without
// "Authorization: Bearer <token>" gets 401 and one warn line, and its body
// is not read. A body over the limit gets 413; one that Parse refuses
// gets 400 with Parse's message and one warn line. Otherwise the
// notification goes to Handle: its error answers 500 with an error line,
// and success 200 {"status":"ok"}.
type Webhook struct {
	// tokenSum is the SHA-256 of the token, so that the comparison takes
	// the same time whatever the length of what was sent.
	tokenSum  [sha256.Size]byte
	hasToken  bool
	handle    func(context.Context, bot.Notification) error
	log       *logrus.Entry
	requestID func(context.Context) string
	maxBody   int64
}

// NewWebhook builds a Webhook. It returns an error when Handle is nil.
func NewWebhook(o WebhookOptions) (*Webhook, error) {
	if o.Handle == nil {
		return nil, errors.New("alertmanager webhook: missing Handle")
	}

	h := &Webhook{
		hasToken:  o.Token != "",
		tokenSum:  sha256.Sum256([]byte(o.Token)),
		handle:    o.Handle,
		log:       o.Log,
		requestID: o.RequestID,
		maxBody:   o.MaxBodyBytes,
	}
	if h.log == nil {
		h.log = logrus.NewEntry(logrus.StandardLogger())
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	return h, nil
}

// ServeHTTP takes one webhook call.
func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := h.log.WithField(logAction, "alertmanager.webhook")
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

	// Check the token before reading anything.
	if reason := h.authorize(r); reason != "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="warroom"`)
		refuse(w, log, http.StatusUnauthorized, "missing or wrong bearer token",
			errors.New(reason))
		return
	}

	// Read the body within bounds, and parse it.
	body, err := readBody(w, r, h.maxBody)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		refuse(w, log, http.StatusRequestEntityTooLarge, "request body too large", err)
		return
	case err != nil:
		refuse(w, log, http.StatusBadRequest, "request body could not be read", err)
		return
	}
	n, err := Parse(body)
	if err != nil {
		refuse(w, log, http.StatusBadRequest, err.Error(), err)
		return
	}

	// Hand it over.
	log = log.WithFields(logrus.Fields{
		logGroupKey:    n.GroupKey,
		logReceiver:    n.Receiver,
		logAlertStatus: n.Status,
		logAlerts:      len(n.Alerts),
		logTruncated:   n.TruncatedAlerts,
	})
	if err := h.handle(r.Context(), n); err != nil {
		log.WithField(logHTTPStatus, http.StatusInternalServerError).WithError(err).
			Error("handle Alertmanager notification")
		http.Error(w, "could not take the notification; send it again",
			http.StatusInternalServerError)
		return
	}
	log.Info("Alertmanager notification received")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

// authorize checks the bearer token, when one is configured. It returns
// why the request is refused, without the token, or "" when it may pass.
func (h *Webhook) authorize(r *http.Request) string {
	if !h.hasToken {
		return ""
	}

	header := r.Header.Get("Authorization")
	if header == "" {
		return "no Authorization header"
	}
	scheme, token, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "Authorization header is not a bearer token"
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	if subtle.ConstantTimeCompare(sum[:], h.tokenSum[:]) != 1 {
		return "wrong bearer token"
	}
	return ""
}

// readBody reads the whole body, at most limit bytes, in one allocation
// when the request says its length.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	if r.ContentLength > 0 && r.ContentLength <= limit {
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	return buf.Bytes(), err
}

// refuse answers a request that was not allowed, not read or not parsed
// with status and a short plain-text body, and logs why in one warn line.
func refuse(w http.ResponseWriter, log *logrus.Entry, status int, text string, err error) {
	log.WithField(logHTTPStatus, status).WithError(err).
		Warn("refused a request said to come from Alertmanager")
	http.Error(w, text, status)
}
