// Package slackfake is a stateful fake of the Slack Web API for tests. It
// runs an httptest server on loopback that the real slack-go client talks
// to: it keeps users, channels, messages, threads, pins, reactions and
// views as state, answers with Slack's own shapes and error codes, records
// every call, and fails calls on request so tests can see how a client
// copes with rate limits and outages.
//
// Point a slack-go client at it with slack.OptionAPIURL(srv.APIURL()) and
// any token that starts with "xoxb-".
package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
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

// The identity the fake answers auth.test with.
const (
	// BotUserID is the bot's user id: the creator of the channels it
	// creates and the author of the messages it posts.
	BotUserID = "UBOT"
	// BotID is the bot's bot id, on the messages it posts.
	BotID = "B0FAKE"
	// TeamID is the workspace's id.
	TeamID = "T0FAKE"
	// TeamName is the workspace's name.
	TeamName = "Fake Team"
	// BotHandle is the bot user's name.
	BotHandle = "warroom"
)

// PermalinkBase is the workspace URL that permalinks start with.
const PermalinkBase = "https://fake.slack.test"

// maxBody bounds a request body, far above anything Slack accepts.
const maxBody = 8 << 20

// responseURLUses is how many posts Slack accepts on one response_url.
const responseURLUses = 5

// Call is one request the fake received, in the order received.
type Call struct {
	// Method is the Web API method, such as "chat.postMessage", or
	// "response_url" for a post to a ResponseURL.
	Method string
	// Params holds the form or query parameters without the token. For a
	// JSON body, each top-level field: strings as they are, anything else
	// as its JSON text.
	Params url.Values
	Body   []byte
	At     time.Time
}

// Fault is a failure the fake answers instead of doing the call.
type Fault struct {
	// Status is the HTTP status to answer, such as 429 or 500. Zero
	// means 200, unless the method is "response_url" and Error is set,
	// which answers 404 as Slack does for a used or expired URL.
	Status int
	// RetryAfter is the Retry-After header, in seconds, sent with a 429.
	// A 429 always carries the header; zero sends 1.
	RetryAfter int
	// Error is a Slack error code, answered as {"ok":false,"error":...}.
	Error string
	// Delay holds the answer back, to test timeouts. The fault applies
	// after the wait; a Fault with only Delay set answers normally.
	Delay time.Duration
}

// Server is a fake Slack Web API. All its methods are safe for concurrent
// use.
type Server struct {
	t   testing.TB
	srv *httptest.Server

	mu         sync.Mutex
	calls      []Call
	queued     map[string][]Fault
	sticky     map[string]Fault
	users      map[string]*user
	userOrder  []string
	channels   map[string]*channel
	chanOrder  []string
	dms        map[string]string
	triggers   map[string]bool
	views      []*View
	ephemerals []Ephemeral
	responses  []ResponseCall
	responseN  map[string]int
	groups     map[string][]string
	uploads    map[string]*File
	files      []File
	seq        int
	tick       int64
	epoch      int64
}

// New starts a fake on loopback; it is closed when the test ends. The bot
// user UBOT exists from the start.
func New(t testing.TB) *Server {
	t.Helper()

	s := &Server{
		t:         t,
		queued:    make(map[string][]Fault),
		sticky:    make(map[string]Fault),
		users:     make(map[string]*user),
		channels:  make(map[string]*channel),
		dms:       make(map[string]string),
		triggers:  make(map[string]bool),
		responseN: make(map[string]int),
	}
	s.putUser(User{
		ID: BotUserID, Handle: BotHandle, RealName: "warroom", DisplayName: BotHandle, Bot: true,
	})

	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/upload/{file}", s.serveUpload)
	mux.HandleFunc("/api/{method}", s.serveAPI)
	mux.HandleFunc("POST /response/{name}", s.serveResponseURL)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// APIURL is the URL to give slack.OptionAPIURL; it ends in "/api/".
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// ResponseURL returns a URL on the fake that takes response_url posts, as
// Slack hands out with slash commands and interactions. Posts to it are
// recorded under name and as calls of method "response_url". Like Slack's,
// it takes at most five posts; later ones get 404 "used_url".
func (s *Server) ResponseURL(name string) string {
	return s.srv.URL + "/response/" + url.PathEscape(name)
}

// FailNext queues f for the next call of method; faults queued for the same
// method are used in order, one a call.
func (s *Server) FailNext(method string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queued[method] = append(s.queued[method], f)
}

// Fail makes every call of method fail with f until Heal. Queued faults
// from FailNext go first.
func (s *Server) Fail(method string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sticky[method] = f
}

// Heal ends Fail for method and drops the faults still queued for it.
func (s *Server) Heal(method string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sticky, method)
	delete(s.queued, method)
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

// CallsTo returns the calls of one method, in order.
func (s *Server) CallsTo(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.Method == method {
			out = append(out, c.clone())
		}
	}
	return out
}

func (c Call) clone() Call {
	c.Params = cloneValues(c.Params)
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

// serveAPI records a Web API call, applies any fault, checks the token and
// runs the method.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")

	body, params, token, err := readRequest(r)
	if err != nil {
		writeJSON(w, http.StatusOK, reply{"ok": false, "error": "invalid_form_data"})
		return
	}

	fault, faulted := s.record(method, params, body)
	if faulted && applyFault(w, r, method, fault) {
		return
	}

	if token == "" {
		writeJSON(w, http.StatusOK, reply{"ok": false, "error": "not_authed"})
		return
	}
	if !strings.HasPrefix(token, "xoxb-") {
		writeJSON(w, http.StatusOK, reply{"ok": false, "error": "invalid_auth"})
		return
	}

	h, known := methods[method]
	if !known {
		s.t.Logf("slackfake: unknown method %s", method)
		writeJSON(w, http.StatusOK, reply{"ok": false, "error": "unknown_method"})
		return
	}

	s.mu.Lock()
	out := h(s, params)
	s.mu.Unlock()

	if _, failed := out["error"]; !failed {
		out["ok"] = true
	}
	writeJSON(w, http.StatusOK, out)
}

// serveUpload takes the content of a file announced with
// files.getUploadURLExternal, as Slack's upload URL does.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("file")
	f, _, err := r.FormFile("file")
	if err != nil {
		http.Error(w, "no file part", http.StatusBadRequest)
		return
	}
	defer f.Close()
	content, err := io.ReadAll(io.LimitReader(f, maxBody))
	if err != nil {
		http.Error(w, "unreadable file", http.StatusBadRequest)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	up, ok := s.uploads[id]
	if !ok {
		http.Error(w, "unknown upload", http.StatusNotFound)
		return
	}
	up.Content = string(content)
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "OK - "+strconv.Itoa(len(content)))
}

// serveResponseURL records a post to a response URL.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}

	fault, faulted := s.record("response_url", url.Values{"name": {name}}, body)
	if faulted && applyFault(w, r, "response_url", fault) {
		return
	}

	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}

	s.mu.Lock()
	s.responseN[name]++
	used := s.responseN[name] > responseURLUses
	if !used {
		s.responses = append(s.responses, newResponseCall(name, body, doc))
	}
	s.mu.Unlock()

	if used {
		http.Error(w, "used_url", http.StatusNotFound)
		return
	}
	writeJSON(w, http.StatusOK, reply{"ok": true})
}

// record appends a call and takes the fault due for it, if any.
func (s *Server) record(method string, params url.Values, body []byte) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	s.calls = append(s.calls, Call{Method: method, Params: params, Body: body, At: time.Now()})

	if q := s.queued[method]; len(q) > 0 {
		s.queued[method] = q[1:]
		return q[0], true
	}
	f, ok := s.sticky[method]
	return f, ok
}

// applyFault waits out f's delay and answers with its failure. It reports
// false when f holds nothing but a delay, so the call goes on as usual.
func applyFault(w http.ResponseWriter, r *http.Request, method string, f Fault) bool {
	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return true
		}
	}

	switch {
	case f.Status == http.StatusTooManyRequests:
		wait := f.RetryAfter
		if wait <= 0 {
			wait = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(wait))
		writeJSON(w, f.Status, reply{"ok": false, "error": "ratelimited"})
	case f.Status != 0 && f.Status != http.StatusOK && f.Error == "":
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(f.Status)
		fmt.Fprintf(w, "<html><body>%d %s</body></html>", f.Status, http.StatusText(f.Status))
	case f.Error != "" && method == "response_url":
		status := f.Status
		if status == 0 {
			status = http.StatusNotFound
		}
		http.Error(w, f.Error, status)
	case f.Error != "":
		status := f.Status
		if status == 0 {
			status = http.StatusOK
		}
		writeJSON(w, status, reply{"ok": false, "error": f.Error})
	default:
		return false
	}
	return true
}

// readRequest returns the body, the parameters without the token, and the
// token, from the Authorization header or a parameter.
func readRequest(r *http.Request) ([]byte, url.Values, string, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return nil, nil, "", fmt.Errorf("read body: %w", err)
	}

	params := cloneValues(r.URL.Query())
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case len(body) == 0:
	case ctype == "application/json":
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(body, &doc); err != nil {
			return nil, nil, "", fmt.Errorf("decode JSON body: %w", err)
		}
		for k, raw := range doc {
			var s string
			if err := json.Unmarshal(raw, &s); err == nil {
				params.Set(k, s)
				continue
			}
			params.Set(k, string(raw))
		}
	default:
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, nil, "", fmt.Errorf("decode form body: %w", err)
		}
		for k, vs := range form {
			params[k] = append(params[k], vs...)
		}
	}

	token := params.Get("token")
	params.Del("token")
	if auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		token = auth
	}
	return body, params, token, nil
}

// reply is a Web API answer; "ok" is added unless "error" is set.
type reply map[string]any

func errReply(code string, messages ...string) reply {
	out := reply{"ok": false, "error": code}
	if len(messages) > 0 {
		out["response_metadata"] = map[string]any{"messages": messages}
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
