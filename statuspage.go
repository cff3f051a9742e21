package main

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"regexp"
	"time"

	"github.com/sirupsen/logrus"

	"warroom/bot"
)

// statusPage serves the public status page: each component's state, from
// the open incidents that affect it, and those incidents' latest update.
// Private incidents never show.
type statusPage struct {
	bot *bot.Bot
	log *logrus.Entry
}

// pageState is what the page shows, and the JSON of /status.json.
type pageState struct {
	Status     string          `json:"status"`
	Updated    time.Time       `json:"updated_at"`
	Components []componentView `json:"components"`
	Incidents  []incidentView  `json:"incidents"`
}

type componentView struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

type incidentView struct {
	Ref        string    `json:"id"`
	Title      string    `json:"title"`
	Severity   string    `json:"severity"`
	Status     string    `json:"status"`
	Components []string  `json:"components"`
	Started    time.Time `json:"started_at"`
	LastUpdate string    `json:"last_update,omitempty"`
	UpdatedAt  time.Time `json:"last_update_at"`
}

// Component states, from best to worst.
const (
	stateOperational = "operational"
	stateDegraded    = "degraded_performance"
	statePartial     = "partial_outage"
	stateMajor       = "major_outage"
)

var stateRank = map[string]int{stateOperational: 0, stateDegraded: 1, statePartial: 2,
	stateMajor: 3}

// componentState maps an incident severity to what it does to a
// component: the most severe level is an outage, the next a partial one.
func componentState(p *bot.Policy, severity string) string {
	for i, s := range p.Severities {
		if s.Name != severity {
			continue
		}
		switch i {
		case 0:
			return stateMajor
		case 1:
			return statePartial
		}
		return stateDegraded
	}
	return stateDegraded
}

func (s *statusPage) state(ctx context.Context) (pageState, error) {
	open, err := s.bot.OpenIncidents(ctx)
	if err != nil {
		return pageState{}, err
	}
	policy := s.bot.Policy()

	st := pageState{Status: stateOperational, Updated: s.bot.Now().UTC()}
	worst := map[string]string{}
	for _, inc := range open {
		if inc.Private {
			continue
		}
		state := componentState(policy, inc.Severity)
		for _, c := range inc.Components {
			if stateRank[state] > stateRank[worst[c]] {
				worst[c] = state
			}
		}
		if stateRank[state] > stateRank[st.Status] {
			st.Status = state
		}

		view := incidentView{Ref: inc.Ref(), Title: plainText(inc.Title),
			Severity: inc.Severity, Status: string(inc.Status),
			Components: policy.ComponentNames(inc.Components), Started: inc.DeclaredAt.UTC(),
			UpdatedAt: inc.LastUpdateAt.UTC()}
		view.LastUpdate, err = s.lastUpdate(ctx, inc.ID)
		if err != nil {
			return pageState{}, err
		}
		st.Incidents = append(st.Incidents, view)
	}

	for _, c := range policy.Components {
		state := worst[c.ID]
		if state == "" {
			state = stateOperational
		}
		st.Components = append(st.Components, componentView{ID: c.ID, Name: c.Name,
			Status: state})
	}
	return st, nil
}

// lastUpdate is the text of the incident's latest status update.
func (s *statusPage) lastUpdate(ctx context.Context, id int64) (string, error) {
	events, err := s.bot.Timeline(ctx, id)
	if err != nil {
		return "", err
	}
	for i := len(events) - 1; i >= 0; i-- {
		switch events[i].Kind {
		case bot.EventUpdate, bot.EventStatus:
			return plainText(events[i].Text), nil
		}
	}
	return "", nil
}

func (s *statusPage) json(w http.ResponseWriter, r *http.Request) {
	st, err := s.state(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_ = json.NewEncoder(w).Encode(st)
}

func (s *statusPage) html(w http.ResponseWriter, r *http.Request) {
	st, err := s.state(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	if err := pageTemplate.Execute(w, st); err != nil {
		s.log.WithError(err).WithField(fieldAction, "status.render").Error("render status page")
	}
}

func (s *statusPage) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.log.WithError(err).WithFields(logrus.Fields{fieldAction: "status.render",
		fieldRequestID: requestID(r.Context())}).Error("status page")
	http.Error(w, "status unavailable", http.StatusInternalServerError)
}

// plainText turns chat markup into text for the page.
func plainText(s string) string {
	return bot.Unescape(mentionPattern.ReplaceAllString(s, "someone"))
}

var pageTemplate = template.Must(template.New("status").Funcs(template.FuncMap{
	"label": func(s string) string { return stateLabels[s] },
	"time":  func(t time.Time) string { return t.Format("2006-01-02 15:04 UTC") },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="60">
<title>Status</title>
<style>
body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}
.banner{padding:1rem;border-radius:.4rem;color:#fff;font-weight:600}
.operational{background:#2e7d32}.degraded_performance{background:#f9a825}
.partial_outage{background:#ef6c00}.major_outage{background:#c62828}
ul{list-style:none;padding:0}li{display:flex;justify-content:space-between;
padding:.6rem 0;border-bottom:1px solid #eee}.dot{font-size:.9rem}
.incident{border-left:4px solid #c62828;padding:.2rem 1rem;margin:1rem 0}
small{color:#666}
</style></head><body>
<div class="banner {{.Status}}">
{{- if eq .Status "operational"}}All systems operational{{else}}{{label .Status}}{{end -}}
</div>
{{range .Incidents}}<div class="incident"><h3>{{.Title}} <small>{{.Ref}} · {{.Status}}</small></h3>
{{if .LastUpdate}}<p>{{.LastUpdate}}</p>{{end}}
<small>Started {{time .Started}} · last update {{time .UpdatedAt}}</small></div>{{end}}
<h2>Components</h2><ul>{{range .Components}}
<li><span>{{.Name}}</span><span class="dot">{{label .Status}}</span></li>{{end}}</ul>
<small>Updated {{time .Updated}}</small>
</body></html>
`))

var stateLabels = map[string]string{
	stateOperational: "Operational",
	stateDegraded:    "Degraded performance",
	statePartial:     "Partial outage",
	stateMajor:       "Major outage",
}

var (
	mentionPattern = regexp.MustCompile(`<[@#!][^>]*>`)
)
