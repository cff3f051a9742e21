// Command warroom is a Slack bot that runs incident response: it opens an
// incident channel, assigns a commander, keeps the status updates coming
// and records everything on the incident's timeline.
//
// Usage:
//
//	warroom serve    [--config FILE]   run the bot: HTTP endpoints, Socket Mode, jobs
//	warroom shell    [--config FILE]   talk to the bot in the terminal, without Slack
//	warroom migrate  [--config FILE]   create or upgrade the database
//	warroom backup   --to FILE         copy the database, consistently, while it runs
//	warroom config   [--check FILE]    print the example config, or check a config
//	warroom config   manifest          print the Slack app manifest
//	warroom deploy-gate --env ENV      exit non-zero outside the change policy
//	warroom version                    print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"warroom/configs"
	"warroom/storage"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `warroom runs incident response in Slack.

Usage:
  warroom serve    [--config FILE]   run the bot (HTTP endpoints, Socket Mode, jobs)
  warroom shell    [--config FILE]   talk to the bot in this terminal, without Slack
  warroom migrate  [--config FILE]   create or upgrade the database and exit
  warroom backup   [--config FILE] --to FILE
                                     copy the database consistently, even while it runs
  warroom config   [--check FILE]    print the example config, or check a config file
  warroom config   manifest          print the Slack app manifest
  warroom postmortem INC-12 [--config FILE] [--users TEXT] [--revenue TEXT]
                                     print the incident's post-mortem draft (Markdown)
  warroom deploy-gate --env ENV [--url URL]
                                     exit 0 when ENV may deploy now, 1 when not, saying why
  warroom version                    print the version

The config file is YAML (warroom config prints every key); WARROOM_CONFIG names it
when --config is not given, and WARROOM_<SECTION>_<KEY> variables override its keys.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs one subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}

	var err error
	switch args[0] {
	case "serve":
		err = serveCmd(ctx, args[1:], stderr)
	case "shell":
		err = shellCmd(ctx, args[1:], stdin, stdout, stderr)
	case "migrate":
		err = migrateCmd(ctx, args[1:], stdout, stderr)
	case "backup":
		err = backupCmd(ctx, args[1:], stdout, stderr)
	case "config":
		err = configCmd(args[1:], stdout, stderr)
	case "deploy-gate":
		err = deployGateCmd(ctx, args[1:], stdout, stderr)
	case "postmortem":
		err = postmortemCmd(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "warroom", versionString())
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "warroom: unknown command %q\n\n%s", args[0], usage)
		return 2
	}

	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if errors.Is(err, errUsage) {
		return 2
	}
	if errors.Is(err, errClosed) {
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "warroom:", err)
		return 1
	}
	return 0
}

// errUsage is returned after a flag error, which the flag package prints.
var errUsage = errors.New("usage")

// commonFlags declares --config on a subcommand's flag set.
func commonFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("warroom "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", os.Getenv("WARROOM_CONFIG"),
		"YAML config `file` (default: built-in defaults; env WARROOM_CONFIG)")
	return fs, path
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}

// loadConfig reads and validates the config.
func loadConfig(path string) (*configs.Config, error) {
	cfg, err := configs.Load(path, os.Getenv)
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func serveCmd(ctx context.Context, args []string, stderr io.Writer) error {
	fs, path := commonFlags("serve", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	if err := cfg.RequireSlack(); err != nil {
		return err
	}

	app, err := NewApp(ctx, cfg, AppOptions{LogOutput: stderr})
	if err != nil {
		return err
	}
	defer app.Close()
	return app.Run(ctx)
}

func migrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, path := commonFlags("migrate", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}

	db, err := storage.OpenOnly(ctx, cfg.Database.Path)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(stdout, "%s is up to date\n", cfg.Database.Path)
	}
	for _, v := range applied {
		fmt.Fprintf(stdout, "applied %s to %s\n", v, cfg.Database.Path)
	}
	return nil
}

func backupCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, path := commonFlags("backup", stderr)
	to := fs.String("to", "", "write the copy to `file` (must not exist)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *to == "" {
		fmt.Fprintln(stderr, "warroom backup needs --to FILE")
		fs.Usage()
		return errUsage
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}

	if err := storage.Backup(ctx, cfg.Database.Path, *to); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s\n", cfg.Database.Path, *to)
	return nil
}

func configCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 1 && args[0] == "manifest" {
		_, err := stdout.Write(configs.SlackAppManifest)
		return err
	}

	fs := flag.NewFlagSet("warroom config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	check := fs.String("check", "", "check the config `file` and its environment overrides")
	if err := parseFlags(fs, args); err != nil {
		return err
	}

	if *check == "" {
		_, err := stdout.Write(configs.Example)
		return err
	}
	if _, err := loadConfig(*check); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s is valid\n", *check)
	return nil
}

// versionString is the version, with the commit it was built from when
// the build recorded one.
func versionString() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return version + " (" + s.Value[:12] + ")"
		}
	}
	return version
}
