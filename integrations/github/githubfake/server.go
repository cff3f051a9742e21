// Package githubfake is a fake of the parts of GitHub's REST API that
// warroom calls, for tests, and a writer of the webhooks GitHub sends. It
// runs an httptest server on loopback that the real go-github client talks
// to: reviews of custom deployment protection rules and deployment
// statuses. It answers with GitHub's shapes and error bodies, records
// every call, and fails calls on request so tests can see how a client
// copes with rate limits and outages.
//
// Point a client at it with its URL as the base URL (go-github's
// Client.BaseURL, or the github package's Config.APIURL).
package githubfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// maxBody bounds a request body.
const maxBody = 1 << 20

// maxDescription is GitHub's limit on a deployment status's description.
const maxDescription = 140

// docsURL is the documentation_url of the fake's error answers.
const docsURL = "https://docs.github.com/rest"

// secondaryDocsURL is the documentation_url of a secondary rate limit,
// by whose ending go-github tells one from another 403.
const secondaryDocsURL = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api" +
	"#about-secondary-rate-limits"

// NoPendingMessage is the fake's answer (422) to a review of a workflow
// run that no longer waits at the environment's protection rule, because
// it was reviewed already. GitHub refuses such a review with 422 too.
const NoPendingMessage = "No pending deployment requests to approve or reject"

// Call is one request the fake received, in the order received.
type Call struct {
	// Method is the HTTP method and Path the URL path, such as "POST"
	// "/repos/acme/api/deployments/7/statuses".
	Method string
	Path   string
	// Token is the credential of the Authorization header, after its
	// "Bearer " or "token ".
	Token string
	Body  []byte
	// Status is what the fake answered.
	Status int
	At     time.Time
}

// Review is one review of a custom deployment protection rule the fake
// accepted.
type Review struct {
	// Repo is "owner/name".
	Repo        string
	RunID       int64
	Environment string
	// State is "approved" or "rejected".
	State   string
	Comment string
	At      time.Time
}

// Status is one deployment status the fake created.
type Status struct {
	// ID is the status's own id.
	ID int64
	// Repo is "owner/name".
	Repo         string
	DeploymentID int64
	State        string
	Description  string
	Environment  string
	LogURL       string
	At           time.Time
}

// fault is a failure the fake answers instead of doing a call.
type fault struct {
	status     int
	retryAfter int
	reset      time.Time
}

// rule is a fault for the paths that start with prefix.
type rule struct {
	prefix string
	f      fault
}

// Server is a fake GitHub. All its methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	token    string
	calls    []Call
	reviews  []Review
	statuses []Status
	reviewed map[string]bool
	queued   []rule
	sticky   []rule
	seq      int64
	rs       *repoState
}

// New starts a fake on loopback; it is closed when the test ends. It takes
// any non-empty token until SetToken says which.
func New(t testing.TB) *Server {
	t.Helper()

	s := &Server{reviewed: make(map[string]bool)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /repos/{owner}/{repo}/actions/runs/{run}/deployment_protection_rule",
		s.serveReview)
	mux.HandleFunc("POST /repos/{owner}/{repo}/deployments/{id}/statuses", s.serveStatus)
	s.routeRepos(mux)
	mux.HandleFunc("/", s.serveUnknown)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the base URL of the API, ending in "/": give it as the API URL.
func (s *Server) URL() string { return s.srv.URL + "/" }

// Close stops the fake before the test ends, so that calls to it fail as
// when GitHub cannot be reached.
func (s *Server) Close() { s.srv.Close() }

// SetToken makes the fake accept only this token (else 401 "Bad
// credentials"); an empty token accepts any non-empty one.
func (s *Server) SetToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

// FailNext makes the next call to a path that starts with path (such as
// "/repos/acme/api/actions/runs/" or "/repos/") answer status with
// GitHub's error body; faults queued for the same calls are used in
// order, one a call. retryAfter, when above zero, is sent as the
// Retry-After header in seconds, and a 403 or 429 with it is a secondary
// rate limit, as go-github recognises one.
func (s *Server) FailNext(path string, status int, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queued = append(s.queued,
		rule{prefix: path, f: fault{status: status, retryAfter: retryAfter}})
}

// RateLimitNext makes the next call to a path that starts with path answer
// GitHub's primary rate limit: 403 with X-RateLimit-Remaining 0 and
// X-RateLimit-Reset at reset.
func (s *Server) RateLimitNext(path string, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queued = append(s.queued,
		rule{prefix: path, f: fault{status: http.StatusForbidden, reset: reset}})
}

// Fail makes every call to a path that starts with path answer status
// until Heal. Faults queued with FailNext go first.
func (s *Server) Fail(path string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sticky = append(s.sticky, rule{prefix: path, f: fault{status: status}})
}

// Heal ends Fail for path and drops the faults still queued for it.
func (s *Server) Heal(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := func(r rule) bool { return r.prefix == path }
	s.sticky = slices.DeleteFunc(s.sticky, keep)
	s.queued = slices.DeleteFunc(s.queued, keep)
}

// Calls returns every call received so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		c.Body = slices.Clone(c.Body)
		out[i] = c
	}
	return out
}

// Reviews returns the reviews accepted so far, in order.
func (s *Server) Reviews() []Review {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reviews)
}

// Statuses returns the deployment statuses created so far, in order.
func (s *Server) Statuses() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.statuses)
}

// serveReview takes POST
// /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule.
// A run is taken to wait at every environment until it is reviewed there
// once; a second review of the same run in the same environment answers
// 422, as GitHub does when no deployment waits for one.
func (s *Server) serveReview(w http.ResponseWriter, r *http.Request) {
	body, ok := s.begin(w, r)
	if !ok {
		return
	}

	runID, err := strconv.ParseInt(r.PathValue("run"), 10, 64)
	if err != nil || runID <= 0 {
		s.finish(r, body, writeError(w, http.StatusNotFound, "Not Found", ""))
		return
	}
	var in struct {
		EnvironmentName string `json:"environment_name"`
		State           string `json:"state"`
		Comment         string `json:"comment"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		s.finish(r, body, writeError(w, http.StatusBadRequest, "Problems parsing JSON", ""))
		return
	}
	if in.EnvironmentName == "" || (in.State != "approved" && in.State != "rejected") {
		s.finish(r, body, writeError(w, http.StatusUnprocessableEntity, "Invalid request.",
			"environment_name is required and state must be approved or rejected"))
		return
	}

	repo := r.PathValue("owner") + "/" + r.PathValue("repo")
	key := fmt.Sprintf("%s#%d#%s", repo, runID, in.EnvironmentName)
	s.mu.Lock()
	if s.reviewed[key] {
		s.mu.Unlock()
		s.finish(r, body, writeError(w, http.StatusUnprocessableEntity, NoPendingMessage, ""))
		return
	}
	s.reviewed[key] = true
	s.reviews = append(s.reviews, Review{
		Repo: repo, RunID: runID, Environment: in.EnvironmentName,
		State: in.State, Comment: in.Comment, At: time.Now().UTC(),
	})
	s.mu.Unlock()

	w.WriteHeader(http.StatusNoContent)
	s.finish(r, body, http.StatusNoContent)
}

// serveStatus takes POST /repos/{owner}/{repo}/deployments/{id}/statuses
// and answers 201 with the status created.
func (s *Server) serveStatus(w http.ResponseWriter, r *http.Request) {
	body, ok := s.begin(w, r)
	if !ok {
		return
	}

	deploymentID, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || deploymentID <= 0 {
		s.finish(r, body, writeError(w, http.StatusNotFound, "Not Found", ""))
		return
	}
	var in struct {
		State       string `json:"state"`
		Description string `json:"description"`
		Environment string `json:"environment"`
		LogURL      string `json:"log_url"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		s.finish(r, body, writeError(w, http.StatusBadRequest, "Problems parsing JSON", ""))
		return
	}
	if !validState(in.State) || len([]rune(in.Description)) > maxDescription {
		s.finish(r, body, writeError(w, http.StatusUnprocessableEntity, "Validation Failed",
			"state must be a deployment state and description at most 140 characters"))
		return
	}

	repo := r.PathValue("owner") + "/" + r.PathValue("repo")
	s.mu.Lock()
	s.seq++
	st := Status{
		ID: s.seq, Repo: repo, DeploymentID: deploymentID, State: in.State,
		Description: in.Description, Environment: in.Environment, LogURL: in.LogURL,
		At: time.Now().UTC(),
	}
	s.statuses = append(s.statuses, st)
	s.mu.Unlock()

	base := fmt.Sprintf("%srepos/%s/deployments/%d", s.URL(), repo, deploymentID)
	writeJSON(w, http.StatusCreated, map[string]any{
		"id":             st.ID,
		"node_id":        fmt.Sprintf("DES_fake%d", st.ID),
		"url":            fmt.Sprintf("%s/statuses/%d", base, st.ID),
		"state":          st.State,
		"description":    st.Description,
		"environment":    st.Environment,
		"log_url":        st.LogURL,
		"target_url":     st.LogURL,
		"deployment_url": base,
		"repository_url": fmt.Sprintf("%srepos/%s", s.URL(), repo),
		"created_at":     st.At.Format(time.RFC3339),
		"updated_at":     st.At.Format(time.RFC3339),
	})
	s.finish(r, body, http.StatusCreated)
}

// serveUnknown answers what the fake does not implement with GitHub's 404.
func (s *Server) serveUnknown(w http.ResponseWriter, r *http.Request) {
	body, ok := s.begin(w, r)
	if !ok {
		return
	}
	s.finish(r, body, writeError(w, http.StatusNotFound, "Not Found", ""))
}

// begin reads a request and answers what comes before the call itself:
// a missing or refused token, and the faults asked for. It reports false
// when it has answered, after recording the call.
func (s *Server) begin(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		s.finish(r, body, writeError(w, http.StatusBadRequest, "Problems reading the body", ""))
		return nil, false
	}

	token := tokenOf(r)
	s.mu.Lock()
	want := s.token
	f, faulted := s.fault(r.URL.Path)
	s.mu.Unlock()
	switch {
	case token == "":
		s.finish(r, body, writeError(w, http.StatusUnauthorized, "Requires authentication", ""))
		return nil, false
	case want != "" && token != want:
		s.finish(r, body, writeError(w, http.StatusUnauthorized, "Bad credentials", ""))
		return nil, false
	case faulted:
		s.finish(r, body, writeFault(w, f))
		return nil, false
	}
	return body, true
}

// fault takes the fault for path: the first queued one whose prefix
// matches, else a sticky one. The caller holds s.mu.
func (s *Server) fault(path string) (fault, bool) {
	for i, q := range s.queued {
		if strings.HasPrefix(path, q.prefix) {
			s.queued = slices.Delete(s.queued, i, i+1)
			return q.f, true
		}
	}
	for _, st := range s.sticky {
		if strings.HasPrefix(path, st.prefix) {
			return st.f, true
		}
	}
	return fault{}, false
}

// finish records a call with the status it was answered.
func (s *Server) finish(r *http.Request, body []byte, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{
		Method: r.Method, Path: r.URL.Path, Token: tokenOf(r), Body: body,
		Status: status, At: time.Now().UTC(),
	})
}

// tokenOf reads the credential of a request's Authorization header, in
// either of the forms GitHub takes.
func tokenOf(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	for _, scheme := range []string{"Bearer ", "bearer ", "token ", "Token "} {
		if t, ok := strings.CutPrefix(auth, scheme); ok {
			return strings.TrimSpace(t)
		}
	}
	return ""
}

// writeFault answers a fault as GitHub would, and returns its status.
func writeFault(w http.ResponseWriter, f fault) int {
	switch {
	case !f.reset.IsZero():
		w.Header().Set("X-RateLimit-Limit", "5000")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Used", "5000")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(f.reset.Unix(), 10))
		return writeErrorDocs(w, f.status, "API rate limit exceeded.", docsURL)
	case f.retryAfter > 0:
		w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
		if f.status == http.StatusForbidden || f.status == http.StatusTooManyRequests {
			return writeErrorDocs(w, f.status,
				"You have exceeded a secondary rate limit. Please wait a few minutes "+
					"before you try again.", secondaryDocsURL)
		}
	}
	msg := http.StatusText(f.status)
	switch f.status {
	case http.StatusUnauthorized:
		msg = "Bad credentials"
	case http.StatusForbidden:
		msg = "Resource not accessible by integration"
	case http.StatusUnprocessableEntity:
		msg = "Validation Failed"
	}
	return writeError(w, f.status, msg, "")
}

// writeError answers status with GitHub's error body, and returns status.
// detail, when set, is the one entry of its errors.
func writeError(w http.ResponseWriter, status int, msg, detail string) int {
	body := map[string]any{"message": msg, "documentation_url": docsURL}
	if detail != "" {
		body["errors"] = []map[string]string{{"code": "invalid", "message": detail}}
	}
	writeJSON(w, status, body)
	return status
}

// writeErrorDocs answers status with GitHub's error body and a
// documentation_url, and returns status.
func writeErrorDocs(w http.ResponseWriter, status int, msg, docs string) int {
	writeJSON(w, status, map[string]any{"message": msg, "documentation_url": docs})
	return status
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// validState reports whether GitHub takes state for a deployment status.
func validState(state string) bool {
	switch state {
	case "error", "failure", "inactive", "in_progress", "queued", "pending", "success":
		return true
	}
	return false
}
