// Command fakeroll serves a fake CSGORoll trade feed: graphql-transport-ws over
// WebSocket, like the real one, with generated listings. Point the sniper at
// the URL it prints to watch trades without touching CSGORoll.
//
//	fakeroll -rate 5 -batch 3 -drop-every 1m
//
// It stops on SIGINT or SIGTERM.
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
		rate      = fs.Float64("rate", 1, "generated trades per second for each subscribed connection; 0 sends none")
		batch     = fs.Int("batch", 1, "at most this many trades in one message of the createTrades shape")
		dropEvery = fs.Duration("drop-every", 0, "drop every connection abruptly after about this long (0: never)")
		session   = fs.String("require-session", "", "reject connection_init (close 4403) unless the session cookie is this `value`")
		seed      = fs.Uint64("seed", 0, "seed of the trade generator (0: from the clock)")
		verbose   = fs.Bool("v", false, "log every connection's details")
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
	if opts.Seed == 0 {
		opts.Seed = uint64(time.Now().UnixNano())
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
