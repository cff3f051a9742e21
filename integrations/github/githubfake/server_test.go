package githubfake_test

import (
	"net/http"
	"strings"
	"testing"

	"warroom/integrations/github/githubfake"
)

func TestSign(t *testing.T) {
	// The example of GitHub's guide to validating webhook deliveries.
	got := githubfake.Sign("It's a Secret to Everybody", []byte("Hello, World!"))

	want := "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestServerAnswers(t *testing.T) {
	const review = "repos/acme/api/actions/runs/5/deployment_protection_rule"
	const body = `{"environment_name":"production","state":"approved"}`
	tests := []struct {
		name   string
		auth   string
		setup  func(s *githubfake.Server)
		path   string
		want   int
		review bool
	}{
		{name: "no token", path: review, want: http.StatusUnauthorized},
		{name: "bearer token", auth: "Bearer t", path: review, want: http.StatusNoContent,
			review: true},
		{name: "token scheme", auth: "token t", path: review, want: http.StatusNoContent,
			review: true},
		{name: "sticky fault", auth: "Bearer t", path: review,
			setup: func(s *githubfake.Server) { s.Fail("/repos/acme/", 503) },
			want:  http.StatusServiceUnavailable},
		{name: "healed fault", auth: "Bearer t", path: review,
			setup: func(s *githubfake.Server) {
				s.Fail("/repos/acme/", 503)
				s.Heal("/repos/acme/")
			},
			want: http.StatusNoContent, review: true},
		{name: "fault of another path", auth: "Bearer t", path: review,
			setup: func(s *githubfake.Server) { s.FailNext("/repos/other/", 500, 0) },
			want:  http.StatusNoContent, review: true},
		{name: "unknown path", auth: "Bearer t", path: "repos/acme/api/hooks",
			want: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := githubfake.New(t)
			if tt.setup != nil {
				tt.setup(s)
			}
			req, err := http.NewRequest(http.MethodPost, s.URL()+tt.path,
				strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}

			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()

			if resp.StatusCode != tt.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.want)
			}
			if got := len(s.Reviews()) == 1; got != tt.review {
				t.Errorf("review recorded = %v, want %v", got, tt.review)
			}
			if calls := s.Calls(); len(calls) != 1 || calls[0].Status != tt.want {
				t.Errorf("calls = %+v, want one answered %d", calls, tt.want)
			}
		})
	}
}
