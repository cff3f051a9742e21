package alertmanager

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"warroom/bot"
)

// DefaultTimeout bounds each request of a Silencer, its answer included,
// when the http.Client it is given has no timeout of its own.
const DefaultTimeout = 10 * time.Second

// SilencesPath is Alertmanager's API v2 endpoint for silences, below its
// base URL.
const SilencesPath = "/api/v2/silences"

// Defaults of a silence whose creator or comment is empty, both of which
// Alertmanager requires.
const (
	defaultCreatedBy = "warroom"
	defaultComment   = "Silenced through warroom."
)

// Limits on what a Silencer reads of an answer.
const (
	maxAnswerBody = 64 << 10
	maxErrorText  = 300
	// maxRetryAfter bounds a Retry-After in seconds: a day.
	maxRetryAfter = 24 * 60 * 60
)

// More log field names.
const (
	logDuration   = "duration"
	logSilence    = "silenceId"
	logUser       = "userId"
	logRetryAfter = "retryAfter"
)

// Silencer creates silences through Alertmanager's API v2. Its errors
// tell the bot what to do: a *bot.RetryAfterError when Alertmanager (or a
// proxy before it) answered 429, an error for which bot.IsPermanent is
// true when no retry will mend it (a silence Alertmanager refused with a
// 4xx, or one the Silencer refuses to send), and any other error for a
// failure worth a retry (a 5xx, the network, a timeout).
type Silencer struct {
	endpoint string
	// where names Alertmanager in errors, without a password.
	where  string
	client *http.Client
	log    *logrus.Entry
	now    func() time.Time
}

var _ bot.Silencer = (*Silencer)(nil)

// NewSilencer builds a Silencer for the Alertmanager at baseURL (the
// config's alertmanager.url, such as http://alertmanager:9093, with the
// route prefix if Alertmanager has one). When client is nil, one with a
// DefaultTimeout timeout is used; a client without a timeout is given
// that one, so that no call waits forever. Credentials in baseURL
// (user:password@) are sent as basic authentication; other schemes go in
// client's Transport. log is the standard logger when nil. It makes no
// call to Alertmanager, and returns an error when baseURL is not an
// absolute http or https URL.
func NewSilencer(baseURL string, client *http.Client, log *logrus.Entry) (*Silencer, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	var ue *url.Error
	switch {
	case baseURL == "":
		return nil, errors.New("alertmanager silencer: alertmanager.url is empty")
	case errors.As(err, &ue):
		// The url.Error would repeat the URL, password and all.
		return nil, fmt.Errorf("alertmanager silencer: alertmanager.url: %w", ue.Err)
	case err != nil:
		return nil, fmt.Errorf("alertmanager silencer: alertmanager.url: %w", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("alertmanager silencer: alertmanager.url %q: "+
			"want an http or https URL", u.Redacted())
	case u.Host == "":
		return nil, fmt.Errorf("alertmanager silencer: alertmanager.url %q: no host",
			u.Redacted())
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("alertmanager silencer: alertmanager.url %q: "+
			"want no query or fragment", u.Redacted())
	}

	s := &Silencer{
		endpoint: u.String() + SilencesPath,
		where:    u.Redacted(),
		client:   client,
		log:      log,
		now:      time.Now,
	}
	switch {
	case s.client == nil:
		s.client = &http.Client{Timeout: DefaultTimeout}
	case s.client.Timeout <= 0:
		bounded := *s.client
		bounded.Timeout = DefaultTimeout
		s.client = &bounded
	}
	if s.log == nil {
		s.log = logrus.NewEntry(logrus.StandardLogger())
	}
	return s, nil
}

// matcher is one label matcher of Alertmanager's API v2.
type matcher struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	IsRegex bool   `json:"isRegex"`
	IsEqual bool   `json:"isEqual"`
}

// postableSilence is the body of POST /api/v2/silences.
type postableSilence struct {
	Matchers  []matcher `json:"matchers"`
	StartsAt  string    `json:"startsAt"`
	EndsAt    string    `json:"endsAt"`
	CreatedBy string    `json:"createdBy"`
	Comment   string    `json:"comment"`
}

// Silence creates a silence of the alerts whose labels equal every one of
// sil.Matchers, sent as exact matchers (not regular expressions) sorted by
// name, and returns Alertmanager's id of it. A zero StartsAt means now;
// an empty CreatedBy or Comment gets a default. It refuses, with a
// permanent error and without calling Alertmanager, a silence without
// matchers or whose matchers would all match the empty label (either
// would silence every alert), a matcher without a name, and a silence
// whose end is unset, not after its start, or past.
func (s *Silencer) Silence(ctx context.Context, sil bot.Silence) (string, error) {
	// Check it and build the body.
	body, err := s.encode(sil)
	if err != nil {
		return "", bot.Permanent(fmt.Errorf("alertmanager create silence: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint,
		bytes.NewReader(body))
	if err != nil {
		return "", bot.Permanent(fmt.Errorf("alertmanager create silence: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "warroom")

	// Send it; the network failing is worth a retry.
	log := s.log.WithFields(logrus.Fields{logAction: "alertmanager.silence.create",
		logUser: sil.CreatedBy})
	start := time.Now()
	resp, err := s.client.Do(req)
	took := time.Since(start)
	log = log.WithField(logDuration, took.Milliseconds())
	if err != nil {
		err = fmt.Errorf("alertmanager create silence at %s: %w", s.where, err)
		log.WithError(err).Debug("alertmanager call failed")
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	answer, readErr := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBody))

	// Read the answer.
	id, err := s.answer(resp, answer, readErr)
	if err != nil {
		var ra *bot.RetryAfterError
		if errors.As(err, &ra) {
			log.WithField(logRetryAfter, ra.Wait.Seconds()).WithError(err).
				Warn("alertmanager rate limit")
		} else {
			log.WithField(logHTTPStatus, resp.StatusCode).WithError(err).
				Debug("alertmanager call failed")
		}
		return "", err
	}
	log.WithField(logSilence, id).Info("silence created at Alertmanager")
	return id, nil
}

// encode checks sil and writes the body that creates it.
func (s *Silencer) encode(sil bot.Silence) ([]byte, error) {
	if len(sil.Matchers) == 0 {
		return nil, errors.New("no matchers: a silence without them silences every alert")
	}
	names := make([]string, 0, len(sil.Matchers))
	matchesSome := false
	for name, value := range sil.Matchers {
		if name == "" {
			return nil, errors.New("a matcher has no label name")
		}
		names = append(names, name)
		matchesSome = matchesSome || value != ""
	}
	if !matchesSome {
		return nil, errors.New("every matcher has an empty value, " +
			"which would silence every alert")
	}
	sort.Strings(names)

	now := s.now()
	starts := sil.StartsAt
	if starts.IsZero() {
		starts = now
	}
	switch {
	case sil.EndsAt.IsZero():
		return nil, errors.New("the silence has no end")
	case !sil.EndsAt.After(starts):
		return nil, fmt.Errorf("the silence ends (%s) before it starts (%s)",
			sil.EndsAt.UTC().Format(time.RFC3339), starts.UTC().Format(time.RFC3339))
	case !sil.EndsAt.After(now):
		return nil, fmt.Errorf("the silence ended already (%s)",
			sil.EndsAt.UTC().Format(time.RFC3339))
	}

	p := postableSilence{
		Matchers:  make([]matcher, len(names)),
		StartsAt:  starts.UTC().Format(time.RFC3339Nano),
		EndsAt:    sil.EndsAt.UTC().Format(time.RFC3339Nano),
		CreatedBy: sil.CreatedBy,
		Comment:   sil.Comment,
	}
	for i, name := range names {
		p.Matchers[i] = matcher{Name: name, Value: sil.Matchers[name], IsEqual: true}
	}
	if strings.TrimSpace(p.CreatedBy) == "" {
		p.CreatedBy = defaultCreatedBy
	}
	if strings.TrimSpace(p.Comment) == "" {
		p.Comment = defaultComment
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode silence: %w", err)
	}
	return b, nil
}

// answer reads Alertmanager's answer to a new silence: the silence's id,
// or an error marked as the bot needs it.
func (s *Silencer) answer(resp *http.Response, body []byte, readErr error) (string, error) {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		if readErr != nil {
			return "", fmt.Errorf("alertmanager create silence: read answer: %w", readErr)
		}
		var ok struct {
			SilenceID string `json:"silenceID"`
		}
		if err := json.Unmarshal(body, &ok); err != nil {
			return "", fmt.Errorf("alertmanager create silence: decode answer: %w", err)
		}
		if ok.SilenceID == "" {
			// The silence may exist; a retry could make a second one.
			return "", bot.Permanent(errors.New(
				"alertmanager create silence: the answer has no silenceID"))
		}
		return ok.SilenceID, nil
	}

	err := fmt.Errorf("alertmanager create silence at %s: %d %s", s.where, code,
		errorText(code, body))
	switch {
	case code == http.StatusTooManyRequests:
		return "", &bot.RetryAfterError{Wait: retryAfter(resp.Header, s.now()), Err: err}
	case code >= 500, code == http.StatusRequestTimeout:
		return "", err
	case code >= 400:
		return "", bot.Permanent(err)
	}
	return "", err
}

// errorText is Alertmanager's explanation of an error answer: API v2
// sends a JSON string, its validation a {"code","message"} object, and a
// proxy plain text. It is one line, cut short.
func errorText(code int, body []byte) string {
	var text string
	var obj struct {
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	switch {
	case json.Unmarshal(body, &text) == nil:
	case json.Unmarshal(body, &obj) == nil && obj.Message != "":
		text = obj.Message
	case json.Unmarshal(body, &obj) == nil && obj.Error != "":
		text = obj.Error
	default:
		text = string(body)
	}
	text = strings.Join(strings.Fields(text), " ")
	if text == "" {
		return http.StatusText(code)
	}
	return cut(text, maxErrorText)
}

// retryAfter reads the Retry-After header, in seconds or as an HTTP date;
// zero when there is none, which leaves the wait to the caller's backoff.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		return time.Duration(min(max(secs, 0), maxRetryAfter)) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return min(at.Sub(now), maxRetryAfter*time.Second)
	}
	return 0
}
