package bot

import (
	"context"
	"time"
)

// DeployEvent is a deployment GitHub asks about or reports: a custom
// deployment protection rule's review request, or a plain deployment.
type DeployEvent struct {
	// Kind is DeployReview or DeployCreated.
	Kind string
	// DeliveryID is the webhook delivery's id.
	DeliveryID  string
	Repo        string // owner/name
	Environment string
	Ref         string
	SHA         string
	// Creator is the GitHub login that started the deployment.
	Creator      string
	Description  string
	DeploymentID int64
	// RunID is the workflow run waiting at the gate, read from the
	// callback URL of a protection rule's request; zero otherwise.
	RunID int64
	// Risk is the risk the deployment declares (low, medium, high,
	// emergency), from its payload; empty when it declares none.
	Risk string
	// State is a deployment status's state (success, failure, ...), for
	// DeployStatus.
	State string
	URL   string
	At    time.Time
}

// The kinds of DeployEvent.
const (
	DeployReview  = "review"
	DeployCreated = "deployment"
	DeployStatus  = "status"
)

// DeployGate is what the bot needs of GitHub to hold deployments to the
// change windows.
type DeployGate interface {
	// Review approves or rejects the deployment a workflow run waits for
	// at a custom protection rule, with a comment.
	Review(ctx context.Context, repo string, runID int64, environment string, approve bool,
		comment string) error
	// SetStatus gives a deployment a status (success, failure, error,
	// inactive, in_progress, queued, pending) with a description.
	SetStatus(ctx context.Context, repo string, deploymentID int64, state,
		description string) error
}
