// Package pagerdutyfake is a stateful fake of PagerDuty's REST API and
// Events API v2 for tests. It runs an httptest server on loopback that the
// real go-pagerduty client talks to: events open, acknowledge and resolve
// incidents keyed by their dedup key, GET and PUT /incidents list and
// escalate them, GET /oncalls answers the on-calls a test added. It
// answers with PagerDuty's shapes and error bodies, records every call,
// and fails calls on request so tests can see how a client copes with
// rate limits and outages.
//
// Point a client at it with pagerduty.WithAPIEndpoint(srv.URL()) and
// pagerduty.WithV2EventsAPIEndpoint(srv.URL()).
package pagerdutyfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Paths of the fake, as PagerDuty has them.
const (
	EventsPath    = "/v2/enqueue"
	IncidentsPath = "/incidents"
	OnCallsPath   = "/oncalls"
)

// Ids of the objects the fake's incidents belong to.
const (
	// ServiceID is the service every incident is opened on.
	ServiceID = "PFAKESV"
	// PolicyID is the escalation policy of every incident, and of an
	// on-call added with a schedule id only.
	PolicyID = "PFAKEEP"
)

// WebBase is where the fake says its incidents, users and schedules are
// seen in a browser (their html_url).
const WebBase = "https://fake.pagerduty.test"

// maxBody bounds a request body; the Events API takes at most 512 KB.
const maxBody = 512 << 10

// Call is one request the fake received, in the order received.
type Call struct {
	// Method is the HTTP method and Path the URL path, such as
	// "GET" "/oncalls".
	Method string
	Path   string
	Query  url.Values
	// Token is the token of the Authorization header ("Token token=..."),
	// From the From header.
	Token string
	From  string
	Body  []byte
	// Status is what the fake answered.
	Status int
	At     time.Time
}

// fault is a failure the fake answers instead of doing a call.
type fault struct {
	status     int
	retryAfter int
}

// Server is a fake PagerDuty. All its methods are safe for concurrent use.
type Server struct {
	t   testing.TB
	srv *httptest.Server

	mu         sync.Mutex
	token      string
	routingKey string
	now        func() time.Time
	calls      []Call
	events     []Event
	incidents  []*Incident
	onCalls    []onCall
	queued     map[string][]fault
	sticky     map[string]fault
	seq        int
}

// New starts a fake on loopback; it is closed when the test ends. It takes
// any non-empty token and routing key until SetCredentials says which.
func New(t testing.TB) *Server {
	t.Helper()

	s := &Server{
		t:      t,
		now:    time.Now,
		queued: make(map[string][]fault),
		sticky: make(map[string]fault),
	}
	mux := http.NewServeMux()
	mux.HandleFunc(EventsPath, s.serveEvents)
	mux.HandleFunc(IncidentsPath, s.serveIncidents)
	mux.HandleFunc(OnCallsPath, s.serveOnCalls)
	mux.HandleFunc("/", s.serveUnknown)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the base URL of both APIs, without a trailing slash: give it as
// the REST endpoint and as the Events API endpoint.
func (s *Server) URL() string { return s.srv.URL }

// Close stops the fake before the test ends, so that calls to it fail as
// when PagerDuty cannot be reached.
func (s *Server) Close() { s.srv.Close() }

// SetCredentials makes the fake accept only this REST token (else 401)
// and this routing key (else 400); an empty value accepts any non-empty
// one.
func (s *Server) SetCredentials(token, routingKey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token, s.routingKey = token, routingKey
}

// SetNow sets the fake's clock: the time of incidents, and the "now" that
// on-calls are listed for.
func (s *Server) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// FailNext makes the next call to path (such as "/oncalls" or
// "/v2/enqueue") answer status with PagerDuty's error body; faults queued
// for the same path are used in order, one a call. retryAfter, when above
// zero, is sent as the Retry-After header in seconds.
func (s *Server) FailNext(path string, status int, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queued[path] = append(s.queued[path], fault{status: status, retryAfter: retryAfter})
}

// Fail makes every call to path answer status until Heal. Faults queued
// with FailNext go first.
func (s *Server) Fail(path string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sticky[path] = fault{status: status}
}

// Heal ends Fail for path and drops the faults still queued for it.
func (s *Server) Heal(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sticky, path)
	delete(s.queued, path)
}

// Calls returns every call received so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		out[i] = c.clone()
	}
	return out
}

// CallsTo returns the calls to one path, in order.
func (s *Server) CallsTo(path string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.Path == path {
			out = append(out, c.clone())
		}
	}
	return out
}

func (c Call) clone() Call {
	c.Query = cloneValues(c.Query)
	c.Body = slices.Clone(c.Body)
	return c
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// begin reads a request's body, records the call and takes the fault due
// for its path, if any. The returned index lets finish set the status.
func (s *Server) begin(r *http.Request) (int, []byte, *fault, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err == nil && len(body) > maxBody {
		err = fmt.Errorf("body over %d bytes", maxBody)
	}

	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Token token=")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  cloneValues(r.URL.Query()),
		Token:  token,
		From:   r.Header.Get("From"),
		Body:   body,
		At:     s.now(),
	})
	i := len(s.calls) - 1

	if q := s.queued[r.URL.Path]; len(q) > 0 {
		s.queued[r.URL.Path] = q[1:]
		return i, body, &q[0], err
	}
	if f, ok := s.sticky[r.URL.Path]; ok {
		return i, body, &f, err
	}
	return i, body, nil, err
}

// finish records the status the fake answered call i with.
func (s *Server) finish(i, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[i].Status = status
}

// authorized checks the REST token; it answers 401 and reports false when
// the token is missing or not the one set.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) (int, bool) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Token token=")
	s.mu.Lock()
	want := s.token
	s.mu.Unlock()
	if ok && token != "" && (want == "" || token == want) {
		return 0, true
	}
	return writeRESTError(w, http.StatusUnauthorized, 2006, "Authentication failed"), false
}

// serveUnknown answers a path the fake does not have, as PagerDuty does.
func (s *Server) serveUnknown(w http.ResponseWriter, r *http.Request) {
	i, _, f, _ := s.begin(r)
	if f != nil {
		s.finish(i, writeFault(w, r.URL.Path, *f))
		return
	}
	s.t.Logf("pagerdutyfake: unknown path %s %s", r.Method, r.URL.Path)
	s.finish(i, writeRESTError(w, http.StatusNotFound, 2100, "Not Found"))
}

// writeFault answers f as PagerDuty answers such a failure on path.
func writeFault(w http.ResponseWriter, path string, f fault) int {
	if f.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
	}
	if path == EventsPath {
		status := "error"
		msg := http.StatusText(f.status)
		if f.status == http.StatusTooManyRequests {
			status, msg = "throttle event", "Requests for this service are arriving too quickly."
		}
		writeJSON(w, f.status, map[string]any{"status": status, "message": msg})
		return f.status
	}
	return writeRESTError(w, f.status, restCode(f.status), http.StatusText(f.status))
}

// restCode is PagerDuty's error code for an HTTP status.
func restCode(status int) int {
	switch status {
	case http.StatusBadRequest:
		return 2001
	case http.StatusUnauthorized:
		return 2006
	case http.StatusForbidden:
		return 2010
	case http.StatusNotFound:
		return 2100
	case http.StatusTooManyRequests:
		return 2020
	}
	return 0
}

// writeRESTError answers with the REST API's error body and returns the
// status.
func writeRESTError(w http.ResponseWriter, status, code int, msg string, errs ...string) int {
	obj := map[string]any{"message": msg}
	if code != 0 {
		obj["code"] = code
	}
	if len(errs) > 0 {
		obj["errors"] = errs
	}
	writeJSON(w, status, map[string]any{"error": obj})
	return status
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
