package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Postmortem is a post-mortem of an incident: the latest draft, and where
// it was published once it is.
type Postmortem struct {
	IncidentID int64
	// Impact is what the people who asked for the draft said it cost.
	Impact Impact
	Draft  string
	// PullRequest is the draft's pull request, once opened.
	PullRequest string
	DraftedBy   string
	DraftedAt   time.Time
	Published   string
	PublishedBy string
	PublishedAt time.Time
}

const (
	jobPostmortemShare  JobKind = "postmortem.share"
	jobPostmortemRemind JobKind = "postmortem.remind"
	jobPostmortemGitHub JobKind = "postmortem.github"
)

// PostmortemPublisher is what the bot needs of GitHub to publish a
// post-mortem: a pull request of the draft, and issues for action items.
type PostmortemPublisher interface {
	OpenPostmortemPR(ctx context.Context, repo, branch, path, title, body,
		content string) (string, error)
	OpenIssue(ctx context.Context, repo, title, body, assignee string) (string, error)
}

// WritePostmortem stores the impact and owes the incident a post-mortem
// draft: a job fills in the timeline from the channel's history, drafts,
// stores the draft and shares it in the channel.
func (b *Bot) WritePostmortem(ctx context.Context, id int64, by string,
	impact Impact) (*Postmortem, error) {

	pm := &Postmortem{IncidentID: id, Impact: impact, DraftedBy: by}
	err := b.store.Update(ctx, func(tx Tx) error {
		inc, err := tx.Incident(id)
		if err != nil {
			return err
		}
		if old, err := tx.Postmortem(id); err == nil {
			pm.Draft, pm.DraftedAt = old.Draft, old.DraftedAt
			pm.Published, pm.PublishedBy, pm.PublishedAt = old.Published, old.PublishedBy,
				old.PublishedAt
		}
		if err := tx.SavePostmortem(pm); err != nil {
			return err
		}
		return b.schedule(tx, inc, jobPostmortemShare, "", struct{}{})
	})
	if errors.Is(err, ErrNotFound) {
		return nil, NotFoundf("", "There is no incident INC-%d.", id)
	}
	if err != nil {
		return nil, fmt.Errorf("ask for the post-mortem of incident %d: %w", id, err)
	}
	b.Wake()
	return pm, nil
}

// PublishPostmortem records where the post-mortem was published, ticks
// the checklist and stops the reminders.
func (b *Bot) PublishPostmortem(ctx context.Context, id int64, by, link string) error {
	link = strings.TrimSpace(link)
	if link == "" {
		return Invalidf("`/incident postmortem done https://wiki.example/pm/42`",
			"Give the link where the post-mortem is published.")
	}
	err := b.store.Update(ctx, func(tx Tx) error {
		inc, err := tx.Incident(id)
		if err != nil {
			return err
		}
		pm, err := tx.Postmortem(id)
		if errors.Is(err, ErrNotFound) {
			pm = &Postmortem{IncidentID: id}
		} else if err != nil {
			return err
		}
		pm.Published, pm.PublishedBy, pm.PublishedAt = link, by, b.clock.Now()
		if err := tx.SavePostmortem(pm); err != nil {
			return err
		}
		b.tick(inc, AutoPostmortem, by)
		if err := tx.UpdateIncident(inc); err != nil {
			return err
		}
		if err := b.addEvent(tx, inc, by, EventPostmortem, "Post-mortem published: "+
			link); err != nil {
			return err
		}
		return b.scheduleSync(tx, inc)
	})
	if err != nil {
		return fmt.Errorf("publish the post-mortem of incident %d: %w", id, err)
	}
	b.Wake()
	return nil
}

// schedulePostmortemReminders owes the commander reminders of the
// post-mortem a day after resolution and when it is due.
func (b *Bot) schedulePostmortemReminders(tx Tx, inc *Incident) error {
	for i, at := range []time.Time{inc.ResolvedAt.Add(24 * time.Hour), inc.PostmortemDue} {
		if !at.After(inc.ResolvedAt) {
			continue
		}
		body, err := json.Marshal(map[string]int64{"incident": inc.ID})
		if err != nil {
			return err
		}
		err = tx.Schedule(&Job{Kind: jobPostmortemRemind, IncidentID: inc.ID,
			Key: fmt.Sprintf("postmortem-remind:%d:%d", inc.ID, i), DueAt: at, Payload: body,
			CreatedAt: b.clock.Now()})
		if err != nil {
			return err
		}
	}
	return nil
}

// handlePostmortem shares a draft, or reminds the commander of an
// unpublished post-mortem.
func (b *Bot) handlePostmortem(ctx context.Context, job Job) error {
	var (
		inc *Incident
		pm  *Postmortem
	)
	err := b.store.View(ctx, func(tx Tx) error {
		var err error
		if inc, err = tx.Incident(job.IncidentID); err != nil {
			return err
		}
		pm, err = tx.Postmortem(job.IncidentID)
		if errors.Is(err, ErrNotFound) {
			pm, err = &Postmortem{}, nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("load the post-mortem of incident %d: %w", job.IncidentID, err)
	}

	if job.Kind == jobPostmortemRemind {
		if pm.Published != "" || inc.Open() || inc.ChannelID == "" {
			return nil
		}
		left := inc.PostmortemDue.Sub(b.clock.Now())
		text := fmt.Sprintf(":memo: %s: the post-mortem of %s is due %s.",
			mentionOr(inc.Commander, "Commander"), inc.Ref(), b.FormatTime(inc.PostmortemDue))
		if left <= 0 {
			text = fmt.Sprintf(":memo: %s: the post-mortem of %s is due now.",
				mentionOr(inc.Commander, "Commander"), inc.Ref())
		}
		text += " `/incident postmortem` drafts it; `/incident postmortem done <link>` " +
			"records it published."
		_, err := b.chat.Post(ctx, inc.ChannelID, Message{Text: text})
		return err
	}

	if job.Kind == jobPostmortemGitHub {
		return b.publishOnGitHub(ctx, inc, pm)
	}
	if inc.ChannelID == "" {
		return nil
	}
	if _, err := b.backfill(ctx, inc); err != nil {
		return err
	}
	draft, err := b.DraftPostmortem(ctx, inc.ID, pm.Impact)
	if err != nil {
		return err
	}
	err = b.store.Update(ctx, func(tx Tx) error {
		fresh, err := tx.Postmortem(inc.ID)
		if err != nil {
			return err
		}
		fresh.Draft, fresh.DraftedAt = draft, b.clock.Now()
		if err := tx.SavePostmortem(fresh); err != nil {
			return err
		}
		return b.addEvent(tx, inc, fresh.DraftedBy, EventPostmortem, "Post-mortem drafted")
	})
	if err != nil {
		return fmt.Errorf("store the post-mortem draft of %s: %w", inc.Ref(), err)
	}
	pm.Draft = draft

	name := fmt.Sprintf("postmortem-%s-%s.md", inc.DeclaredAt.In(b.policy.Location).
		Format("2006-01-02"), Slug(inc.Title, 60))
	title := "Post-mortem draft of " + inc.Ref()
	if up, ok := b.chat.(FileUploader); ok {
		err = up.UploadFile(ctx, inc.ChannelID, name, title, pm.Draft)
	} else {
		_, err = b.chat.Post(ctx, inc.ChannelID, draftMessage(title, pm.Draft))
	}
	if err != nil {
		return err
	}

	// The pull request and the issues are a job of their own, so that a
	// GitHub failure does not share the draft in Slack twice.
	if _, ok := b.gate.(PostmortemPublisher); ok && b.policy.PostmortemsRepo != "" {
		return b.store.Update(ctx, func(tx Tx) error {
			return b.schedule(tx, inc, jobPostmortemGitHub, "", struct{}{})
		})
	}
	return nil
}

// publishOnGitHub opens the draft's pull request and an issue for each
// action item without one, assigned through the policy's user map.
func (b *Bot) publishOnGitHub(ctx context.Context, inc *Incident, pm *Postmortem) error {
	pub, ok := b.gate.(PostmortemPublisher)
	repo := b.policy.PostmortemsRepo
	if !ok || repo == "" || pm.Draft == "" {
		return nil
	}
	day := inc.DeclaredAt.In(b.policy.Location).Format("2006-01-02")
	slug := Slug(inc.Title, 60)
	title := fmt.Sprintf("Post-mortem of %s: %s", inc.Ref(), plainMarkup(inc.Title))
	link, err := pub.OpenPostmortemPR(ctx, repo, "warroom/postmortem-"+strings.ToLower(
		inc.Ref()), "postmortems/"+day+"-"+slug+".md", title, "Drafted by warroom from the "+
		"incident's timeline. Edit, review and merge to publish it.", pm.Draft)
	if err != nil {
		return fmt.Errorf("open the post-mortem pull request: %w", err)
	}

	items, err := b.ActionItems(ctx, inc.ID)
	if err != nil {
		return err
	}
	for _, it := range items {
		if it.IssueURL != "" || it.Done() {
			continue
		}
		body := fmt.Sprintf("Action item AI-%d of %s (%s).", it.ID, inc.Ref(),
			plainMarkup(inc.Title))
		if !it.Due.IsZero() {
			body += " Due " + it.Due.In(b.policy.Location).Format("2006-01-02") + "."
		}
		url, err := pub.OpenIssue(ctx, repo, plainMarkup(it.Text), body,
			b.policy.GitHubUsers[it.Owner])
		if err != nil {
			return fmt.Errorf("open the issue of AI-%d: %w", it.ID, err)
		}
		err = b.store.Update(ctx, func(tx Tx) error {
			fresh, err := tx.ActionItem(it.ID)
			if err != nil {
				return err
			}
			fresh.IssueURL = url
			return tx.UpdateActionItem(fresh)
		})
		if err != nil {
			return err
		}
	}

	if pm.PullRequest == link {
		return nil
	}
	err = b.store.Update(ctx, func(tx Tx) error {
		fresh, err := tx.Postmortem(inc.ID)
		if err != nil {
			return err
		}
		fresh.PullRequest = link
		return tx.SavePostmortem(fresh)
	})
	if err != nil {
		return err
	}
	_, err = b.chat.Post(ctx, inc.ChannelID, Message{Text: fmt.Sprintf(":octocat: The "+
		"post-mortem of %s is a pull request: <%s|%s>", inc.Ref(), link, link)})
	return err
}

// draftMessage carries a draft as a message, for chats without files.
func draftMessage(title, draft string) Message {
	blocks := []Block{{Kind: BlockHeader, Text: title}}
	var part strings.Builder
	for _, line := range strings.SplitAfter(draft, "\n") {
		if part.Len()+len(line) > 2900 {
			blocks = append(blocks, Block{Kind: BlockSection, Text: part.String()})
			part.Reset()
		}
		part.WriteString(line)
	}
	if part.Len() > 0 {
		blocks = append(blocks, Block{Kind: BlockSection, Text: part.String()})
	}
	if len(blocks) > 50 {
		blocks = append(blocks[:49], Block{Kind: BlockContext,
			Text: "The draft is longer than a message: `warroom postmortem` prints it whole."})
	}
	return Message{Text: title, Blocks: blocks}
}
