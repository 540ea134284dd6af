// Command feedbench measures what the pipeline costs a trade against a bare
// loop that does the same work without actors, on the same frames, in one run:
//
//   - a burst of trades (createTrades batches of one to four, in the field
//     selection the program subscribes with), read once by a bare loop (one
//     goroutine: read a frame, feedjson.ParseFrame, print each trade's line) and
//     once by the real pipeline (connection actor → parser → hub → printer
//     and a deciding sink), alternately, -runs times each; it prints trades a
//     second, CPU microseconds, allocations and bytes a trade, and the ratio
//     pipeline / bare loop. Both decode with ParseFrame, so the ratio is the
//     pipeline's overhead, not the decoder's;
//   - the time from a frame's receipt (Frame.ReceivedAt, stamped by the
//     connection actor) to the moment the deciding sink handles its trade, at
//     steady rates, as p50, p99 and p99.9.
//
// The fake feed runs as a second process (this binary again), so that the CPU
// figures are the client's alone; the feed's own CPU a trade is printed beside
// them. Trades are printed as JSON lines to a writer that only counts them.
//
// Usage:
//
//	feedbench [-quick] [-trades N] [-runs N] [-rates 100,1000,10000] [-rate-time 3s] [-queue N] [-cpuprofile FILE] [-strict]
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	if os.Getenv(roleEnv) == "server" {
		fs := flag.NewFlagSet("feed", flag.ExitOnError)
		trades := fs.Int("trades", 100_000, "")
		_ = fs.Parse(os.Args[1:])
		if err := serve(os.Stdin, os.Stdout, *trades); err != nil {
			fmt.Fprintf(os.Stderr, "feedbench feed: %v\n", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout)
	switch {
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errTargetMissed):
		os.Exit(3)
	case err != nil:
		fmt.Fprintf(os.Stderr, "feedbench: %v\n", err)
		os.Exit(1)
	}
}

// Targets, checked by every run.
const (
	targetCPURatio   = 1.3                   // pipeline CPU a trade over the bare loop's
	targetP99        = 50 * time.Microsecond // frame to decision, at targetP99Rate
	targetP99Rate    = 1000                  // trades a second
	quickTrades      = 10_000
	quickRateTime    = time.Second
	defaultRateTimes = 3 * time.Second
)

// errTargetMissed is run's error under -strict when a target was missed.
var errTargetMissed = errors.New("a target was missed")

// config is feedbench's flags.
type config struct {
	trades     int
	runs       int
	rates      []int
	rateTime   time.Duration
	queue      int
	cpuprofile string
	strict     bool
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("feedbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	quick := fs.Bool("quick", false, fmt.Sprintf("a short run for CI: %d trades, one run each, %v a rate", quickTrades, quickRateTime))
	fs.IntVar(&cfg.trades, "trades", 100_000, "trades in the burst")
	fs.IntVar(&cfg.runs, "runs", 3, "bursts for each client, alternating; the median is shown")
	rates := fs.String("rates", "100,1000,10000", "steady rates for the latency runs, trades a second, comma-separated")
	fs.DurationVar(&cfg.rateTime, "rate-time", defaultRateTimes, "how long each latency run lasts")
	fs.IntVar(&cfg.queue, "queue", 0, "each sink's queue in the bursts; 0 holds the whole burst, so that no sink drops and both clients print every trade (the program's is 1024)")
	fs.StringVar(&cfg.cpuprofile, "cpuprofile", "", "run one more pipeline burst under the CPU profiler and write the profile to this file (read it with go tool pprof)")
	fs.BoolVar(&cfg.strict, "strict", false, "exit with status 3 when a target is missed")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if *quick {
		cfg.trades, cfg.runs, cfg.rateTime = quickTrades, 1, quickRateTime
	}
	for r := range strings.SplitSeq(*rates, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil || n <= 0 {
			return config{}, fmt.Errorf("-rates %q: want positive whole numbers of trades a second, comma-separated", *rates)
		}
		cfg.rates = append(cfg.rates, n)
	}
	if cfg.trades <= 0 || cfg.runs <= 0 || cfg.rateTime <= 0 || cfg.queue < 0 {
		return config{}, errors.New("-trades, -runs and -rate-time must be positive, -queue not negative")
	}
	if cfg.queue == 0 {
		cfg.queue = cfg.trades
	}
	return cfg, nil
}

// run runs every measurement and prints the report on stdout.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	cfg, err := parseFlags(args, os.Stderr)
	if err != nil {
		return err
	}
	f, err := startFeed(cfg.trades)
	if err != nil {
		return err
	}
	defer f.close()

	fmt.Fprintf(stdout, "feedbench: burst of %d trades (createTrades batches of 1-4) over loopback, %d run(s) each, median shown;\n", cfg.trades, cfg.runs)
	fmt.Fprintf(stdout, "the feed runs in its own process: CPU figures are the client's alone.\n\n")
	var bare, pipe []cost
	var writes []float64
	for i := range cfg.runs {
		var w countingWriter
		c, err := bareLoop(ctx, f, cfg.trades, &w)
		if err != nil {
			return err
		}
		bare = append(bare, c)
		res, err := runPipeline(ctx, f, "burst", fmt.Sprint(cfg.trades), cfg.trades, cfg.queue)
		if err != nil {
			return err
		}
		pipe = append(pipe, res.cost)
		writes = append(writes, float64(res.writes)/float64(cfg.trades))
		for name, d := range res.dropped {
			fmt.Fprintf(stdout, "note: run %d: the hub dropped %d trades for the %s (queue %d): its CPU figures cover less work\n", i+1, d, name, cfg.queue)
		}
	}
	if cfg.cpuprofile != "" {
		if err := profile(ctx, f, cfg); err != nil {
			return err
		}
	}
	b, p := median(bare), median(pipe)
	slices.Sort(writes)
	fmt.Fprintf(stdout, "%-10s %12s %14s %14s %13s %14s %15s\n", "client", "trades/s", "CPU µs/trade", "allocs/trade", "bytes/trade", "writes/trade", "feed CPU µs/tr")
	fmt.Fprintf(stdout, "%-10s %12.0f %14.2f %14.2f %13.0f %14.3f %15.2f\n", "bare loop", b.perSecond, b.cpu, b.allocs, b.bytes, 1.0, b.feedCPU)
	fmt.Fprintf(stdout, "%-10s %12.0f %14.2f %14.2f %13.0f %14.3f %15.2f\n", "pipeline", p.perSecond, p.cpu, p.allocs, p.bytes, writes[len(writes)/2], p.feedCPU)
	ratio := p.cpu / b.cpu
	missed := false
	fmt.Fprintf(stdout, "\npipeline / bare loop: CPU %.2f× (target ≤ %.1f×: %s), allocs %+.2f a trade, throughput %.2f×\n",
		ratio, targetCPURatio, verdict(ratio <= targetCPURatio, &missed), p.allocs-b.allocs, p.perSecond/b.perSecond)

	fmt.Fprintf(stdout, "\nframe → decision latency (pipeline, one trade a frame, %v a rate, %d run(s) each, the run with the median p99 shown):\n", cfg.rateTime, cfg.runs)
	fmt.Fprintf(stdout, "%10s %8s %10s %10s %10s %10s   %s\n", "trades/s", "trades", "p50", "p99", "p99.9", "max", "p99 of each run")
	for _, rate := range cfg.rates {
		n := int(int64(rate) * int64(cfg.rateTime) / int64(time.Second))
		var runs [][]time.Duration // each run's latencies, sorted
		for range cfg.runs {
			res, err := runPipeline(ctx, f, "rate", fmt.Sprintf("%d %v", rate, cfg.rateTime), n, cfg.queue)
			if err != nil {
				return err
			}
			lat := slices.Clone(res.latency)
			slices.Sort(lat)
			runs = append(runs, lat)
		}
		var p99s []string
		for _, lat := range runs {
			p99s = append(p99s, percentile(lat, 99).String())
		}
		slices.SortFunc(runs, func(a, b []time.Duration) int { return cmp.Compare(percentile(a, 99), percentile(b, 99)) })
		lat := runs[len(runs)/2]
		p99 := percentile(lat, 99)
		line := fmt.Sprintf("%10d %8d %10v %10v %10v %10v   %s", rate, len(lat), percentile(lat, 50), p99, percentile(lat, 99.9), percentile(lat, 100), strings.Join(p99s, " "))
		if rate == targetP99Rate {
			line += fmt.Sprintf("   target ≤ %v: %s", targetP99, verdict(p99 <= targetP99, &missed))
		}
		fmt.Fprintln(stdout, line)
	}
	if missed && cfg.strict {
		return errTargetMissed
	}
	return nil
}

// profile runs one more pipeline burst under the CPU profiler.
func profile(ctx context.Context, f *feed, cfg config) error {
	pf, err := os.Create(cfg.cpuprofile)
	if err != nil {
		return err
	}
	defer pf.Close()
	if err := pprof.StartCPUProfile(pf); err != nil {
		return err
	}
	_, err = runPipeline(ctx, f, "burst", fmt.Sprint(cfg.trades), cfg.trades, cfg.queue)
	pprof.StopCPUProfile()
	return err
}

// verdict says whether a target was met, and notes a miss in missed.
func verdict(ok bool, missed *bool) string {
	if ok {
		return "met"
	}
	*missed = true
	return "MISSED"
}
