package alertmanager

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"warroom/bot"
)

// Version is the webhook version Parse takes, the one Alertmanager's
// current releases send.
const Version = "4"

// Limits of one webhook body. Parse holds the whole body in memory, so
// the caller bounds its size (the Webhook reads at most MaxBodyBytes);
// these bound what one body may ask of the store.
const (
	// MaxAlerts is the most alerts Parse takes in one body. Alertmanager
	// sends every alert of a group in one call unless its max_alerts
	// says otherwise.
	MaxAlerts = 10000
	// MaxPairs is the most labels, or annotations, one alert or the
	// group's common sets may have.
	MaxPairs = 1000
)

// zeroTime is how Go, and so Alertmanager, writes a time that is not set.
const zeroTime = "0001-01-01T00:00:00Z"

// maxQuoted bounds how much of a value from the body an error repeats.
const maxQuoted = 40

// ErrInvalid is matched, through errors.Is, by every error of Parse.
var ErrInvalid = errors.New("invalid Alertmanager webhook")

// ParseError says why Parse refused a body. Its message is fit to send
// back to the sender: it names the field at fault and repeats no more than
// a short prefix of what the body held.
type ParseError struct {
	// Field is where the fault is, such as "alerts[3].labels"; empty when
	// it is the body as a whole.
	Field string
	// Reason says what is wrong with it.
	Reason string
	// Err is the decoder's error behind Reason, if any.
	Err error
}

// Error returns "alertmanager webhook: " followed by the field and reason.
func (e *ParseError) Error() string {
	if e.Field == "" {
		return "alertmanager webhook: " + e.Reason
	}
	return "alertmanager webhook: " + e.Field + ": " + e.Reason
}

// Unwrap returns the decoder's error, if any.
func (e *ParseError) Unwrap() error { return e.Err }

// Is reports true for ErrInvalid, so that errors.Is(err, ErrInvalid)
// holds for every ParseError.
func (e *ParseError) Is(target error) bool { return target == ErrInvalid }

// message is a webhook body as Parse decodes it. Fields Alertmanager adds
// later are ignored; fields older senders leave out stay empty.
type message struct {
	// Version is raw so that a number 4 is taken too, and a wrong one
	// can be quoted back.
	Version           json.RawMessage   `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []alert           `json:"alerts"`
}

// alert is one alert of a webhook body, in both formats. Times stay
// strings until Parse reads them, so that an error can name the field.
type alert struct {
	Status       string            `json:"status,omitempty"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint,omitempty"`
}

// Parse decodes one Alertmanager webhook body (version 4).
//
// It takes older senders too: an alert without a status is firing while
// its endsAt is unset ("0001-01-01T00:00:00Z" or missing) or still in the
// future, and resolved once it has passed; an alert without a fingerprint
// gets the one Alertmanager would give it (see Fingerprint). A body
// without a group status is firing when any of its alerts is.
//
// What Parse returns is normalised: statuses are "firing" or "resolved",
// times are in UTC, an unset time is the zero time, a firing alert's
// EndsAt is zero (Alertmanager's planned end of a firing alert is no
// news), every fingerprint is set and no label or annotation map is nil.
//
// It returns a *ParseError (errors.Is(err, ErrInvalid)) for a body that
// is not a JSON object, names a version other than "4", lacks a groupKey,
// has no alerts or more than MaxAlerts, has an alert without labels, or
// holds a time that is not RFC 3339 or a status other than firing or
// resolved. Unknown fields are ignored.
func Parse(body []byte) (bot.Notification, error) {
	return parseAt(body, time.Now())
}

// parseAt is Parse with the time against which an older sender's endsAt
// is compared.
func parseAt(body []byte, now time.Time) (bot.Notification, error) {
	// Decode, then check what every notification needs, in the order a
	// sender would want to hear about it.
	var m message
	if err := json.Unmarshal(body, &m); err != nil {
		return bot.Notification{}, decodeError(err)
	}
	if err := checkVersion(m.Version); err != nil {
		return bot.Notification{}, err
	}
	if m.GroupKey == "" {
		return bot.Notification{}, &ParseError{Field: "groupKey", Reason: "missing"}
	}
	switch {
	case m.Alerts == nil:
		return bot.Notification{}, &ParseError{Field: "alerts",
			Reason: "missing: the body has no alerts array"}
	case len(m.Alerts) == 0:
		return bot.Notification{}, &ParseError{Field: "alerts", Reason: "empty"}
	case len(m.Alerts) > MaxAlerts:
		return bot.Notification{}, &ParseError{Field: "alerts", Reason: fmt.Sprintf(
			"%d alerts, more than the %d taken in one body", len(m.Alerts), MaxAlerts)}
	}

	// The group's own fields.
	n := bot.Notification{
		GroupKey:        m.GroupKey,
		Receiver:        m.Receiver,
		ExternalURL:     m.ExternalURL,
		TruncatedAlerts: max(m.TruncatedAlerts, 0),
		Alerts:          make([]bot.Alert, len(m.Alerts)),
	}
	var pe *ParseError
	if n.GroupLabels, pe = pairs(m.GroupLabels); pe != nil {
		return bot.Notification{}, in("groupLabels", pe)
	}
	if n.CommonLabels, pe = pairs(m.CommonLabels); pe != nil {
		return bot.Notification{}, in("commonLabels", pe)
	}
	if n.CommonAnnotations, pe = pairs(m.CommonAnnotations); pe != nil {
		return bot.Notification{}, in("commonAnnotations", pe)
	}

	// Each alert, and the group's status from them when it sent none.
	firing := false
	for i := range m.Alerts {
		a, pe := m.Alerts[i].toAlert(now)
		if pe != nil {
			return bot.Notification{}, in("alerts["+strconv.Itoa(i)+"]."+pe.Field, pe)
		}
		firing = firing || a.Status == bot.AlertFiring
		n.Alerts[i] = a
	}
	if n.Status, pe = status(m.Status); pe != nil {
		return bot.Notification{}, in("status", pe)
	}
	if n.Status == "" {
		n.Status = bot.AlertResolved
		if firing {
			n.Status = bot.AlertFiring
		}
	}
	return n, nil
}

// toAlert checks and converts one alert. Its error's Field is the field
// within the alert.
func (w *alert) toAlert(now time.Time) (bot.Alert, *ParseError) {
	if len(w.Labels) == 0 {
		return bot.Alert{}, &ParseError{Field: "labels", Reason: "missing"}
	}
	a := bot.Alert{Fingerprint: w.Fingerprint, GeneratorURL: w.GeneratorURL}
	var pe *ParseError
	if a.Labels, pe = pairs(w.Labels); pe != nil {
		return bot.Alert{}, in("labels", pe)
	}
	if a.Annotations, pe = pairs(w.Annotations); pe != nil {
		return bot.Alert{}, in("annotations", pe)
	}
	if a.StartsAt, pe = parseTime(w.StartsAt); pe != nil {
		return bot.Alert{}, in("startsAt", pe)
	}
	if a.EndsAt, pe = parseTime(w.EndsAt); pe != nil {
		return bot.Alert{}, in("endsAt", pe)
	}

	// Older senders leave out the status and the fingerprint.
	if a.Status, pe = status(w.Status); pe != nil {
		return bot.Alert{}, in("status", pe)
	}
	if a.Status == "" {
		a.Status = bot.AlertResolved
		if a.EndsAt.IsZero() || a.EndsAt.After(now) {
			a.Status = bot.AlertFiring
		}
	}
	if a.Status == bot.AlertFiring {
		a.EndsAt = time.Time{}
	}
	if a.Fingerprint == "" {
		a.Fingerprint = Fingerprint(a.Labels)
	}
	return a, nil
}

// Fingerprint computes the fingerprint Alertmanager gives an alert with
// these labels, for senders that leave it out: FNV-1a (64 bits) over the
// labels sorted by name, each name and each value followed by a 0xff
// byte, written as 16 lowercase hex digits. This is Prometheus's
// model.LabelSet.Fingerprint, so an alert keeps its fingerprint when its
// sender is upgraded.
func Fingerprint(labels map[string]string) string {
	const (
		offset64  = 14695981039346656037
		prime64   = 1099511628211
		separator = 0xff
	)

	names := make([]string, 0, len(labels))
	for k := range labels {
		names = append(names, k)
	}
	sort.Strings(names)

	h := uint64(offset64)
	add := func(s string) {
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= prime64
		}
		h ^= separator
		h *= prime64
	}
	for _, k := range names {
		add(k)
		add(labels[k])
	}
	var sum [8]byte
	binary.BigEndian.PutUint64(sum[:], h)
	return hex.EncodeToString(sum[:])
}

// checkVersion accepts a missing version and "4", as a string or a number.
func checkVersion(raw json.RawMessage) error {
	v := strings.TrimSpace(string(raw))
	if v == "" || v == "null" || v == Version || v == strconv.Quote(Version) {
		return nil
	}
	return &ParseError{Field: "version", Reason: fmt.Sprintf(
		"unsupported version %s: this receiver takes version %q", clip(v), Version)}
}

// status reads a status: firing or resolved in any case, or empty when
// the sender left it out.
func status(s string) (string, *ParseError) {
	switch {
	case s == "":
		return "", nil
	case strings.EqualFold(s, bot.AlertFiring):
		return bot.AlertFiring, nil
	case strings.EqualFold(s, bot.AlertResolved):
		return bot.AlertResolved, nil
	}
	return "", &ParseError{Reason: fmt.Sprintf(
		"unknown status %s: want %q or %q", clip(strconv.Quote(s)), bot.AlertFiring,
		bot.AlertResolved)}
}

// parseTime reads an RFC 3339 time, with or without fractional seconds,
// in UTC. Empty and "0001-01-01T00:00:00Z" are the zero time.
func parseTime(s string) (time.Time, *ParseError) {
	if s == "" || s == zeroTime {
		return time.Time{}, nil
	}

	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &ParseError{
			Reason: "not an RFC 3339 time: " + clip(strconv.Quote(s)), Err: err}
	}
	t = t.UTC()
	if t.IsZero() {
		return time.Time{}, nil
	}
	// A year-0 time with a positive offset is before year 1 in UTC, which
	// no RFC 3339 text can say again.
	if t.Year() < 1 {
		return time.Time{}, &ParseError{
			Reason: "time before year 1: " + clip(strconv.Quote(s))}
	}
	return t, nil
}

// pairs checks the size of a label or annotation set, and returns an empty
// map for a missing one.
func pairs(m map[string]string) (map[string]string, *ParseError) {
	if len(m) > MaxPairs {
		return nil, &ParseError{Reason: fmt.Sprintf(
			"%d entries, more than the %d taken", len(m), MaxPairs)}
	}
	return orEmpty(m), nil
}

// in sets the field of pe, the error of a helper that does not know
// where it is.
func in(field string, pe *ParseError) *ParseError {
	pe.Field = field
	return pe
}

// decodeError turns the JSON decoder's error into a ParseError a sender
// can act on.
func decodeError(err error) *ParseError {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return &ParseError{Reason: fmt.Sprintf("not JSON: %s (at byte %d)",
			syntax.Error(), syntax.Offset), Err: err}
	case errors.As(err, &typ) && typ.Field == "":
		return &ParseError{Reason: "not a JSON object but " + article(typ.Value), Err: err}
	case errors.As(err, &typ):
		return &ParseError{Field: typ.Field, Reason: fmt.Sprintf("%s where %s belongs",
			article(typ.Value), kind(typ.Type)), Err: err}
	}
	return &ParseError{Reason: "not JSON: " + err.Error(), Err: err}
}

// article names a JSON value the decoder described, such as "number 5".
func article(v string) string {
	if v == "" {
		return "a value of the wrong type"
	}
	if strings.ContainsAny(v[:1], "aeiou") {
		return "an " + clip(v)
	}
	return "a " + clip(v)
}

// kind names what the body should have held for a Go type.
func kind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.Map:
		return "an object of strings"
	case reflect.Slice:
		return "an array"
	case reflect.Struct:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64:
		return "a whole number"
	}
	return "another type"
}

// clip shortens a value from the body for an error message.
func clip(s string) string { return cut(s, maxQuoted) }

// cut shortens s to at most n bytes and an ellipsis, on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
