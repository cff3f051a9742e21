package main

import (
	"strings"
	"testing"
	"time"

	"warroom/integrations/slack/slackfake"
)

func TestPostmortemInSlack(t *testing.T) {
	w := newWorld(t)
	r := w.start(t)

	r.command(t, w, "UDANA", "CGENERAL", "declare Login broken --sev P2")
	var ch slackfake.Channel
	eventually(t, "the channel", func() bool {
		var ok bool
		ch, ok = w.slack.ChannelByName("incident-20261203-login-broken")
		return ok && len(ch.Pins) == 1
	})
	r.command(t, w, "UDANA", ch.ID, "action @omar Add a login canary --due 2026-12-10")
	w.clock.Add(40 * time.Minute)
	r.command(t, w, "UDANA", ch.ID, "resolve reverted the auth change")

	// A day later the commander is reminded.
	w.clock.Add(24 * time.Hour)
	eventually(t, "the post-mortem reminder", func() bool {
		return hasText(w.slack.Messages(ch.ID), "the post-mortem of INC-1 is due")
	})

	r.command(t, w, "UDANA", ch.ID, "postmortem")
	var view slackfake.View
	eventually(t, "the impact form", func() bool {
		for _, v := range w.slack.Views() {
			if v.CallbackID == "incident.postmortem" {
				view = v
				return true
			}
		}
		return false
	})
	r.submit(t, "UDANA", "dana", view.CallbackID, view.PrivateMetadata,
		map[string]string{"users": "about 3% of logins", "revenue": "none"})
	eventually(t, "the draft shared as a file", func() bool {
		return len(w.slack.Files()) == 1
	})
	f := w.slack.Files()[0]
	if f.Channel != ch.ID || !strings.HasPrefix(f.Name, "postmortem-2026-12-03-login-broken") {
		t.Errorf("file %s in %s", f.Name, f.Channel)
	}
	for _, want := range []string{"# Post-mortem: INC-1 Login broken", "about 3% of logins",
		"| @UOMAR | Add a login canary | 2026-12-10 |", "reverted the auth change"} {
		if !strings.Contains(f.Content, want) {
			t.Errorf("the draft lacks %q:\n%s", want, f.Content)
		}
	}

	_, body := r.command(t, w, "UDANA", ch.ID, "postmortem done https://wiki.example/pm/1")
	if !strings.Contains(body, "recorded as published") {
		t.Fatalf("done: %s", body)
	}
	_, body = r.command(t, w, "UDANA", ch.ID, "checklist")
	if !strings.Contains(body, ":white_check_mark: 9. Publish the post-mortem") {
		t.Errorf("the checklist step is not ticked: %s", body)
	}
	before := len(w.slack.Messages(ch.ID))
	w.clock.Add(48 * time.Hour)
	time.Sleep(200 * time.Millisecond)
	for _, m := range w.slack.Messages(ch.ID)[before:] {
		if strings.Contains(m.Text, "post-mortem of INC-1 is due") {
			t.Error("reminded after the post-mortem was published")
		}
	}
}
