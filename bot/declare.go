package bot

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxTitleLen is the longest incident title the bot takes.
const MaxTitleLen = 150

// maxChannelName is Slack's limit on a channel name's length.
const maxChannelName = 80

// Declaration is what a person says when declaring an incident.
type Declaration struct {
	Title      string
	Summary    string
	Severity   string
	Components []string
	Private    bool
	By         string
	ReplyTo    Recipient
	// PagerKey, for an incident declared from the paging service's alert,
	// is that alert's key: the incident's page joins it instead of paging
	// again.
	PagerKey string
}

// Declare opens an incident: it stores the incident, its first timeline
// event and the jobs that create its channel, card and announcement, all
// in one transaction, and wakes the job runner. The channel is created
// after Declare returns.
//
// Declaring again, by the same person, an incident with the same title
// whose channel could not be made yet resumes that incident instead of
// opening a second one.
func (b *Bot) Declare(ctx context.Context, d Declaration) (*Incident, bool, error) {
	d.Title = strings.TrimSpace(d.Title)
	if err := b.checkDeclaration(&d); err != nil {
		return nil, false, err
	}

	chain, err := b.declarationChain(ctx, d)
	if err != nil {
		return nil, false, err
	}

	var (
		inc     *Incident
		resumed bool
	)
	err = b.store.Update(ctx, func(tx Tx) error {
		var err error
		inc, err = b.unfinished(tx, d)
		if err != nil {
			return err
		}
		if inc != nil {
			resumed = true
			return b.scheduleProvision(tx, inc)
		}

		inc, err = b.createIncident(tx, d)
		if err != nil || chain == nil {
			return err
		}
		_, err = b.newPage(tx, PageRequest{Target: b.policy.OnCall.Schedules[0].Name,
			Message: d.Title, Severity: d.Severity, By: d.By, DedupKey: d.PagerKey}, inc, chain)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("declare incident %q: %w", d.Title, err)
	}

	b.Wake()
	return inc, resumed, nil
}

// declarationChain works out whom declaring d pages: the default
// schedule's levels when the policy pages for d's severity, else nobody.
func (b *Bot) declarationChain(ctx context.Context, d Declaration) ([]PageLevel, error) {
	oc := &b.policy.OnCall
	if len(oc.Schedules) == 0 || !containsFold(oc.PageSeverities, d.Severity) {
		return nil, nil
	}
	chain, err := b.chain(ctx, oc.Schedules[0].Name)
	if err != nil {
		return nil, fmt.Errorf("work out whom to page: %w", err)
	}
	return chain, nil
}

func (b *Bot) checkDeclaration(d *Declaration) error {
	if d.Title == "" {
		return Invalidf("Give it a title: `/incident declare &lt;title&gt; [--sev P1]`.",
			"An incident needs a title.")
	}
	if utf8.RuneCountInString(d.Title) > MaxTitleLen {
		return Invalidf("Keep the title short and put the details in the summary.",
			"The title is %d characters long; at most %d fit.",
			utf8.RuneCountInString(d.Title), MaxTitleLen)
	}

	sev, ok := b.policy.Severity(d.Severity)
	if !ok {
		return Invalidf("Valid severities: "+strings.Join(b.policy.SeverityNames(), ", ")+".",
			"Unknown severity %q.", d.Severity)
	}
	d.Severity = sev.Name

	ids := make([]string, 0, len(d.Components))
	for _, name := range d.Components {
		c, ok := b.policy.Component(strings.TrimSpace(name))
		if !ok {
			return Invalidf("Valid components: "+strings.Join(b.policy.ComponentIDs(), ", ")+".",
				"Unknown component %q.", name)
		}
		if !containsFold(ids, c.ID) {
			ids = append(ids, c.ID)
		}
	}
	d.Components = ids
	return nil
}

// unfinished finds an open incident of the same declarer and title whose
// channel, card or announcement is not made yet, or returns nil.
func (b *Bot) unfinished(tx Tx, d Declaration) (*Incident, error) {
	inc, err := tx.UnreadyIncident(d.By, d.Title)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return inc, err
}

func (b *Bot) createIncident(tx Tx, d Declaration) (*Incident, error) {
	now := b.clock.Now()
	name, err := b.channelName(tx, d.Title, 0)
	if err != nil {
		return nil, err
	}

	inc := &Incident{
		Title:        d.Title,
		Summary:      strings.TrimSpace(d.Summary),
		Severity:     d.Severity,
		Status:       StatusInvestigating,
		Components:   d.Components,
		Private:      d.Private,
		DeclaredBy:   d.By,
		Commander:    d.By,
		ChannelName:  name,
		ReplyTo:      d.ReplyTo,
		DeclaredAt:   now,
		LastUpdateAt: now,
	}
	for _, step := range b.policy.Checklist {
		inc.Checklist = append(inc.Checklist, ChecklistItem{Step: step.Step, Auto: step.Auto})
	}
	b.tick(inc, AutoCommander, d.By)
	if err := tx.CreateIncident(inc); err != nil {
		return nil, err
	}

	text := fmt.Sprintf("Declared %s %s: %s", inc.Severity, inc.Ref(), inc.Title)
	if err := b.addEvent(tx, inc, d.By, EventDeclared, text); err != nil {
		return nil, err
	}
	if err := b.scheduleProvision(tx, inc); err != nil {
		return nil, err
	}
	return inc, b.scheduleReminder(tx, inc)
}

// channelName picks a channel name for an incident titled title that no
// other incident has, trying suffixes from skip+2 on.
func (b *Bot) channelName(tx Tx, title string, skip int) (string, error) {
	date := b.clock.Now().In(b.policy.Location).Format("20060102")
	base := b.policy.ChannelPrefix + "-" + date + "-"
	slug := Slug(title, maxChannelName-len(base)-4)
	if slug == "" {
		slug = "incident"
	}

	for n := skip + 1; n < skip+100; n++ {
		name := base + slug
		if n > 1 {
			name += "-" + strconv.Itoa(n)
		}
		used, err := tx.ChannelNameUsed(name)
		if err != nil {
			return "", err
		}
		if !used {
			return name, nil
		}
	}
	return "", errors.New("no free channel name after 100 tries")
}

// Slug turns a title, as chat markup, into the part of a channel name
// Slack accepts:
// lowercase letters, digits and single dashes, at most max bytes.
func Slug(title string, max int) string {
	var sb strings.Builder
	dash := false
	for _, r := range strings.ToLower(html.UnescapeString(title)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if dash && sb.Len() > 0 {
				sb.WriteByte('-')
			}
			dash = false
			sb.WriteRune(r)
		default:
			dash = true
		}
		if sb.Len() >= max {
			break
		}
	}

	slug := sb.String()
	if len(slug) > max {
		slug = slug[:max]
	}
	return strings.Trim(slug, "-")
}
