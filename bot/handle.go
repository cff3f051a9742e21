package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// handle runs one job against the chat.
func (b *Bot) handle(ctx context.Context, job Job) error {
	switch job.Kind {
	case jobNotify:
		var p notifyJob
		if err := json.Unmarshal(job.Payload, &p); err != nil {
			return Permanent(fmt.Errorf("decode notice: %w", err))
		}
		return b.chat.Notify(ctx, p.To, p.Message)
	case jobReminder:
		return b.remind(ctx, job)
	case jobAlertGroup, jobAlertStorm, jobAlertSilence:
		if job.Kind == jobAlertSilence && b.silencer == nil {
			return Permanent(errors.New("no Alertmanager to silence at"))
		}
		return b.handleAlert(ctx, job)
	case jobPostmortemShare, jobPostmortemRemind, jobPostmortemGitHub:
		return b.handlePostmortem(ctx, job)
	case jobDeployReview, jobDeployStatus, jobDeployShow:
		return b.handleDeploy(ctx, job)
	case jobChannelPost:
		var p channelPost
		if err := json.Unmarshal(job.Payload, &p); err != nil {
			return Permanent(fmt.Errorf("decode post: %w", err))
		}
		if err := b.pace(p.Channel); err != nil {
			return err
		}
		_, err := b.chat.Post(ctx, p.Channel, p.Message)
		return err
	case jobPageSend, jobPageSync, jobPageNote, jobPagerAck, jobPagerResolve, jobPageEscalate:
		if (job.Kind == jobPagerAck || job.Kind == jobPagerResolve) && b.pager == nil {
			return Permanent(errNoPager)
		}
		return b.handlePage(ctx, job)
	}

	var inc *Incident
	err := b.store.View(ctx, func(tx Tx) error {
		var err error
		inc, err = tx.Incident(job.IncidentID)
		return err
	})
	if err != nil {
		return fmt.Errorf("load incident %d: %w", job.IncidentID, err)
	}

	switch job.Kind {
	case jobProvision:
		return b.provision(ctx, inc)
	case jobSync:
		return b.sync(ctx, inc)
	case jobPost:
		var p postJob
		if err := json.Unmarshal(job.Payload, &p); err != nil {
			return Permanent(fmt.Errorf("decode post: %w", err))
		}
		return b.deliver(ctx, inc, p)
	case jobInvite:
		var p inviteJob
		if err := json.Unmarshal(job.Payload, &p); err != nil {
			return Permanent(fmt.Errorf("decode invite: %w", err))
		}
		if inc.ChannelID == "" {
			return errors.New("the incident channel does not exist yet")
		}
		return b.chat.Invite(ctx, inc.ChannelID, p.Users)
	}
	return Permanent(fmt.Errorf("unknown job kind %q", job.Kind))
}

// provision makes what an incident needs in chat: the channel, its topic,
// the responders in it, the pinned card and the announcement. Each step
// is recorded when done, so a retry picks up where the last try stopped
// and never makes a second channel.
func (b *Bot) provision(ctx context.Context, inc *Incident) error {
	if inc.ChannelID == "" {
		if err := b.createChannel(ctx, inc); err != nil {
			return err
		}
	}

	if !inc.Invited {
		users := []string{inc.DeclaredBy}
		if inc.Commander != "" && inc.Commander != inc.DeclaredBy {
			users = append(users, inc.Commander)
		}
		for _, u := range b.policy.RespondersFor(inc.Severity, inc.Components) {
			if !slices.Contains(users, u) {
				users = append(users, u)
			}
		}
		if err := b.chat.Invite(ctx, inc.ChannelID, users); err != nil {
			return fmt.Errorf("invite responders to %s: %w", inc.ChannelName, err)
		}
		err := b.save(ctx, inc, func(_ Tx, i *Incident) error { i.Invited = true; return nil })
		if err != nil {
			return err
		}
	}

	if err := b.chat.SetTopic(ctx, inc.ChannelID, topic(b, inc)); err != nil {
		return fmt.Errorf("set topic of %s: %w", inc.ChannelName, err)
	}

	if inc.CardTS == "" {
		ts, err := b.chat.Post(ctx, inc.ChannelID, card(b, inc))
		if err != nil {
			return fmt.Errorf("post card in %s: %w", inc.ChannelName, err)
		}
		err = b.save(ctx, inc, func(_ Tx, i *Incident) error { i.CardTS = ts; return nil })
		if err != nil {
			return err
		}
	}
	if !inc.CardPinned {
		if err := b.chat.Pin(ctx, inc.ChannelID, inc.CardTS); err != nil {
			return fmt.Errorf("pin card in %s: %w", inc.ChannelName, err)
		}
		err := b.save(ctx, inc, func(_ Tx, i *Incident) error { i.CardPinned = true; return nil })
		if err != nil {
			return err
		}
	}

	if !inc.Private && b.policy.AnnounceChannel != "" && inc.AnnounceTS == "" {
		ts, err := b.chat.Post(ctx, b.policy.AnnounceChannel, announcement(b, inc))
		if err != nil {
			return fmt.Errorf("announce %s: %w", inc.Ref(), err)
		}
		err = b.save(ctx, inc, func(_ Tx, i *Incident) error {
			i.AnnounceChannel = b.policy.AnnounceChannel
			i.AnnounceTS = ts
			return nil
		})
		if err != nil {
			return err
		}
	}

	return b.ready(ctx, inc)
}

// createChannel creates the incident's channel, moving to the next free
// name when Slack already has one of that name.
func (b *Bot) createChannel(ctx context.Context, inc *Incident) error {
	for try := 0; try < 20; try++ {
		id, err := b.chat.CreateChannel(ctx, inc.ChannelName, inc.Private)
		if errors.Is(err, ErrNameTaken) {
			if err := b.renameChannel(ctx, inc, try+1); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("create channel %s: %w", inc.ChannelName, err)
		}

		return b.save(ctx, inc, func(tx Tx, i *Incident) error {
			i.ChannelID = id
			b.tick(i, AutoChannel, "")
			return b.addEvent(tx, i, "", EventChannel, "Created channel #"+i.ChannelName)
		})
	}
	return fmt.Errorf("create channel for %s: every name tried is taken", inc.Ref())
}

func (b *Bot) renameChannel(ctx context.Context, inc *Incident, skip int) error {
	return b.save(ctx, inc, func(tx Tx, i *Incident) error {
		name, err := b.channelName(tx, i.Title, skip)
		i.ChannelName = name
		return err
	})
}

// ready tells the declarer where the incident lives, once.
func (b *Bot) ready(ctx context.Context, inc *Incident) error {
	if inc.Ready {
		return nil
	}
	link, err := b.chat.Permalink(ctx, inc.ChannelID, "")
	if err != nil {
		link = "<#" + inc.ChannelID + ">"
	}

	return b.save(ctx, inc, func(tx Tx, i *Incident) error {
		i.Ready = true
		msg := Message{Text: fmt.Sprintf(":white_check_mark: %s is open: <#%s> (%s)",
			i.Ref(), i.ChannelID, link)}
		return b.notifyNow(tx, i, i.ReplyTo, msg)
	})
}

// save applies set to the stored incident and stores it, in one
// transaction, then copies the result into inc. Loading afresh keeps what
// people changed while the bot was busy in chat.
func (b *Bot) save(ctx context.Context, inc *Incident,
	set func(tx Tx, fresh *Incident) error) error {

	return b.store.Update(ctx, func(tx Tx) error {
		fresh, err := tx.Incident(inc.ID)
		if err != nil {
			return err
		}
		if err := set(tx, fresh); err != nil {
			return err
		}
		if err := tx.UpdateIncident(fresh); err != nil {
			return err
		}
		*inc = *fresh
		return nil
	})
}

// sync edits the card and the topic to match the incident.
func (b *Bot) sync(ctx context.Context, inc *Incident) error {
	if inc.ChannelID == "" || inc.CardTS == "" {
		// The card is not posted yet; provisioning posts it up to date.
		return nil
	}
	if err := b.chat.Update(ctx, inc.ChannelID, inc.CardTS, card(b, inc)); err != nil {
		return fmt.Errorf("update card of %s: %w", inc.Ref(), err)
	}
	if err := b.chat.SetTopic(ctx, inc.ChannelID, topic(b, inc)); err != nil {
		return fmt.Errorf("set topic of %s: %w", inc.ChannelName, err)
	}
	if inc.AnnounceTS != "" {
		err := b.chat.Update(ctx, inc.AnnounceChannel, inc.AnnounceTS, announcement(b, inc))
		if err != nil {
			return fmt.Errorf("update announcement of %s: %w", inc.Ref(), err)
		}
	}
	return nil
}

// deliver posts a message the bot owes in the incident's channel or its
// announcement thread.
func (b *Bot) deliver(ctx context.Context, inc *Incident, p postJob) error {
	if !p.Announcement {
		if inc.ChannelID == "" {
			return errors.New("the incident channel does not exist yet")
		}
		_, err := b.chat.Post(ctx, inc.ChannelID, p.Message)
		return err
	}

	if inc.AnnounceTS == "" {
		// Announcements were off or the incident is private.
		return nil
	}
	msg := p.Message
	msg.Thread = inc.AnnounceTS
	msg.Broadcast = true
	_, err := b.chat.Post(ctx, inc.AnnounceChannel, msg)
	return err
}

// remind posts a reminder in the channel of an open incident whose last
// status update is older than its severity's interval, mentioning the
// commander, and sets the next reminder.
func (b *Bot) remind(ctx context.Context, job Job) error {
	return b.store.Update(ctx, func(tx Tx) error {
		inc, err := tx.Incident(job.IncidentID)
		if err != nil {
			return err
		}
		if !inc.Open() {
			return tx.FinishJob(job.ID, b.clock.Now())
		}

		sev, _ := b.policy.Severity(inc.Severity)
		now := b.clock.Now()
		since := now.Sub(inc.LastUpdateAt)
		if err := tx.FinishJob(job.ID, now); err != nil {
			return err
		}
		if since < sev.UpdateEvery {
			return b.scheduleReminder(tx, inc)
		}

		msg := reminderMessage(inc, since)
		if err := b.post(tx, inc, msg); err != nil {
			return err
		}
		text := fmt.Sprintf("Reminded %s of a status update, %s after the last",
			mentionOr(inc.Commander, "the channel"), FormatDuration(since))
		if err := b.addEvent(tx, inc, "", EventReminder, text); err != nil {
			return err
		}

		// The next reminder comes one interval from now, not from the
		// last update, so a missed one is not repeated in a burst.
		return tx.Schedule(&Job{
			Kind:       jobReminder,
			IncidentID: inc.ID,
			Key:        job.Key,
			DueAt:      now.Add(sev.UpdateEvery),
			CreatedAt:  now,
		})
	})
}

func mentionOr(user, otherwise string) string {
	if user == "" {
		return otherwise
	}
	return "<@" + user + ">"
}
