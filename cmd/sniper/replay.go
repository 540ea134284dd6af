package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/rollsniper/rollsniper/actors"
	"github.com/rollsniper/rollsniper/internal/journal"
)

// speedFlag is -speed: "max" (0, as fast as the pipeline goes) or a factor
// such as 1x or 10x.
type speedFlag float64

func (s *speedFlag) String() string {
	if s == nil || *s == 0 {
		return "max"
	}
	return strconv.FormatFloat(float64(*s), 'f', -1, 64) + "x"
}

func (s *speedFlag) Set(text string) error {
	text = strings.ToLower(strings.TrimSpace(text))
	if text == "max" {
		*s = 0
		return nil
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(text, "x"), 64)
	if err != nil || !(f > 0) || f > 1e9 {
		return errors.New("want 1x (the recorded timing), 10x (ten times as fast), any other factor such as 2.5x, or max")
	}
	*s = speedFlag(f)
	return nil
}

// replay runs the pipeline on a journal instead of the feed: sniper replay
// [-speed 1x|10x|max] [-alerts] [settings] FILE|DIR…. The recorded frames go
// through the same parser, hub and sinks as the live ones; it returns nil
// once the journal is replayed (or on SIGINT), whatever damage it skipped.
func replay(ctx context.Context, hurry <-chan struct{}, args []string, stdout, stderr io.Writer) error {
	speed := speedFlag(1)
	var alerts bool
	cfg, paths, err := parseCommand(command{
		name: "sniper replay",
		args: true,
		flags: func(fs *flag.FlagSet) {
			fs.Var(&speed, "speed", "how fast to replay, a `speed`: 1x keeps the recorded timing, 10x is ten times as fast, max as fast as it goes")
			fs.BoolVar(&alerts, "alerts", false, "post the replay's whitelist matches to -discord-webhook (off by default: they are old news)")
		},
		usage: replayUsage,
	}, args, os.Getenv, ".", stdout) // -h is asked for: its help goes to stdout
	if err != nil {
		return versionOr(err, stdout)
	}
	reader, err := openJournal("sniper replay", paths)
	if err != nil {
		return err
	}
	return withOutputs(ctx, cfg, stdout, stderr, func(out *outputs) (*pipeline, error) {
		logs := out.logs
		if cfg.DiscordWebhook != "" && !alerts {
			logs.InfoContext(ctx, "Discord alerts are off in a replay: -alerts sends them")
			cfg.DiscordWebhook = ""
		}
		rep := actors.NewReplay(actors.ReplayConfig{Reader: reader, Speed: float64(speed), Log: logs.With("actor", "replay")})
		// A journal of several connections holds each trade once a line: the
		// parser keeps the first copy, as it did live.
		p, err := newPipelineFrom(rep, actors.MaxLines, cfg, logs, out)
		if err != nil {
			reader.Close()
			return nil, err
		}
		logs.InfoContext(ctx, "replaying", slog.Int("segments", len(reader.Segments())), slog.String("speed", speed.String()))
		if err := p.run(ctx, hurry); err != nil {
			return p, err
		}
		s := rep.Stats()
		var skipped int64
		for _, d := range s.Damage {
			skipped += d.Bytes
		}
		attrs := []any{slog.Uint64("frames", s.Frames), slog.Uint64("trades", p.parser.Stats().Trades)}
		if p.whitelist != nil {
			attrs = append(attrs, slog.Uint64("matches", p.whitelist.Stats().Matched))
		}
		if len(s.Damage) > 0 {
			attrs = append(attrs, slog.Int("damaged_segments", len(s.Damage)), slog.Int64("bytes_skipped", skipped))
		}
		logs.InfoContext(ctx, "replayed", attrs...)
		return p, nil
	})
}

// openJournal opens the journal that paths name for command. Naming none,
// or a file that is not a journal, is a setting to fix.
func openJournal(command string, paths []string) (*journal.Reader, error) {
	if len(paths) == 0 {
		return nil, &ConfigError{Problems: []error{fmt.Errorf("%s: name the journal: the directory sniper -record wrote, or its segment files (%s -h for help)", command, command)}}
	}
	r, err := journal.NewReader(paths...)
	if err != nil {
		return nil, &ConfigError{Problems: []error{fmt.Errorf("%s: %w", command, err)}}
	}
	return r, nil
}

// replayUsage writes sniper replay -h.
func replayUsage(w io.Writer, flags *flag.FlagSet, _ string) {
	fmt.Fprint(w, `Usage: sniper replay [-speed 1x|10x|max] [-alerts] [flags] DIR|FILE...

Replays a journal that sniper -record wrote (a directory, or segment files)
through the same parser, whitelist and printer as the live feed: the trade and
match lines are those the live run printed, but for their time and the match's
latency_us, which counts from the recorded receipt. Damage (a torn tail after a
crash) is skipped and reported; the replay still ends with exit status 0.

The whitelist, Discord and log settings apply as they do live, from the
flags, the environment or .env; the connection, -record and -metrics-addr
settings are not used.

Flags:
`)
	printFlags(w, flags, "speed", "alerts", "whitelist", "discord-webhook", "output", "log-format", "log-level", "env-file")
}

// printFlags writes the help of the flags named, in the order of flags, for
// a subcommand that uses only some of the settings.
func printFlags(w io.Writer, flags *flag.FlagSet, names ...string) {
	some := flag.NewFlagSet(flags.Name(), flag.ContinueOnError)
	flags.VisitAll(func(f *flag.Flag) {
		if slices.Contains(names, f.Name) {
			some.Var(f.Value, f.Name, f.Usage)
			some.Lookup(f.Name).DefValue = f.DefValue
		}
	})
	some.SetOutput(w)
	some.PrintDefaults()
}
