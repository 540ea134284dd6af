// Command fakeroll serves a fake CSGORoll trade feed: graphql-transport-ws over
// WebSocket, like the real one, with generated listings. Point the sniper at
// the URL it prints to watch trades without touching CSGORoll.
//
//	fakeroll -rate 5 -batch 3 -drop-every 1m
//
// It stops on SIGINT or SIGTERM.
//
// With -generate it serves nothing: it writes a journal of that much
// synthetic feed, as the sniper's recorder would have recorded it, for
// replays and backtests without an account, and exits.
//
//	fakeroll -generate 24h -out journal/
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
	"syscall"
	"time"

	"github.com/lmittmann/tint"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/journal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.As(err, new(usageError)):
		fmt.Fprintln(os.Stderr, "fakeroll:", err)
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "fakeroll:", err)
		os.Exit(1)
	}
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// run serves the feed until ctx ends, printing the URL to connect to on stdout
// and logging to stderr. It returns once the server has stopped.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fakeroll", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		addr      = fs.String("addr", "127.0.0.1:8080", "`host:port` to listen on")
		rate      = fs.Float64("rate", 1, "generated trades per second, the same for every subscribed connection (one market); 0 sends none. With -generate: the mean over a day, 1.1 if not given")
		batch     = fs.Int("batch", 1, "at most this many trades in one message of the createTrades shape")
		dropEvery = fs.Duration("drop-every", 0, "drop every connection abruptly after about this long (0: never)")
		session   = fs.String("require-session", "", "reject connection_init (close 4403) unless the session cookie is this `value`")
		seed      = fs.Uint64("seed", 0, "seed of the trade generator (0: from the clock)")
		verbose   = fs.Bool("v", false, "log every connection's details")
		generate  = fs.Duration("generate", 0, "write a journal of this much synthetic feed into -out, then exit, serving nothing (24h: about 95,000 trades)")
		out       = fs.String("out", "", "with -generate: the `directory` to write the journal into (created if missing; must hold no journal yet)")
		startAt   = fs.String("start", "", "with -generate: the receive `time` of the journal's start, RFC 3339 or a date (UTC); default: the duration before now")
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	switch {
	case fs.NArg() > 0:
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	case *rate < 0:
		return usageError{fmt.Sprintf("-rate %v: must be 0 or more trades per second", *rate)}
	case *batch < 1:
		return usageError{fmt.Sprintf("-batch %d: must be at least 1", *batch)}
	case *dropEvery < 0:
		return usageError{fmt.Sprintf("-drop-every %v: must be 0 or more", *dropEvery)}
	case *generate < 0:
		return usageError{fmt.Sprintf("-generate %v: must be a positive duration, like 24h", *generate)}
	case *generate == 0 && (*out != "" || *startAt != ""):
		return usageError{"-out and -start go with -generate: say how much feed to write, like -generate 24h"}
	case *generate > 0 && *out == "":
		return usageError{"-generate needs -out DIR, the directory to write the journal into"}
	}
	if *seed == 0 {
		*seed = uint64(time.Now().UnixNano())
	}
	if *generate > 0 {
		opts := fakeroll.JournalOptions{Duration: *generate, Seed: *seed}
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "rate" {
				opts.Rate = *rate
			}
		})
		if *rate == 0 {
			return usageError{"-rate 0 with -generate: a journal needs trades"}
		}
		return generateJournal(*out, *startAt, opts, stdout)
	}

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(tint.NewTextHandler(stderr, &tint.Options{Level: level, TimeFormat: time.TimeOnly}))

	opts := fakeroll.Options{
		BatchMax:       *batch,
		DropEvery:      *dropEvery,
		RequireSession: *session,
		Seed:           *seed,
		Log:            log,
	}
	if *rate > 0 {
		opts.TradeInterval = time.Duration(float64(time.Second) / *rate)
	}
	srv, err := fakeroll.StartAt(*addr, opts)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, srv.URL())
	<-ctx.Done()
	log.InfoContext(ctx, "stopping")
	return srv.Close()
}

// generateJournal writes the journal opts describe into dir, starting at
// start (a flag's text; empty: the duration before now), and prints what it
// wrote to stdout.
func generateJournal(dir, start string, opts fakeroll.JournalOptions, stdout io.Writer) error {
	if start == "" {
		opts.Start = time.Now().UTC().Add(-opts.Duration).Truncate(time.Second)
	} else {
		t, err := parseStart(start)
		if err != nil {
			return err
		}
		opts.Start = t
	}
	if segs, err := journal.ListSegments(dir); err == nil && len(segs) > 0 {
		return fmt.Errorf("%s already holds a journal (%d segments): give an empty or new directory, so that the journals do not mix", dir, len(segs))
	}
	w, err := journal.NewWriter(dir, journal.Options{Writer: "fakeroll"})
	if err != nil {
		return err
	}
	stats, err := fakeroll.WriteJournal(w, opts)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	segs, err := journal.ListSegments(dir)
	if err != nil {
		return err
	}
	var size int64
	for _, s := range segs {
		size += s.Size
	}
	fmt.Fprintf(stdout, "wrote %s of feed from %s into %s: %s in %s (%s), %s; %s, %d bytes; seed %d\n",
		opts.Duration, opts.Start.Format(time.RFC3339), dir,
		count(stats.Trades, "trade"), count(stats.Frames, "frame"), count(stats.Malformed, "malformed frame"),
		count(stats.Sessions, "session"), count(len(segs), "segment"), size, opts.Seed)
	return nil
}

// parseStart reads -start: an RFC 3339 time, or a date meaning its UTC
// midnight.
func parseStart(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, usageError{fmt.Sprintf("-start %q: give a time like 2026-11-30T14:00:00Z, or a date like 2026-11-30", s)}
}

// count is n and noun, in the plural unless n is 1.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
