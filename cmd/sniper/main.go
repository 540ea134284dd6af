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
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/gctune"
	"github.com/rollsniper/rollsniper/internal/gqlws"
	"github.com/rollsniper/rollsniper/internal/natsserver"
)

func main() {
	// Before anything else runs: see StopProcSampling.
	natsserver.StopProcSampling()
	ctx, cancel := context.WithCancel(context.Background())
	// The first SIGINT or SIGTERM starts a graceful stop; a second one, while
	// the first is still draining, cuts it short: what is buffered for stdout
	// and stderr is written (for at most hurryFlush), and the process exits.
	// This goroutine lives as long as the process, so nothing waits for it.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	hurry := make(chan struct{})
	second := make(chan int, 1)
	go func() {
		<-sigs
		cancel()
		sig := <-sigs
		status := 128 + int(sig.(syscall.Signal))
		second <- status
		close(hurry)
		// run returns within hurryFlush; this is the backstop should it not.
		time.Sleep(2 * hurryFlush)
		os.Exit(status)
	}()
	err := runUntil(ctx, hurry, os.Args[1:], os.Stdout, os.Stderr)
	if errors.Is(err, errSecondSignal) {
		os.Exit(<-second)
	}
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
// *ConfigError listing every problem otherwise. -h writes its help to stdout.
func check(args []string, stdout, stderr io.Writer) error {
	cfg, _, err := parseCommand(command{name: "sniper check", usage: printCheckUsage}, args, os.Getenv, ".", stdout)
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
	return runUntil(ctx, nil, args, stdout, stderr)
}

// hurryFlush bounds how long a second signal lets stdout and stderr take to
// write what is buffered before the process exits; lastWords is how long the
// last log lines of a stop get when its budget is spent.
const (
	hurryFlush = time.Second
	lastWords  = 50 * time.Millisecond
)

// runUntil is run, cut short when hurry closes (a second signal): it then
// writes what is buffered for stdout and stderr, for at most hurryFlush, and
// returns errSecondSignal.
func runUntil(ctx context.Context, hurry <-chan struct{}, args []string, stdout, stderr io.Writer) (err error) {
	if len(args) > 0 && args[0] == "check" {
		return versionOr(check(args[1:], stdout, stderr), stdout)
	}
	if len(args) > 0 && args[0] == "health" {
		return health(ctx, args[1:], os.Getenv, stdout)
	}
	if len(args) > 0 && args[0] == "replay" {
		return replay(ctx, hurry, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "backtest" {
		return backtestCmd(ctx, args[1:], stdout, stderr)
	}
	cfg, err := parseConfig(args, os.Getenv, ".", stdout) // -h is asked for: its help goes to stdout
	if err != nil {
		return versionOr(err, stdout)
	}
	return withOutputs(ctx, cfg, stdout, stderr, func(out *outputs) (*pipeline, error) {
		return runLive(ctx, hurry, cfg, out)
	})
}

// withOutputs builds stdout's and stderr's writers for cfg, runs stderr's,
// and calls body with them. stdout and stderr are each written by an actor of
// its own, so that no part of the program ever waits on them (see outputs);
// body runs stdout's in its pipeline. What is left for stderr is written
// before withOutputs returns, within what is left of the pipeline's stop
// budget (or hurryFlush after a second signal, when stdout's is written too).
func withOutputs(ctx context.Context, cfg Config, stdout, stderr io.Writer, body func(*outputs) (*pipeline, error)) (err error) {
	out := newOutputs(cfg, os.Getenv("NO_COLOR") != "", stdout, stderr)
	errCtx, stopErr := context.WithCancel(context.WithoutCancel(ctx))
	errDone := make(chan error, 1)
	go func() { errDone <- out.stderr.Run(errCtx) }()
	var p *pipeline
	defer func() {
		by := time.Now().Add(hurryFlush)
		if p != nil && !p.stopBy.IsZero() && !errors.Is(err, errSecondSignal) {
			by = p.stopBy
			if least := time.Now().Add(lastWords); by.Before(least) {
				by = least
			}
		}
		if errors.Is(err, errSecondSignal) {
			sctx, cancel := context.WithDeadline(context.Background(), by)
			_ = out.stdout.Sync(sctx)
			cancel()
		}
		stopErr()
		t := time.NewTimer(time.Until(by))
		defer t.Stop()
		select {
		case <-errDone:
		case <-t.C:
		}
	}()
	p, err = body(out)
	return err
}

// runLive runs the pipeline on the feed (or the demo's, or a NATS stream)
// until ctx ends or a fatal error, cut short when hurry closes, and returns
// it for withOutputs to finish writing within its stop's budget.
func runLive(ctx context.Context, hurry <-chan struct{}, cfg Config, out *outputs) (p *pipeline, err error) {
	logs := out.logs
	var demo *fakeroll.Server
	if cfg.Demo {
		demo, err = fakeroll.Start(demoOptions())
		if err != nil {
			return nil, fmt.Errorf("start demo feed: %w", err)
		}
		defer demo.Close()
		cfg.URL = demoURLs(demo.URL(), cfg.Connections)
		logs.InfoContext(ctx, demoIntro(cfg.Connections))
	} else if cfg.Session == "" && cfg.Source == "" {
		logs.WarnContext(ctx, "ROLL_SESSION is not set: public listings may still arrive, but if the feed refuses you, copy the \"session\" cookie from your browser into ROLL_SESSION (or -session)")
	}
	for _, w := range settingWarnings(cfg, ".", os.Environ()) {
		logs.WarnContext(ctx, w)
	}
	prev := runtime.GOMAXPROCS(0)
	procs := applyProcs(cfg)
	defer runtime.GOMAXPROCS(prev)             // for run's tests, which share a process
	defer debug.SetGCPercent(gctune.Current()) // likewise
	gc := gctune.Apply()
	logs.InfoContext(ctx, "starting", "version", currentVersion().Version, "procs", procs, "gogc", gc, "config", cfg)

	if cfg.NATSEmbedded != "" {
		// Started before the pipeline and shut down after it, so that the
		// publisher's last messages are stored.
		srv, err := startEmbedded(cfg, logs.With("actor", "nats-server"))
		if err != nil {
			return nil, err
		}
		defer srv.Shutdown()
	}
	if p, err = newPipeline(cfg, logs, out); err != nil {
		return nil, err
	}
	if p.hup != nil {
		// Registered before anything runs, so a SIGHUP from now on reloads.
		hups := make(chan os.Signal, 1)
		signal.Notify(hups, syscall.SIGHUP)
		defer signal.Stop(hups)
		p.extra = append(p.extra, func(ctx context.Context) error { return forwardReloads(ctx, hups, p.reload) })
	}
	if demo != nil {
		p.extra = append(p.extra, func(ctx context.Context) error { return demoFaults(ctx, demo, cfg.Connections, demoFaultEvery, logs) })
	}
	if cfg.MetricsAddr != "" {
		m, err := listenMetrics(cfg.MetricsAddr, p, logs.With("actor", "metrics"))
		if err != nil {
			return p, err
		}
		p.extra = append(p.extra, m.Run)
	}
	err = p.run(ctx, hurry)
	if err == nil {
		logs.LogAttrs(ctx, slog.LevelInfo, "stopped", p.summary(time.Now()).attrs()...)
	}
	return p, err
}
