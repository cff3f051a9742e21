package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/robfig/cron/v3"
	"github.com/sirupsen/logrus"
	slackapi "github.com/slack-go/slack"

	"warroom/bot"
	"warroom/commands"
	"warroom/configs"
	"warroom/integrations/alertmanager"
	"warroom/integrations/github"
	"warroom/integrations/pagerduty"
	"warroom/integrations/slack"
	"warroom/storage"
)

// AppOptions are what tests change about an App.
type AppOptions struct {
	// LogOutput receives the JSON log; stderr when nil.
	LogOutput io.Writer
	// Clock is the bot's clock; the wall clock when nil.
	Clock bot.Clock
}

// App is the running warroom: the store, the bot and its job runner, the
// HTTP server and, when configured, Socket Mode and scheduled backups.
type App struct {
	cfg      *configs.Config
	log      *logrus.Entry
	db       *storage.DB
	chat     *slack.Client
	bot      *bot.Bot
	router   *commands.Router
	receiver *slack.Receiver
	socket   *slack.SocketMode
	cron     *cron.Cron
	server   *http.Server
	listener net.Listener

	// slackOK is set once Slack accepted the bot token.
	slackOK atomic.Bool
}

// NewApp builds warroom from its config: it opens and migrates the store,
// checks the Slack token and starts listening on the HTTP address. Run
// serves; Close releases what NewApp took.
func NewApp(ctx context.Context, cfg *configs.Config, o AppOptions) (*App, error) {
	if o.LogOutput == nil {
		o.LogOutput = os.Stderr
	}
	log, err := newLogger(o.LogOutput, cfg.Log.Level, cfg.Log.Format, cfg.Service)
	if err != nil {
		return nil, fmt.Errorf("set up logging: %w", err)
	}
	a := &App{cfg: cfg, log: log}

	if err := a.openStore(ctx); err != nil {
		return nil, err
	}
	if err := a.build(o); err != nil {
		a.Close()
		return nil, err
	}
	if err := a.checkSlack(ctx); bot.IsPermanent(err) {
		a.Close()
		return nil, fmt.Errorf("slack refused the bot token (SLACK_BOT_TOKEN): %w", err)
	}

	a.listener, err = net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.HTTP.Addr, err)
	}
	return a, nil
}

func (a *App) openStore(ctx context.Context) error {
	db, err := storage.Open(ctx, a.cfg.Database.Path)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	a.db = db
	for _, v := range db.Applied() {
		a.log.WithFields(logrus.Fields{fieldAction: "db.migrate", "migration": v,
			"path": a.cfg.Database.Path}).Info("applied migration")
	}
	return nil
}

// build wires the Slack client, the bot, the router and the HTTP routes.
func (a *App) build(o AppOptions) error {
	policy, err := a.cfg.Policy()
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	a.chat, err = slack.NewClient(slack.Config{
		Token:   a.cfg.Slack.BotToken.Value(),
		APIURL:  a.cfg.Slack.APIURL,
		Log:     a.log,
		Metrics: slack.NewMetrics(reg),
	})
	if err != nil {
		return err
	}

	pager, err := a.pager(reg)
	if err != nil {
		return err
	}
	var gate bot.DeployGate
	if token := a.cfg.GitHub.Token.Value(); token != "" {
		gate, err = github.NewClient(github.Config{Token: token, APIURL: a.cfg.GitHub.APIURL,
			Log: a.log, Metrics: github.NewMetrics(reg)})
		if err != nil {
			return fmt.Errorf("github: %w", err)
		}
	}
	var silencer bot.Silencer
	if u := a.cfg.Alertmanager.URL; u != "" {
		if silencer, err = alertmanager.NewSilencer(u, nil, a.log); err != nil {
			return fmt.Errorf("alertmanager: %w", err)
		}
	}
	a.bot, err = bot.New(bot.Options{
		Policy:       policy,
		Store:        a.db,
		Chat:         a.chat,
		Pager:        pager,
		PagerFrom:    a.cfg.PagerDuty.From,
		Silencer:     silencer,
		Gate:         gate,
		Clock:        o.Clock,
		Log:          a.log,
		PollInterval: a.cfg.Jobs.PollInterval,
		MaxAttempts:  a.cfg.Jobs.MaxAttempts,
		Workers:      a.cfg.Jobs.Workers,
	})
	if err != nil {
		return err
	}
	reg.MustRegister(newOpenIncidents(a.bot.OpenBySeverity, a.log))
	a.router = commands.New(a.bot, a.cfg.Slack.Command, a.log)

	a.receiver, err = slack.NewReceiver(slack.ReceiverOptions{
		Frontdoor: a.router,
		Opener:    a.chat,
		Notifier:  a.chat,
		Dedupe:    a.firstEvent,
		Log:       a.log,
		RequestID: requestID,
	})
	if err != nil {
		return err
	}
	if a.cfg.Slack.UseSocketMode() {
		a.socket, err = slack.NewSocketMode(a.cfg.Slack.AppToken.Value(), a.receiver, a.log,
			slackapi.OptionAPIURL(a.cfg.Slack.APIURL))
		if err != nil {
			return err
		}
	}

	if err := a.schedule(); err != nil {
		return err
	}
	mux, err := a.routes(reg)
	if err != nil {
		return err
	}
	a.server = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       a.cfg.HTTP.ReadTimeout,
		WriteTimeout:      a.cfg.HTTP.WriteTimeout,
		ErrorLog:          nil,
	}
	return nil
}

// pager connects to PagerDuty when PAGERDUTY_ROUTING_KEY is set; without
// it pages go out as Slack direct messages.
func (a *App) pager(reg prometheus.Registerer) (bot.Pager, error) {
	pd := &a.cfg.PagerDuty
	if !pd.Enabled() {
		if pd.Token != "" {
			a.log.WithField(fieldAction, "pagerduty.setup").Warn("PAGERDUTY_API_TOKEN is set " +
				"but PAGERDUTY_ROUTING_KEY is not: pages go out through Slack")
		}
		return nil, nil
	}

	client, err := pagerduty.NewClient(pagerduty.Config{
		Token:      pd.Token.Value(),
		RoutingKey: pd.RoutingKey.Value(),
		APIURL:     pd.APIURL,
		EventsURL:  pd.EventsURL,
		From:       pd.From,
		OnCallTTL:  pd.OnCallTTL,
		Log:        a.log,
		Metrics:    pagerduty.NewMetrics(reg),
	})
	if err != nil {
		return nil, fmt.Errorf("pagerduty: %w", err)
	}
	return client, nil
}

// firstEvent remembers a Slack event id and reports whether it is new.
func (a *App) firstEvent(ctx context.Context, id string) (bool, error) {
	return a.firstDelivery(ctx, "slack.event", id)
}

// firstDelivery remembers a delivery from source and reports whether it is
// new.
func (a *App) firstDelivery(ctx context.Context, source, id string) (bool, error) {
	var first bool
	err := a.db.Update(ctx, func(tx bot.Tx) error {
		var err error
		first, err = tx.FirstDelivery(source, id, a.bot.Now())
		return err
	})
	return first, err
}

// checkSlack asks Slack whose token this is, so that a wrong token shows at
// start. A network failure is not fatal: the readiness check says so until
// a later try succeeds.
func (a *App) checkSlack(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()

	log := a.log.WithField(fieldAction, "slack.auth_test")
	id, err := a.chat.AuthTest(ctx)
	if err != nil {
		log.WithError(err).Error("Slack did not accept the bot token")
		return err
	}
	a.slackOK.Store(true)
	log.WithField("botUserId", id).Info("connected to Slack")
	return nil
}

// retrySlack checks the token again every 30 seconds until Slack accepts
// it, so readiness follows a Slack outage at start-up.
func (a *App) retrySlack(ctx context.Context) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for !a.slackOK.Load() {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = a.checkSlack(ctx)
		}
	}
}

// routes builds the HTTP endpoints.
func (a *App) routes(reg *prometheus.Registry) (*http.ServeMux, error) {
	m := newHTTPMetrics(reg)
	mux := http.NewServeMux()
	handle := func(method, path string, h http.Handler) {
		mux.Handle(path, instrument(path, onlyMethod(method, h), a.log, m))
	}

	var slackIn func(http.Handler) http.Handler
	if secret := a.cfg.Slack.SigningSecret.Value(); secret != "" {
		v, err := slack.NewVerifier(secret, a.log, requestID)
		if err != nil {
			return nil, err
		}
		slackIn = v.Middleware
	} else {
		// Socket Mode without a signing secret: nothing over HTTP can be
		// trusted to come from Slack.
		slackIn = func(http.Handler) http.Handler {
			return unavailable("Slack requests over HTTP are off: SLACK_SIGNING_SECRET is not set")
		}
	}
	handle(http.MethodPost, "/slack/commands", slackIn(a.receiver.Commands()))
	handle(http.MethodPost, "/slack/interactions", slackIn(a.receiver.Interactions()))
	handle(http.MethodPost, "/slack/events", slackIn(a.receiver.Events()))

	handle(http.MethodPost, "/webhooks/pagerduty", a.pagerDutyWebhook())
	alerts, err := alertmanager.NewWebhook(alertmanager.WebhookOptions{
		Token: a.cfg.Alertmanager.Token.Value(),
		Handle: func(ctx context.Context, n bot.Notification) error {
			_, err := a.bot.Ingest(ctx, n)
			return err
		},
		Log:       a.log,
		RequestID: requestID,
	})
	if err != nil {
		return nil, fmt.Errorf("alertmanager webhook: %w", err)
	}
	handle(http.MethodPost, "/webhooks/alertmanager", alerts)
	if a.cfg.Alertmanager.Token == "" {
		a.log.WithField(fieldAction, "alertmanager.setup").Warn("ALERTMANAGER_WEBHOOK_TOKEN is " +
			"not set: /webhooks/alertmanager takes alerts from anyone who can reach it")
	}

	handle(http.MethodGet, "/healthz", http.HandlerFunc(healthy))
	handle(http.MethodGet, "/readyz", http.HandlerFunc(a.ready))
	handle(http.MethodGet, "/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))

	handle(http.MethodGet, "/deploys/decision", http.HandlerFunc(a.deployDecision))
	handle(http.MethodPost, "/webhooks/github", a.gitHubWebhook())

	page := &statusPage{bot: a.bot, log: a.log}
	handle(http.MethodGet, "/status", http.HandlerFunc(page.html))
	handle(http.MethodGet, "/status.json", http.HandlerFunc(page.json))
	return mux, nil
}

// pagerDutyWebhook verifies and applies PagerDuty's webhooks v3, or says
// why it cannot when PAGERDUTY_WEBHOOK_SECRET is not set.
func (a *App) pagerDutyWebhook() http.Handler {
	secret := a.cfg.PagerDuty.WebhookSecret.Value()
	if secret == "" {
		return unavailable("the PagerDuty webhook is off: PAGERDUTY_WEBHOOK_SECRET is not set")
	}
	hook, err := pagerduty.NewWebhook(pagerduty.WebhookOptions{
		Secret: secret,
		Handle: a.bot.HandlePagerEvent,
		Dedupe: func(ctx context.Context, id string) (bool, error) {
			return a.firstDelivery(ctx, "pagerduty.webhook", id)
		},
		Log:       a.log,
		RequestID: requestID,
	})
	if err != nil {
		return unavailable("the PagerDuty webhook is off: " + err.Error())
	}
	return hook
}

// gitHubWebhook verifies GitHub's deployment webhooks and holds them to
// the change policy; without GITHUB_WEBHOOK_SECRET it stays off, since
// nothing could be verified.
func (a *App) gitHubWebhook() http.Handler {
	secret := a.cfg.GitHub.WebhookSecret.Value()
	if secret == "" {
		return unavailable("the GitHub webhook is off: GITHUB_WEBHOOK_SECRET is not set")
	}
	hook, err := github.NewWebhook(github.WebhookOptions{
		Secret: secret,
		Handle: func(ctx context.Context, ev bot.DeployEvent) error {
			_, err := a.bot.HandleDeployEvent(ctx, ev)
			return err
		},
		Dedupe: func(ctx context.Context, id string) (bool, error) {
			return a.firstDelivery(ctx, "github.webhook", id)
		},
		Log:       a.log,
		RequestID: requestID,
		Now:       a.bot.Now,
	})
	if err != nil {
		return unavailable("the GitHub webhook is off: " + err.Error())
	}
	return hook
}

// unavailable answers 503 with why.
func unavailable(why string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, why, http.StatusServiceUnavailable)
	})
}

// healthy answers 200 while the process runs.
func healthy(w http.ResponseWriter, _ *http.Request) {
	_, _ = io.WriteString(w, "ok\n")
}

// ready answers 200 when the store answers and Slack accepted the token.
func (a *App) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()

	if err := a.db.Ping(ctx); err != nil {
		a.log.WithError(err).WithField(fieldAction, "http.readyz").Warn("database not ready")
		http.Error(w, "database: not ready", http.StatusServiceUnavailable)
		return
	}
	if !a.slackOK.Load() {
		http.Error(w, "slack: the bot token was not accepted yet", http.StatusServiceUnavailable)
		return
	}
	_, _ = io.WriteString(w, "ready\n")
}

// schedule sets up the periodic work: scheduled backups and pruning of
// old deliveries and jobs.
func (a *App) schedule() error {
	loc, err := time.LoadLocation(a.cfg.Timezone)
	if err != nil {
		return fmt.Errorf("timezone %q: %w", a.cfg.Timezone, err)
	}
	a.cron = cron.New(cron.WithLocation(loc))

	if _, err := a.cron.AddFunc("@every 1h", a.prune); err != nil {
		return fmt.Errorf("schedule pruning: %w", err)
	}
	if a.cfg.OnCall.HandoffChannel != "" {
		_, err := a.cron.AddFunc(a.cfg.OnCall.HandoffSchedule, func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := a.bot.Handoff(ctx); err != nil {
				a.log.WithError(err).WithField(fieldAction, "oncall.handoff").
					Error("weekly handoff")
			}
		})
		if err != nil {
			return fmt.Errorf("oncall.handoff_schedule %q: %w", a.cfg.OnCall.HandoffSchedule, err)
		}
	}
	if a.cfg.Backup.Dir != "" {
		rotation := &backups{db: a.db, cfg: a.cfg.Backup, log: a.log, loc: loc}
		if _, err := a.cron.AddFunc(a.cfg.Backup.Schedule, rotation.run); err != nil {
			return fmt.Errorf("backup.schedule %q: %w", a.cfg.Backup.Schedule, err)
		}
	}
	return nil
}

// prune deletes what no one needs any more: delivery ids older than three
// days (Slack retries for an hour, PagerDuty for 48 hours) and old jobs.
func (a *App) prune() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	n, err := a.db.Prune(ctx, a.bot.Now().Add(-72*time.Hour))
	log := a.log.WithField(fieldAction, "db.prune")
	if err != nil {
		log.WithError(err).Error("prune")
		return
	}
	log.WithField("rows", n).Debug("pruned")
}

// Addr is the address the HTTP server listens on.
func (a *App) Addr() string { return a.listener.Addr().String() }

// Run serves until ctx ends, then shuts down gracefully: it stops taking
// requests, lets those in flight and the replies owed for them finish,
// and stops the job runner between jobs.
func (a *App) Run(ctx context.Context) error {
	ctx, stopServing := context.WithCancel(ctx)
	defer stopServing()
	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = a.bot.Run(jobsCtx)
	}()
	a.bot.Wake()
	a.cron.Start()

	errc := make(chan error, 2)
	go func() {
		if err := a.server.Serve(a.listener); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http server: %w", err)
		}
	}()
	if a.socket != nil {
		go func() {
			if err := a.socket.Run(ctx); err != nil {
				errc <- fmt.Errorf("socket mode: %w", err)
			}
		}()
	}
	a.log.WithFields(logrus.Fields{fieldAction: "serve", "addr": a.Addr(),
		"socketMode": a.socket != nil, "version": versionString()}).Info("warroom is up")

	if !a.slackOK.Load() {
		go a.retrySlack(ctx)
	}

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}

	// Socket Mode stops taking requests before the replies in flight are
	// waited for.
	stopServing()
	a.shutdown()
	stopJobs()
	wg.Wait()
	a.log.WithField(fieldAction, "shutdown").Info("warroom stopped")
	return runErr
}

func (a *App) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.HTTP.ShutdownTimeout)
	defer cancel()

	log := a.log.WithField(fieldAction, "shutdown")
	if err := a.server.Shutdown(ctx); err != nil {
		log.WithError(err).Warn("requests still in flight at shutdown")
	}
	if err := a.receiver.Wait(ctx); err != nil {
		log.WithError(err).Warn("replies still in flight at shutdown")
	}
	<-a.cron.Stop().Done()
}

// Close releases the listener and the store.
func (a *App) Close() error {
	if a.listener != nil {
		a.listener.Close()
	}
	if a.db != nil {
		return a.db.Close()
	}
	return nil
}
