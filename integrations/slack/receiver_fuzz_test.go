package slack

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"warroom/bot"
)

// fuzzReceiver returns a Receiver whose front door answers nothing, so
// that no input sends anything over the network.
func fuzzReceiver(f *testing.F) *Receiver {
	f.Helper()
	logger := logrus.New()
	logger.SetOutput(io.Discard)
	recv, err := NewReceiver(ReceiverOptions{
		Frontdoor: &recordingFrontdoor{},
		Opener:    &recordingOpener{},
		Notifier:  discardNotifier{},
		Dedupe:    (&memoryDedupe{}).first,
		Log:       logrus.NewEntry(logger),
	})
	if err != nil {
		f.Fatalf("NewReceiver: %v", err)
	}
	return recv
}

// discardNotifier drops what it is asked to notify.
type discardNotifier struct{}

func (discardNotifier) Notify(context.Context, bot.Recipient, bot.Message) error { return nil }

// fuzzServe posts body to handler and fails on an answer the handler
// should never give.
func fuzzServe(t *testing.T, recv *Receiver, handler http.Handler, ctype string, body []byte) {
	req := httptest.NewRequest(http.MethodPost, "/slack", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", ctype)
	rec := httptest.NewRecorder()

	handler.ServeHTTP(rec, req)

	if err := recv.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	switch rec.Code {
	case http.StatusOK, http.StatusBadRequest:
	default:
		t.Fatalf("status = %d for %q", rec.Code, body)
	}
}

func FuzzSlashCommandForm(f *testing.F) {
	f.Add(readFixture(f, "slash_command.form-urlencoded.txt"))
	f.Add([]byte("command=%2Fincident&user_id=U1&text=%ZZ"))
	f.Add([]byte("command=/incident&user_id=U1&text=" + strings.Repeat("a", 4000)))
	f.Add([]byte(";;&&=="))
	recv := fuzzReceiver(f)

	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzServe(t, recv, recv.Commands(), formType, body)
	})
}

func FuzzInteractionPayload(f *testing.F) {
	f.Add(readFixture(f, "block_actions.json"))
	f.Add(readFixture(f, "view_submission.json"))
	f.Add([]byte(`{"type":"block_actions","actions":[null,{"block_id":"b"}]}`))
	f.Add([]byte(`{"type":"block_actions","actions":{},"state":[]}`))
	f.Add([]byte(`{"type":"view_submission","view":{"state":{"values":{"a":null}}}}`))
	f.Add([]byte(`{"type":"dialog_submission","state":"x"}`))
	f.Add([]byte(`null`))
	recv := fuzzReceiver(f)

	f.Fuzz(func(t *testing.T, payload []byte) {
		body := []byte(url.Values{"payload": {string(payload)}}.Encode())
		fuzzServe(t, recv, recv.Interactions(), formType, body)
	})
}

func FuzzEventBody(f *testing.F) {
	f.Add(readFixture(f, "event_message.json"))
	f.Add(readFixture(f, "url_verification.json"))
	f.Add([]byte(`{"type":"event_callback","event":null}`))
	f.Add([]byte(`{"type":"event_callback",` +
		`"event":{"type":"message","subtype":"message_changed"}}`))
	f.Add([]byte(`{"type":"app_rate_limited","minute_rate_limited":1}`))
	f.Add([]byte(`[]`))
	recv := fuzzReceiver(f)

	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzServe(t, recv, recv.Events(), "application/json", body)
	})
}
