package alertmanagerfake_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"warroom/integrations/alertmanager/alertmanagerfake"
)

// call sends a request to the fake and returns the status and body.
func call(t *testing.T, method, url, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// silenceBody is a body that creates a silence of alertname=name for an
// hour, with extra fields added verbatim.
func silenceBody(name, extra string) string {
	now := time.Now().UTC()
	return fmt.Sprintf(`{"matchers":[{"name":"alertname","value":%q,"isRegex":false}],`+
		`"startsAt":%q,"endsAt":%q,"createdBy":"U1","comment":"test"%s}`,
		name, now.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339), extra)
}

func TestCreateAndList(t *testing.T) {
	fake := alertmanagerfake.New(t)
	url := fake.URL() + alertmanagerfake.SilencesPath

	status, _, body := call(t, http.MethodPost, url, silenceBody("SlowAPI", ""))
	if status != http.StatusOK {
		t.Fatalf("POST: %d %s", status, body)
	}
	var created struct {
		SilenceID string `json:"silenceID"`
	}
	if err := json.Unmarshal([]byte(body), &created); err != nil || created.SilenceID == "" {
		t.Fatalf("POST answered %s (%v), want a silenceID", body, err)
	}

	// A matcher without isEqual is an equal one; an update keeps the id.
	got := fake.Silences()
	if len(got) != 1 || got[0].ID != created.SilenceID || !got[0].Matchers[0].IsEqual ||
		got[0].State(time.Now()) != "active" {
		t.Fatalf("Silences() = %+v", got)
	}
	extra := fmt.Sprintf(`,"id":%q`, created.SilenceID)
	if status, _, body := call(t, http.MethodPost, url, silenceBody("QueueDepthHigh",
		extra)); status != http.StatusOK {
		t.Fatalf("update: %d %s", status, body)
	}
	if got := fake.Silences(); len(got) != 1 || got[0].Matchers[0].Value != "QueueDepthHigh" {
		t.Fatalf("after the update Silences() = %+v", got)
	}

	status, _, body = call(t, http.MethodGet, url, "")
	var list []struct {
		ID     string `json:"id"`
		Status struct {
			State string `json:"state"`
		} `json:"status"`
		Matchers []struct {
			Name    string `json:"name"`
			Value   string `json:"value"`
			IsEqual bool   `json:"isEqual"`
		} `json:"matchers"`
		CreatedBy string `json:"createdBy"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil || status != http.StatusOK {
		t.Fatalf("GET: %d %s (%v)", status, body, err)
	}
	if len(list) != 1 || list[0].ID != created.SilenceID || list[0].Status.State != "active" ||
		list[0].Matchers[0].Value != "QueueDepthHigh" || list[0].CreatedBy != "U1" {
		t.Errorf("GET listed %s", body)
	}
}

func TestRefusals(t *testing.T) {
	now := time.Now().UTC()
	past := now.Add(-time.Hour).Format(time.RFC3339)
	tests := []struct {
		name   string
		method string
		body   string
		status int
		say    string
	}{
		{
			name:   "not JSON",
			body:   "silence it",
			status: http.StatusBadRequest,
		},
		{
			name:   "an unknown field",
			body:   strings.Replace(silenceBody("x", ""), `"comment"`, `"coment"`, 1),
			status: http.StatusBadRequest,
			say:    "coment",
		},
		{
			name:   "no matchers",
			body:   `{"matchers":[],"startsAt":"x","endsAt":"x","createdBy":"x","comment":"x"}`,
			status: http.StatusUnprocessableEntity,
			say:    "matchers in body is required",
		},
		{
			name:   "no comment",
			body:   strings.Replace(silenceBody("x", ""), `,"comment":"test"`, "", 1),
			status: http.StatusUnprocessableEntity,
			say:    "comment in body is required",
		},
		{
			name:   "a matcher that matches everything",
			body:   silenceBody("", ""),
			status: http.StatusBadRequest,
			say:    "at least one matcher must not match the empty string",
		},
		{
			name:   "a bad label name",
			body:   strings.Replace(silenceBody("x", ""), `"alertname"`, `"alert-name"`, 1),
			status: http.StatusBadRequest,
			say:    "invalid label name",
		},
		{
			name: "ended already",
			body: fmt.Sprintf(`{"matchers":[{"name":"a","value":"b","isRegex":false}],`+
				`"startsAt":%q,"endsAt":%q,"createdBy":"U1","comment":"c"}`, past, past),
			status: http.StatusBadRequest,
			say:    "end time can't be in the past",
		},
		{
			name:   "an unknown id",
			body:   silenceBody("x", `,"id":"nope"`),
			status: http.StatusNotFound,
			say:    "silence not found",
		},
		{
			name:   "DELETE",
			method: http.MethodDelete,
			status: http.StatusMethodNotAllowed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := alertmanagerfake.New(t)
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			status, _, body := call(t, method, fake.URL()+alertmanagerfake.SilencesPath,
				tt.body)
			if status != tt.status || !strings.Contains(body, tt.say) {
				t.Errorf("answered %d %s, want %d saying %q", status, body, tt.status, tt.say)
			}
			if got := fake.Silences(); len(got) != 0 {
				t.Errorf("stored %+v", got)
			}
			if reqs := fake.Requests(); len(reqs) != 1 || reqs[0].Status != tt.status {
				t.Errorf("recorded %+v", reqs)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	fake := alertmanagerfake.New(t)
	url := fake.URL() + alertmanagerfake.SilencesPath

	fake.FailNext(http.StatusTooManyRequests, 3)
	fake.FailNext(http.StatusBadGateway, 0)
	fake.Fail(http.StatusServiceUnavailable)
	want := []int{http.StatusTooManyRequests, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusServiceUnavailable}
	for i, w := range want {
		status, header, _ := call(t, http.MethodPost, url, silenceBody("x", ""))
		if status != w {
			t.Errorf("request %d: %d, want %d", i, status, w)
		}
		if i == 0 && header.Get("Retry-After") != "3" {
			t.Errorf("Retry-After %q, want 3", header.Get("Retry-After"))
		}
	}
	fake.Heal()
	if status, _, body := call(t, http.MethodPost, url, silenceBody("x", "")); status !=
		http.StatusOK {
		t.Errorf("after Heal: %d %s", status, body)
	}
	if got := len(fake.Silences()); got != 1 {
		t.Errorf("%d silences, want only the one after Heal", got)
	}
}

func TestConcurrent(t *testing.T) {
	fake := alertmanagerfake.New(t)
	url := fake.URL() + alertmanagerfake.SilencesPath

	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if i%5 == 0 {
				fake.FailNext(http.StatusInternalServerError, 0)
			}
			req, err := http.NewRequest(http.MethodPost, url,
				strings.NewReader(silenceBody(fmt.Sprintf("A%d", i), "")))
			if err != nil {
				t.Error(err)
				return
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			_ = resp.Body.Close()
			_ = fake.Silences()
			_ = fake.Requests()
		})
	}
	wg.Wait()

	ids := map[string]bool{}
	for _, s := range fake.Silences() {
		ids[s.ID] = true
	}
	if len(ids) != 16 || len(fake.Requests()) != 20 {
		t.Errorf("%d distinct silences of %d requests, want 16 of 20", len(ids),
			len(fake.Requests()))
	}
}
