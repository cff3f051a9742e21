package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/sirupsen/logrus"
	slackapi "github.com/slack-go/slack"
)

// MaxBodyBytes is the largest request body the Verifier reads. Slack's
// payloads are a few kilobytes; a larger body is refused with 413.
const MaxBodyBytes = 1 << 20

// logRequest names the request id log field, as POLICY.md names it; the
// other field names are in client.go.
const logRequest = "requestId"

// Verifier checks that requests come from Slack: it verifies the v0
// signature Slack computes over the request timestamp and the raw body
// with the app's signing secret, and refuses timestamps more than five
// minutes from the local clock. slack-go reads that clock (time.Now)
// itself, so tests cannot move it: they sign with old timestamps instead.
type Verifier struct {
	secret    string
	log       *logrus.Entry
	requestID func(context.Context) string
}

// NewVerifier returns a Verifier for the app's signing secret. log receives
// one warn line per refused request; requestID, which may be nil, reads the
// request id that the server's middleware put in the request's context.
// It returns an error when secret is empty, since nothing could be verified.
func NewVerifier(
	secret string, log *logrus.Entry, requestID func(context.Context) string,
) (*Verifier, error) {
	if secret == "" {
		return nil, errors.New("slack verifier: the signing secret is empty")
	}
	if log == nil {
		log = logrus.NewEntry(logrus.StandardLogger())
	}
	return &Verifier{secret: secret, log: log, requestID: requestID}, nil
}

// Verify checks the signature headers in h against body. It returns an
// error when a header is missing, the timestamp is outside the five-minute
// window, or the signature does not match.
func (v *Verifier) Verify(h http.Header, body []byte) error {
	sv, err := slackapi.NewSecretsVerifier(h, v.secret)
	if err != nil {
		return fmt.Errorf("read signature headers: %w", err)
	}

	// The hash's Write never fails.
	_, _ = sv.Write(body)
	if err := sv.Ensure(); err != nil {
		return fmt.Errorf("check signature: %w", err)
	}
	return nil
}

// Middleware reads the request body (at most MaxBodyBytes, else 413),
// verifies its signature (else 401 and one warn line) and hands the request
// on to next with the body readable again from its start. next is never
// called for a request that failed.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			v.refuse(w, r, http.StatusRequestEntityTooLarge, "request body too large", err)
			return
		case err != nil:
			v.refuse(w, r, http.StatusBadRequest, "request body could not be read", err)
			return
		}

		if err := v.Verify(r.Header, body); err != nil {
			v.refuse(w, r, http.StatusUnauthorized, "invalid or missing Slack signature", err)
			return
		}

		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}

// refuse answers a request that could not be read or verified with status
// and a short plain-text body, and logs why in one warn line.
func (v *Verifier) refuse(
	w http.ResponseWriter, r *http.Request, status int, text string, err error,
) {
	log := v.log.WithFields(logrus.Fields{logAction: "slack.verify", "status": status})
	if v.requestID != nil {
		if id := v.requestID(r.Context()); id != "" {
			log = log.WithField(logRequest, id)
		}
	}
	log.WithError(err).Warn("refused a request said to come from Slack")

	http.Error(w, text, status)
}
