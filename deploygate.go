package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"warroom/bot"
	"warroom/storage"
)

// errClosed makes deploy-gate exit 1 after it printed why.
var errClosed = errors.New("closed")

// decisionJSON is a deploy decision as GET /deploys/decision answers it.
type decisionJSON struct {
	Environment string    `json:"environment"`
	Allowed     bool      `json:"allowed"`
	Rule        string    `json:"rule"`
	Reason      string    `json:"reason"`
	Next        time.Time `json:"next_window,omitzero"`
}

// deployGateCmd answers, for a CI pipeline, whether an environment may
// deploy now: from a running warroom with --url, else from the database
// the config names.
func deployGateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, path := commonFlags("deploy-gate", stderr)
	env := fs.String("env", "production", "the `environment` to deploy to")
	base := fs.String("url", "", "ask the warroom at this base `URL` instead of the database")
	if err := parseFlags(fs, args); err != nil {
		return err
	}

	var d decisionJSON
	var err error
	if *base != "" {
		d, err = remoteDecision(ctx, *base, *env)
	} else {
		d, err = localDecision(ctx, *path, *env)
	}
	if err != nil {
		return err
	}

	if d.Allowed {
		fmt.Fprintf(stdout, "%s may deploy: %s (rule %s)\n", d.Environment, d.Reason, d.Rule)
		return nil
	}
	fmt.Fprintf(stdout, "%s may not deploy: %s (rule %s)\n", d.Environment, d.Reason, d.Rule)
	if !d.Next.IsZero() {
		fmt.Fprintf(stdout, "next window: %s\n", d.Next.Format(time.RFC3339))
	}
	return errClosed
}

func localDecision(ctx context.Context, path, env string) (decisionJSON, error) {
	cfg, err := loadConfig(path)
	if err != nil {
		return decisionJSON{}, err
	}
	policy, err := cfg.Policy()
	if err != nil {
		return decisionJSON{}, err
	}
	db, err := storage.Open(ctx, cfg.Database.Path)
	if err != nil {
		return decisionJSON{}, fmt.Errorf("open database: %w", err)
	}
	defer db.Close()

	log := logrus.New()
	log.SetOutput(io.Discard)
	b, err := bot.New(bot.Options{Policy: policy, Store: db, Chat: noChat{},
		Log: logrus.NewEntry(log)})
	if err != nil {
		return decisionJSON{}, err
	}
	d, err := b.DecideDeploy(ctx, env, time.Now())
	if err != nil {
		return decisionJSON{}, err
	}
	return toJSON(d), nil
}

func toJSON(d bot.DeployDecision) decisionJSON {
	return decisionJSON{Environment: d.Environment, Allowed: d.Allowed, Rule: d.Rule,
		Reason: d.Reason, Next: d.Next}
}

func remoteDecision(ctx context.Context, base, env string) (decisionJSON, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()

	u := strings.TrimSuffix(base, "/") + "/deploys/decision?env=" + url.QueryEscape(env)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return decisionJSON{}, fmt.Errorf("ask %s: %w", base, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return decisionJSON{}, fmt.Errorf("ask %s: %w", base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return decisionJSON{}, fmt.Errorf("ask %s: %s: %s", base, resp.Status,
			strings.TrimSpace(string(body)))
	}
	var d decisionJSON
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		return decisionJSON{}, fmt.Errorf("read the answer of %s: %w", base, err)
	}
	return d, nil
}

// deployDecision serves GET /deploys/decision?env=production.
func (a *App) deployDecision(w http.ResponseWriter, r *http.Request) {
	env := r.URL.Query().Get("env")
	if env == "" {
		http.Error(w, "say which environment: ?env=production", http.StatusBadRequest)
		return
	}
	d, err := a.bot.DecideDeploy(r.Context(), env, a.bot.Now())
	if err != nil {
		a.log.WithError(err).WithFields(logrus.Fields{fieldAction: "deploy.decision",
			fieldRequestID: requestID(r.Context())}).Error("decide a deploy")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(toJSON(d))
}

// noChat is the chat of a bot that only decides: it never posts.
type noChat struct{ bot.Chat }
