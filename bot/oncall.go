package bot

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// OnCall says who is on call now on the named schedule ("" for the
// default one).
func (b *Bot) OnCall(ctx context.Context, schedule string) (Rota, error) {
	s, ok := b.policy.OnCall.Schedule(schedule)
	if !ok {
		return Rota{}, b.unknownSchedule(schedule)
	}
	return b.rota(ctx, s)
}

func (b *Bot) unknownSchedule(name string) error {
	names := b.policy.OnCall.ScheduleNames()
	if len(names) == 0 {
		return NotFoundf("Add one under oncall.schedules in the config.",
			"No on-call schedule is configured.")
	}
	return NotFoundf("Schedules: "+strings.Join(names, ", ")+".",
		"There is no on-call schedule called %q.", name)
}

// rota works out who is on call on s now: from the paging service when s
// names one of its schedules and it answers, else from the rotation, with
// the overrides in force.
func (b *Bot) rota(ctx context.Context, s Schedule) (Rota, error) {
	now := b.clock.Now()
	if s.PagerDuty != "" && b.pager != nil {
		r, err := b.pagerRota(ctx, s)
		if err == nil || len(s.People) == 0 {
			return r, err
		}
		b.log.WithError(err).WithField("action", "oncall.pagerduty").
			Warn("paging service did not say who is on call; using the rotation")
	}

	r := s.RotaAt(now)
	var overrides []Override
	err := b.store.View(ctx, func(tx Tx) error {
		var err error
		overrides, err = tx.Overrides(s.Name, now)
		return err
	})
	if err != nil {
		return Rota{}, fmt.Errorf("load overrides of %s: %w", s.Name, err)
	}
	r.apply(overrides, now)
	return r, nil
}

// pagerRota asks the paging service who is on call on s, and maps its
// people to chat users through the policy's map.
func (b *Bot) pagerRota(ctx context.Context, s Schedule) (Rota, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()

	shifts, err := b.pager.OnCall(ctx, s.PagerDuty)
	if err != nil {
		return Rota{}, fmt.Errorf("on-call of %s: %w", s.Name, err)
	}
	r := Rota{Schedule: s.Name, Source: "PagerDuty"}
	for _, sh := range shifts {
		user := b.chatUser(sh)
		switch {
		case sh.Level <= 1 && r.Primary == "":
			r.Primary, r.Until = user, sh.End
		case sh.Level == 2 && r.Secondary == "":
			r.Secondary = user
		}
	}
	return r, nil
}

// chatUser maps a paging-service person to a chat user id through the
// policy's map, by id or by email; unmapped people keep their email.
func (b *Bot) chatUser(sh Shift) string {
	for _, key := range []string{sh.User, strings.ToLower(sh.Email)} {
		if id, ok := b.policy.PagerUsers[key]; ok && key != "" {
			return id
		}
	}
	if sh.Email != "" {
		return sh.Email
	}
	return sh.Name
}

// AddOverride puts a person in a slot of a schedule for a while.
func (b *Bot) AddOverride(ctx context.Context, o Override) (*Override, error) {
	s, ok := b.policy.OnCall.Schedule(o.Schedule)
	if !ok {
		return nil, b.unknownSchedule(o.Schedule)
	}
	o.Schedule = s.Name
	if !o.To.After(o.From) {
		return nil, Invalidf("Give the start first: `/oncall override @someone "+
			"2026-12-05T10:00 2026-12-06T10:00`.", "The override ends before it starts.")
	}
	if o.To.Before(b.clock.Now()) {
		return nil, Invalidf("", "The override is over already (it ended %s).",
			b.FormatTime(o.To))
	}
	if o.Slot == "" {
		o.Slot = SlotPrimary
	}

	err := b.store.Update(ctx, func(tx Tx) error { return tx.AddOverride(&o) })
	if err != nil {
		return nil, fmt.Errorf("add override on %s: %w", s.Name, err)
	}
	b.log.WithFields(map[string]any{"action": "oncall.override", "userId": o.By,
		"schedule": s.Name, "override": o.ID}).Info("on-call override added")
	return &o, nil
}
