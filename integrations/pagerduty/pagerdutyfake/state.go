package pagerdutyfake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Incident statuses.
const (
	StatusTriggered    = "triggered"
	StatusAcknowledged = "acknowledged"
	StatusResolved     = "resolved"
)

// Limits of the Events API.
const (
	maxSummaryChars  = 1024
	maxDedupKeyChars = 255
	defaultPageSize  = 25
	maxPageSize      = 100
)

// Link is a link sent with an event.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// Event is one call of the Events API, as the fake read it.
type Event struct {
	RoutingKey string
	Action     string
	DedupKey   string
	Summary    string
	Source     string
	Severity   string
	Details    map[string]any
	Links      []Link
	Client     string
	ClientURL  string
	// Status is what the fake answered: 202, 400, or a fault's status.
	Status int
	Body   []byte
	At     time.Time
}

// Incident is an incident the fake keeps, opened by a trigger event.
type Incident struct {
	ID     string
	Number int
	// IncidentKey is the dedup key of the trigger that opened it.
	IncidentKey string
	Title       string
	Status      string
	Urgency     string
	Severity    string
	Source      string
	Details     map[string]any
	Links       []Link
	// Alerts counts the triggers it took, the first included.
	Alerts int
	// EscalationLevel is 1 when opened; a PUT /incidents raises it.
	EscalationLevel int
	// UpdatedBy is the From email of the last PUT /incidents that
	// changed it.
	UpdatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (inc Incident) clone() Incident {
	inc.Details = maps.Clone(inc.Details)
	inc.Links = slices.Clone(inc.Links)
	return inc
}

// open reports whether the incident is triggered or acknowledged.
func (inc *Incident) open() bool { return inc.Status != StatusResolved }

// Events returns every call of the Events API so far, in order, refused
// ones included.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Event, len(s.events))
	for i, e := range s.events {
		e.Details = maps.Clone(e.Details)
		e.Links = slices.Clone(e.Links)
		e.Body = slices.Clone(e.Body)
		out[i] = e
	}
	return out
}

// Incidents returns every incident, oldest first.
func (s *Server) Incidents() []Incident {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Incident, len(s.incidents))
	for i, inc := range s.incidents {
		out[i] = inc.clone()
	}
	return out
}

// Incident returns the open incident with key, or the latest one when
// none is open.
func (s *Server) Incident(key string) (Incident, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if inc := s.openIncident(key); inc != nil {
		return inc.clone(), true
	}
	for _, inc := range slices.Backward(s.incidents) {
		if inc.IncidentKey == key {
			return inc.clone(), true
		}
	}
	return Incident{}, false
}

// openIncident returns the triggered or acknowledged incident with key.
func (s *Server) openIncident(key string) *Incident {
	for _, inc := range s.incidents {
		if inc.IncidentKey == key && inc.open() {
			return inc
		}
	}
	return nil
}

// eventIn is an Events API v2 request body.
type eventIn struct {
	RoutingKey string `json:"routing_key"`
	Action     string `json:"event_action"`
	DedupKey   string `json:"dedup_key"`
	Client     string `json:"client"`
	ClientURL  string `json:"client_url"`
	Links      []Link `json:"links"`
	Payload    *struct {
		Summary  string         `json:"summary"`
		Source   string         `json:"source"`
		Severity string         `json:"severity"`
		Details  map[string]any `json:"custom_details"`
	} `json:"payload"`
}

// serveEvents takes an event at /v2/enqueue.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	i, body, f, readErr := s.begin(r)

	var in eventIn
	decodeErr := json.Unmarshal(body, &in)
	ev := Event{
		RoutingKey: in.RoutingKey, Action: in.Action, DedupKey: in.DedupKey,
		Links: in.Links, Client: in.Client, ClientURL: in.ClientURL, Body: body,
	}
	if in.Payload != nil {
		ev.Summary, ev.Source = in.Payload.Summary, in.Payload.Source
		ev.Severity, ev.Details = in.Payload.Severity, in.Payload.Details
	}

	status := s.event(w, r, f, &in, readErr, decodeErr)
	s.finish(i, status)

	s.mu.Lock()
	defer s.mu.Unlock()
	ev.Status, ev.At = status, s.now()
	if ev.DedupKey == "" && status == http.StatusAccepted {
		ev.DedupKey = in.DedupKey
	}
	s.events = append(s.events, ev)
}

// event answers one event and returns the status it answered.
func (s *Server) event(
	w http.ResponseWriter, r *http.Request, f *fault, in *eventIn, readErr, decodeErr error,
) int {
	switch {
	case f != nil:
		return writeFault(w, EventsPath, *f)
	case r.Method != http.MethodPost:
		return writeEventError(w, http.StatusMethodNotAllowed, "Method not allowed")
	case readErr != nil:
		return writeEventError(w, http.StatusRequestEntityTooLarge, readErr.Error())
	case decodeErr != nil:
		return writeEventError(w, http.StatusBadRequest, "Malformed JSON: "+decodeErr.Error())
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if problems := s.checkEvent(in); len(problems) > 0 {
		return writeEventError(w, http.StatusBadRequest, problems...)
	}

	if in.DedupKey == "" {
		in.DedupKey = randomKey()
	}
	s.apply(in)
	writeJSON(w, http.StatusAccepted, map[string]any{
		"status": "success", "message": "Event processed", "dedup_key": in.DedupKey,
	})
	return http.StatusAccepted
}

// checkEvent lists what is wrong with an event, as the Events API words it.
func (s *Server) checkEvent(in *eventIn) []string {
	var problems []string
	switch {
	case in.RoutingKey == "":
		problems = append(problems, "'routing_key' is missing or blank")
	case s.routingKey != "" && in.RoutingKey != s.routingKey:
		problems = append(problems, "Invalid routing key")
	}
	if utf8.RuneCountInString(in.DedupKey) > maxDedupKeyChars {
		problems = append(problems, "'dedup_key' is too long")
	}

	switch in.Action {
	case "trigger":
		problems = append(problems, checkPayload(in)...)
	case "acknowledge", "resolve":
		if in.DedupKey == "" {
			problems = append(problems, "'dedup_key' is missing or blank")
		}
	default:
		problems = append(problems, "'event_action' is invalid (must be trigger, "+
			"acknowledge or resolve)")
	}
	return problems
}

// checkPayload lists what is wrong with a trigger's payload.
func checkPayload(in *eventIn) []string {
	p := in.Payload
	if p == nil {
		return []string{"'payload' is missing"}
	}

	var problems []string
	if strings.TrimSpace(p.Summary) == "" {
		problems = append(problems, "'payload.summary' is missing or blank")
	}
	if utf8.RuneCountInString(p.Summary) > maxSummaryChars {
		problems = append(problems, "'payload.summary' is too long")
	}
	if strings.TrimSpace(p.Source) == "" {
		problems = append(problems, "'payload.source' is missing or blank")
	}
	switch p.Severity {
	case "critical", "error", "warning", "info":
	default:
		problems = append(problems, "'payload.severity' is invalid (must be critical, "+
			"error, warning or info)")
	}
	return problems
}

// apply changes the incidents as a valid event does. The caller holds mu.
func (s *Server) apply(in *eventIn) {
	now := s.now()
	inc := s.openIncident(in.DedupKey)

	switch in.Action {
	case "trigger":
		if inc != nil {
			inc.Alerts++
			inc.UpdatedAt = now
			return
		}
		s.seq++
		inc = &Incident{
			ID:              fmt.Sprintf("PINC%04d", s.seq),
			Number:          s.seq,
			IncidentKey:     in.DedupKey,
			Title:           in.Payload.Summary,
			Status:          StatusTriggered,
			Urgency:         urgency(in.Payload.Severity),
			Severity:        in.Payload.Severity,
			Source:          in.Payload.Source,
			Details:         in.Payload.Details,
			Links:           in.Links,
			Alerts:          1,
			EscalationLevel: 1,
			CreatedAt:       now,
			UpdatedAt:       now,
		}
		s.incidents = append(s.incidents, inc)
	case "acknowledge":
		if inc != nil && inc.Status == StatusTriggered {
			inc.Status, inc.UpdatedAt = StatusAcknowledged, now
		}
	case "resolve":
		if inc != nil {
			inc.Status, inc.UpdatedAt = StatusResolved, now
		}
	}
}

// urgency is the urgency a service with severity-based urgency gives an
// alert.
func urgency(severity string) string {
	if severity == "critical" || severity == "error" {
		return "high"
	}
	return "low"
}

// randomKey makes a dedup key, as PagerDuty does for a trigger without one.
func randomKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// writeEventError answers with the Events API's error body.
func writeEventError(w http.ResponseWriter, status int, errs ...string) int {
	writeJSON(w, status, map[string]any{
		"status": "invalid event", "message": "Event object is invalid", "errors": errs,
	})
	return status
}

// serveIncidents lists incidents (GET) or changes them (PUT).
func (s *Server) serveIncidents(w http.ResponseWriter, r *http.Request) {
	i, body, f, readErr := s.begin(r)
	s.finish(i, s.incidentsCall(w, r, body, f, readErr))
}

func (s *Server) incidentsCall(
	w http.ResponseWriter, r *http.Request, body []byte, f *fault, readErr error,
) int {
	if f != nil {
		return writeFault(w, IncidentsPath, *f)
	}
	if status, ok := s.authorized(w, r); !ok {
		return status
	}
	if readErr != nil {
		return writeRESTError(w, http.StatusBadRequest, 2001, "Invalid Input Provided",
			readErr.Error())
	}

	switch r.Method {
	case http.MethodGet:
		return s.listIncidents(w, r)
	case http.MethodPut:
		return s.manageIncidents(w, r, body)
	}
	return writeRESTError(w, http.StatusMethodNotAllowed, 0, "Method Not Allowed")
}

// listIncidents answers GET /incidents, filtered by incident_key and
// statuses[].
func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request) int {
	q := r.URL.Query()
	key := q.Get("incident_key")
	statuses := q["statuses[]"]

	s.mu.Lock()
	var found []map[string]any
	for _, inc := range s.incidents {
		if (key == "" || inc.IncidentKey == key) &&
			(len(statuses) == 0 || slices.Contains(statuses, inc.Status)) {
			found = append(found, s.incidentJSON(inc))
		}
	}
	s.mu.Unlock()

	return writePage(w, q, "incidents", found)
}

// incidentsIn is the body of PUT /incidents.
type incidentsIn struct {
	Incidents []struct {
		ID              string `json:"id"`
		Type            string `json:"type"`
		Status          string `json:"status"`
		EscalationLevel *int   `json:"escalation_level"`
	} `json:"incidents"`
}

// manageIncidents answers PUT /incidents: it acknowledges, resolves or
// escalates each incident named, all or none. An escalated incident is
// triggered again, as in PagerDuty.
func (s *Server) manageIncidents(w http.ResponseWriter, r *http.Request, body []byte) int {
	from := r.Header.Get("From")
	if from == "" {
		return writeRESTError(w, http.StatusBadRequest, 2001, "Invalid Input Provided",
			"A valid 'From' header is required.")
	}
	var in incidentsIn
	if err := json.Unmarshal(body, &in); err != nil || len(in.Incidents) == 0 {
		return writeRESTError(w, http.StatusBadRequest, 2001, "Invalid Input Provided",
			"'incidents' is missing or malformed.")
	}

	s.mu.Lock()
	defer s.mu.Unlock()

	// Check every change first, so that a bad one changes nothing.
	targets := make([]*Incident, len(in.Incidents))
	for n, ch := range in.Incidents {
		inc := s.incidentByID(ch.ID)
		switch {
		case inc == nil:
			return writeRESTError(w, http.StatusNotFound, 2100, "Not Found",
				"Incident "+ch.ID+" not found.")
		case ch.Type != "incident" && ch.Type != "incident_reference":
			return writeRESTError(w, http.StatusBadRequest, 2001, "Invalid Input Provided",
				"'type' must be incident or incident_reference.")
		case ch.Status != "" && ch.Status != StatusAcknowledged && ch.Status != StatusResolved:
			return writeRESTError(w, http.StatusBadRequest, 2001, "Invalid Input Provided",
				"'status' must be acknowledged or resolved.")
		case ch.EscalationLevel != nil && *ch.EscalationLevel < 1:
			return writeRESTError(w, http.StatusBadRequest, 2001, "Invalid Input Provided",
				"'escalation_level' must be 1 or more.")
		case !inc.open() && (ch.EscalationLevel != nil || ch.Status == StatusAcknowledged):
			return writeRESTError(w, http.StatusBadRequest, 2001, "Incident Already Resolved")
		}
		targets[n] = inc
	}

	// Then make them.
	now := s.now()
	out := make([]map[string]any, len(targets))
	for n, inc := range targets {
		ch := in.Incidents[n]
		if ch.EscalationLevel != nil {
			inc.EscalationLevel = *ch.EscalationLevel
			inc.Status = StatusTriggered
		}
		if ch.Status != "" {
			inc.Status = ch.Status
		}
		inc.UpdatedBy, inc.UpdatedAt = from, now
		out[n] = s.incidentJSON(inc)
	}
	writeJSON(w, http.StatusOK, map[string]any{"incidents": out})
	return http.StatusOK
}

// incidentByID returns the incident with id, or nil.
func (s *Server) incidentByID(id string) *Incident {
	for _, inc := range s.incidents {
		if inc.ID == id {
			return inc
		}
	}
	return nil
}

// incidentJSON is an incident as the REST API shows it.
func (s *Server) incidentJSON(inc *Incident) map[string]any {
	return map[string]any{
		"id":                    inc.ID,
		"type":                  "incident",
		"summary":               fmt.Sprintf("[#%d] %s", inc.Number, inc.Title),
		"self":                  s.srv.URL + IncidentsPath + "/" + inc.ID,
		"html_url":              WebBase + "/incidents/" + inc.ID,
		"incident_number":       inc.Number,
		"title":                 inc.Title,
		"status":                inc.Status,
		"incident_key":          inc.IncidentKey,
		"urgency":               inc.Urgency,
		"created_at":            inc.CreatedAt.UTC().Format(time.RFC3339),
		"updated_at":            inc.UpdatedAt.UTC().Format(time.RFC3339),
		"last_status_change_at": inc.UpdatedAt.UTC().Format(time.RFC3339),
		"service":               s.reference("service", ServiceID, "Fake Service"),
		"escalation_policy": s.reference("escalation_policy", PolicyID,
			"Fake Escalation Policy"),
	}
}

// reference is an object reference as the REST API writes it.
func (s *Server) reference(kind, id, summary string) map[string]any {
	return map[string]any{
		"id":       id,
		"type":     kind + "_reference",
		"summary":  summary,
		"self":     s.srv.URL + "/" + kind + "s/" + id,
		"html_url": WebBase + "/" + kind + "s/" + id,
	}
}

// writePage answers one page of items under name, by the limit and
// offset of q.
func writePage(w http.ResponseWriter, q url.Values, name string, items []map[string]any) int {
	limit, offset := defaultPageSize, 0
	if n, err := strconv.Atoi(first(q["limit"])); err == nil && n > 0 {
		limit = min(n, maxPageSize)
	}
	if n, err := strconv.Atoi(first(q["offset"])); err == nil && n > 0 {
		offset = n
	}

	page := []map[string]any{}
	if offset < len(items) {
		page = items[offset:min(offset+limit, len(items))]
	}
	writeJSON(w, http.StatusOK, map[string]any{
		name:     page,
		"limit":  limit,
		"offset": offset,
		"more":   offset+limit < len(items),
		"total":  nil,
	})
	return http.StatusOK
}

// first returns the first of vs, or "".
func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}
