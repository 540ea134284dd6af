// Command feedbench measures what the pipeline costs a trade against a bare
// loop that does the same work without actors, on the same frames, in one run:
//
//   - a burst of trades (createTrades batches of one to four, in the field
//     selection the program subscribes with), read once by a bare loop (one
//     goroutine: read a frame, feedjson.ParseFrame, print each trade's line) and
//     once by the real pipeline (connection actor → parser → hub, which
//     decides each trade → printer), alternately, -runs times each; it prints trades a
//     second, CPU microseconds, allocations and bytes a trade, and the ratio
//     pipeline / bare loop. Both decode with ParseFrame, so the ratio is the
//     pipeline's overhead, not the decoder's;
//   - the feed's real rhythm: frames arriving one at a time at steady rates
//     (1, 100, 1,000, 10,000 and 20,000 trades a second by default; the real
//     feed carries about one a second), read by the bare loop, by one hop (the
//     bare loop cut in two goroutines joined by a channel: the least an actor
//     shape costs) and by the pipeline in turn, -runs rounds, the order
//     turning each round, with the pipeline's own queue sizes. For each
//     rate it prints CPU microseconds a trade (idle time included: it is what
//     a user pays) and the time from a frame's receipt to the decision on its
//     trade (p50, p99, p99.9, over every run's trades) for each, and the
//     ratios to the bare loop. The bare loop decides
//     on the goroutine that read the frame: the least this machine can do.
//
// The fake feed runs as a second process (this binary again), so that the CPU
// figures are the client's alone; the feed's own CPU a trade is printed beside
// them. Trades are printed as JSON lines to a writer that only counts them.
//
// With -nats it measures instead the burst through the pipeline alone and
// with the NATS publisher attached, against a JetStream server run as a
// third process, and prints both throughputs, their ratio, how fast the
// trades were stored, each process's CPU a trade, and how many cores the
// target would keep busy.
//
// With -connections N (2 to 4) it measures instead the burst through the
// pipeline with one connection and with N to the same feed, which sends
// every trade to each (sniper -connections), and prints the CPU a unique
// trade costs both ways and their ratio.
//
// Usage:
//
//	feedbench [-quick] [-trades N] [-runs N] [-rates 1,100,1000,10000,20000] [-rate-time 3s] [-rate-trades N] [-queue N] [-cpuprofile FILE [-profile-rate R]] [-strict]
//	feedbench -connections N [-quick] [-trades N] [-runs N] [-strict]
//	feedbench -nats [-quick] [-trades N] [-runs N] [-strict]
//	feedbench -record [-quick] [-trades N] [-runs N] [-strict]
//	feedbench -binary [-sniper FILE] [-quick] [-runs N] [-rates ...] [-rate-time 3s] [-rate-trades N] [-strict]
//
// With -connections N it measures instead the burst read by one connection
// and by N to the same feed process, which sends every trade on each, and
// the CPU a unique trade costs with N against one.
//
// With -binary it measures instead, at the steady rates, the sniper binary
// itself (built from this module unless -sniper names one) and the bare loop,
// each a process of its own, both subscribed at once so that they read the
// same frames side by side, as an outside check measures them: each
// process's CPU a trade, the time from the feed's sending of a frame to the
// time in its trade's record (p50, p99, p99.9), and the ratios.
//
// With -record it measures instead what recording (sniper -record) adds: the
// burst read by the pipeline without and with the recorder, alternately, and
// the CPU ratio; then what compressing the recorded journal costs a frame,
// which the compactor does once the feed is quiet.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rollsniper/rollsniper/actors"
	"github.com/rollsniper/rollsniper/internal/gctune"
	"github.com/rollsniper/rollsniper/internal/journal"
	"github.com/rollsniper/rollsniper/internal/natsserver"
)

func main() {
	// In every role: no client here serves NATS statistics, and a bare loop
	// would not link the NATS server at all (see StopProcSampling).
	natsserver.StopProcSampling()
	if os.Getenv(roleEnv) == "nats" {
		if err := serveNATS(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "feedbench nats: %v\n", err)
			os.Exit(1)
		}
		return
	}
	if os.Getenv(roleEnv) == "bare" {
		// As the clients run in-process: sniper's Ps and garbage collector.
		runtime.GOMAXPROCS(1)
		gctune.Apply()
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		if err := serveBare(ctx, os.Args[1], os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "feedbench bare loop: %v\n", err)
			os.Exit(1)
		}
		return
	}
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
	targetCPURatio   = 1.15                  // pipeline CPU a trade over the bare loop's, in the burst and at every rate
	targetP99Ratio   = 1.5                   // pipeline p99 frame to decision over the bare loop's, at every rate
	targetP99        = 50 * time.Microsecond // frame to decision, at targetP99Rate
	targetP99Rate    = 1000                  // trades a second
	quickTrades      = 10_000
	quickRateTime    = time.Second
	quickRates       = "100,1000,10000"
	defaultRates     = "1,100,1000,10000,20000"
	defaultRateTimes = time.Second
	// defaultRateTrades is the fewest trades a rate's run reads, so that its
	// percentiles mean something: at one trade a second a run lasts 21 s,
	// and the p99 over nine runs is the third slowest of 180 trades (the
	// first of each run is its warm-up). (With 30 trades in three runs, it
	// was the second slowest of 90, which moved by half from one invocation
	// to the next, the bare loop's as much as the pipeline's.)
	defaultRateTrades = 21
	// defaultRateRuns is how many runs each client has at a rate, in turn:
	// short runs in many rounds, so that the shared machine's busy spells
	// (one run in three of 3 s met one, here) fall on every client alike.
	// With three runs of 3 s each, every full invocation missed a target
	// or two, a different one each time, the client that met a spell losing.
	defaultRateRuns = 9
	// rateWarmup is how many trades at the start of each run at a rate count
	// for no latency: the first use of the run's goroutines, buffers and
	// caches (the pipeline's first trade took 30 to 100 µs where its median
	// was 20), which a program running for weeks pays once. The CPU a trade
	// counts them.
	rateWarmup = 1
)

// errTargetMissed is run's error under -strict when a target was missed.
var errTargetMissed = errors.New("a target was missed")

// config is feedbench's flags.
type config struct {
	trades      int
	runs        int
	rates       []int
	rateTime    time.Duration
	rateTrades  int
	rateRuns    int
	queue       int
	nats        bool
	connections int // -connections: 0 for the usual runs
	cpuprofile  string
	profileRate int // -profile-rate: profile a steady rate's run instead of the burst
	strict      bool
	record      bool
	// procs is how many Ps the clients run with; compare, when not 0, the
	// Ps of a second pipeline run beside each, to show what procs saves.
	procs, compare int
	noYield        bool   // -no-yield: the pipeline's reader does not yield after a hand-off
	binary         bool   // -binary: the sniper binary against a bare loop, processes side by side
	sniper         string // -sniper: the binary -binary runs; empty builds it
	gogc           int    // the garbage collector's target the clients run with (-1: off)
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("feedbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	quick := fs.Bool("quick", false, fmt.Sprintf("a short run: %d trades, one run each, rates %s, %v a rate; flags given as well win", quickTrades, quickRates, quickRateTime))
	fs.IntVar(&cfg.trades, "trades", 100_000, "trades in the burst")
	fs.IntVar(&cfg.runs, "runs", 3, "bursts for each client, alternating; the median is shown")
	rates := fs.String("rates", defaultRates, "steady rates, trades a second, comma-separated")
	fs.DurationVar(&cfg.rateTime, "rate-time", defaultRateTimes, "how long each client reads at each rate")
	fs.IntVar(&cfg.rateTrades, "rate-trades", defaultRateTrades, "the fewest trades each client reads at a rate: a slow rate's run lasts longer than -rate-time")
	fs.IntVar(&cfg.rateRuns, "rate-runs", defaultRateRuns, "runs of each client at each steady rate, in turn (with -binary, on the same two processes)")
	fs.IntVar(&cfg.queue, "queue", 0, "each sink's queue in the bursts; 0 holds the whole burst, so that no sink drops and both clients print every trade (the program's is 1024)")
	fs.BoolVar(&cfg.nats, "nats", false, "measure the pipeline's burst with and without the NATS publisher, against a JetStream server in a process of its own, instead of the usual runs")
	fs.IntVar(&cfg.connections, "connections", 0, "measure the burst through the pipeline with one connection and with this many (2 to 4) to the same feed, instead of the usual runs")
	fs.StringVar(&cfg.cpuprofile, "cpuprofile", "", "run one more pipeline burst under the CPU profiler and write the profile to this file (read it with go tool pprof)")
	fs.IntVar(&cfg.profileRate, "profile-rate", 0, "with -cpuprofile, profile a run at this steady rate (trades a second, for -rate-time or -rate-trades) instead of the burst")
	fs.BoolVar(&cfg.strict, "strict", false, "exit with status 3 when a target is missed")
	machine := runtime.GOMAXPROCS(0)
	fs.IntVar(&cfg.procs, "procs", 0, "how many Ps (GOMAXPROCS) the clients run with; 0 is what sniper -procs auto picks for the run: 1 for the feed alone and -connections, the machine's with -record or -nats")
	fs.IntVar(&cfg.compare, "compare-procs", machine, "also run the pipeline with this many Ps beside each run, and show its row, to see what one P saves (0: no; -quick: no)")
	fs.BoolVar(&cfg.noYield, "no-yield", false, "run the pipeline without its reader's yield to the parser after each frame, to see what that yield saves")
	fs.BoolVar(&cfg.binary, "binary", false, "instead, measure at the steady rates the sniper binary and a bare loop, each a process of its own, reading the same frames side by side (as an outside check does): CPU a trade, latency from the feed's send to each record's time, and the ratios")
	fs.StringVar(&cfg.sniper, "sniper", "", "with -binary, the sniper `binary` to measure; empty builds "+sniperPackage+" (go must be on the PATH)")
	fs.BoolVar(&cfg.record, "record", false, "instead, measure what recording (sniper -record) adds to the pipeline in the burst, and what compressing the journal costs")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if *quick { // it sets what the command line does not
		if !flagSet(fs, "compare-procs") {
			cfg.compare = 0
		}
		if !flagSet(fs, "trades") {
			cfg.trades = quickTrades
		}
		if !flagSet(fs, "runs") {
			cfg.runs = 1
		}
		if !flagSet(fs, "rate-time") {
			cfg.rateTime = quickRateTime
		}
		if !flagSet(fs, "rate-runs") {
			cfg.rateRuns = 1
		}
		if !flagSet(fs, "rates") {
			*rates = quickRates
		}
	}
	for r := range strings.SplitSeq(*rates, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil || n <= 0 {
			return config{}, fmt.Errorf("-rates %q: want positive whole numbers of trades a second, comma-separated", *rates)
		}
		cfg.rates = append(cfg.rates, n)
	}
	if cfg.trades <= 0 || cfg.runs <= 0 || cfg.rateTime <= 0 || cfg.rateTrades <= rateWarmup || cfg.rateRuns <= 0 || cfg.queue < 0 {
		return config{}, fmt.Errorf("-trades, -runs, -rate-time and -rate-runs must be positive, -rate-trades more than %d (the warm-up), -queue not negative", rateWarmup)
	}
	if cfg.connections != 0 && (cfg.connections < 2 || cfg.connections > actors.MaxLines) {
		return config{}, fmt.Errorf("-connections %d: want 2 to %d (one connection is what every run measures)", cfg.connections, actors.MaxLines)
	}
	if cfg.queue == 0 {
		cfg.queue = cfg.trades
	}
	if cfg.procs < 0 || cfg.compare < 0 {
		return config{}, errors.New("-procs and -compare-procs must not be negative")
	}
	if cfg.procs == 0 {
		// As sniper's procsFor: one P for the feed's work alone, the
		// machine's when heavier work runs beside it.
		cfg.procs = 1
		if cfg.record || cfg.nats {
			cfg.procs = machine
		}
	}
	if cfg.compare == cfg.procs || cfg.connections > 1 || cfg.record || cfg.nats || cfg.binary {
		cfg.compare = 0 // the comparison belongs to the usual runs
	}
	return cfg, nil
}

// flagSet reports whether the command line set the flag named name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
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
	// The feed process keeps the machine's Ps: only the clients run with
	// cfg.procs.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(cfg.procs))
	// And with the garbage collector's target sniper sets (GOGC wins, as
	// there); the feed process keeps Go's default.
	defer debug.SetGCPercent(gctune.Current())
	cfg.gogc = gctune.Apply()

	missed := false
	switch {
	case cfg.connections > 1:
		err = linesBurst(ctx, f, cfg, stdout, &missed)
	case cfg.nats:
		err = natsBurst(ctx, f, cfg, stdout, &missed)
	case cfg.record:
		err = recordBurst(ctx, f, cfg, stdout, &missed)
	case cfg.binary:
		err = binaryRates(ctx, f, cfg, stdout, &missed)
	default:
		if err = burst(ctx, f, cfg, stdout, &missed); err == nil {
			err = rates(ctx, f, cfg, stdout, &missed)
		}
	}
	if err != nil {
		return err
	}
	if missed && cfg.strict {
		return errTargetMissed
	}
	return nil
}

// burst measures both clients on a burst of cfg.trades, alternately,
// cfg.runs times each, and prints the medians and their ratio.
func burst(ctx context.Context, f *feed, cfg config, stdout io.Writer, missed *bool) error {
	fmt.Fprintf(stdout, "feedbench: burst of %d trades (createTrades batches of 1-4) over loopback, %d run(s) each, median shown;\n", cfg.trades, cfg.runs)
	fmt.Fprintf(stdout, "the feed runs in its own process: CPU figures are the client's alone. The clients run on %s,\n", procsName(cfg.procs))
	fmt.Fprintf(stdout, "with the garbage collector's target at %s.\n\n", gogcName(cfg.gogc))
	var bare, pipe, other []cost
	var writes []float64
	for i := range cfg.runs {
		var w countingWriter
		res, err := bareLoop(ctx, f, "burst", fmt.Sprint(cfg.trades), cfg.trades, &w)
		if err != nil {
			return err
		}
		bare = append(bare, res.cost)
		res, err = runPipeline(ctx, f, "burst", fmt.Sprint(cfg.trades), cfg.trades, cfg.queue, pipelineOpts{noYield: cfg.noYield})
		if err != nil {
			return err
		}
		pipe = append(pipe, res.cost)
		writes = append(writes, float64(res.writes)/float64(cfg.trades))
		for name, d := range res.dropped {
			fmt.Fprintf(stdout, "note: run %d: the hub dropped %d trades for the %s (queue %d): its CPU figures cover less work\n", i+1, d, name, cfg.queue)
		}
		if cfg.compare > 0 {
			err := withProcs(cfg.compare, func() (err error) {
				res, err = runPipeline(ctx, f, "burst", fmt.Sprint(cfg.trades), cfg.trades, cfg.queue, pipelineOpts{noYield: cfg.noYield})
				return err
			})
			if err != nil {
				return err
			}
			other = append(other, res.cost)
		}
	}
	if cfg.cpuprofile != "" {
		if err := profile(ctx, f, cfg); err != nil {
			return err
		}
	}
	b, p := median(bare), median(pipe)
	slices.Sort(writes)
	fmt.Fprintf(stdout, "%-10s %12s %14s %14s %13s %14s %14s %15s\n", "client", "trades/s", "CPU µs/trade", "allocs/trade", "bytes/trade", "writes/trade", "switches/trade", "feed CPU µs/tr")
	fmt.Fprintf(stdout, "%-10s %12.0f %14.2f %14.2f %13.0f %14.3f %14.3f %15.2f\n", "bare loop", b.perSecond, b.cpu, b.allocs, b.bytes, 1.0, b.switches, b.feedCPU)
	fmt.Fprintf(stdout, "%-10s %12.0f %14.2f %14.2f %13.0f %14.3f %14.3f %15.2f\n", "pipeline", p.perSecond, p.cpu, p.allocs, p.bytes, writes[len(writes)/2], p.switches, p.feedCPU)
	if len(other) > 0 {
		o := median(other)
		fmt.Fprintf(stdout, "%-10s %12.0f %14.2f %14.2f %13.0f %14s %14.3f %15.2f\n", fmt.Sprintf("on %d P", cfg.compare), o.perSecond, o.cpu, o.allocs, o.bytes, "", o.switches, o.feedCPU)
	}
	ratio := p.cpu / b.cpu
	fmt.Fprintf(stdout, "\npipeline / bare loop: CPU %.2f× (target ≤ %.2f×: %s), allocs %+.2f a trade, throughput %.2f×\n",
		ratio, targetCPURatio, verdict(ratio <= targetCPURatio, missed), p.allocs-b.allocs, p.perSecond/b.perSecond)
	if len(other) > 0 {
		o := median(other)
		fmt.Fprintf(stdout, "pipeline on %d P / bare loop: CPU %.2f×, throughput %.2f× (for comparison)\n", cfg.compare, o.cpu/b.cpu, o.perSecond/b.perSecond)
	}
	return nil
}

// rateRun is one client's runs at one rate: the run with the median CPU a
// trade, and the latencies of every run, pooled.
type rateRun struct {
	cost    cost
	latency []time.Duration // every run's, sorted
	p99s    []time.Duration // every run's p99, in run order
}

// rateQueue is each sink's queue in the steady rates: the program's own
// (sinkQueue in cmd/sniper), for the matches too. A steady rate keeps every
// queue near empty; one the size of the burst would only give the garbage
// collector tens of megabytes more to scan, which the program never has.
const rateQueue = 1024

// rates measures the clients at each steady rate, cfg.rateRuns rounds of one
// run each, the order turning by one each round so that no client always runs
// first or last, and prints a table with their ratios. The latencies of a
// client's runs are pooled: each client meets the machine's quiet and busy
// spells alike, where the run with the median p99 (as it was shown before)
// moved with whichever spell that run fell in.
func rates(ctx context.Context, f *feed, cfg config, stdout io.Writer, missed *bool) error {
	fmt.Fprintf(stdout, "\nsteady rates, one trade a frame, frames arriving one at a time from the feed process; each client reads\n")
	fmt.Fprintf(stdout, "%v or %d trades a run, whichever is longer, %d run(s) each, in turn (the order turning each round): CPU from\n", cfg.rateTime, cfg.rateTrades, cfg.rateRuns)
	fmt.Fprintf(stdout, "the run with the median CPU, latency (frame → decision) over every run's trades but its first %d (warm-up). CPU a trade includes the idle\n", rateWarmup)
	fmt.Fprintf(stdout, "time between trades. The pipeline's queues are the program's (%d).\n", rateQueue)
	if cfg.compare > 0 {
		fmt.Fprintf(stdout, "The clients run on %s; \"on %d P\" is the pipeline again on %s, for comparison.\n", procsName(cfg.procs), cfg.compare, procsName(cfg.compare))
	}
	fmt.Fprintf(stdout, "%9s  %-10s %7s %13s %9s %10s %10s %10s   %s\n", "trades/s", "client", "trades", "CPU µs/trade", "switches", "p50", "p99", "p99.9", "p99 of each run")
	for _, rate := range cfg.rates {
		n := max(cfg.rateTrades, int(int64(rate)*int64(cfg.rateTime)/int64(time.Second)))
		d := time.Duration(int64(n) * int64(time.Second) / int64(rate))
		args := fmt.Sprintf("%d %v", rate, d)
		pipeline := func() (runResult, error) {
			res, err := runPipeline(ctx, f, "rate", args, n, rateQueue, pipelineOpts{noYield: cfg.noYield})
			for name, d := range res.dropped {
				fmt.Fprintf(stdout, "note: %d a second: the hub dropped %d trades for the %s (queue %d)\n", rate, d, name, rateQueue)
			}
			return res, err
		}
		clients := []rateClient{
			{name: "bare loop", run: func() (runResult, error) { var w countingWriter; return bareLoop(ctx, f, "rate", args, n, &w) }},
			{name: "one hop", run: func() (runResult, error) { var w countingWriter; return oneHop(ctx, f, "rate", args, n, &w) }},
			{name: "pipeline", run: pipeline},
		}
		if cfg.compare > 0 {
			clients = append(clients, rateClient{name: fmt.Sprintf("on %d P", cfg.compare), run: func() (res runResult, err error) {
				err = withProcs(cfg.compare, func() (err error) { res, err = pipeline(); return err })
				return res, err
			}})
		}
		err := inTurn(cfg.rateRuns, len(clients), func(i int) error {
			res, err := clients[i].run()
			clients[i].runs = append(clients[i].runs, res)
			return err
		})
		if err != nil {
			return err
		}
		rows := make([]rateRun, len(clients))
		for i, c := range clients {
			rows[i] = summarise(c.runs)
			fmt.Fprintf(stdout, "%9d  %-10s %7d %13.2f %9.2f %10v %10v %10v   %s\n", rate, c.name, n, rows[i].cost.cpu, rows[i].cost.switches,
				percentile(rows[i].latency, 50), percentile(rows[i].latency, 99), percentile(rows[i].latency, 99.9), durations(rows[i].p99s))
		}
		b, h, p := rows[0], rows[1], rows[2]
		cpu := p.cost.cpu / b.cost.cpu
		p99 := ratioOf(percentile(p.latency, 99), percentile(b.latency, 99))
		line := fmt.Sprintf("%9d  %-10s %7s %12.2f× %9s %9.2f× %9.2f× %9.2f×   CPU target ≤ %.2f×: %s; p99 target ≤ %.1f×: %s",
			rate, "ratio", "", cpu, "", ratioOf(percentile(p.latency, 50), percentile(b.latency, 50)), p99,
			ratioOf(percentile(p.latency, 99.9), percentile(b.latency, 99.9)),
			targetCPURatio, verdict(cpu <= targetCPURatio, missed), targetP99Ratio, verdict(p99 <= targetP99Ratio, missed))
		if rate == targetP99Rate {
			line += fmt.Sprintf("; pipeline p99 ≤ %v: %s", targetP99, verdict(percentile(p.latency, 99) <= targetP99, missed))
		}
		fmt.Fprintln(stdout, line)
		fmt.Fprintf(stdout, "%9d  %-10s %7s %12.2f× %9s %9.2f× %9.2f× %9.2f×   one hop / bare loop: what one hand-off costs here\n",
			rate, "one hop", "", h.cost.cpu/b.cost.cpu, "", ratioOf(percentile(h.latency, 50), percentile(b.latency, 50)),
			ratioOf(percentile(h.latency, 99), percentile(b.latency, 99)), ratioOf(percentile(h.latency, 99.9), percentile(b.latency, 99.9)))
	}
	return nil
}

// rateClient is a client of the steady rates: its name, a run of it at
// the rate, and the runs so far.
type rateClient struct {
	name string
	run  func() (runResult, error)
	runs []runResult
}

// inTurn calls run for each of k clients, rounds times, the order turning
// by one each round (0 1 2, 1 2 0, 2 0 1, …), and stops at the first error.
func inTurn(rounds, k int, run func(client int) error) error {
	for round := range rounds {
		for i := range k {
			if err := run((round + i) % k); err != nil {
				return err
			}
		}
	}
	return nil
}

// summarise gives one client's runs at a rate: the run with the median CPU,
// and the latencies of every run but its warm-up, pooled and sorted.
func summarise(runs []runResult) rateRun {
	var r rateRun
	costs := make([]cost, len(runs))
	for i, run := range runs {
		costs[i] = run.cost
		lat := slices.Clone(run.latency[min(rateWarmup, len(run.latency)):])
		slices.Sort(lat)
		r.p99s = append(r.p99s, percentile(lat, 99))
		r.latency = append(r.latency, lat...)
	}
	r.cost = median(costs)
	slices.Sort(r.latency)
	return r
}

// withProcs runs fn with n Ps, then puts back the Ps there were.
func withProcs(n int, fn func() error) error {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(n))
	return fn()
}

// gogcName says what the garbage collector's target is: "GOGC=400 (as
// sniper sets it)".
func gogcName(n int) string {
	switch {
	case n < 0:
		return "GOGC=off (from the environment)"
	case os.Getenv("GOGC") != "":
		return fmt.Sprintf("GOGC=%d (from the environment)", n)
	}
	return fmt.Sprintf("GOGC=%d (as sniper sets it)", n)
}

// procsName says how many Ps: "1 P (as sniper runs the feed alone)".
func procsName(n int) string {
	if n == 1 {
		return "1 P (GOMAXPROCS=1, as sniper runs the feed alone)"
	}
	return fmt.Sprintf("%d Ps (GOMAXPROCS=%d)", n, n)
}

// ratioOf is a / b, or 0 when b is zero.
func ratioOf(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// durations formats ds with spaces between.
func durations(ds []time.Duration) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = d.String()
	}
	return strings.Join(s, " ")
}

// profile runs one more pipeline burst (or a steady rate's run, with
// -profile-rate) under the CPU profiler, with -connections when set,
// recording with -record.
func profile(ctx context.Context, f *feed, cfg config) error {
	pf, err := os.Create(cfg.cpuprofile)
	if err != nil {
		return err
	}
	defer pf.Close()
	if err := pprof.StartCPUProfile(pf); err != nil {
		return err
	}
	opts := pipelineOpts{conns: cfg.connections}
	if cfg.record {
		if opts.record, err = os.MkdirTemp("", "feedbench-journal"); err != nil {
			return err
		}
		defer os.RemoveAll(opts.record)
		opts.journal = journal.Options{Store: true}
	}
	opts.noYield = cfg.noYield
	command, args, n := "burst", fmt.Sprint(cfg.trades), cfg.trades
	if r := cfg.profileRate; r > 0 {
		n = max(cfg.rateTrades, int(int64(r)*int64(cfg.rateTime)/int64(time.Second)))
		command, args = "rate", fmt.Sprintf("%d %v", r, time.Duration(int64(n)*int64(time.Second)/int64(r)))
	}
	queue := cfg.queue
	if cfg.profileRate > 0 {
		queue = rateQueue
	}
	_, err = runPipeline(ctx, f, command, args, n, queue, opts)
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
