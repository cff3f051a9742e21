package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestDeployGateCommand(t *testing.T) {
	w := newWorld(t)
	r := w.start(t)

	// The world's clock is Thursday 09:30 in Tashkent: production opens at
	// 10:00, staging has no window.
	cases := []struct {
		env  string
		code int
		want string
	}{
		{"production", 1, "production may not deploy: outside production's change window"},
		{"staging", 0, "staging may deploy"},
	}
	for _, tc := range cases {
		t.Run(tc.env, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"deploy-gate", "--env", tc.env,
				"--url", r.base}, nil, &out, &errOut)
			if code != tc.code || !strings.Contains(out.String(), tc.want) {
				t.Errorf("exit %d, output %q %q; want %d and %q", code, out.String(),
					errOut.String(), tc.code, tc.want)
			}
			if tc.code == 1 && !strings.Contains(out.String(), "next window: 2026-12-03T10:00") {
				t.Errorf("no next window in %q", out.String())
			}
		})
	}

	// An open P1 freezes production, as the endpoint CI asks says.
	_, body := r.command(t, w, "UDANA", "CGENERAL", "declare DB down --sev P1")
	if !strings.Contains(body, "Declared P1") {
		t.Fatal(body)
	}
	resp, err := http.Get(r.base + "/deploys/decision?env=production")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(got), `"rule":"incident_freeze"`) ||
		!strings.Contains(string(got), `"allowed":false`) {
		t.Errorf("decision with a P1 open: %d %s", resp.StatusCode, got)
	}
	resp, err = http.Get(r.base + "/deploys/decision")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("no environment: %d", resp.StatusCode)
	}
}
