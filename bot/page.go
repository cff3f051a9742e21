package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// PageStatus is where a page stands.
type PageStatus string

// The statuses of a page.
const (
	PageTriggered    PageStatus = "triggered"
	PageAcknowledged PageStatus = "acknowledged"
	PageResolved     PageStatus = "resolved"
)

// Page is one call for help: who was paged, at which escalation level,
// and whether anyone answered.
type Page struct {
	ID         int64
	IncidentID int64
	// Target is what was paged: a schedule's name or a user id.
	Target   string
	Message  string
	Severity string
	By       string
	// DedupKey ties the page to the paging service's alert.
	DedupKey string
	Status   PageStatus
	// Chain is who is paged at each escalation level, worked out when
	// the page was made; Level indexes it.
	Chain []PageLevel
	Level int
	// Repages counts the rounds of paging everyone after the last level.
	Repages int
	// ChannelID and MessageTS locate the page's message with its buttons.
	ChannelID string
	MessageTS string
	// ViaPager is set when the paging service carries the page;
	// FellBack when it failed for too long and chat carried it instead.
	ViaPager bool
	FellBack bool

	CreatedAt      time.Time
	EscalatedAt    time.Time
	AcknowledgedAt time.Time
	AcknowledgedBy string
}

// PageLevel is one escalation level of a page.
type PageLevel struct {
	Name  string   `json:"name"`
	Users []string `json:"users"`
}

// Ref is the short reference people quote, such as PAGE-7.
func (p *Page) Ref() string { return fmt.Sprintf("PAGE-%d", p.ID) }

// Current is the level being paged now.
func (p *Page) Current() PageLevel {
	if p.Level < len(p.Chain) {
		return p.Chain[p.Level]
	}
	return PageLevel{}
}

// Acknowledged reports whether someone answered.
func (p *Page) Acknowledged() bool { return !p.AcknowledgedAt.IsZero() }

// The actions of a page's buttons; their value is the page id.
const (
	ActionPageAcknowledge = "page.acknowledge"
	ActionPageEscalate    = "page.escalate"
)

// PageRequest is what a person asks for with /page.
type PageRequest struct {
	// Target is a schedule name, or a user id (a mention).
	Target   string
	Message  string
	Severity string
	By       string
	// ChannelID is where the page was asked for; in an incident's
	// channel the page belongs to that incident.
	ChannelID string
	// DedupKey, when set, joins the page to an alert already open at the
	// paging service, so it does not page a second time.
	DedupKey string
}

// Page pages the target: it stores the page, its timeline event and the
// jobs that deliver and escalate it, in one transaction.
func (b *Bot) Page(ctx context.Context, req PageRequest) (*Page, error) {
	req.Message = strings.TrimSpace(req.Message)
	if req.Message == "" {
		return nil, Invalidf("Say what is wrong: `/page "+req.Target+" &lt;message&gt;`.",
			"A page needs a message.")
	}
	if req.Severity == "" {
		req.Severity = b.policy.DefaultSeverityName()
	}
	sev, ok := b.policy.Severity(req.Severity)
	if !ok {
		return nil, Invalidf("Valid severities: "+strings.Join(b.policy.SeverityNames(), ", ")+".",
			"Unknown severity %q.", req.Severity)
	}
	req.Severity = sev.Name

	chain, err := b.chain(ctx, req.Target)
	if err != nil {
		return nil, err
	}

	var page *Page
	err = b.store.Update(ctx, func(tx Tx) error {
		inc, err := tx.IncidentByChannel(req.ChannelID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		page, err = b.newPage(tx, req, inc, chain)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("page %s: %w", req.Target, err)
	}

	b.Wake()
	return page, nil
}

// newPage stores a page for req, of incident inc when inc is not nil.
func (b *Bot) newPage(tx Tx, req PageRequest, inc *Incident, chain []PageLevel) (*Page, error) {
	now := b.clock.Now()
	page := &Page{Target: req.Target, Message: req.Message, Severity: req.Severity,
		By: req.By, Status: PageTriggered, Chain: chain, ChannelID: req.ChannelID,
		CreatedAt: now, EscalatedAt: now, ViaPager: b.pager != nil}
	if inc != nil {
		page.IncidentID = inc.ID
		page.ChannelID = inc.ChannelID
	}
	if err := tx.CreatePage(page); err != nil {
		return nil, err
	}

	// The dedup key is the incident's for an incident's page, so paging
	// twice for one incident never wakes anyone twice.
	page.DedupKey = "warroom-page-" + strconv.FormatInt(page.ID, 10)
	switch {
	case req.DedupKey != "":
		page.DedupKey = req.DedupKey
	case inc != nil:
		page.DedupKey = "warroom-incident-" + strconv.FormatInt(inc.ID, 10)
	}
	if err := tx.UpdatePage(page); err != nil {
		return nil, err
	}

	if inc != nil {
		text := fmt.Sprintf("Paged %s (%s): %s", mentions(page.Current().Users),
			page.Current().Name, page.Message)
		if err := b.addEvent(tx, inc, req.By, EventPaged, text); err != nil {
			return nil, err
		}
	}
	if err := b.schedulePage(tx, page, jobPageSend, ""); err != nil {
		return nil, err
	}
	return page, b.scheduleEscalation(tx, page, b.responseTime(page))
}

// chain works out who is paged at each level for target: a schedule's
// primary, its secondary, then the policy's further levels; or a person,
// then the default schedule's levels.
func (b *Bot) chain(ctx context.Context, target string) ([]PageLevel, error) {
	oc := &b.policy.OnCall
	var chain []PageLevel
	schedule, ok := oc.Schedule(target)
	switch {
	case ok:
	case isUserID(target):
		chain = append(chain, PageLevel{Name: "L1", Users: []string{target}})
		schedule, ok = oc.Schedule("")
	default:
		return nil, NotFoundf(b.pageHint(), "There is no on-call schedule called %q.", target)
	}

	if ok {
		rota, err := b.rota(ctx, schedule)
		if err != nil {
			return nil, err
		}
		for _, u := range []string{rota.Primary, rota.Secondary} {
			if u != "" && !inChain(chain, u) {
				chain = append(chain, PageLevel{Name: "L" + strconv.Itoa(len(chain)+1),
					Users: []string{u}})
			}
		}
	}
	for _, lvl := range oc.Escalation {
		chain = append(chain, PageLevel(lvl))
	}
	if len(chain) == 0 {
		return nil, NotFoundf(b.pageHint(), "Nobody is on call for %q.", target)
	}
	return chain, nil
}

func (b *Bot) pageHint() string {
	names := b.policy.OnCall.ScheduleNames()
	if len(names) == 0 {
		return "Page a person: `/page @someone &lt;message&gt;`."
	}
	return "Page a schedule (" + strings.Join(names, ", ") + ") or a person: " +
		"`/page @someone &lt;message&gt;`."
}

func inChain(chain []PageLevel, user string) bool {
	for _, l := range chain {
		for _, u := range l.Users {
			if u == user {
				return true
			}
		}
	}
	return false
}

// isUserID reports whether s looks like a chat user id.
func isUserID(s string) bool {
	if len(s) < 2 || (s[0] != 'U' && s[0] != 'W') {
		return false
	}
	for _, r := range s[1:] {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// responseTime is how long a level has to acknowledge before the page
// escalates: the severity's first-response target.
func (b *Bot) responseTime(p *Page) time.Duration {
	sev, _ := b.policy.Severity(p.Severity)
	if sev.Response > 0 {
		return sev.Response
	}
	return 15 * time.Minute
}

// AcknowledgePage records that by answered the page. A page acknowledged
// already stays as it was; first reports whether this was the answer.
func (b *Bot) AcknowledgePage(ctx context.Context, id int64, by string) (*Page, bool, error) {
	var (
		page  *Page
		first bool
	)
	err := b.store.Update(ctx, func(tx Tx) error {
		var err error
		page, err = b.loadPage(tx, id)
		if err != nil || page.Acknowledged() || page.Status == PageResolved {
			return err
		}

		first = true
		now := b.clock.Now()
		page.Status = PageAcknowledged
		page.AcknowledgedAt = now
		page.AcknowledgedBy = by
		if err := tx.UpdatePage(page); err != nil {
			return err
		}
		if err := b.schedulePage(tx, page, jobPageSync, ""); err != nil {
			return err
		}
		if page.ViaPager && !page.FellBack {
			if err := b.schedulePage(tx, page, jobPagerAck, ""); err != nil {
				return err
			}
		}
		return b.pageAcknowledgedOnIncident(tx, page, by, now)
	})
	if err != nil {
		return nil, false, fmt.Errorf("acknowledge page %d: %w", id, err)
	}

	b.Wake()
	return page, first, nil
}

// pageAcknowledgedOnIncident puts the acknowledgement on the page's
// incident: its timeline, and its time to acknowledge if it had none.
func (b *Bot) pageAcknowledgedOnIncident(tx Tx, page *Page, by string, now time.Time) error {
	if page.IncidentID == 0 {
		return nil
	}
	inc, err := tx.Incident(page.IncidentID)
	if err != nil {
		return err
	}
	text := fmt.Sprintf("%s acknowledged after %s", page.Ref(),
		FormatDuration(now.Sub(page.CreatedAt)))
	if err := b.addEvent(tx, inc, by, EventPageAcknowledged, text); err != nil {
		return err
	}
	if !inc.AcknowledgedAt.IsZero() || !inc.Open() {
		return nil
	}
	inc.AcknowledgedAt = now
	inc.AcknowledgedBy = by
	b.tick(inc, AutoAcknowledged, by)
	if err := tx.UpdateIncident(inc); err != nil {
		return err
	}
	return b.scheduleSync(tx, inc)
}

// EscalatePage moves the page to its next level now, as by asked.
func (b *Bot) EscalatePage(ctx context.Context, id int64, by string) (*Page, error) {
	var page *Page
	err := b.store.Update(ctx, func(tx Tx) error {
		var err error
		page, err = b.loadPage(tx, id)
		if err != nil {
			return err
		}
		if page.Acknowledged() || page.Status == PageResolved {
			return Conflictf("", "%s was already acknowledged by %s.", page.Ref(),
				mentionOr(page.AcknowledgedBy, "someone"))
		}
		return b.escalate(tx, page, by)
	})
	if err != nil {
		return nil, fmt.Errorf("escalate page %d: %w", id, err)
	}

	b.Wake()
	return page, nil
}

// escalate moves page to its next level, or pages everyone again after
// the last, and sets the next escalation.
func (b *Bot) escalate(tx Tx, page *Page, by string) error {
	now := b.clock.Now()
	wait := b.responseTime(page)
	if page.Level+1 < len(page.Chain) {
		page.Level++
	} else {
		page.Repages++
		wait = b.policy.OnCall.RepageEvery
	}
	page.EscalatedAt = now
	if err := tx.UpdatePage(page); err != nil {
		return err
	}

	text := fmt.Sprintf("%s escalated to %s (%s)", page.Ref(), page.Current().Name,
		mentions(page.Current().Users))
	if page.Repages > 0 {
		text = fmt.Sprintf("%s not acknowledged at any level: paging everyone again (round %d)",
			page.Ref(), page.Repages)
	}
	if page.IncidentID != 0 {
		inc, err := tx.Incident(page.IncidentID)
		if err != nil {
			return err
		}
		if err := b.addEvent(tx, inc, by, EventEscalated, text); err != nil {
			return err
		}
	}
	note := pageNote{Text: ":arrow_up: " + text}
	if err := b.schedulePage(tx, page, jobPageNote, "", note); err != nil {
		return err
	}
	if err := b.schedulePage(tx, page, jobPageSend, ""); err != nil {
		return err
	}
	return b.scheduleEscalation(tx, page, wait)
}

func (b *Bot) loadPage(tx Tx, id int64) (*Page, error) {
	page, err := tx.Page(id)
	if errors.Is(err, ErrNotFound) {
		return nil, NotFoundf("", "There is no page PAGE-%d.", id)
	}
	return page, err
}

// PagesOf lists the pages of an incident, oldest first.
func (b *Bot) PagesOf(ctx context.Context, incidentID int64) ([]*Page, error) {
	var pages []*Page
	err := b.store.View(ctx, func(tx Tx) error {
		var err error
		pages, err = tx.PagesOfIncident(incidentID)
		return err
	})
	return pages, err
}
