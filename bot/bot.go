package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
)

// Bot runs incidents: it changes them on people's request, records every
// change on the timeline, and owes the chat the messages that follow, as
// jobs in the store.
type Bot struct {
	policy Policy
	store  Store
	chat   Chat
	pager  Pager
	// gate, when set, reviews deployments at GitHub.
	gate DeployGate
	// silencer, when set, silences alert groups at Alertmanager.
	silencer Silencer
	clock    Clock
	log      *logrus.Entry

	pagerFrom   string
	poll        time.Duration
	maxAttempts int
	workers     int
	wake        chan struct{}
	// runMu lets one RunDue at a time list and run jobs.
	runMu sync.Mutex
	// paceMu guards lastPost, when each channel lane last posted.
	paceMu   sync.Mutex
	lastPost map[string]time.Time
}

// Options configure a Bot. Policy, Store and Chat are required.
type Options struct {
	Policy Policy
	Store  Store
	Chat   Chat
	// Pager, when set, carries pages; chat direct messages do otherwise.
	Pager Pager
	// Gate, when set, reviews deployments at GitHub.
	Gate DeployGate
	// Silencer, when set, lets people silence alert groups.
	Silencer Silencer
	// PagerFrom is the email the paging service records for the bot's
	// escalations.
	PagerFrom string
	Clock     Clock
	Log       *logrus.Entry
	// PollInterval is how often the job runner looks for due jobs when
	// nothing wakes it.
	PollInterval time.Duration
	// MaxAttempts is how many times a failing job is tried before the bot
	// gives up on it.
	MaxAttempts int
	// Workers is how many jobs run at once.
	Workers int
}

// New builds a Bot.
func New(o Options) (*Bot, error) {
	if o.Store == nil || o.Chat == nil {
		return nil, errors.New("bot: a store and a chat are required")
	}
	if err := o.Policy.Validate(); err != nil {
		return nil, err
	}

	b := &Bot{
		policy:      o.Policy,
		store:       o.Store,
		chat:        o.Chat,
		pager:       o.Pager,
		silencer:    o.Silencer,
		gate:        o.Gate,
		lastPost:    map[string]time.Time{},
		pagerFrom:   o.PagerFrom,
		clock:       o.Clock,
		log:         o.Log,
		poll:        o.PollInterval,
		maxAttempts: o.MaxAttempts,
		workers:     o.Workers,
		wake:        make(chan struct{}, 1),
	}
	if b.clock == nil {
		b.clock = SystemClock{}
	}
	if b.log == nil {
		b.log = logrus.NewEntry(logrus.StandardLogger())
	}
	if b.poll <= 0 {
		b.poll = 2 * time.Second
	}
	if b.maxAttempts <= 0 {
		b.maxAttempts = 20
	}
	if b.workers <= 0 {
		b.workers = 4
	}
	return b, nil
}

// Policy returns the policy the bot runs.
func (b *Bot) Policy() *Policy { return &b.policy }

// Now returns the bot's current time.
func (b *Bot) Now() time.Time { return b.clock.Now() }

// Incident returns the incident with the given id.
func (b *Bot) Incident(ctx context.Context, id int64) (*Incident, error) {
	var inc *Incident
	err := b.store.View(ctx, func(tx Tx) error {
		var err error
		inc, err = tx.Incident(id)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return nil, NotFoundf("`/incident list` shows the open incidents.",
			"There is no incident INC-%d.", id)
	}
	if err != nil {
		return nil, fmt.Errorf("load incident %d: %w", id, err)
	}
	return inc, nil
}

// IncidentInChannel returns the incident whose channel is channelID. It
// returns an error with code CodeNotFound when the channel is no incident's.
func (b *Bot) IncidentInChannel(ctx context.Context, channelID string) (*Incident, error) {
	var inc *Incident
	err := b.store.View(ctx, func(tx Tx) error {
		var err error
		inc, err = tx.IncidentByChannel(channelID)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return nil, NotFoundf("Run it in the incident's channel.",
			"This channel is not an incident channel.")
	}
	if err != nil {
		return nil, fmt.Errorf("find incident of channel %s: %w", channelID, err)
	}
	return inc, nil
}

// OpenIncidents lists the unresolved incidents, oldest first.
func (b *Bot) OpenIncidents(ctx context.Context) ([]*Incident, error) {
	var list []*Incident
	err := b.store.View(ctx, func(tx Tx) error {
		var err error
		list, err = tx.OpenIncidents()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list open incidents: %w", err)
	}
	return list, nil
}

// Timeline lists an incident's events in order.
func (b *Bot) Timeline(ctx context.Context, id int64) ([]Event, error) {
	var events []Event
	err := b.store.View(ctx, func(tx Tx) error {
		var err error
		events, err = tx.Timeline(id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("load timeline of incident %d: %w", id, err)
	}
	return events, nil
}

// OpenBySeverity counts the unresolved incidents per severity, with every
// configured severity present.
func (b *Bot) OpenBySeverity(ctx context.Context) (map[string]int, error) {
	var counts map[string]int
	err := b.store.View(ctx, func(tx Tx) error {
		var err error
		counts, err = tx.CountOpenBySeverity()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("count open incidents: %w", err)
	}

	all := make(map[string]int, len(b.policy.Severities))
	for _, s := range b.policy.Severities {
		all[s.Name] = counts[s.Name]
	}
	return all, nil
}

// FormatTime shows t in the policy's timezone.
func (b *Bot) FormatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(b.policy.Location).Format("2006-01-02 15:04 MST")
}
