// Package alertmanagerfake is a fake of Prometheus Alertmanager's API v2
// silences for tests. It runs an httptest server on loopback that creates
// and lists silences as Alertmanager does, checks each new silence as
// Alertmanager does (and is stricter about the body: an unknown field is
// refused, to catch a misspelt one), records every request, and fails
// requests on demand so that tests can see how a client copes with rate
// limits and outages. GET lists every silence, ignoring filters; a silence
// keeps the start it was sent with, where Alertmanager moves a start in the
// past to now.
//
// Point a client at URL(); the silences endpoint is URL()+SilencesPath.
package alertmanagerfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// SilencesPath is the one path the fake serves, as Alertmanager has it.
const SilencesPath = "/api/v2/silences"

// maxBody bounds a request body.
const maxBody = 1 << 20

// labelName is what Alertmanager takes as a label name.
var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// Matcher is one label matcher of a silence.
type Matcher struct {
	Name    string
	Value   string
	IsRegex bool
	// IsEqual is false for a negative matcher (!= or !~). Alertmanager
	// takes a matcher without it as equal.
	IsEqual bool
}

// Silence is a silence the fake holds.
type Silence struct {
	ID        string
	Matchers  []Matcher
	StartsAt  time.Time
	EndsAt    time.Time
	CreatedBy string
	Comment   string
	UpdatedAt time.Time
}

// State is the silence's state at now: "pending" before it starts,
// "expired" once it ended, else "active".
func (s Silence) State(now time.Time) string {
	switch {
	case now.Before(s.StartsAt):
		return "pending"
	case !now.Before(s.EndsAt):
		return "expired"
	}
	return "active"
}

// Request is one request the fake received, in the order received.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
	// Status is what the fake answered.
	Status int
}

// fault is a failure the fake answers instead of doing a request.
type fault struct {
	status     int
	retryAfter int
}

// Server is a fake Alertmanager. All its methods are safe for concurrent
// use.
type Server struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	silences []Silence
	requests []Request
	queued   []fault
	sticky   *fault
	seq      int
}

// New starts a fake on loopback; it is closed when the test ends.
func New(t testing.TB) *Server {
	t.Helper()

	s := &Server{t: t}
	mux := http.NewServeMux()
	mux.HandleFunc(SilencesPath, s.serveSilences)
	mux.HandleFunc("/", s.serveUnknown)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the fake's base URL, without a trailing slash: the URL of
// Alertmanager in a client's config.
func (s *Server) URL() string { return s.srv.URL }

// Close stops the fake before the test ends, so that requests to it fail
// as when Alertmanager cannot be reached.
func (s *Server) Close() { s.srv.Close() }

// FailNext makes the next request, whatever its path, answer status with
// Alertmanager's error body; faults queued before it go first, one a
// request. retryAfter, when above zero, is sent as the Retry-After header
// in seconds.
func (s *Server) FailNext(status int, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queued = append(s.queued, fault{status: status, retryAfter: retryAfter})
}

// Fail makes every request answer status until Heal. Faults queued with
// FailNext go first.
func (s *Server) Fail(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sticky = &fault{status: status}
}

// Heal ends Fail and drops the faults still queued.
func (s *Server) Heal() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sticky = nil
	s.queued = nil
}

// Silences returns the silences created so far, in the order created.
func (s *Server) Silences() []Silence {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Silence, len(s.silences))
	for i, sil := range s.silences {
		sil.Matchers = slices.Clone(sil.Matchers)
		out[i] = sil
	}
	return out
}

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		r.Header = r.Header.Clone()
		r.Body = slices.Clone(r.Body)
		out[i] = r
	}
	return out
}

// begin reads a request's body, records the request and takes the fault
// due, if any. The returned index lets finish set the status.
func (s *Server) begin(r *http.Request) (int, []byte, *fault, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err == nil && len(body) > maxBody {
		err = fmt.Errorf("body over %d bytes", maxBody)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Header: r.Header.Clone(),
		Body:   body,
	})
	i := len(s.requests) - 1
	if len(s.queued) > 0 {
		f := s.queued[0]
		s.queued = s.queued[1:]
		return i, body, &f, err
	}
	if s.sticky != nil {
		f := *s.sticky
		return i, body, &f, err
	}
	return i, body, nil, err
}

// finish records the status the fake answered request i with.
func (s *Server) finish(i, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[i].Status = status
}

// serveSilences lists silences (GET) or creates or updates one (POST).
func (s *Server) serveSilences(w http.ResponseWriter, r *http.Request) {
	i, body, f, err := s.begin(r)
	switch {
	case f != nil:
		if f.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
		}
		s.finish(i, writeJSON(w, f.status, http.StatusText(f.status)))
	case err != nil:
		s.finish(i, writeJSON(w, http.StatusBadRequest, "read body: "+err.Error()))
	case r.Method == http.MethodGet:
		s.finish(i, writeJSON(w, http.StatusOK, s.list(time.Now())))
	case r.Method == http.MethodPost:
		s.finish(i, s.post(w, body, time.Now()))
	default:
		w.Header().Set("Allow", "GET, POST")
		s.finish(i, writeJSON(w, http.StatusMethodNotAllowed, "method not allowed"))
	}
}

// serveUnknown answers a path the fake does not have.
func (s *Server) serveUnknown(w http.ResponseWriter, r *http.Request) {
	i, _, f, _ := s.begin(r)
	if f != nil {
		s.finish(i, writeJSON(w, f.status, http.StatusText(f.status)))
		return
	}
	s.t.Logf("alertmanagerfake: unknown path %s %s", r.Method, r.URL.Path)
	s.finish(i, writeJSON(w, http.StatusNotFound, "not found"))
}

// postable is the body of POST /api/v2/silences. Pointers tell a field
// left out from one sent empty.
type postable struct {
	ID        string        `json:"id"`
	Matchers  []wireMatcher `json:"matchers"`
	StartsAt  *string       `json:"startsAt"`
	EndsAt    *string       `json:"endsAt"`
	CreatedBy *string       `json:"createdBy"`
	Comment   *string       `json:"comment"`
}

// wireMatcher is a matcher as the API v2 has it.
type wireMatcher struct {
	Name    *string `json:"name"`
	Value   *string `json:"value"`
	IsRegex *bool   `json:"isRegex"`
	IsEqual *bool   `json:"isEqual"`
}

// gettable is a silence as GET /api/v2/silences lists it.
type gettable struct {
	ID     string `json:"id"`
	Status struct {
		State string `json:"state"`
	} `json:"status"`
	UpdatedAt string        `json:"updatedAt"`
	Matchers  []wireMatcher `json:"matchers"`
	StartsAt  string        `json:"startsAt"`
	EndsAt    string        `json:"endsAt"`
	CreatedBy string        `json:"createdBy"`
	Comment   string        `json:"comment"`
}

// post creates or updates a silence and answers; it returns the status.
func (s *Server) post(w http.ResponseWriter, body []byte, now time.Time) int {
	// Missing fields get the 422 of the API's schema, a silence that is
	// wrong the 400 of Alertmanager's own checks.
	var p postable
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return writeJSON(w, http.StatusBadRequest, "parse body: "+err.Error())
	}
	if missing := p.missing(); missing != "" {
		return writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
			"code": 602, "message": missing + " in body is required"})
	}
	sil, err := p.silence(now)
	if err != nil {
		return writeJSON(w, http.StatusBadRequest, "silence invalid: "+err.Error())
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if p.ID != "" {
		at := slices.IndexFunc(s.silences, func(x Silence) bool { return x.ID == p.ID })
		if at < 0 {
			return writeJSON(w, http.StatusNotFound, "silence not found")
		}
		sil.ID = p.ID
		s.silences[at] = sil
		return writeJSON(w, http.StatusOK, map[string]string{"silenceID": sil.ID})
	}
	s.seq++
	sil.ID = fmt.Sprintf("00000000-0000-4000-8000-%012d", s.seq)
	s.silences = append(s.silences, sil)
	return writeJSON(w, http.StatusOK, map[string]string{"silenceID": sil.ID})
}

// missing names the first required field p lacks, or "".
func (p *postable) missing() string {
	switch {
	case len(p.Matchers) == 0:
		return "matchers"
	case p.StartsAt == nil:
		return "startsAt"
	case p.EndsAt == nil:
		return "endsAt"
	case p.CreatedBy == nil:
		return "createdBy"
	case p.Comment == nil:
		return "comment"
	}
	for i, m := range p.Matchers {
		switch {
		case m.Name == nil:
			return fmt.Sprintf("matchers.%d.name", i)
		case m.Value == nil:
			return fmt.Sprintf("matchers.%d.value", i)
		case m.IsRegex == nil:
			return fmt.Sprintf("matchers.%d.isRegex", i)
		}
	}
	return ""
}

// silence checks p as Alertmanager checks a new silence.
func (p *postable) silence(now time.Time) (Silence, error) {
	sil := Silence{CreatedBy: *p.CreatedBy, Comment: *p.Comment, UpdatedAt: now}
	var err error
	if sil.StartsAt, err = time.Parse(time.RFC3339Nano, *p.StartsAt); err != nil {
		return Silence{}, fmt.Errorf("startsAt: %w", err)
	}
	if sil.EndsAt, err = time.Parse(time.RFC3339Nano, *p.EndsAt); err != nil {
		return Silence{}, fmt.Errorf("endsAt: %w", err)
	}

	matchesSome := false
	for i, w := range p.Matchers {
		m := Matcher{Name: *w.Name, Value: *w.Value, IsRegex: *w.IsRegex, IsEqual: true}
		if w.IsEqual != nil {
			m.IsEqual = *w.IsEqual
		}
		if !labelName.MatchString(m.Name) {
			return Silence{}, fmt.Errorf("invalid label matcher %d: invalid label name %q",
				i, m.Name)
		}
		empty := m.Value == ""
		if m.IsRegex {
			re, err := regexp.Compile("^(?:" + m.Value + ")$")
			if err != nil {
				return Silence{}, fmt.Errorf("invalid label matcher %d: %w", i, err)
			}
			empty = re.MatchString("")
		}
		matchesSome = matchesSome || empty != m.IsEqual
		sil.Matchers = append(sil.Matchers, m)
	}

	switch {
	case !matchesSome:
		return Silence{}, errors.New("at least one matcher must not match the empty string")
	case sil.EndsAt.Before(sil.StartsAt):
		return Silence{}, errors.New("end time must not be before start time")
	case sil.EndsAt.Before(now):
		return Silence{}, errors.New("end time can't be in the past")
	case sil.CreatedBy == "":
		return Silence{}, errors.New("creator information missing")
	case sil.Comment == "":
		return Silence{}, errors.New("comment missing")
	}
	return sil, nil
}

// list returns the silences as GET /api/v2/silences answers them.
func (s *Server) list(now time.Time) []gettable {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]gettable, len(s.silences))
	for i, sil := range s.silences {
		g := gettable{
			ID:        sil.ID,
			UpdatedAt: sil.UpdatedAt.UTC().Format(time.RFC3339Nano),
			StartsAt:  sil.StartsAt.UTC().Format(time.RFC3339Nano),
			EndsAt:    sil.EndsAt.UTC().Format(time.RFC3339Nano),
			CreatedBy: sil.CreatedBy,
			Comment:   sil.Comment,
		}
		g.Status.State = sil.State(now)
		for _, m := range sil.Matchers {
			g.Matchers = append(g.Matchers, wireMatcher{Name: &m.Name, Value: &m.Value,
				IsRegex: &m.IsRegex, IsEqual: &m.IsEqual})
		}
		out[i] = g
	}
	return out
}

// writeJSON answers v as JSON with status and returns the status.
func writeJSON(w http.ResponseWriter, status int, v any) int {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
	return status
}
