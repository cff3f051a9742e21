package pagerduty

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"
	"github.com/sirupsen/logrus"

	"warroom/bot"
)

// The kinds of id OnCall takes, written before a colon.
const (
	kindSchedule = "schedule"
	kindPolicy   = "policy"
)

// OnCall lists who is on call now, lowest escalation level first and, at
// one level, earliest start first. PagerDuty's ids do not say what they
// name, so id says it: "schedule:PXXXXXX" for a schedule,
// "policy:PXXXXXX" for an escalation policy (every level of it), and a
// plain "PXXXXXX" means a schedule. People come with their emails (the
// request includes users). Shifts without an end have a zero End.
//
// Answers are cached per id for Config.OnCallTTL, and fetched again
// sooner when a cached shift has ended. When a refresh fails and an
// earlier answer exists, that answer is returned with a warn log line,
// and PagerDuty is asked again after half a minute at the earliest.
func (c *Client) OnCall(ctx context.Context, id string) ([]bot.Shift, error) {
	kind, pid, err := parseOnCallID(id)
	if err != nil {
		return nil, bot.Permanent(err)
	}
	if err := c.needToken("on-calls of " + id); err != nil {
		return nil, err
	}

	e := c.onCallEntry(kind + ":" + pid)
	e.mu.Lock()
	defer e.mu.Unlock()

	now := c.now()
	if e.fresh(now) {
		return slices.Clone(e.shifts), nil
	}

	shifts, err := c.fetchOnCalls(ctx, kind, pid)
	if err != nil {
		if !e.loaded {
			return nil, err
		}
		c.log.WithFields(logrus.Fields{logAction: "pagerduty.oncalls.list", logOnCall: id}).
			WithError(err).Warn("pagerduty on-calls not refreshed; using the old answer")
		e.retryAt = now.Add(min(onCallRetryFloor, c.onCallTTL))
		return slices.Clone(e.shifts), nil
	}

	e.shifts, e.loaded = shifts, true
	e.until, e.retryAt = now.Add(c.onCallTTL), time.Time{}
	return slices.Clone(shifts), nil
}

// onCallEntry is the cache of one schedule or policy. Its mutex is held
// while it is read or fetched, so that callers waiting on a fetch use its
// result instead of fetching again.
type onCallEntry struct {
	mu     sync.Mutex
	loaded bool
	// until is when the answer expires; retryAt, after a failed refresh,
	// when PagerDuty may be asked again.
	until   time.Time
	retryAt time.Time
	shifts  []bot.Shift
}

// fresh reports whether the entry may answer at now: loaded, and either
// waiting out a failed refresh or not expired with no shift in it over.
func (e *onCallEntry) fresh(now time.Time) bool {
	switch {
	case !e.loaded:
		return false
	case now.Before(e.retryAt):
		return true
	case !now.Before(e.until):
		return false
	}
	for _, s := range e.shifts {
		if !s.End.IsZero() && !now.Before(s.End) {
			return false
		}
	}
	return true
}

// onCallEntry returns the cache entry of key, creating it.
func (c *Client) onCallEntry(key string) *onCallEntry {
	c.mu.Lock()
	defer c.mu.Unlock()

	e, ok := c.onCalls[key]
	if !ok {
		e = &onCallEntry{}
		c.onCalls[key] = e
	}
	return e
}

// parseOnCallID splits an OnCall id into its kind and PagerDuty id.
func parseOnCallID(id string) (kind, pid string, err error) {
	id = strings.TrimSpace(id)
	kind, pid, found := strings.Cut(id, ":")
	if !found {
		kind, pid = kindSchedule, id
	}

	switch strings.ToLower(strings.TrimSpace(kind)) {
	case kindSchedule:
		kind = kindSchedule
	case kindPolicy, "escalation_policy":
		kind = kindPolicy
	default:
		return "", "", fmt.Errorf(
			"pagerduty on-calls of %q: write schedule:PXXXXXX or policy:PXXXXXX", id)
	}

	pid = strings.TrimSpace(pid)
	if pid == "" || strings.IndexFunc(pid, notIDRune) >= 0 {
		return "", "", fmt.Errorf("pagerduty on-calls of %q: %q is not a PagerDuty id", id, pid)
	}
	return kind, pid, nil
}

// notIDRune reports whether r cannot be part of a PagerDuty id.
func notIDRune(r rune) bool {
	return (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') && (r < '0' || r > '9')
}

// fetchOnCalls reads the on-calls of a schedule or policy now, every page
// of them, and maps them to shifts without duplicates: a schedule used by
// several policies, or at several levels, lists a person once each.
func (c *Client) fetchOnCalls(ctx context.Context, kind, pid string) ([]bot.Shift, error) {
	opts := pd.ListOnCallOptions{Limit: onCallPageSize, Includes: []string{"users"}}
	if kind == kindPolicy {
		opts.EscalationPolicyIDs = []string{pid}
	} else {
		opts.ScheduleIDs = []string{pid}
	}
	what := fmt.Sprintf("on-calls of %s %s", kind, pid)

	type key struct {
		level       uint
		user        string
		start, ends string
	}
	var shifts []bot.Shift
	seen := make(map[key]bool)
	for page := range maxOnCallPages {
		opts.Offset = uint(page * onCallPageSize)
		var resp *pd.ListOnCallsResponse
		err := c.call(ctx, "oncalls.list", what, func(ctx context.Context) error {
			var err error
			resp, err = c.api.ListOnCallsWithContext(ctx, opts)
			return err
		})
		if err != nil {
			return nil, err
		}

		for _, oc := range resp.OnCalls {
			k := key{oc.EscalationLevel, oc.User.ID, oc.Start, oc.End}
			if !seen[k] {
				seen[k] = true
				shifts = append(shifts, shiftOf(oc))
			}
		}
		if !resp.More || len(resp.OnCalls) == 0 {
			break
		}
	}

	slices.SortFunc(shifts, func(a, b bot.Shift) int {
		return cmp.Or(cmp.Compare(a.Level, b.Level), a.Start.Compare(b.Start),
			strings.Compare(a.User, b.User))
	})
	return shifts, nil
}

// shiftOf maps one PagerDuty on-call to a shift. A time PagerDuty leaves
// out (null: on call for good) or writes in a way that does not parse is
// zero.
func shiftOf(oc pd.OnCall) bot.Shift {
	name := oc.User.Summary
	if name == "" {
		name = oc.User.Name
	}
	return bot.Shift{
		Level: int(oc.EscalationLevel),
		User:  oc.User.ID,
		Email: oc.User.Email,
		Name:  name,
		Start: parseTime(oc.Start),
		End:   parseTime(oc.End),
	}
}

// parseTime reads an RFC 3339 time; zero when s is empty or unreadable.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
