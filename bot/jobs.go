package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
)

// The kinds of job the bot schedules.
const (
	jobProvision JobKind = "provision"
	jobSync      JobKind = "sync"
	jobPost      JobKind = "post"
	jobInvite    JobKind = "invite"
	jobNotify    JobKind = "notify"
	jobReminder  JobKind = "reminder"
	// jobChannelPost posts in a channel that belongs to no incident.
	jobChannelPost JobKind = "channel_post"
)

// postJob posts Message in the incident's channel, or in its announcement
// thread when Announcement is set.
type postJob struct {
	Announcement bool    `json:"announcement,omitempty"`
	Message      Message `json:"message"`
}

// channelPost posts Message in Channel.
type channelPost struct {
	Channel string  `json:"channel"`
	Message Message `json:"message"`
}

type inviteJob struct {
	Users []string `json:"users"`
}

type notifyJob struct {
	To      Recipient `json:"to"`
	Message Message   `json:"message"`
}

func lane(inc *Incident) string { return "incident:" + strconv.FormatInt(inc.ID, 10) }

// schedule stores a job for inc in the incident's lane, due now.
func (b *Bot) schedule(tx Tx, inc *Incident, kind JobKind, key string, payload any) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s job: %w", kind, err)
	}
	return tx.Schedule(&Job{
		Kind:       kind,
		IncidentID: inc.ID,
		Key:        key,
		Lane:       lane(inc),
		DueAt:      b.clock.Now(),
		Payload:    body,
		CreatedAt:  b.clock.Now(),
	})
}

func (b *Bot) scheduleProvision(tx Tx, inc *Incident) error {
	return b.schedule(tx, inc, jobProvision, "provision:"+strconv.FormatInt(inc.ID, 10), nil)
}

// scheduleSync owes a refresh of the card and the channel topic.
func (b *Bot) scheduleSync(tx Tx, inc *Incident) error {
	return b.schedule(tx, inc, jobSync, "sync:"+strconv.FormatInt(inc.ID, 10), nil)
}

// post owes msg in the incident's channel.
func (b *Bot) post(tx Tx, inc *Incident, msg Message) error {
	return b.schedule(tx, inc, jobPost, "", postJob{Message: msg})
}

// postTo owes msg in a channel that belongs to no incident.
func (b *Bot) postTo(tx Tx, channel string, msg Message) error {
	body, err := json.Marshal(channelPost{Channel: channel, Message: msg})
	if err != nil {
		return fmt.Errorf("encode post: %w", err)
	}
	now := b.clock.Now()
	return tx.Schedule(&Job{Kind: jobChannelPost, Lane: "channel:" + channel, DueAt: now,
		Payload: body, CreatedAt: now})
}

// postAnnouncement owes msg in the announcement's thread, shown in the
// announcements channel too. Private incidents have no announcement.
func (b *Bot) postAnnouncement(tx Tx, inc *Incident, msg Message) error {
	if inc.Private || b.policy.AnnounceChannel == "" {
		return nil
	}
	return b.schedule(tx, inc, jobPost, "", postJob{Announcement: true, Message: msg})
}

// announce posts a one-line notice in the announcement's thread.
func (b *Bot) announce(tx Tx, inc *Incident, text string) {
	if err := b.postAnnouncement(tx, inc, Message{Text: text}); err != nil {
		b.log.WithError(err).Warn("schedule announcement")
	}
}

// scheduleReminder sets the incident's next status-update reminder, one
// update interval after its last update. It replaces the reminder pending.
func (b *Bot) scheduleReminder(tx Tx, inc *Incident) error {
	sev, _ := b.policy.Severity(inc.Severity)
	return tx.Schedule(&Job{
		Kind:       jobReminder,
		IncidentID: inc.ID,
		Key:        "reminder:" + strconv.FormatInt(inc.ID, 10),
		DueAt:      inc.LastUpdateAt.Add(sev.UpdateEvery),
		CreatedAt:  b.clock.Now(),
	})
}

// Wake makes the job runner look for due jobs now.
func (b *Bot) Wake() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Run runs due jobs until ctx is done.
func (b *Bot) Run(ctx context.Context) error {
	ticker := time.NewTicker(b.poll)
	defer ticker.Stop()

	for {
		for b.RunDue(ctx) > 0 && ctx.Err() == nil {
		}
		select {
		case <-ctx.Done():
			return nil
		case <-b.wake:
		case <-ticker.C:
		}
	}
}

// RunDue runs the jobs due now, up to Workers at once and one at a time in
// each lane, and returns how many ran. Calls to RunDue take turns, so a
// job never runs twice at once.
func (b *Bot) RunDue(ctx context.Context) int {
	b.runMu.Lock()
	defer b.runMu.Unlock()

	var jobs []Job
	err := b.store.View(ctx, func(tx Tx) error {
		var err error
		jobs, err = tx.DueJobs(b.clock.Now(), 100)
		return err
	})
	if err != nil {
		b.log.WithError(err).WithField("action", "jobs.run").Error("list due jobs")
		return 0
	}

	sem := make(chan struct{}, b.workers)
	var wg sync.WaitGroup
	for _, job := range jobs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			b.runJob(ctx, job)
		}()
	}
	wg.Wait()
	return len(jobs)
}

func (b *Bot) runJob(ctx context.Context, job Job) {
	log := b.log.WithFields(logrus.Fields{
		"action":   "job." + string(job.Kind),
		"job":      job.ID,
		"incident": job.IncidentID,
		"attempt":  job.Attempts + 1,
	})
	start := time.Now()

	if job.Key != "" {
		err := b.store.Update(ctx, func(tx Tx) error { return tx.ClaimJob(job.ID) })
		if err != nil {
			log.WithError(err).Error("claim job")
			return
		}
	}
	err := b.safeHandle(ctx, job)
	log = log.WithField("duration", time.Since(start).Milliseconds())
	var wait *pacedError
	if errors.As(err, &wait) {
		err := b.store.Update(ctx, func(tx Tx) error {
			return tx.PostponeJob(job.ID, wait.until, job.Key)
		})
		if err != nil {
			log.WithError(err).Error("postpone job")
		}
		return
	}
	if err == nil {
		err = b.store.Update(ctx, func(tx Tx) error { return tx.FinishJob(job.ID, b.clock.Now()) })
		if err != nil {
			log.WithError(err).Error("mark job done")
		}
		log.Debug("job done")
		return
	}
	b.jobFailed(ctx, log, job, err)
}

func (b *Bot) safeHandle(ctx context.Context, job Job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = Permanent(fmt.Errorf("job panicked: %v", r))
		}
	}()
	return b.handle(ctx, job)
}

// jobFailed schedules a retry with backoff, or gives up on a job that no
// retry will mend or that ran out of attempts.
func (b *Bot) jobFailed(ctx context.Context, log *logrus.Entry, job Job, jobErr error) {
	now := b.clock.Now()
	giveUp := IsPermanent(jobErr) || job.Attempts+1 >= b.maxAttempts

	err := b.store.Update(ctx, func(tx Tx) error {
		if giveUp {
			if err := tx.FailJob(job.ID, now, jobErr.Error()); err != nil {
				return err
			}
			return b.gaveUp(tx, job, jobErr)
		}
		due := now.Add(backoff(job.Attempts, jobErr))
		if err := tx.RetryJob(job.ID, due, jobErr.Error()); err != nil {
			return err
		}
		if job.Attempts == 0 {
			return b.firstFailure(tx, job, jobErr)
		}
		return nil
	})
	if err != nil {
		log.WithError(err).Error("record job failure")
	}

	if giveUp {
		log.WithError(jobErr).Error("job failed; giving up")
		return
	}
	log.WithError(jobErr).Warn("job failed; will retry")
}

// pacedError postpones a job that would post in a channel sooner than the
// channel's pace allows.
type pacedError struct{ until time.Time }

func (e *pacedError) Error() string { return "paced until " + e.until.String() }

// backoff is the wait before attempt n+1: the platform's own wait when it
// named one, else doubling from one second up to five minutes.
func backoff(attempts int, err error) time.Duration {
	var ra *RetryAfterError
	if errors.As(err, &ra) && ra.Wait > 0 {
		return ra.Wait
	}
	d := time.Second << min(attempts, 9)
	return min(d, 5*time.Minute)
}

// firstFailure tells the declarer when their incident's channel could not
// be set up at the first try.
func (b *Bot) firstFailure(tx Tx, job Job, jobErr error) error {
	if job.Kind == jobDeployReview || job.Kind == jobDeployStatus {
		return b.deployJobFailed(tx, job, jobErr, false)
	}
	if job.Kind != jobProvision {
		return nil
	}
	inc, err := tx.Incident(job.IncidentID)
	if err != nil {
		return err
	}
	msg := Message{Text: fmt.Sprintf(":warning: Setting up %s (%s) hit an error: %s. "+
		"warroom keeps trying by itself; nothing is lost.",
		inc.Ref(), inc.Title, plainError(jobErr))}
	return b.notifyNow(tx, inc, inc.ReplyTo, msg)
}

// gaveUp records on the timeline that the bot stopped trying, and tells
// the declarer how to finish the job.
func (b *Bot) gaveUp(tx Tx, job Job, jobErr error) error {
	if job.Kind == jobDeployReview || job.Kind == jobDeployStatus {
		return b.deployJobFailed(tx, job, jobErr, true)
	}
	if job.Kind != jobProvision {
		return nil
	}
	inc, err := tx.Incident(job.IncidentID)
	if err != nil {
		return err
	}
	text := fmt.Sprintf("Setting up the channel failed: %s", plainError(jobErr))
	if err := b.addEvent(tx, inc, "", EventDeclareFailed, text); err != nil {
		return err
	}
	msg := Message{Text: fmt.Sprintf(":x: warroom could not set up %s (%s): %s. "+
		"Run the same `/incident declare %s` again to finish it; no second channel is made.",
		inc.Ref(), inc.Title, plainError(jobErr), inc.Title)}
	return b.notifyNow(tx, inc, inc.ReplyTo, msg)
}

// notifyNow schedules a notice outside the incident's lane, so it is not
// held up behind the job that failed.
func (b *Bot) notifyNow(tx Tx, inc *Incident, to Recipient, msg Message) error {
	body, err := json.Marshal(notifyJob{To: to, Message: msg})
	if err != nil {
		return fmt.Errorf("encode notice: %w", err)
	}
	return tx.Schedule(&Job{
		Kind:       jobNotify,
		IncidentID: inc.ID,
		DueAt:      b.clock.Now(),
		Payload:    body,
		CreatedAt:  b.clock.Now(),
	})
}

// plainError is the part of err worth showing a person.
func plainError(err error) string {
	var ra *RetryAfterError
	if errors.As(err, &ra) {
		return "the chat service is rate-limiting warroom"
	}
	return err.Error()
}
