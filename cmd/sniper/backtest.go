package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/rollsniper/rollsniper/actors"
	"github.com/rollsniper/rollsniper/internal/backtest"
	"github.com/rollsniper/rollsniper/internal/journal"
	"github.com/rollsniper/rollsniper/internal/whitelist"
)

// timeFlag is -from or -to: a time in UTC unless it says otherwise.
type timeFlag struct{ t time.Time }

// timeLayouts are the forms -from and -to accept, tried in order; those
// without a zone are UTC.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", time.DateOnly}

func (f *timeFlag) String() string {
	if f == nil || f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f *timeFlag) Set(s string) error {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			f.t = t.UTC()
			return nil
		}
	}
	return errors.New("not a time: write 2026-11-30, 2026-11-30T14:00 (UTC) or 2026-11-30T14:00:00+01:00")
}

// ptr is the time, or nil when unset.
func (f *timeFlag) ptr() *time.Time {
	if f.t.IsZero() {
		return nil
	}
	t := f.t
	return &t
}

// backtestRun is what one backtest read and decided.
type backtestRun struct {
	report backtest.Report
	replay actors.ReplayStats
	parser actors.ParserStats
}

// runBacktest replays the journal reader reads, as fast as it goes, through
// a parser into a backtest of list, keeping the records in [from, to). The
// replay (which reads and decompresses the journal) and the parser run on
// goroutines of their own; the decisions on the caller's. It closes reader.
func runBacktest(ctx context.Context, reader *journal.Reader, list *whitelist.List, from, to time.Time, log *slog.Logger) (backtestRun, error) {
	rep := actors.NewReplay(actors.ReplayConfig{Reader: reader, From: from, To: to, Log: log.With("actor", "replay")})
	// The parser's warnings about malformed frames are the report's
	// "skipped" figure: not repeated on stderr.
	parser := actors.NewParser(rep.Out(), slog.New(slog.DiscardHandler))
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return rep.Run(gctx) })
	g.Go(func() error { return parser.Run(gctx) })
	bt := backtest.New(list)
	for t := range parser.Out() {
		bt.Add(&t)
	}
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return backtestRun{}, err
	}
	run := backtestRun{replay: rep.Stats(), parser: parser.Stats()}
	cov := backtest.Coverage{First: run.replay.First, Last: run.replay.Last, Frames: run.replay.Frames,
		Sessions: run.replay.Sessions, Lost: run.replay.Lost, DamagedSegments: len(run.replay.Damage)}
	for _, d := range run.replay.Damage {
		cov.DamagedBytes += d.Bytes
	}
	for _, n := range run.parser.Skipped {
		cov.Skipped += n
	}
	run.report = bt.Report(cov)
	return run, nil
}

// backtestCmd is sniper backtest -whitelist FILE [-from T] [-to T] [-format
// table|json] FILE|DIR…: the whitelist decided on a recorded journal, as
// fast as the machine goes, and a report of what it would have caught.
func backtestCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var from, to timeFlag
	format := "table"
	cfg, paths, err := parseCommand(command{
		name: "sniper backtest",
		args: true,
		flags: func(fs *flag.FlagSet) {
			fs.Var(&from, "from", "only trades received at or after this `time` (2026-11-30, 2026-11-30T14:00 in UTC, or RFC 3339)")
			fs.Var(&to, "to", "only trades received before this `time`")
			fs.StringVar(&format, "format", format, "the report's `format`: table (for a terminal) or json (for scripts)")
		},
		usage: backtestUsage,
	}, args, os.Getenv, ".", stdout) // -h is asked for: its help goes to stdout
	if err != nil {
		return versionOr(err, stdout)
	}
	var problems []error
	if format != "table" && format != "json" {
		problems = append(problems, fmt.Errorf("sniper backtest -format %q: use table or json", format))
	}
	if cfg.Whitelist == "" {
		problems = append(problems, errors.New("sniper backtest: name the whitelist to test with -whitelist FILE (or ROLL_WHITELIST)"))
	}
	if !from.t.IsZero() && !to.t.IsZero() && !from.t.Before(to.t) {
		problems = append(problems, fmt.Errorf("sniper backtest: -from %s is not before -to %s", from.String(), to.String()))
	}
	if len(problems) > 0 {
		return &ConfigError{Problems: problems}
	}
	list, err := loadWhitelist(cfg)
	if err != nil {
		return err
	}
	for _, w := range list.Warnings() {
		fmt.Fprintf(stderr, "%s: warning: %s\n", cfg.Whitelist, w)
	}
	reader, err := openJournal("sniper backtest", paths)
	if err != nil {
		return err
	}
	// The report is the answer: what the replay met that bears on it (damage,
	// frames the recorder lost) is logged at warn level, its progress only
	// with -log-level debug.
	level := cfg.LogLevel
	if level == slog.LevelInfo {
		level = slog.LevelWarn
	}
	logs := slog.New(newHandler(cfg.LogFormat, level, stderr, os.Getenv("NO_COLOR") != ""))
	run, err := runBacktest(ctx, reader, list, from.t, to.t, logs)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		logs.WarnContext(ctx, "interrupted: the report covers what was read until then")
	}
	r := run.report
	r.Whitelist, r.Journal, r.From, r.To = cfg.Whitelist, paths, from.ptr(), to.ptr()
	if format == "json" {
		return r.WriteJSON(stdout)
	}
	return r.WriteTable(stdout)
}

// backtestUsage writes sniper backtest -h.
func backtestUsage(w io.Writer, flags *flag.FlagSet, _ string) {
	fmt.Fprint(w, `Usage: sniper backtest -whitelist FILE [-from T] [-to T] [-format table|json] DIR|FILE...

Decides every trade of a journal that sniper -record wrote (a directory, or
segment files) against the whitelist, exactly as the live run would have, as
fast as the machine goes, and reports for each entry its matches (first and
last, price and markup ranges, how many could be joined), its near misses
(trades that failed one bound only, and what that bound would have had to be),
the entries whose item never appeared, and each day's trades, matches and
busiest minute. The whitelist and log settings may come from the environment
or .env, as they do live.

Flags:
`)
	printFlags(w, flags, "whitelist", "from", "to", "format", "log-format", "log-level", "env-file")
}
