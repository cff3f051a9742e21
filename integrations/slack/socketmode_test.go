package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"warroom/bot"
)

// socketCommandPayload returns the slash command fixture as the JSON
// object Socket Mode carries, every value a string as Slack sends it.
func socketCommandPayload(t *testing.T, responseURL string) json.RawMessage {
	t.Helper()
	form, err := url.ParseQuery(string(commandForm(t, responseURL, nil)))
	if err != nil {
		t.Fatalf("parse form: %v", err)
	}
	obj := map[string]string{}
	for k := range form {
		obj[k] = form.Get(k)
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatalf("encode payload: %v", err)
	}
	return raw
}

// TestSocketModeRouting feeds requests parsed as the Socket Mode client
// parses them to the code the HTTP handlers share, and checks the payload
// each would be acknowledged with.
func TestSocketModeRouting(t *testing.T) {
	t.Run("slash command answers with its message", func(t *testing.T) {
		h := newReceiverHarness(t, nil)
		h.fd.onCommand = func(context.Context, bot.Command) bot.Reply {
			return bot.Reply{Message: &bot.Message{Text: "INC-7 declared"}, InChannel: true}
		}
		var sc slackapi.SlashCommand
		if err := json.Unmarshal(socketCommandPayload(t, h.responses.url()), &sc); err != nil {
			t.Fatalf("decode: %v", err)
		}

		answer := h.recv.command(context.Background(), "env-1", sc)

		if answer == nil || answer.ResponseType != "in_channel" ||
			answer.Text != "INC-7 declared" {
			t.Errorf("answer = %+v, want the in-channel message", answer)
		}
		if cmd := h.fd.commands[0]; cmd.RequestID != "env-1" || cmd.UserID != "U0ALICE" ||
			cmd.ReplyTo.ResponseURL != h.responses.url() {
			t.Errorf("command = %+v", cmd)
		}
	})

	t.Run("view submission answers with field errors", func(t *testing.T) {
		h := newReceiverHarness(t, nil)
		h.fd.onSubmit = func(context.Context, bot.Submission) bot.Reply {
			return bot.Reply{FieldErrors: map[string]string{"title": "Too long."}}
		}
		var ic slackapi.InteractionCallback
		if err := json.Unmarshal(readFixture(t, "view_submission.json"), &ic); err != nil {
			t.Fatalf("decode: %v", err)
		}

		answer, err := h.recv.interaction(context.Background(), "env-2", ic)
		if err != nil {
			t.Fatalf("interaction: %v", err)
		}

		raw, _ := json.Marshal(answer)
		if string(raw) != `{"response_action":"errors","errors":{"title":"Too long."}}` {
			t.Errorf("answer = %s", raw)
		}
	})

	t.Run("block actions reach the front door", func(t *testing.T) {
		h := newReceiverHarness(t, nil)
		var ic slackapi.InteractionCallback
		if err := json.Unmarshal(readFixture(t, "block_actions.json"), &ic); err != nil {
			t.Fatalf("decode: %v", err)
		}

		answer, err := h.recv.interaction(context.Background(), "env-3", ic)

		if err != nil || answer != nil {
			t.Errorf("interaction = %v, %v; want an empty answer", answer, err)
		}
		if act := h.fd.actions[0]; act.ActionID != "incident.ack" || act.Value != "7" ||
			act.MessageTS != "1740823200.000300" || act.RequestID != "env-3" {
			t.Errorf("action = %+v", act)
		}
	})

	t.Run("events are handled once", func(t *testing.T) {
		h := newReceiverHarness(t, nil)
		ev, err := slackevents.ParseEvent(readFixture(t, "event_message.json"),
			slackevents.OptionNoVerifyToken())
		if err != nil {
			t.Fatalf("parse: %v", err)
		}

		for range 2 {
			if err := h.recv.event(context.Background(), "env-4", ev); err != nil {
				t.Fatalf("event: %v", err)
			}
		}
		h.wait(t)

		if _, _, _, n := h.fd.calls(); n != 1 {
			t.Errorf("messages = %d, want 1", n)
		}
	})
}

func TestNewSocketModeNeedsAToken(t *testing.T) {
	h := newReceiverHarness(t, nil)
	if _, err := NewSocketMode("", h.recv, nil); err == nil {
		t.Error("NewSocketMode without a token: no error")
	}
}

// socketAck is an acknowledgement the fake Slack received.
type socketAck struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload"`
}

// TestSocketModeRun runs SocketMode against a fake Slack on loopback: the
// Web API's apps.connections.open and a websocket that sends requests and
// reads their acknowledgements.
func TestSocketModeRun(t *testing.T) {
	h := newReceiverHarness(t, nil)
	h.fd.onCommand = func(context.Context, bot.Command) bot.Reply {
		return bot.Reply{Message: &bot.Message{Text: "INC-7 declared"}}
	}
	h.fd.onSubmit = func(context.Context, bot.Submission) bot.Reply {
		return bot.Reply{FieldErrors: map[string]string{"title": "Too long."}}
	}
	var sub map[string]any
	if err := json.Unmarshal(readFixture(t, "view_submission.json"), &sub); err != nil {
		t.Fatalf("decode fixture: %v", err)
	}
	requests := []map[string]any{
		{"type": "hello", "num_connections": 1},
		{"type": "slash_commands", "envelope_id": "env-cmd", "accepts_response_payload": true,
			"payload": socketCommandPayload(t, h.responses.url())},
		{"type": "events_api", "envelope_id": "env-event", "accepts_response_payload": false,
			"payload": json.RawMessage(readFixture(t, "event_message.json"))},
		{"type": "interactive", "envelope_id": "env-view", "accepts_response_payload": true,
			"payload": sub},
		{"type": "events_api", "envelope_id": "env-unknown",
			"payload": json.RawMessage(`{"type":"event_callback","event_id":"Ev9",` +
				`"event":{"type":"made_up_event"}}`)},
	}

	acks := make(chan socketAck, len(requests))
	// The client sends Origin https://api.slack.com, as a browser would not.
	upgrader := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	var wsURL string
	mux := http.NewServeMux()
	mux.HandleFunc("/api/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer xapp-1-test" {
			_, _ = w.Write([]byte(`{"ok":false,"error":"invalid_auth"}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "url": wsURL})
	})
	mux.HandleFunc("/link", func(w http.ResponseWriter, r *http.Request) {
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer func() { _ = conn.Close() }()
		for _, req := range requests {
			if err := conn.WriteJSON(req); err != nil {
				return
			}
		}
		for {
			var ack socketAck
			if err := conn.ReadJSON(&ack); err != nil {
				return
			}
			acks <- ack
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	wsURL = "ws" + strings.TrimPrefix(srv.URL, "http") + "/link"

	sm, err := NewSocketMode("xapp-1-test", h.recv, h.recv.log,
		slackapi.OptionAPIURL(srv.URL+"/api/"))
	if err != nil {
		t.Fatalf("NewSocketMode: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- sm.Run(ctx) }()

	got := map[string]string{}
	for len(got) < 4 {
		select {
		case ack := <-acks:
			got[ack.EnvelopeID] = string(ack.Payload)
		case err := <-stopped:
			t.Fatalf("Run stopped early: %v", err)
		case <-time.After(waitLimit):
			for _, e := range h.logs.AllEntries() {
				t.Logf("%s %s %v", e.Level, e.Message, e.Data)
			}
			t.Fatalf("acknowledgements = %v, want four", got)
		}
	}
	cancel()
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("Run = %v, want nil after the context ended", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Run did not return after the context ended")
	}
	h.wait(t)

	var answer responsePost
	if err := json.Unmarshal([]byte(got["env-cmd"]), &answer); err != nil ||
		answer.Text != "INC-7 declared" || answer.ResponseType != "ephemeral" {
		t.Errorf("command ack payload = %s, want the ephemeral message", got["env-cmd"])
	}
	if p, ok := got["env-event"]; !ok || p != "" {
		t.Errorf("event ack = %q (acked %v), want an ack without payload", p, ok)
	}
	if _, ok := got["env-unknown"]; !ok {
		t.Error("an event of an unknown type was not acknowledged")
	}
	if got["env-view"] != `{"response_action":"errors","errors":{"title":"Too long."}}` {
		t.Errorf("view ack payload = %s, want the field errors", got["env-view"])
	}
	if _, _, _, n := h.fd.calls(); n != 1 {
		t.Errorf("messages = %d, want 1", n)
	}
}
