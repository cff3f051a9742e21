package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"warroom/bot"
	"warroom/integrations/github/githubfake"
	"warroom/integrations/slack/slackfake"
)

const gitHubSecret = "e2e-github-secret"

func (r *running) gitHub(t *testing.T, event, delivery string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.base+"/webhooks/github", bytes.NewReader(body))
	for k, v := range githubfake.WebhookHeaders(event, delivery, gitHubSecret, body) {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// submit sends a signed modal submission with plain-text inputs.
func (r *running) submit(t *testing.T, user, name, callback, metadata string,
	values map[string]string) {

	t.Helper()
	state := map[string]any{}
	for id, v := range values {
		state[id] = map[string]any{id: map[string]string{"type": "plain_text_input", "value": v}}
	}
	payload, _ := json.Marshal(map[string]any{
		"type": "view_submission",
		"user": map[string]string{"id": user, "name": name},
		"team": map[string]string{"id": "T0FAKE"},
		"view": map[string]any{"id": "V1", "callback_id": callback,
			"private_metadata": metadata, "state": map[string]any{"values": state}},
	})
	body := url.Values{"payload": {string(payload)}}.Encode()
	if code, out := r.post(t, "/slack/interactions", "application/x-www-form-urlencoded", body,
		time.Now()); code != 200 {
		t.Fatalf("submission: %d %s", code, out)
	}
}

func TestDeployHeldAndApprovedInSlack(t *testing.T) {
	w := newWorld(t)
	gh := githubfake.New(t)
	w.slack.AddChannel("CDEPLOYS", "deploys", false)
	w.cfg.GitHub.APIURL = gh.URL()
	w.cfg.GitHub.Token = "gh-token"
	w.cfg.GitHub.WebhookSecret = gitHubSecret
	w.cfg.Deploys.Channel = "CDEPLOYS"
	w.cfg.Deploys.Approvers = []string{"UOMAR"}
	w.cfg.Deploys.ApproverGroup = "S0DEPLOY"
	w.slack.AddUserGroup("S0DEPLOY", "UAPI")
	r := w.start(t)

	// Thursday 09:30 in Tashkent: production's window opens at 10:00.
	body := githubfake.ProtectionRuleRequest("acme/api", "production", 4242, 17, "dana", "high")
	if code := r.gitHub(t, "deployment_protection_rule", "d-1", body); code != 200 {
		t.Fatalf("webhook: %d", code)
	}
	forged := append([]byte(nil), body...)
	forged[len(forged)-2] = ' '
	req, _ := http.NewRequest(http.MethodPost, r.base+"/webhooks/github",
		bytes.NewReader(forged))
	for k, v := range githubfake.WebhookHeaders("deployment_protection_rule", "d-2",
		gitHubSecret, body) {
		req.Header[k] = v
	}
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Fatalf("forged webhook: %v %v", resp, err)
	}
	// GitHub's redelivery of the same request decides nothing twice.
	r.gitHub(t, "deployment_protection_rule", "d-1", body)

	var held string
	eventually(t, "the held deploy in #deploys", func() bool {
		for _, m := range w.slack.Messages("CDEPLOYS") {
			if strings.Contains(m.Text, "outside the change policy") {
				held = m.TS
				return true
			}
		}
		return false
	})
	if n := len(w.slack.Messages("CDEPLOYS")); n != 1 {
		t.Errorf("%d messages in #deploys, want 1", n)
	}

	// Dana is no approver: refused, nothing sent to GitHub.
	r.press(t, w, "UDANA", "CDEPLOYS", held, bot.ActionDeployApprove, "1")
	eventually(t, "the refusal", func() bool {
		for _, resp := range w.slack.Responses() {
			if strings.Contains(resp.Text, "Only deploy approvers") &&
				strings.Contains(resp.Text, "<@UOMAR>, <!subteam^S0DEPLOY>") {
				return true
			}
		}
		return false
	})
	if n := len(gh.Reviews()); n != 0 {
		t.Fatalf("%d reviews sent for a refused approval", n)
	}

	// A member of the approver group may decide too: the form opens.
	r.press(t, w, "UAPI", "CDEPLOYS", held, bot.ActionDeployReject, "1")
	eventually(t, "the group member's form", func() bool {
		for _, v := range w.slack.Views() {
			if strings.HasPrefix(v.PrivateMetadata, "reject:1") {
				return true
			}
		}
		return false
	})

	// Omar approves, saying why: GitHub gets the approval with who and why.
	r.press(t, w, "UOMAR", "CDEPLOYS", held, bot.ActionDeployApprove, "1")
	var view slackfake.View
	eventually(t, "the form asking why", func() bool {
		for _, v := range w.slack.Views() {
			if strings.HasPrefix(v.PrivateMetadata, "approve:1") {
				view = v
				return true
			}
		}
		return false
	})
	r.submit(t, "UOMAR", "omar", view.CallbackID, view.PrivateMetadata,
		map[string]string{"reason": "payments hotfix"})
	eventually(t, "the approval at GitHub", func() bool { return len(gh.Reviews()) == 1 })
	rv := gh.Reviews()[0]
	if rv.RunID != 4242 || rv.State != "approved" || rv.Environment != "production" ||
		!strings.Contains(rv.Comment, "approved in Slack by UOMAR: payments hotfix") {
		t.Errorf("review %+v", rv)
	}
	code, out := r.post(t, "/slack/commands", "application/x-www-form-urlencoded",
		"command=%2Fdeploy&text=audit&user_id=UOMAR&channel_id=CDEPLOYS", time.Now())
	if code != 200 || !strings.Contains(out, "DEPLOY-1") || !strings.Contains(out, "acme/api") {
		t.Errorf("/deploy audit: %d %s", code, out)
	}
}
