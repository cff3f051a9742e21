package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"

	"warroom/bot"
	"warroom/storage"
)

// postmortemCmd prints the post-mortem draft of an incident.
func postmortemCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, path := commonFlags("postmortem", stderr)
	users := fs.String("users", "", "users affected, for the impact section")
	revenue := fs.String("revenue", "", "revenue lost, for the impact section")
	var ref string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		ref, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(strings.ToUpper(ref), "INC-"), 10, 64)
	if err != nil {
		fmt.Fprintln(stderr, "usage: warroom postmortem INC-12 [--users TEXT] [--revenue TEXT]")
		return errUsage
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	policy, err := cfg.Policy()
	if err != nil {
		return err
	}

	db, err := storage.Open(ctx, cfg.Database.Path)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	log := logrus.New()
	log.SetOutput(io.Discard)
	b, err := bot.New(bot.Options{Policy: policy, Store: db, Chat: noChat{},
		Log: logrus.NewEntry(log)})
	if err != nil {
		return err
	}

	draft, err := b.DraftPostmortem(ctx, id, bot.Impact{UsersAffected: *users,
		RevenueLost: *revenue})
	if err != nil {
		if e := bot.AsError(err); e.Code != bot.CodeInternal {
			return fmt.Errorf("%s %s", e.Message, e.Hint)
		}
		return err
	}
	_, err = io.WriteString(stdout, draft)
	return err
}
