// Command sniper watches CSGORoll's live trade feed and reports every listing the
// moment it arrives.
//
// Trades go to stdout, one record each; operational logs go to stderr. See the
// README for settings, or run sniper -h.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/gqlws"
	"github.com/rollsniper/rollsniper/internal/output"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	// The first SIGINT or SIGTERM starts a graceful stop; a second one ends the
	// process at once, while the first is still draining. This goroutine lives
	// as long as the process, so nothing waits for it.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel()
		sig := <-sigs
		fmt.Fprintf(os.Stderr, "sniper: second %v, exiting at once\n", sig)
		os.Exit(128 + int(sig.(syscall.Signal)))
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(os.Stderr, "sniper: %v\n", err)
	}
	os.Exit(exitCode(err))
}

// exitCode maps run's error to the process status: 0 for a clean stop or -h, 2
// when the user must change a setting, 1 for anything else.
func exitCode(err error) int {
	var cfgErr *ConfigError
	var fatal *gqlws.FatalError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &cfgErr), errors.As(err, &fatal):
		return 2
	}
	return 1
}

// check validates the settings and the whitelist without connecting: sniper
// check -whitelist FILE. It prints a summary of a good whitelist to stdout and
// its warnings (names it could not check) to stderr, and returns a
// *ConfigError listing every problem otherwise.
func check(args []string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, os.Getenv, ".", stderr)
	if err != nil {
		return err
	}
	for _, w := range settingWarnings(cfg, ".", os.Environ()) {
		fmt.Fprintln(stderr, "warning:", w)
	}
	if cfg.Whitelist == "" {
		return &ConfigError{Problems: []error{errors.New("nothing to check: name the whitelist with -whitelist FILE (or ROLL_WHITELIST)")}}
	}
	list, err := loadWhitelist(cfg)
	if err != nil {
		return err
	}
	warnings := list.Warnings()
	for _, w := range warnings {
		fmt.Fprintf(stderr, "%s: warning: %s\n", cfg.Whitelist, w)
	}
	summary := "OK"
	switch len(warnings) {
	case 0:
	case 1:
		summary = "OK (1 warning)"
	default:
		summary = fmt.Sprintf("OK (%d warnings)", len(warnings))
	}
	fmt.Fprintf(stdout, "%s: %d entries, %s\n", cfg.Whitelist, list.Len(), summary)
	for i := range list.Len() {
		fmt.Fprintf(stdout, "  %s\n", list.Entry(i))
	}
	return nil
}

// forwardReloads calls reload for every signal on sigs (SIGHUP) until ctx
// ends. Without a whitelist file SIGHUP is not caught and keeps its usual
// meaning: it ends the process.
func forwardReloads(ctx context.Context, sigs <-chan os.Signal, reload func()) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sigs:
			reload()
		}
	}
}

// run is the whole program: read the settings, build the loggers, start the demo
// feed when asked, and run the pipeline until ctx ends or a fatal error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "check" {
		return versionOr(check(args[1:], stdout, stderr), stdout)
	}
	if len(args) > 0 && args[0] == "health" {
		return health(ctx, args[1:], os.Getenv, stdout)
	}
	if len(args) > 0 && args[0] == "replay" {
		return replay(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "backtest" {
		return backtestCmd(ctx, args[1:], stdout, stderr)
	}
	cfg, err := parseConfig(args, os.Getenv, ".", stderr)
	if err != nil {
		return versionOr(err, stdout)
	}
	// Trades are buffered so that a burst costs a few writes; the printer
	// flushes whenever its queue is empty, so each trade still shows at once.
	out := output.New(stdout, 0)
	defer out.Flush()
	logs, trades := newLoggers(cfg.LogFormat, cfg.LogLevel, out, stderr)

	var demo *fakeroll.Server
	if cfg.Demo {
		demo, err = fakeroll.Start(demoOptions())
		if err != nil {
			return fmt.Errorf("start demo feed: %w", err)
		}
		defer demo.Close()
		cfg.URL = demo.URL()
		logs.InfoContext(ctx, "demo: a built-in fake feed stands in for CSGORoll; it drops the connection now and then to show reconnects")
	} else if cfg.Session == "" {
		logs.WarnContext(ctx, "ROLL_SESSION is not set: public listings may still arrive, but if the feed refuses you, copy the \"session\" cookie from your browser into ROLL_SESSION (or -session)")
	}
	for _, w := range settingWarnings(cfg, ".", os.Environ()) {
		logs.WarnContext(ctx, w)
	}
	logs.InfoContext(ctx, "starting", "version", currentVersion().Version, "config", cfg)

	p, err := newPipeline(cfg, logs, trades, out.Flush)
	if err != nil {
		return err
	}
	if p.hup != nil {
		// Registered before anything runs, so a SIGHUP from now on reloads.
		hups := make(chan os.Signal, 1)
		signal.Notify(hups, syscall.SIGHUP)
		defer signal.Stop(hups)
		p.extra = append(p.extra, func(ctx context.Context) error { return forwardReloads(ctx, hups, p.reload) })
	}
	if demo != nil {
		p.extra = append(p.extra, func(ctx context.Context) error { return demoFaults(ctx, demo, logs) })
	}
	if cfg.MetricsAddr != "" {
		m, err := listenMetrics(cfg.MetricsAddr, p, logs.With("actor", "metrics"))
		if err != nil {
			return err
		}
		p.extra = append(p.extra, m.Run)
	}
	err = p.run(ctx)
	if err == nil {
		logs.InfoContext(ctx, "stopped", "trades", p.parser.Stats().Trades)
	}
	return err
}
