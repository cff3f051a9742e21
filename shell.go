package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"warroom/bot"
	"warroom/commands"
	"warroom/configs"
	"warroom/integrations/shell"
	"warroom/storage"
)

func shellCmd(ctx context.Context, args []string, stdin io.Reader, stdout,
	stderr io.Writer) error {

	fs, path := commonFlags("shell", stderr)
	dbPath := fs.String("db", "warroom-shell.db",
		"database `file`, kept apart from the server's so a trial run leaves it alone")
	logPath := fs.String("log", "warroom-shell.log", "write the log to `file`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	cfg.Database.Path = *dbPath

	// The log goes to a file so it does not mix with the conversation.
	logFile, err := os.OpenFile(*logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open shell log: %w", err)
	}
	defer logFile.Close()
	log, err := newLogger(logFile, cfg.Log.Level, cfg.Log.Format, cfg.Service)
	if err != nil {
		return err
	}

	db, err := storage.Open(ctx, cfg.Database.Path)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	policy, err := cfg.Policy()
	if err != nil {
		return err
	}

	if len(policy.OnCall.Schedules) == 0 {
		policy.OnCall.Schedules = []bot.Schedule{demoSchedule(cfg, policy.Location)}
	}

	people := make([]shell.Person, len(cfg.Shell.Users))
	for i, u := range cfg.Shell.Users {
		people[i] = shell.Person{ID: u.ID, Handle: u.Handle, Name: u.Name}
	}
	chat := shell.NewChat(stdout, people)
	if id := cfg.Incidents.AnnouncementsChannel; id != "" {
		chat.AddChannel(id, "incidents")
	}

	b, err := bot.New(bot.Options{Policy: policy, Store: db, Chat: chat, Log: log,
		PollInterval: cfg.Jobs.PollInterval, MaxAttempts: cfg.Jobs.MaxAttempts,
		Workers: cfg.Jobs.Workers})
	if err != nil {
		return err
	}
	router := commands.New(b, cfg.Slack.Command, log)

	sh := shell.New(chat, router, cfg.Shell.User, stdin, stdout)
	sh.Settle = func() {
		for i := 0; i < 20 && b.RunDue(ctx) > 0; i++ {
		}
	}

	// Reminders and retries fall due while the prompt waits.
	jobsCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = b.Run(jobsCtx) }()

	return sh.Run(ctx)
}

// demoSchedule is the rotation the shell pages when the config has none:
// its people, taking turns weekly from this week's Monday at 10:00.
func demoSchedule(cfg *configs.Config, loc *time.Location) bot.Schedule {
	now := time.Now().In(loc)
	monday := now.AddDate(0, 0, -((int(now.Weekday()) + 6) % 7))
	handoff := time.Date(monday.Year(), monday.Month(), monday.Day(), 10, 0, 0, 0, loc)
	if handoff.After(now) {
		handoff = handoff.AddDate(0, 0, -7)
	}

	s := bot.Schedule{Name: "demo", Handoff: handoff}
	for _, u := range cfg.Shell.Users {
		s.People = append(s.People, u.ID)
	}
	return s
}
