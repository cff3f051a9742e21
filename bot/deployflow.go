package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DeployRecord is one deployment warroom decided on or reported, with the
// rule that decided and, for an emergency, who approved it and whether
// it has been documented since.
type DeployRecord struct {
	ID           int64
	Kind         string
	Repo         string
	Environment  string
	GitRef       string
	SHA          string
	Creator      string
	Risk         string
	RunID        int64
	DeploymentID int64
	URL          string
	// Allowed, Rule and Reason are the policy's decision.
	Allowed bool
	Rule    string
	Reason  string
	// Status is pending (waiting for an approver), approved, rejected or
	// reported (a plain deployment warroom cannot stop).
	Status string
	// DecidedBy is who approved or rejected it by hand, with Why.
	DecidedBy string
	Why       string
	Emergency bool
	// Documented is the link an emergency was documented at, once it is.
	Documented string
	// Outcome is how the deployment went, as GitHub's last final status
	// said: success, failure or error.
	Outcome   string
	Channel   string
	MessageTS string
	CreatedAt time.Time
	DecidedAt time.Time
}

// Ref is the short reference people quote, such as DEPLOY-7.
func (d *DeployRecord) Ref() string { return fmt.Sprintf("DEPLOY-%d", d.ID) }

// The statuses of a DeployRecord.
const (
	DeployPending  = "pending"
	DeployApproved = "approved"
	DeployRejected = "rejected"
	DeployReported = "reported"
)

// The actions of the buttons on a deployment held outside the policy;
// their value is the record's id.
const (
	ActionDeployApprove = "deploy.approve"
	ActionDeployReject  = "deploy.reject"
)

// The jobs of deployments.
const (
	jobDeployReview JobKind = "deploy.review"
	jobDeployStatus JobKind = "deploy.status"
	jobDeployShow   JobKind = "deploy.show"
)

type deployJob struct {
	Record int64 `json:"record"`
}

// HandleDeployEvent decides on a deployment GitHub asks about or reports,
// stores the decision with its rule, puts it on the timeline of every
// open incident, and owes GitHub and Slack what follows. It is quick:
// GitHub wants an answer to its webhook within seconds.
func (b *Bot) HandleDeployEvent(ctx context.Context, ev DeployEvent) (*DeployRecord, error) {
	if ev.Kind == DeployStatus {
		return b.deployOutcome(ctx, ev)
	}
	at := ev.At
	if at.IsZero() {
		at = b.clock.Now()
	}
	d, err := b.DecideDeploy(ctx, ev.Environment, at)
	if err != nil {
		return nil, err
	}

	rec := &DeployRecord{Kind: ev.Kind, Repo: ev.Repo, Environment: ev.Environment, GitRef: ev.Ref,
		SHA: ev.SHA, Creator: ev.Creator, Risk: strings.ToLower(ev.Risk), RunID: ev.RunID,
		DeploymentID: ev.DeploymentID, URL: ev.URL, Allowed: d.Allowed, Rule: d.Rule,
		Reason: d.Reason, Channel: b.policy.Deploy.Channel, CreatedAt: b.clock.Now()}
	rule, known := b.policy.Deploy.environment(ev.Environment)
	if rec.Risk == "" {
		rec.Risk = strings.ToLower(rule.Risk)
	}
	if !known {
		b.log.WithFields(map[string]any{"action": "deploy.decide", "repo": ev.Repo,
			"environment": ev.Environment}).Info("deployment to an environment without rules; " +
			"the default rule decides")
	}
	// A high-risk change (a database schema, say) needs a manager's
	// approval even inside the window.
	if d.Allowed && rec.Risk == "high" && ev.Kind == DeployReview {
		rec.Allowed, rec.Rule = false, "high_risk"
		rec.Reason += "; but it is high risk, which needs an approver's approval"
	}
	switch {
	case ev.Kind == DeployCreated:
		rec.Status = DeployReported
	case rec.Allowed:
		rec.Status, rec.DecidedAt = DeployApproved, rec.CreatedAt
	default:
		rec.Status = DeployPending
	}

	err = b.store.Update(ctx, func(tx Tx) error {
		if err := tx.CreateDeploy(rec); err != nil {
			return err
		}
		if err := b.deployOnTimelines(tx, rec, ""); err != nil {
			return err
		}
		switch {
		case rec.Kind == DeployCreated:
			if err := b.scheduleDeploy(tx, rec, jobDeployStatus); err != nil {
				return err
			}
			return b.scheduleDeploy(tx, rec, jobDeployShow)
		case rec.Allowed:
			return b.scheduleDeploy(tx, rec, jobDeployReview)
		}
		return b.scheduleDeploy(tx, rec, jobDeployShow)
	})
	if err != nil {
		return nil, fmt.Errorf("record a deploy of %s to %s: %w", ev.Repo, ev.Environment, err)
	}
	b.Wake()
	return rec, nil
}

// deployOutcome records how a deployment warroom knows went: the final
// states (success, failure, error) show on its message and on the
// timelines of open incidents; warroom's own statuses and the ones in
// between change nothing.
func (b *Bot) deployOutcome(ctx context.Context, ev DeployEvent) (*DeployRecord, error) {
	switch ev.State {
	case "success", "failure", "error":
	default:
		return nil, nil
	}
	var rec *DeployRecord
	err := b.store.Update(ctx, func(tx Tx) error {
		var err error
		rec, err = tx.DeployByDeployment(ev.Repo, ev.DeploymentID)
		if errors.Is(err, ErrNotFound) {
			rec = nil
			return nil
		}
		if err != nil || rec.Outcome == ev.State {
			return err
		}
		rec.Outcome = ev.State
		if err := tx.UpdateDeploy(rec); err != nil {
			return err
		}
		open, err := tx.OpenIncidents()
		if err != nil {
			return err
		}
		text := fmt.Sprintf("%s: %s to %s finished: %s", rec.Ref(), rec.Repo, rec.Environment,
			ev.State)
		for _, inc := range open {
			if err := b.addEvent(tx, inc, "", EventDeploy, text); err != nil {
				return err
			}
		}
		return b.scheduleDeploy(tx, rec, jobDeployShow)
	})
	if err != nil {
		return nil, fmt.Errorf("record the outcome of deployment %d: %w", ev.DeploymentID, err)
	}
	b.Wake()
	return rec, nil
}

// deployOnTimelines puts a decision on every open incident's timeline.
func (b *Bot) deployOnTimelines(tx Tx, rec *DeployRecord, by string) error {
	open, err := tx.OpenIncidents()
	if err != nil {
		return err
	}
	text := fmt.Sprintf("%s: %s to %s (%s) %s: %s", rec.Ref(), rec.Repo, rec.Environment,
		shortSHA(rec), rec.Status, rec.Reason)
	if rec.DecidedBy != "" {
		text = fmt.Sprintf("%s: %s to %s %s by %s: %s", rec.Ref(), rec.Repo, rec.Environment,
			rec.Status, mentionOr(rec.DecidedBy, "someone"), rec.Why)
	}
	for _, inc := range open {
		if err := b.addEvent(tx, inc, by, EventDeploy, text); err != nil {
			return err
		}
	}
	return nil
}

func shortSHA(rec *DeployRecord) string {
	if len(rec.SHA) > 7 {
		return rec.SHA[:7]
	}
	return orText(rec.SHA, rec.GitRef)
}

func (b *Bot) scheduleDeploy(tx Tx, rec *DeployRecord, kind JobKind) error {
	body, err := json.Marshal(deployJob{Record: rec.ID})
	if err != nil {
		return fmt.Errorf("encode %s job: %w", kind, err)
	}
	now := b.clock.Now()
	job := &Job{Kind: kind, DueAt: now, Payload: body, CreatedAt: now}
	if kind == jobDeployShow && rec.Channel != "" {
		job.Lane = channelLane(rec.Channel)
	}
	return tx.Schedule(job)
}

// MayDecideDeploy returns an error, for the user to read, unless user is
// one of the policy's deploy approvers or a member of its approver group.
func (b *Bot) MayDecideDeploy(ctx context.Context, user string) error {
	p := &b.policy.Deploy
	if slices.Contains(p.Approvers, user) {
		return nil
	}
	if gr, ok := b.chat.(GroupResolver); ok && p.ApproverGroup != "" {
		members, err := gr.GroupMembers(ctx, p.ApproverGroup)
		if err != nil {
			return fmt.Errorf("check the approver group: %w", err)
		}
		if slices.Contains(members, user) {
			return nil
		}
	}

	var who []string
	if len(p.Approvers) > 0 {
		who = append(who, mentions(p.Approvers))
	}
	if p.ApproverGroup != "" {
		who = append(who, "<!subteam^"+p.ApproverGroup+">")
	}
	hint := "No approvers are configured: set deploys.approvers or deploys.approver_group."
	if len(who) > 0 {
		hint = "Ask one of the approvers: " + strings.Join(who, ", ") + "."
	}
	return Forbiddenf(hint, "Only deploy approvers may approve or reject a deployment "+
		"outside the change policy.")
}

// DecideEmergency approves or rejects, as by, a deployment held outside
// the policy. Only the policy's approvers may; the first decision counts.
func (b *Bot) DecideEmergency(ctx context.Context, id int64, by, byName string, approve bool,
	why string) (*DeployRecord, error) {

	if err := b.MayDecideDeploy(ctx, by); err != nil {
		return nil, err
	}
	if strings.TrimSpace(why) == "" {
		return nil, Invalidf("Say why: it goes to GitHub and to the audit.",
			"An emergency decision needs a reason.")
	}

	var rec *DeployRecord
	err := b.store.Update(ctx, func(tx Tx) error {
		var err error
		rec, err = tx.Deploy(id)
		if errors.Is(err, ErrNotFound) {
			return NotFoundf("", "There is no deployment DEPLOY-%d.", id)
		}
		if err != nil {
			return err
		}
		if rec.Status != DeployPending {
			return Conflictf("", "%s was already %s by %s.", rec.Ref(), rec.Status,
				mentionOr(rec.DecidedBy, "the policy"))
		}

		rec.Status, rec.DecidedBy, rec.DecidedAt = DeployRejected, by, b.clock.Now()
		rec.Why = strings.TrimSpace(why)
		if approve {
			rec.Status, rec.Emergency = DeployApproved, true
		}
		if byName != "" {
			rec.Why = strings.TrimSpace(rec.Why + " (" + byName + ")")
		}
		if err := tx.UpdateDeploy(rec); err != nil {
			return err
		}
		if err := b.deployOnTimelines(tx, rec, by); err != nil {
			return err
		}
		if err := b.scheduleDeploy(tx, rec, jobDeployReview); err != nil {
			return err
		}
		return b.scheduleDeploy(tx, rec, jobDeployShow)
	})
	if err != nil {
		return nil, fmt.Errorf("decide deploy %d: %w", id, err)
	}
	b.log.WithFields(map[string]any{"action": "deploy." + rec.Status, "userId": by,
		"deploy": rec.ID, "repo": rec.Repo, "environment": rec.Environment}).
		Info("emergency deploy decided")
	b.Wake()
	return rec, nil
}

// OpenFollowUps lists the emergency deploys not documented yet.
func (b *Bot) OpenFollowUps(ctx context.Context) ([]*DeployRecord, error) {
	var list []*DeployRecord
	err := b.store.View(ctx, func(tx Tx) error {
		var err error
		list, err = tx.UndocumentedEmergencies()
		return err
	})
	return list, err
}

// DocumentEmergency closes an emergency deploy's follow-up with a link to
// where it was documented.
func (b *Bot) DocumentEmergency(ctx context.Context, id int64, by, link string) (*DeployRecord,
	error) {

	link = strings.TrimSpace(link)
	if link == "" {
		return nil, Invalidf("`/deploy documented DEPLOY-7 https://wiki/...`",
			"Give the link where the emergency deploy is documented.")
	}
	var rec *DeployRecord
	err := b.store.Update(ctx, func(tx Tx) error {
		var err error
		if rec, err = tx.Deploy(id); err != nil {
			return err
		}
		if !rec.Emergency {
			return Conflictf("`/deploy audit` lists the emergencies to document.",
				"%s was no emergency deploy.", rec.Ref())
		}
		rec.Documented = link
		return tx.UpdateDeploy(rec)
	})
	if errors.Is(err, ErrNotFound) {
		return nil, NotFoundf("`/deploy audit` lists them.", "There is no DEPLOY-%d.", id)
	}
	if err != nil {
		return nil, fmt.Errorf("document deploy %d: %w", id, err)
	}
	return rec, nil
}

// handleDeploy runs a deployment's job.
func (b *Bot) handleDeploy(ctx context.Context, job Job) error {
	var p deployJob
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return Permanent(fmt.Errorf("decode %s job: %w", job.Kind, err))
	}
	var rec *DeployRecord
	err := b.store.View(ctx, func(tx Tx) error {
		var err error
		rec, err = tx.Deploy(p.Record)
		return err
	})
	if err != nil {
		return fmt.Errorf("load deploy %d: %w", p.Record, err)
	}

	switch job.Kind {
	case jobDeployReview:
		if b.gate == nil {
			return Permanent(errors.New("no GitHub client is configured"))
		}
		return b.gate.Review(ctx, rec.Repo, rec.RunID, rec.Environment,
			rec.Status == DeployApproved, reviewComment(rec))
	case jobDeployStatus:
		if b.gate == nil {
			return Permanent(errors.New("no GitHub client is configured"))
		}
		desc := "warroom: inside the change policy: " + rec.Reason
		if !rec.Allowed {
			desc = "warroom: OUTSIDE the change policy: " + rec.Reason
		}
		return b.gate.SetStatus(ctx, rec.Repo, rec.DeploymentID, "pending", desc)
	case jobDeployShow:
		return b.showDeploy(ctx, rec)
	}
	return Permanent(fmt.Errorf("unknown deploy job %q", job.Kind))
}

// reviewComment is what GitHub shows as the reason of the gate's review.
func reviewComment(rec *DeployRecord) string {
	switch {
	case rec.DecidedBy == "":
		return fmt.Sprintf("warroom approved: %s (rule %s).", rec.Reason, rec.Rule)
	case rec.Status == DeployApproved:
		return fmt.Sprintf("warroom: emergency deploy approved in Slack by %s: %s. Outside "+
			"the policy: %s (rule %s). To be documented afterwards.", rec.DecidedBy,
			orText(rec.Why, "no reason given"), rec.Reason, rec.Rule)
	}
	return fmt.Sprintf("warroom: rejected in Slack by %s: %s. %s (rule %s).", rec.DecidedBy,
		orText(rec.Why, "no reason given"), rec.Reason, rec.Rule)
}

// showDeploy posts or edits the deployment's message in the deploys
// channel.
func (b *Bot) showDeploy(ctx context.Context, rec *DeployRecord) error {
	if rec.Channel == "" {
		return nil
	}
	if err := b.pace(rec.Channel); err != nil {
		return err
	}
	msg := b.deployMessage(rec)
	if rec.MessageTS != "" {
		return b.chat.Update(ctx, rec.Channel, rec.MessageTS, msg)
	}
	ts, err := b.chat.Post(ctx, rec.Channel, msg)
	if err != nil {
		return fmt.Errorf("post %s: %w", rec.Ref(), err)
	}
	return b.store.Update(ctx, func(tx Tx) error {
		fresh, err := tx.Deploy(rec.ID)
		if err != nil {
			return err
		}
		fresh.MessageTS = ts
		return tx.UpdateDeploy(fresh)
	})
}

func (b *Bot) deployMessage(rec *DeployRecord) Message {
	id := strconv.FormatInt(rec.ID, 10)
	what := fmt.Sprintf("*%s*: `%s` to *%s* (%s) by %s", rec.Ref(), rec.Repo, rec.Environment,
		shortSHA(rec), orText(rec.Creator, "someone"))
	if rec.URL != "" {
		what += fmt.Sprintf(" <%s|on GitHub>", rec.URL)
	}
	if rec.Risk != "" {
		what += " · risk " + rec.Risk
	}

	var state string
	switch rec.Status {
	case DeployPending:
		state = ":no_entry: *Held: outside the change policy*: " + rec.Reason
		d, _ := b.nextWindow(rec.Environment)
		if !d.IsZero() {
			state += ". Next window: " + b.FormatTime(d)
		}
	case DeployApproved:
		state = ":white_check_mark: Approved: " + rec.Reason
		if rec.Emergency {
			state = fmt.Sprintf(":rotating_light: *Emergency deploy approved* by %s: %s. "+
				"To be documented afterwards (`/deploy audit`).",
				mentionOr(rec.DecidedBy, "someone"), orText(rec.Why, "no reason given"))
		}
	case DeployRejected:
		state = fmt.Sprintf(":x: Rejected by %s: %s", mentionOr(rec.DecidedBy, "someone"),
			orText(rec.Why, "no reason given"))
	case DeployReported:
		state = ":information_source: Inside the change policy: " + rec.Reason
		if !rec.Allowed {
			state = ":warning: *Outside the change policy*: " + rec.Reason + ". warroom cannot " +
				"stop a deployment without the protection rule; it is on record."
		}
	}

	switch rec.Outcome {
	case "success":
		state += "\n:rocket: Deployed."
	case "failure", "error":
		state += "\n:boom: The deployment failed (" + rec.Outcome + ")."
	}
	blocks := []Block{{Kind: BlockSection, Text: what}, {Kind: BlockSection, Text: state},
		{Kind: BlockContext, Text: "rule: " + rec.Rule}}
	if rec.Status == DeployPending {
		blocks = append(blocks, Block{Kind: BlockActions, ID: "deploy-" + id, Buttons: []Button{
			{Label: "Approve emergency deploy", Action: ActionDeployApprove, Value: id,
				Style: StyleDanger},
			{Label: "Reject", Action: ActionDeployReject, Value: id},
		}})
	}
	return Message{Text: rec.Ref() + ": " + state, Blocks: blocks}
}

// nextWindow is when env next opens, now.
func (b *Bot) nextWindow(env string) (time.Time, error) {
	d, err := b.DecideDeploy(context.Background(), env, b.clock.Now())
	return d.Next, err
}

// deployJobFailed tells the deploys channel that GitHub did not take a
// review or status: at the first failure, that warroom keeps trying, and
// when it gives up, that someone must act at GitHub.
func (b *Bot) deployJobFailed(tx Tx, job Job, jobErr error, gaveUp bool) error {
	var p deployJob
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return nil
	}
	rec, err := tx.Deploy(p.Record)
	if err != nil || rec.Channel == "" {
		return err
	}
	text := fmt.Sprintf(":hourglass: GitHub did not take warroom's answer on %s (%s): %s. "+
		"warroom keeps trying.", rec.Ref(), rec.Repo, plainError(jobErr))
	if gaveUp {
		text = fmt.Sprintf(":x: warroom gave up telling GitHub about %s (%s): %s. Review it "+
			"at GitHub by hand.", rec.Ref(), rec.Repo, plainError(jobErr))
	}
	return b.postTo(tx, rec.Channel, Message{Text: text})
}
