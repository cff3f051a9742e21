package githubfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// What the webhook bodies written here say of the deployment, for tests
// to compare with.
const (
	// Ref is the branch every deployment is of.
	Ref = "main"
	// SHA is the commit every deployment is of.
	SHA = "9f2c3b7e1d4a5c6b8e0f1a2b3c4d5e6f7a8b9c0d"
	// Description is every deployment's description.
	Description = "Deploy main"
	// CreatedAt is when every deployment was created.
	CreatedAt = "2026-03-10T06:30:00Z"
	// InstallationID is the GitHub App installation that every webhook
	// is sent for.
	InstallationID = 41236987
)

// APIBase and WebBase are where the webhook bodies say the repository's
// API and pages are, as on github.com.
const (
	APIBase = "https://api.github.com/"
	WebBase = "https://github.com/"
)

// Sign returns the X-Hub-Signature-256 header GitHub sends with body when
// the webhook's secret is secret: "sha256=" and the hex of the body's
// HMAC-SHA256.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// WebhookHeaders returns the headers GitHub sends with a webhook: the
// event's name (X-GitHub-Event), the delivery's id (X-GitHub-Delivery, the
// same on a redelivery), the JSON content type, and X-Hub-Signature-256
// of body under secret.
func WebhookHeaders(event, deliveryID, secret string, body []byte) http.Header {
	h := make(http.Header)
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "GitHub-Hookshot/fake")
	h.Set("X-GitHub-Event", event)
	h.Set("X-GitHub-Delivery", deliveryID)
	h.Set("X-GitHub-Hook-ID", "451729803")
	h.Set("X-GitHub-Hook-Installation-Target-Type", "integration")
	h.Set("X-Hub-Signature-256", Sign(secret, body))
	return h
}

// ProtectionRuleRequest writes the body of a deployment_protection_rule
// webhook (action requested) of GitHub's shape: workflow run runID of repo
// ("owner/name") waits at environment env for deployment deploymentID,
// created by creator. The deployment's payload is {"risk": risk}, or {}
// when risk is empty. Send it with X-GitHub-Event
// deployment_protection_rule.
func ProtectionRuleRequest(repo, env string, runID, deploymentID int64,
	creator, risk string) []byte {
	body := map[string]any{
		"action":      "requested",
		"environment": env,
		"event":       "push",
		"deployment_callback_url": fmt.Sprintf(
			"%srepos/%s/actions/runs/%d/deployment_protection_rule", APIBase, repo, runID),
		"deployment":    deployment(repo, env, deploymentID, creator, risk),
		"pull_requests": []any{},
		"repository":    repository(repo),
		"sender":        user(creator),
		"installation":  installation(),
	}
	return mustJSON(body)
}

// DeploymentCreated writes the body of a deployment webhook (action
// created) of GitHub's shape: deployment deploymentID of repo
// ("owner/name") to environment env, created by creator outside a
// workflow. The deployment's payload is {"risk": risk}, or {} when risk
// is empty. Send it with X-GitHub-Event deployment.
func DeploymentCreated(repo, env string, deploymentID int64, creator, risk string) []byte {
	body := map[string]any{
		"action":       "created",
		"deployment":   deployment(repo, env, deploymentID, creator, risk),
		"workflow":     nil,
		"workflow_run": nil,
		"repository":   repository(repo),
		"sender":       user(creator),
		"installation": installation(),
	}
	return mustJSON(body)
}

// deployment is a deployment object of a webhook.
func deployment(repo, env string, id int64, creator, risk string) map[string]any {
	payload := map[string]any{}
	if risk != "" {
		payload["risk"] = risk
	}
	api := fmt.Sprintf("%srepos/%s", APIBase, repo)
	return map[string]any{
		"url":                    fmt.Sprintf("%s/deployments/%d", api, id),
		"id":                     id,
		"node_id":                fmt.Sprintf("DE_fake%d", id),
		"sha":                    SHA,
		"ref":                    Ref,
		"task":                   "deploy",
		"payload":                payload,
		"original_environment":   env,
		"environment":            env,
		"description":            Description,
		"creator":                user(creator),
		"created_at":             CreatedAt,
		"updated_at":             CreatedAt,
		"statuses_url":           fmt.Sprintf("%s/deployments/%d/statuses", api, id),
		"repository_url":         api,
		"transient_environment":  false,
		"production_environment": env == "production",
	}
}

// repository is a repository object of a webhook.
func repository(repo string) map[string]any {
	owner, name, _ := strings.Cut(repo, "/")
	return map[string]any{
		"id":             int64(len(repo)) * 1000003,
		"node_id":        "R_fake",
		"name":           name,
		"full_name":      repo,
		"private":        true,
		"owner":          map[string]any{"login": owner, "type": "Organization"},
		"html_url":       WebBase + repo,
		"url":            APIBase + "repos/" + repo,
		"default_branch": Ref,
	}
}

// user is a user object of a webhook.
func user(login string) map[string]any {
	return map[string]any{
		"login":    login,
		"id":       int64(len(login)) * 7919,
		"node_id":  "U_fake",
		"type":     "User",
		"html_url": WebBase + login,
		"url":      APIBase + "users/" + login,
	}
}

// installation is the installation object of a GitHub App's webhook.
func installation() map[string]any {
	return map[string]any{"id": InstallationID, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u"}
}

// mustJSON encodes v, which holds nothing that cannot be encoded.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("githubfake: encode webhook: %v", err))
	}
	return b
}
