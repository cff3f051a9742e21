package bot

import (
	"context"
	"time"
)

// Store keeps incidents, their timelines and the jobs the bot owes.
type Store interface {
	// Update runs fn in one read-write transaction: every write fn makes
	// lands, or none does.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
}

// Tx is a transaction on the Store. Methods that look up one record return
// an error wrapping ErrNotFound when it does not exist.
type Tx interface {
	// CreateIncident stores a new incident and sets its ID.
	CreateIncident(inc *Incident) error
	// UpdateIncident overwrites the stored incident with the same ID.
	UpdateIncident(inc *Incident) error
	Incident(id int64) (*Incident, error)
	IncidentByChannel(channelID string) (*Incident, error)
	// ChannelNameUsed reports whether any incident has the channel name.
	ChannelNameUsed(name string) (bool, error)
	// OpenIncidents lists unresolved incidents, oldest first.
	OpenIncidents() ([]*Incident, error)
	// UnreadyIncident finds the oldest open incident declaredBy declared
	// with title (ignoring case) whose channel, card or announcement is not
	// made yet.
	UnreadyIncident(declaredBy, title string) (*Incident, error)
	// CountOpenBySeverity counts unresolved incidents per severity.
	CountOpenBySeverity() (map[string]int, error)

	// AddEvent appends ev to its incident's timeline and sets its ID.
	AddEvent(ev *Event) error
	// Timeline lists an incident's events in the order they happened.
	Timeline(incidentID int64) ([]Event, error)

	// Schedule stores a job. A job with a Key replaces the pending job
	// with the same Key, if there is one.
	Schedule(job *Job) error
	// DueJobs lists up to limit pending jobs due at or before now, oldest
	// first, leaving out any job that has an older pending job in the
	// same Lane.
	DueJobs(now time.Time, limit int) ([]Job, error)
	// PendingJobs lists the pending jobs of an incident, oldest first.
	PendingJobs(incidentID int64) ([]Job, error)
	// ClaimJob detaches a pending job from its Key before it runs, so
	// that a job scheduled with the same Key while it runs is a new job
	// rather than a change to this one.
	ClaimJob(id int64) error
	// FinishJob marks a job done.
	FinishJob(id int64, at time.Time) error
	// RetryJob records a failed attempt and when to try again.
	RetryJob(id int64, due time.Time, lastError string) error
	// FailJob records that a job was given up on.
	FailJob(id int64, at time.Time, lastError string) error

	// CreatePage stores a new page and sets its ID; UpdatePage overwrites
	// the stored page with the same ID.
	CreatePage(p *Page) error
	UpdatePage(p *Page) error
	Page(id int64) (*Page, error)
	// PageByDedupKey finds the newest page with the dedup key.
	PageByDedupKey(key string) (*Page, error)
	// PagesOfIncident lists an incident's pages, oldest first.
	PagesOfIncident(incidentID int64) ([]*Page, error)
	// PagesSince lists the pages made at or after t, oldest first.
	PagesSince(t time.Time) ([]*Page, error)

	// AddOverride stores an on-call override and sets its ID.
	AddOverride(o *Override) error
	// Overrides lists the overrides of a schedule in force at t, oldest
	// first.
	Overrides(schedule string, at time.Time) ([]Override, error)

	// AlertGroupByKey finds the newest alert group with the group key.
	AlertGroupByKey(key string) (*AlertGroup, error)
	AlertGroup(id int64) (*AlertGroup, error)
	// CreateAlertGroup stores a new group and sets its ID;
	// UpdateAlertGroup overwrites the stored group with the same ID.
	CreateAlertGroup(g *AlertGroup) error
	UpdateAlertGroup(g *AlertGroup) error
	// UpsertAlert stores an alert of a group, by fingerprint, and reports
	// whether it is new or its status or end changed.
	UpsertAlert(groupID int64, a Alert, at time.Time) (bool, error)
	// FiringAlerts counts a group's firing alerts.
	FiringAlerts(groupID int64) (int, error)
	// GroupAlerts lists a group's alerts in the order they were first seen.
	GroupAlerts(groupID int64) ([]StoredAlert, error)
	// FoldedGroups lists the groups folded into a channel's current storm
	// summary.
	FoldedGroups(channel string) ([]*AlertGroup, error)
	// StormMessage is the timestamp of the channel's current storm
	// summary, or "".
	StormMessage(channel string) (string, error)
	SetStormMessage(channel, ts string) error
	// EndStorm closes the channel's storm: its summary stays as it is, and
	// the next storm gets a new one.
	EndStorm(channel string) error

	// PendingInLane counts the pending jobs of a lane.
	PendingInLane(lane string) (int, error)
	// PostponeJob moves a pending job's due time without counting an
	// attempt, and gives it back key, the Key ClaimJob took. When another
	// pending job has that key meanwhile, that job stands for both and
	// this one is marked done.
	PostponeJob(id int64, due time.Time, key string) error

	// AddFreeze stores a manual deploy freeze and sets its ID.
	AddFreeze(f *Freeze) error
	// ActiveFreezes lists the manual freezes in force at at.
	ActiveFreezes(at time.Time) ([]Freeze, error)
	// EndFreezes lifts the manual freezes in force at at, as by asked,
	// and counts them.
	EndFreezes(at time.Time, by string) (int, error)

	// CreateDeploy stores a deployment record and sets its ID;
	// UpdateDeploy overwrites the stored record with the same ID.
	CreateDeploy(d *DeployRecord) error
	UpdateDeploy(d *DeployRecord) error
	Deploy(id int64) (*DeployRecord, error)
	// DeployByDeployment finds the newest record of a GitHub deployment.
	DeployByDeployment(repo string, deploymentID int64) (*DeployRecord, error)
	// UndocumentedEmergencies lists the approved emergency deploys with
	// no documentation link yet, oldest first.
	UndocumentedEmergencies() ([]*DeployRecord, error)

	// AddActionItem stores an action item and sets its ID;
	// UpdateActionItem overwrites the stored item with the same ID.
	AddActionItem(a *ActionItem) error
	UpdateActionItem(a *ActionItem) error
	ActionItem(id int64) (*ActionItem, error)
	// ActionItems lists an incident's action items, oldest first.
	ActionItems(incidentID int64) ([]ActionItem, error)

	// SavePostmortem stores an incident's post-mortem, replacing the last.
	SavePostmortem(p *Postmortem) error
	// Postmortem returns an incident's post-mortem.
	Postmortem(incidentID int64) (*Postmortem, error)

	// FirstDelivery records a delivery from an outside sender (a Slack
	// event id, a webhook id) and reports whether it is the first time
	// this delivery was seen.
	FirstDelivery(source, id string, at time.Time) (bool, error)
}

// JobKind names a kind of job.
type JobKind string

// Job is work the bot owes: a message to post, a card to refresh, a
// reminder to send. It is stored with its due time so a restart loses none.
type Job struct {
	ID         int64
	Kind       JobKind
	IncidentID int64
	// Key, when set, makes the job replace a pending job of the same Key.
	Key string
	// Lane, when set, makes jobs of the same Lane run one at a time in
	// the order they were scheduled.
	Lane      string
	DueAt     time.Time
	Attempts  int
	Payload   []byte
	LastError string
	CreatedAt time.Time
}
