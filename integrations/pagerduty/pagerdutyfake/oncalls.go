package pagerdutyfake

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// onCall is one on-call the test added.
type onCall struct {
	schedule string
	policy   string
	level    int
	userID   string
	email    string
	name     string
	start    time.Time
	end      time.Time
}

// AddOnCall adds someone on call at an escalation level from start to end
// (zero for always). scheduleOrPolicyID says whose on-call it is:
// "schedule:PXXXXXX" is a schedule of PolicyID's policy,
// "policy:PXXXXXX" a level of that policy without a schedule, and a plain
// id is both a schedule and a policy of that id, found by either filter.
func (s *Server) AddOnCall(
	scheduleOrPolicyID string, level int, userID, email, name string, start, end time.Time,
) {
	oc := onCall{
		level: level, userID: userID, email: email, name: name, start: start, end: end,
	}
	kind, id, found := strings.Cut(scheduleOrPolicyID, ":")
	switch {
	case !found:
		oc.schedule, oc.policy = scheduleOrPolicyID, scheduleOrPolicyID
	case kind == "schedule":
		oc.schedule, oc.policy = id, PolicyID
	case kind == "policy" || kind == "escalation_policy":
		oc.policy = id
	default:
		s.t.Fatalf("pagerdutyfake: AddOnCall of %q: write schedule:ID, policy:ID or ID",
			scheduleOrPolicyID)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.onCalls = append(s.onCalls, oc)
}

// serveOnCalls answers GET /oncalls: the on-calls that overlap since to
// until (both now by default), filtered by schedule_ids[],
// escalation_policy_ids[] and user_ids[], with whole users when include[]
// holds "users".
func (s *Server) serveOnCalls(w http.ResponseWriter, r *http.Request) {
	i, _, f, _ := s.begin(r)
	s.finish(i, s.onCallsCall(w, r, f))
}

func (s *Server) onCallsCall(w http.ResponseWriter, r *http.Request, f *fault) int {
	if f != nil {
		return writeFault(w, OnCallsPath, *f)
	}
	if status, ok := s.authorized(w, r); !ok {
		return status
	}
	if r.Method != http.MethodGet {
		return writeRESTError(w, http.StatusMethodNotAllowed, 0, "Method Not Allowed")
	}

	q := r.URL.Query()
	s.mu.Lock()
	now := s.now()
	s.mu.Unlock()
	since, ok := queryTime(q.Get("since"), now)
	if !ok {
		return writeRESTError(w, http.StatusBadRequest, 2001, "Invalid Input Provided",
			"'since' is not a time.")
	}
	until, ok := queryTime(q.Get("until"), now)
	if !ok {
		return writeRESTError(w, http.StatusBadRequest, 2001, "Invalid Input Provided",
			"'until' is not a time.")
	}
	users := slices.Contains(q["include[]"], "users")

	s.mu.Lock()
	var found []map[string]any
	for _, oc := range s.onCalls {
		if matches(q["schedule_ids[]"], oc.schedule) &&
			matches(q["escalation_policy_ids[]"], oc.policy) &&
			matches(q["user_ids[]"], oc.userID) &&
			(oc.start.IsZero() || !oc.start.After(until)) &&
			(oc.end.IsZero() || oc.end.After(since)) {
			found = append(found, s.onCallJSON(oc, users))
		}
	}
	s.mu.Unlock()

	return writePage(w, q, "oncalls", found)
}

// matches reports whether a filter lets id through: an empty filter lets
// every id through, a non-empty one only the ids it names.
func matches(filter []string, id string) bool {
	return len(filter) == 0 || (id != "" && slices.Contains(filter, id))
}

// queryTime reads a since or until parameter; def when it is empty.
func queryTime(v string, def time.Time) (time.Time, bool) {
	if v == "" {
		return def, true
	}
	t, err := time.Parse(time.RFC3339, v)
	return t, err == nil
}

// onCallJSON is an on-call as the REST API shows it. The caller holds mu.
func (s *Server) onCallJSON(oc onCall, withUsers bool) map[string]any {
	user := map[string]any{
		"id":       oc.userID,
		"type":     "user_reference",
		"summary":  oc.name,
		"self":     s.srv.URL + "/users/" + oc.userID,
		"html_url": WebBase + "/users/" + oc.userID,
	}
	if withUsers {
		user["type"] = "user"
		user["name"] = oc.name
		user["email"] = oc.email
	}

	out := map[string]any{
		"user":              user,
		"schedule":          nil,
		"escalation_policy": s.reference("escalation_policy", oc.policy, "Fake Policy"),
		"escalation_level":  oc.level,
		"start":             timeOrNil(oc.start),
		"end":               timeOrNil(oc.end),
	}
	if oc.schedule != "" {
		out["schedule"] = s.reference("schedule", oc.schedule, "Fake Schedule")
	}
	return out
}

// timeOrNil writes t as PagerDuty does, null when it is zero.
func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Format(time.RFC3339)
}
