package github_test

import (
	"net/http"
	"testing"

	"warroom/integrations/github/githubfake"
)

// FuzzWebhookBody sends arbitrary bodies, signed with the webhook's
// secret, as each event the Webhook reads: none may panic, and each is
// answered 200 or 400 (or 500, which the test's Handle never causes).
func FuzzWebhookBody(f *testing.F) {
	f.Add("deployment_protection_rule", fixture(f, "deployment_protection_rule_requested.json"))
	f.Add("deployment", fixture(f, "deployment_created.json"))
	f.Add("deployment_status", fixture(f, "deployment_status_created.json"))
	f.Add("ping", fixture(f, "ping.json"))
	f.Add("deployment_protection_rule",
		githubfake.ProtectionRuleRequest("a/b", "prod", 1, 2, "c", "high"))
	f.Add("deployment", []byte(`{"action":"created","deployment":{"id":1,"payload":"\"x\""},`+
		`"repository":{"full_name":"a/b"}}`))
	f.Add("deployment_protection_rule", []byte(`{"action":"requested",`+
		`"deployment_callback_url":"://x/actions/runs/-1/deployment_protection_rule"}`))
	f.Add("deployment", []byte(`null`))

	h := newHook(f)
	f.Fuzz(func(t *testing.T, event string, body []byte) {
		defer h.reset()
		w := h.post(body, signed(event, "", body))

		switch w.Code {
		case http.StatusOK, http.StatusBadRequest:
		default:
			t.Fatalf("event %q: status = %d (%s)", event, w.Code, w.Body)
		}
	})
}
