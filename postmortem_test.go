package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"warroom/integrations/github/githubfake"
	"warroom/integrations/slack/slackfake"
)

func TestPostmortemInSlack(t *testing.T) {
	w := newWorld(t)
	gh := githubfake.New(t)
	w.cfg.GitHub.APIURL = gh.URL()
	w.cfg.GitHub.Token = "gh-token"
	w.cfg.GitHub.PostmortemsRepo = "acme/postmortems"
	w.cfg.GitHub.Users = map[string]string{"UOMAR": "omar-gh"}
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

	// The draft is a pull request too, and the action item an issue.
	eventually(t, "the pull request", func() bool {
		return hasText(w.slack.Messages(ch.ID), "is a pull request")
	})
	prs, issues := gh.PullRequests(), gh.Issues()
	if len(prs) != 1 || prs[0].Head != "warroom/postmortem-inc-1" || len(issues) != 1 ||
		issues[0].Title != "Add a login canary" || issues[0].Assignees[0] != "omar-gh" {
		t.Fatalf("pull requests %+v, issues %+v", prs, issues)
	}
	file, ok := gh.File("acme/postmortems", "warroom/postmortem-inc-1",
		"postmortems/2026-12-03-login-broken.md")
	if !ok || !strings.Contains(file, "# Post-mortem: INC-1 Login broken") {
		t.Errorf("the pull request's file: %q", file)
	}

	// Drafting again updates the same pull request and opens no new issue.
	r.command(t, w, "UDANA", ch.ID, "postmortem")
	eventually(t, "the second form", func() bool {
		n := 0
		for _, v := range w.slack.Views() {
			if v.CallbackID == "incident.postmortem" {
				view, n = v, n+1
			}
		}
		return n == 2
	})
	r.submit(t, "UDANA", "dana", view.CallbackID, view.PrivateMetadata, nil)
	eventually(t, "the second draft", func() bool { return len(w.slack.Files()) == 2 })
	time.Sleep(200 * time.Millisecond)
	if len(gh.PullRequests()) != 1 || len(gh.Issues()) != 1 {
		t.Errorf("drafting again opened %d pull requests and %d issues",
			len(gh.PullRequests()), len(gh.Issues()))
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

// TestPostmortemFromALongChannel drafts from a channel of 2,000 messages
// over many history pages, with threads, a pin, a key reaction, a pasted
// token and a rate limit in the middle of the paging.
func TestPostmortemFromALongChannel(t *testing.T) {
	w := newWorld(t)
	w.slack.SetEpoch(w.clock.Now().Add(time.Minute))
	r := w.start(t)

	r.command(t, w, "UDANA", "CGENERAL", "declare Storage slow --sev P2")
	var ch slackfake.Channel
	eventually(t, "the channel", func() bool {
		var ok bool
		ch, ok = w.slack.ChannelByName("incident-20261203-storage-slow")
		return ok && len(ch.Pins) == 1
	})

	var parent string
	for i := 0; i < 2000; i++ {
		m := slackfake.Message{User: "UOMAR", Text: fmt.Sprintf("looking at shard %d", i)}
		switch {
		case i == 500:
			m.Text = "ROOT CAUSE: the S3 bucket hit its request limit"
			m.Reactions = map[string][]string{"pushpin": {"UDANA"}}
		case i == 900:
			m.Text = "here is the key xoxb-1234567890-abcdefghijkl"
		case i%100 == 0:
			parent = ""
		case i%100 < 5 && parent != "":
			m.ThreadTS = parent
			m.Text = fmt.Sprintf("thread reply %d", i)
		}
		ts := w.slack.AddMessage(ch.ID, m)
		if i%100 == 0 {
			parent = ts
		}
	}
	w.slack.FailNext("conversations.history", slackfake.Fault{Status: 429, RetryAfter: 1})

	w.clock.Add(time.Hour)
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
	r.submit(t, "UDANA", "dana", view.CallbackID, view.PrivateMetadata, nil)
	deadline := time.Now().Add(15 * time.Second)
	for len(w.slack.Files()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no draft after 15s")
		}
		time.Sleep(50 * time.Millisecond)
	}

	draft := w.slack.Files()[0].Content
	if strings.Contains(draft, "xoxb-") {
		t.Error("the token made it into the draft")
	}
	key := "**key message** ROOT CAUSE: the S3 bucket hit its request limit"
	if !strings.Contains(draft, key) ||
		!strings.Contains(draft, "](https://slack.com/archives/"+ch.ID+"/p") {
		t.Errorf("the key message is not in the timeline in full")
	}
	if !strings.Contains(draft, "Draft of an incident still open") {
		t.Error("the draft does not say the incident is open")
	}
	if pages := len(w.slack.CallsTo("conversations.history")); pages < 10 {
		t.Errorf("%d history calls: the channel was not read a page at a time", pages)
	}
	if len(w.slack.CallsTo("conversations.replies")) == 0 {
		t.Error("no thread was read")
	}
	total := 0
	for _, line := range strings.Split(draft, "\n") {
		var n int
		if _, err := fmt.Sscanf(line, "- … %d message", &n); err == nil {
			total += n
		}
	}
	if total != 1999 {
		t.Errorf("the timeline condenses %d messages, want 1999 (2,000 but the key one)", total)
	}
}
