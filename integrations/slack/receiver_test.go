package slack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"warroom/bot"
)

// waitLimit bounds every wait in these tests; nothing should come near it.
const waitLimit = 5 * time.Second

// recordingFrontdoor is a Frontdoor that records its calls and answers
// with the replies a test sets.
type recordingFrontdoor struct {
	mu          sync.Mutex
	commands    []bot.Command
	actions     []bot.Action
	submissions []bot.Submission
	messages    []bot.ChannelMessage

	onCommand func(context.Context, bot.Command) bot.Reply
	onAction  func(context.Context, bot.Action) bot.Reply
	onSubmit  func(context.Context, bot.Submission) bot.Reply
	onMessage func(context.Context, bot.ChannelMessage)
}

func (f *recordingFrontdoor) Command(ctx context.Context, cmd bot.Command) bot.Reply {
	f.mu.Lock()
	f.commands = append(f.commands, cmd)
	on := f.onCommand
	f.mu.Unlock()
	if on == nil {
		return bot.Reply{}
	}
	return on(ctx, cmd)
}

func (f *recordingFrontdoor) Action(ctx context.Context, act bot.Action) bot.Reply {
	f.mu.Lock()
	f.actions = append(f.actions, act)
	on := f.onAction
	f.mu.Unlock()
	if on == nil {
		return bot.Reply{}
	}
	return on(ctx, act)
}

func (f *recordingFrontdoor) Submit(ctx context.Context, sub bot.Submission) bot.Reply {
	f.mu.Lock()
	f.submissions = append(f.submissions, sub)
	on := f.onSubmit
	f.mu.Unlock()
	if on == nil {
		return bot.Reply{}
	}
	return on(ctx, sub)
}

func (f *recordingFrontdoor) Message(ctx context.Context, msg bot.ChannelMessage) {
	f.mu.Lock()
	f.messages = append(f.messages, msg)
	on := f.onMessage
	f.mu.Unlock()
	if on != nil {
		on(ctx, msg)
	}
}

// calls returns how many calls of each kind the front door received.
func (f *recordingFrontdoor) calls() (commands, actions, submissions, messages int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.commands), len(f.actions), len(f.submissions), len(f.messages)
}

// openedModal is one OpenModal call.
type openedModal struct {
	triggerID string
	modal     bot.Modal
}

// recordingOpener records the modals it is asked to open and fails with
// err when set.
type recordingOpener struct {
	mu     sync.Mutex
	opened []openedModal
	err    error
}

func (o *recordingOpener) OpenModal(_ context.Context, triggerID string, m bot.Modal) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.opened = append(o.opened, openedModal{triggerID: triggerID, modal: m})
	return o.err
}

func (o *recordingOpener) calls() []openedModal {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]openedModal(nil), o.opened...)
}

// notice is one Notify call.
type notice struct {
	to  bot.Recipient
	msg bot.Message
}

// recordingNotifier passes what it is asked to notify on a channel.
type recordingNotifier struct {
	sent chan notice
}

func (n *recordingNotifier) Notify(_ context.Context, to bot.Recipient, msg bot.Message) error {
	n.sent <- notice{to: to, msg: msg}
	return nil
}

// memoryDedupe remembers event ids in memory, or fails with err.
type memoryDedupe struct {
	mu   sync.Mutex
	seen map[string]bool
	err  error
}

func (d *memoryDedupe) first(_ context.Context, id string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return false, d.err
	}
	if d.seen == nil {
		d.seen = map[string]bool{}
	}
	if d.seen[id] {
		return false, nil
	}
	d.seen[id] = true
	return true, nil
}

// responsePost is one message posted to the fake response URL.
type responsePost struct {
	ResponseType    string            `json:"response_type"`
	Text            string            `json:"text"`
	ReplaceOriginal bool              `json:"replace_original"`
	Blocks          []json.RawMessage `json:"blocks"`
}

// responseURLServer plays Slack's response URLs on loopback.
type responseURLServer struct {
	srv   *httptest.Server
	posts chan responsePost
}

func newResponseURLServer(t *testing.T) *responseURLServer {
	t.Helper()
	s := &responseURLServer{posts: make(chan responsePost, 16)}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p responsePost
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.posts <- p
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// url returns a response URL on the server.
func (s *responseURLServer) url() string { return s.srv.URL + "/commands/T0WARROOM/1/x" }

// next waits for the next post.
func (s *responseURLServer) next(t *testing.T) responsePost {
	t.Helper()
	select {
	case p := <-s.posts:
		return p
	case <-time.After(waitLimit):
		t.Fatal("nothing was posted to the response url")
		return responsePost{}
	}
}

// requestIDKey carries the request id in tests, as main's middleware does.
type requestIDKey struct{}

func requestIDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// withRequestID puts id in the request's context.
func withRequestID(req *http.Request, id string) *http.Request {
	return req.WithContext(context.WithValue(req.Context(), requestIDKey{}, id))
}

// receiverHarness is a Receiver with recording fakes around it.
type receiverHarness struct {
	fd        *recordingFrontdoor
	opener    *recordingOpener
	notifier  *recordingNotifier
	dedupe    *memoryDedupe
	responses *responseURLServer
	logs      *logtest.Hook
	recv      *Receiver
}

func newReceiverHarness(t *testing.T, options func(*ReceiverOptions)) *receiverHarness {
	t.Helper()
	logger, hook := logtest.NewNullLogger()
	logger.SetLevel(logrus.DebugLevel)
	h := &receiverHarness{
		fd:        &recordingFrontdoor{},
		opener:    &recordingOpener{},
		notifier:  &recordingNotifier{sent: make(chan notice, 16)},
		dedupe:    &memoryDedupe{},
		responses: newResponseURLServer(t),
		logs:      hook,
	}
	o := ReceiverOptions{
		Frontdoor: h.fd,
		Opener:    h.opener,
		Notifier:  h.notifier,
		Dedupe:    h.dedupe.first,
		Log:       logrus.NewEntry(logger),
		RequestID: requestIDFromContext,
		BotUserID: "U0WARROOM",
	}
	if options != nil {
		options(&o)
	}

	recv, err := NewReceiver(o)
	if err != nil {
		t.Fatalf("NewReceiver: %v", err)
	}
	h.recv = recv
	t.Cleanup(func() { h.wait(t) })
	return h
}

// ackWithin sets the receiver's acknowledgement window.
func ackWithin(d time.Duration) func(*ReceiverOptions) {
	return func(o *ReceiverOptions) { o.AckWithin = d }
}

// wait waits for the receiver's background work to finish.
func (h *receiverHarness) wait(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := h.recv.Wait(ctx); err != nil {
		t.Fatalf("background work did not finish: %v", err)
	}
}

// serve sends a POST with body to handler and returns the response.
func serve(handler http.Handler, contentType string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/slack", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", contentType)
	req = withRequestID(req, "req-1")
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	return rec
}

const formType = "application/x-www-form-urlencoded"

// readFixture returns a file of testdata.
func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

// commandForm returns the slash command fixture with its response URL
// pointing at responseURL and the changes in set applied.
func commandForm(t *testing.T, responseURL string, set map[string]string) []byte {
	t.Helper()
	form, err := url.ParseQuery(string(readFixture(t, "slash_command.form-urlencoded.txt")))
	if err != nil {
		t.Fatalf("parse fixture: %v", err)
	}
	form.Set("response_url", responseURL)
	for k, v := range set {
		if v == "" {
			form.Del(k)
			continue
		}
		form.Set(k, v)
	}
	return []byte(form.Encode())
}

// payloadForm wraps an interaction payload as Slack posts it, after
// pointing its response URL at responseURL and applying edit.
func payloadForm(t *testing.T, fixture, responseURL string, edit func(map[string]any)) []byte {
	t.Helper()
	var payload map[string]any
	if err := json.Unmarshal(readFixture(t, fixture), &payload); err != nil {
		t.Fatalf("decode fixture: %v", err)
	}
	if _, ok := payload["response_url"]; ok {
		payload["response_url"] = responseURL
	}
	if edit != nil {
		edit(payload)
	}

	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatalf("encode payload: %v", err)
	}
	return []byte(url.Values{"payload": {string(raw)}}.Encode())
}

// signSlackRequest signs req as Slack does: v0 HMAC-SHA256 of
// "v0:timestamp:body" with the signing secret.
func signSlackRequest(req *http.Request, secret string, at time.Time, body []byte) {
	stamp := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	_, _ = io.WriteString(mac, "v0:"+stamp+":")
	_, _ = mac.Write(body)
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
}

// decodeAnswer decodes a JSON answer to Slack.
func decodeAnswer(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q, want application/json; body %q", ct, rec.Body.String())
	}
	var answer map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
		t.Fatalf("decode answer %q: %v", rec.Body.String(), err)
	}
	return answer
}

// warnings returns the log entries at warn level or above.
func warnings(hook *logtest.Hook) []*logrus.Entry {
	var out []*logrus.Entry
	for _, e := range hook.AllEntries() {
		if e.Level <= logrus.WarnLevel {
			out = append(out, e)
		}
	}
	return out
}

func TestNewReceiverNeedsItsParts(t *testing.T) {
	_, err := NewReceiver(ReceiverOptions{})
	if err == nil {
		t.Fatal("NewReceiver without options: no error")
	}
	for _, name := range []string{"Frontdoor", "Opener", "Notifier", "Dedupe"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestCommands(t *testing.T) {
	modal := &bot.Modal{ID: "incident.declare", Title: "Declare an incident"}
	hint := &bot.Message{Text: "Or in one line: `/incident declare <title>`"}
	tests := []struct {
		name      string
		reply     bot.Reply
		openErr   error
		wantType  string // response_type, or "" for an empty body
		wantText  string
		wantModal bool
	}{
		{
			name:     "message is ephemeral",
			reply:    bot.Reply{Message: &bot.Message{Text: "INC-7 declared"}},
			wantType: "ephemeral",
			wantText: "INC-7 declared",
		},
		{
			name: "message in channel",
			reply: bot.Reply{Message: &bot.Message{Text: "Status: monitoring"},
				InChannel: true},
			wantType: "in_channel",
			wantText: "Status: monitoring",
		},
		{
			name:      "modal opens with the trigger id",
			reply:     bot.Reply{Modal: modal, Message: hint},
			wantModal: true,
		},
		{
			name:      "modal that fails falls back to the one-line hint",
			reply:     bot.Reply{Modal: modal, Message: hint, InChannel: true},
			openErr:   errors.New("expired_trigger_id"),
			wantType:  "ephemeral",
			wantText:  formNotOpened + " " + hint.Text,
			wantModal: true,
		},
		{
			name:  "empty reply answers an empty body",
			reply: bot.Reply{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newReceiverHarness(t, nil)
			h.opener.err = tt.openErr
			h.fd.onCommand = func(context.Context, bot.Command) bot.Reply { return tt.reply }

			rec := serve(h.recv.Commands(), formType, commandForm(t, h.responses.url(), nil))

			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %q", rec.Code, rec.Body.String())
			}
			if tt.wantType == "" {
				if rec.Body.Len() != 0 {
					t.Errorf("body = %q, want empty", rec.Body.String())
				}
			} else {
				answer := decodeAnswer(t, rec)
				if answer["response_type"] != tt.wantType || answer["text"] != tt.wantText {
					t.Errorf("answer = %v, want %s %q", answer, tt.wantType, tt.wantText)
				}
			}
			opened := h.opener.calls()
			if tt.wantModal != (len(opened) == 1) {
				t.Fatalf("modals opened = %v, want one: %v", opened, tt.wantModal)
			}
			const trigger = "111.222.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			if tt.wantModal && (opened[0].triggerID != trigger || opened[0].modal.ID != modal.ID) {
				t.Errorf("opened %+v, want modal %s with the command's trigger id",
					opened[0], modal.ID)
			}
		})
	}
}

func TestCommandFields(t *testing.T) {
	h := newReceiverHarness(t, nil)

	rec := serve(h.recv.Commands(), formType, commandForm(t, h.responses.url(), nil))

	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	want := bot.Command{
		Name:      "/incident",
		Text:      "declare API is down --sev P1",
		UserID:    "U0ALICE",
		ChannelID: "C0INC0001",
		ReplyTo: bot.Recipient{
			UserID:      "U0ALICE",
			ChannelID:   "C0INC0001",
			ResponseURL: h.responses.url(),
		},
		RequestID: "req-1",
	}
	if len(h.fd.commands) != 1 || h.fd.commands[0] != want {
		t.Errorf("commands = %+v, want [%+v]", h.fd.commands, want)
	}
}

func TestCommandsRefuseBadRequests(t *testing.T) {
	tests := []struct {
		name   string
		method string
		body   func(t *testing.T, h *receiverHarness) []byte
		want   int
	}{
		{
			name:   "no command",
			method: http.MethodPost,
			body: func(t *testing.T, h *receiverHarness) []byte {
				return commandForm(t, h.responses.url(), map[string]string{"command": ""})
			},
			want: http.StatusBadRequest,
		},
		{
			name:   "broken form encoding",
			method: http.MethodPost,
			body:   func(*testing.T, *receiverHarness) []byte { return []byte("command=%zz") },
			want:   http.StatusBadRequest,
		},
		{
			name:   "not a POST",
			method: http.MethodGet,
			body:   func(*testing.T, *receiverHarness) []byte { return nil },
			want:   http.StatusMethodNotAllowed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newReceiverHarness(t, nil)
			req := httptest.NewRequest(tt.method, "/slack/commands",
				strings.NewReader(string(tt.body(t, h))))
			req.Header.Set("Content-Type", formType)
			rec := httptest.NewRecorder()

			h.recv.Commands().ServeHTTP(rec, req)

			if rec.Code != tt.want {
				t.Errorf("status = %d, want %d", rec.Code, tt.want)
			}
			if n, _, _, _ := h.fd.calls(); n != 0 {
				t.Errorf("front door called %d times, want 0", n)
			}
			if tt.want == http.StatusBadRequest && len(warnings(h.logs)) != 1 {
				t.Errorf("warnings = %d, want 1", len(warnings(h.logs)))
			}
		})
	}
}

// TestSlowFrontdoor checks that Slack gets an answer within the window
// when the front door is slow, and that the real reply follows through
// the response URL.
func TestSlowFrontdoor(t *testing.T) {
	tests := []struct {
		name     string
		reply    bot.Reply
		openErr  error
		wantType string
		wantText string
	}{
		{
			name:     "message follows",
			reply:    bot.Reply{Message: &bot.Message{Text: "INC-7 declared"}, InChannel: true},
			wantType: "in_channel",
			wantText: "INC-7 declared",
		},
		{
			name: "modal too late falls back to a message",
			reply: bot.Reply{Modal: &bot.Modal{ID: "incident.declare"},
				Message: &bot.Message{Text: "Or type it."}},
			openErr:  errors.New("expired_trigger_id"),
			wantType: "ephemeral",
			wantText: formNotOpened + " Or type it.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newReceiverHarness(t, ackWithin(20*time.Millisecond))
			h.opener.err = tt.openErr
			release := make(chan struct{})
			ctxErr := make(chan error, 1)
			h.fd.onCommand = func(ctx context.Context, _ bot.Command) bot.Reply {
				select {
				case <-release:
				case <-time.After(waitLimit):
				}
				ctxErr <- ctx.Err()
				return tt.reply
			}

			rec := serve(h.recv.Commands(), formType, commandForm(t, h.responses.url(), nil))

			answer := decodeAnswer(t, rec)
			if answer["response_type"] != "ephemeral" || answer["text"] != stillWorking {
				t.Errorf("answer = %v, want the ephemeral still-working message", answer)
			}
			close(release)
			if err := <-ctxErr; err != nil {
				t.Errorf("front door's context ended with the request: %v", err)
			}
			post := h.responses.next(t)
			if post.ResponseType != tt.wantType || post.Text != tt.wantText ||
				post.ReplaceOriginal {
				t.Errorf("posted %+v, want %s %q without replace_original",
					post, tt.wantType, tt.wantText)
			}
		})
	}
}

func TestPanickingFrontdoor(t *testing.T) {
	h := newReceiverHarness(t, nil)
	h.fd.onCommand = func(context.Context, bot.Command) bot.Reply { panic("boom") }
	h.fd.onMessage = func(context.Context, bot.ChannelMessage) { panic("boom") }

	rec := serve(h.recv.Commands(), formType, commandForm(t, h.responses.url(), nil))
	events := serve(h.recv.Events(), "application/json", readFixture(t, "event_message.json"))
	h.wait(t)

	answer := decodeAnswer(t, rec)
	text, _ := answer["text"].(string)
	if answer["response_type"] != "ephemeral" || !strings.Contains(text, "Error id: req-1") {
		t.Errorf("answer = %v, want an ephemeral error with the request id", answer)
	}
	if events.Code != http.StatusOK {
		t.Errorf("events status = %d, want 200", events.Code)
	}
	panics := 0
	for _, e := range h.logs.AllEntries() {
		if e.Level == logrus.ErrorLevel && strings.Contains(e.Message, "panic") {
			panics++
		}
	}
	if panics != 2 {
		t.Errorf("panics logged = %d, want 2", panics)
	}
}

func TestBlockActions(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(map[string]any)
		reply     bot.Reply
		wantValue string
		wantPost  string
		wantModal bool
	}{
		{
			name:      "button press, message to the response url",
			reply:     bot.Reply{Message: &bot.Message{Text: "Acknowledged INC-7"}},
			wantValue: "7",
			wantPost:  "Acknowledged INC-7",
		},
		{
			name: "select menu, value from the selected option",
			edit: func(p map[string]any) {
				a := p["actions"].([]any)[0].(map[string]any)
				delete(a, "value")
				a["type"] = "static_select"
				a["selected_option"] = map[string]any{"value": "P0",
					"text": map[string]any{"type": "plain_text", "text": "P0"}}
			},
			wantValue: "P0",
		},
		{
			name:      "modal opens with the trigger id",
			reply:     bot.Reply{Modal: &bot.Modal{ID: "incident.status"}},
			wantValue: "7",
			wantModal: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newReceiverHarness(t, nil)
			h.fd.onAction = func(context.Context, bot.Action) bot.Reply { return tt.reply }

			body := payloadForm(t, "block_actions.json", h.responses.url(), tt.edit)
			rec := serve(h.recv.Interactions(), formType, body)

			if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
				t.Fatalf("answer = %d %q, want 200 and an empty body", rec.Code, rec.Body.String())
			}
			want := bot.Action{
				ActionID:  "incident.ack",
				Value:     tt.wantValue,
				UserID:    "U0BOB",
				UserName:  "bob",
				ChannelID: "C0INC0001",
				MessageTS: "1740823200.000300",
				ReplyTo: bot.Recipient{UserID: "U0BOB", ChannelID: "C0INC0001",
					ResponseURL: h.responses.url()},
				RequestID: "req-1",
			}
			if len(h.fd.actions) != 1 || h.fd.actions[0] != want {
				t.Errorf("actions = %+v, want [%+v]", h.fd.actions, want)
			}
			if tt.wantPost != "" {
				post := h.responses.next(t)
				if post.Text != tt.wantPost || post.ResponseType != "ephemeral" ||
					post.ReplaceOriginal {
					t.Errorf("posted %+v, want ephemeral %q without replace_original",
						post, tt.wantPost)
				}
			}
			opened := h.opener.calls()
			if tt.wantModal && (len(opened) != 1 ||
				opened[0].triggerID != "333.444.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb") {
				t.Errorf("opened = %+v, want one modal with the action's trigger id", opened)
			}
		})
	}
}

func TestViewSubmission(t *testing.T) {
	t.Run("field errors keep the modal open", func(t *testing.T) {
		h := newReceiverHarness(t, nil)
		h.fd.onSubmit = func(context.Context, bot.Submission) bot.Reply {
			return bot.Reply{FieldErrors: map[string]string{"title": "A title is required."}}
		}

		rec := serve(h.recv.Interactions(), formType,
			payloadForm(t, "view_submission.json", "", nil))

		answer := decodeAnswer(t, rec)
		errs, _ := answer["errors"].(map[string]any)
		if answer["response_action"] != "errors" || errs["title"] != "A title is required." {
			t.Errorf("answer = %v, want response_action errors on title", answer)
		}
	})

	t.Run("success closes the modal and notifies the user", func(t *testing.T) {
		h := newReceiverHarness(t, nil)
		h.fd.onSubmit = func(context.Context, bot.Submission) bot.Reply {
			return bot.Reply{Message: &bot.Message{Text: "INC-8 declared"}}
		}

		rec := serve(h.recv.Interactions(), formType,
			payloadForm(t, "view_submission.json", "", nil))

		if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Fatalf("answer = %d %q, want 200 and an empty body", rec.Code, rec.Body.String())
		}
		sub := h.fd.submissions[0]
		if sub.ModalID != "incident.declare" || sub.Metadata != "C0GENERAL" ||
			sub.UserID != "U0ALICE" || sub.RequestID != "req-1" {
			t.Errorf("submission = %+v", sub)
		}
		if sub.Value("title") != "API is down" || sub.Value("severity") != "P1" {
			t.Errorf("values = %v, want title and severity", sub.Values)
		}
		select {
		case n := <-h.notifier.sent:
			if n.to.UserID != "U0ALICE" || n.msg.Text != "INC-8 declared" {
				t.Errorf("notified %+v", n)
			}
		case <-time.After(waitLimit):
			t.Fatal("the user was not notified")
		}
	})

	t.Run("late field errors are told to the user", func(t *testing.T) {
		h := newReceiverHarness(t, ackWithin(10*time.Millisecond))
		release := make(chan struct{})
		h.fd.onSubmit = func(context.Context, bot.Submission) bot.Reply {
			<-release
			return bot.Reply{FieldErrors: map[string]string{"title": "A title is required."}}
		}

		rec := serve(h.recv.Interactions(), formType,
			payloadForm(t, "view_submission.json", "", nil))
		close(release)

		if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Fatalf("answer = %d %q, want 200 and an empty body", rec.Code, rec.Body.String())
		}
		select {
		case n := <-h.notifier.sent:
			if !strings.Contains(n.msg.Text, "A title is required.") {
				t.Errorf("notified %q, want the field error", n.msg.Text)
			}
		case <-time.After(waitLimit):
			t.Fatal("the user was not told")
		}
	})
}

func TestInteractionsIgnoreAndRefuse(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want int
	}{
		{"view closed is ignored", payloadOf(`{"type":"view_closed","user":{"id":"U1"}}`),
			http.StatusOK},
		{"shortcut is ignored", payloadOf(`{"type":"shortcut","callback_id":"x"}`),
			http.StatusOK},
		{"message action without a callback is ignored", payloadOf(`{"type":"message_action"}`),
			http.StatusOK},
		{"unknown type", payloadOf(`{"type":"made_up"}`), http.StatusBadRequest},
		{"payload not json", payloadOf(`{"type":`), http.StatusBadRequest},
		{"no payload", []byte("foo=bar"), http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newReceiverHarness(t, nil)

			rec := serve(h.recv.Interactions(), formType, tt.body)

			if rec.Code != tt.want {
				t.Errorf("status = %d, want %d", rec.Code, tt.want)
			}
			if _, a, s, _ := h.fd.calls(); a+s != 0 {
				t.Errorf("front door called %d times, want 0", a+s)
			}
			wantWarn := 0
			if tt.want == http.StatusBadRequest {
				wantWarn = 1
			}
			if n := len(warnings(h.logs)); n != wantWarn {
				t.Errorf("warnings = %d, want %d", n, wantWarn)
			}
		})
	}
}

// payloadOf wraps a JSON payload in the interaction form.
func payloadOf(payload string) []byte {
	return []byte(url.Values{"payload": {payload}}.Encode())
}

func TestURLVerification(t *testing.T) {
	h := newReceiverHarness(t, nil)

	rec := serve(h.recv.Events(), "application/json", readFixture(t, "url_verification.json"))

	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type = %q, want text/plain", ct)
	}
	if got := rec.Body.String(); got != "kB3vVq2mYtR8sLx0pWn5cJd7fHg1aZe4uIo6yTr9QwEs" {
		t.Errorf("body = %q, want the challenge", got)
	}
}

// eventBody returns the message event fixture after edit.
func eventBody(t *testing.T, edit func(outer, inner map[string]any)) []byte {
	t.Helper()
	var outer map[string]any
	if err := json.Unmarshal(readFixture(t, "event_message.json"), &outer); err != nil {
		t.Fatalf("decode fixture: %v", err)
	}
	if edit != nil {
		edit(outer, outer["event"].(map[string]any))
	}
	b, err := json.Marshal(outer)
	if err != nil {
		t.Fatalf("encode event: %v", err)
	}
	return b
}

func TestEvents(t *testing.T) {
	want := bot.ChannelMessage{
		ChannelID: "C0INC0001",
		UserID:    "U0ALICE",
		Text:      "Rolled back the deploy, error rate is dropping.",
		TS:        "1740823500.000400",
		ThreadTS:  "1740823200.000300",
	}
	tests := []struct {
		name   string
		edit   func(outer, inner map[string]any)
		status int
		want   []bot.ChannelMessage
	}{
		{name: "person's message", status: http.StatusOK, want: []bot.ChannelMessage{want}},
		{
			name:   "thread broadcast",
			edit:   func(_, in map[string]any) { in["subtype"] = "thread_broadcast" },
			status: http.StatusOK,
			want:   []bot.ChannelMessage{want},
		},
		{
			name:   "private channel",
			edit:   func(_, in map[string]any) { in["channel_type"] = "group" },
			status: http.StatusOK,
			want:   []bot.ChannelMessage{want},
		},
		{
			name: "bot message",
			edit: func(_, in map[string]any) {
				in["subtype"] = "bot_message"
				in["bot_id"] = "B0OTHER"
				delete(in, "user")
			},
			status: http.StatusOK,
		},
		{
			name:   "the bot's own message, known from the options",
			edit:   func(_, in map[string]any) { in["user"] = "U0WARROOM" },
			status: http.StatusOK,
		},
		{
			name: "the bot's own message, known from the authorizations",
			edit: func(out, in map[string]any) {
				in["user"] = "U0OTHERBOT"
				out["authorizations"] = []any{map[string]any{"user_id": "U0OTHERBOT",
					"is_bot": true}}
			},
			status: http.StatusOK,
		},
		{
			name:   "an edit",
			edit:   func(_, in map[string]any) { in["subtype"] = "message_changed" },
			status: http.StatusOK,
		},
		{
			name:   "a direct message",
			edit:   func(_, in map[string]any) { in["channel_type"] = "im" },
			status: http.StatusOK,
		},
		{
			name:   "an event slack-go does not know",
			edit:   func(_, in map[string]any) { in["type"] = "made_up_event" },
			status: http.StatusOK,
		},
		{
			name:   "a callback without an event",
			edit:   func(out, _ map[string]any) { delete(out, "event") },
			status: http.StatusOK,
		},
		{
			name:   "an event that is no message",
			edit:   func(_, in map[string]any) { in["type"] = "app_mention" },
			status: http.StatusOK,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newReceiverHarness(t, nil)

			rec := serve(h.recv.Events(), "application/json", eventBody(t, tt.edit))
			h.wait(t)

			if rec.Code != tt.status {
				t.Errorf("status = %d, want %d", rec.Code, tt.status)
			}
			if len(h.fd.messages) != len(tt.want) ||
				(len(tt.want) == 1 && !reflect.DeepEqual(h.fd.messages[0], tt.want[0])) {
				t.Errorf("messages = %+v, want %+v", h.fd.messages, tt.want)
			}
		})
	}
}

func TestEventRetryHandledOnce(t *testing.T) {
	h := newReceiverHarness(t, nil)
	body := eventBody(t, nil)

	for retry := range 3 {
		req := httptest.NewRequest(http.MethodPost, "/slack/events",
			strings.NewReader(string(body)))
		if retry > 0 {
			req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
			req.Header.Set("X-Slack-Retry-Reason", "http_timeout")
		}
		rec := httptest.NewRecorder()
		h.recv.Events().ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("delivery %d: status = %d, want 200", retry, rec.Code)
		}
	}
	h.wait(t)

	if _, _, _, n := h.fd.calls(); n != 1 {
		t.Errorf("front door got the message %d times, want 1", n)
	}
}

func TestEventsRefuse(t *testing.T) {
	tests := []struct {
		name   string
		body   []byte
		dedupe error
		want   int
	}{
		{name: "malformed json", body: []byte(`{"type":"event_callback",`),
			want: http.StatusBadRequest},
		{name: "not an object", body: []byte(`["event_callback"]`),
			want: http.StatusBadRequest},
		{name: "url verification without a challenge",
			body: []byte(`{"type":"url_verification"}`), want: http.StatusBadRequest},
		{name: "dedupe store down", body: nil, dedupe: errors.New("database is locked"),
			want: http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newReceiverHarness(t, nil)
			h.dedupe.err = tt.dedupe
			body := tt.body
			if body == nil {
				body = eventBody(t, nil)
			}

			rec := serve(h.recv.Events(), "application/json", body)
			h.wait(t)

			if rec.Code != tt.want {
				t.Errorf("status = %d, want %d", rec.Code, tt.want)
			}
			if _, _, _, n := h.fd.calls(); n != 0 {
				t.Errorf("front door got %d messages, want 0", n)
			}
		})
	}
}
