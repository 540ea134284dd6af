package main

// This file holds the measurement of -connections: the pipeline's burst with
// one connection and with several to the same feed, each of which brings
// every trade, so that all but one copy of each are dropped.

import (
	"context"
	"fmt"
	"io"
)

// targetLinesRatio bounds the CPU a unique trade costs with two connections
// over its cost with one: the second copy must cost much less than the first.
const targetLinesRatio = 1.5

// linesBurst runs the burst through the pipeline with one connection and
// with cfg.connections, alternately, cfg.runs times each, and prints the
// medians and the ratio of their CPU a unique trade.
func linesBurst(ctx context.Context, f *feed, cfg config, stdout io.Writer, missed *bool) error {
	fmt.Fprintf(stdout, "feedbench -connections %d: burst of %d trades through the pipeline with one connection and with %d to the same feed,\n", cfg.connections, cfg.trades, cfg.connections)
	fmt.Fprintf(stdout, "which sends every trade to each; %d run(s) each, median shown. CPU figures are the client's alone, a unique trade each.\n\n", cfg.runs)
	var one, many []cost
	for i := range cfg.runs {
		res, err := runPipeline(ctx, f, "burst", fmt.Sprint(cfg.trades), cfg.trades, cfg.queue, pipelineOpts{})
		if err != nil {
			return err
		}
		one = append(one, res.cost)
		if res, err = runPipeline(ctx, f, "burst", fmt.Sprint(cfg.trades), cfg.trades, cfg.queue, pipelineOpts{conns: cfg.connections}); err != nil {
			return err
		}
		many = append(many, res.cost)
		var first, copies uint64
		for _, l := range res.parsed.Lines {
			first += l.First
			copies += l.Duplicates
		}
		if want := uint64(cfg.trades); res.parsed.Trades != want || first != want || copies != uint64(cfg.connections-1)*want {
			return fmt.Errorf("run %d: %d connections handed on %d trades (%d first) and dropped %d copies, want %d and %d",
				i+1, cfg.connections, res.parsed.Trades, first, copies, want, uint64(cfg.connections-1)*want)
		}
		for name, d := range res.dropped {
			fmt.Fprintf(stdout, "note: run %d: the hub dropped %d trades for the %s (queue %d): its CPU figures cover less work\n", i+1, d, name, cfg.queue)
		}
	}
	if cfg.cpuprofile != "" {
		if err := profile(ctx, f, cfg); err != nil {
			return err
		}
	}
	o, m := median(one), median(many)
	fmt.Fprintf(stdout, "%-14s %12s %14s %14s %13s\n", "client", "trades/s", "CPU µs/trade", "allocs/trade", "bytes/trade")
	fmt.Fprintf(stdout, "%-14s %12.0f %14.2f %14.2f %13.0f\n", "1 connection", o.perSecond, o.cpu, o.allocs, o.bytes)
	fmt.Fprintf(stdout, "%-14s %12.0f %14.2f %14.2f %13.0f\n", fmt.Sprintf("%d connections", cfg.connections), m.perSecond, m.cpu, m.allocs, m.bytes)
	ratio := m.cpu / o.cpu
	fmt.Fprintf(stdout, "\n%d connections / 1: CPU per unique trade %.2f× (target ≤ %.2f×: %s), allocs %+.2f a trade, throughput %.2f×\n",
		cfg.connections, ratio, targetLinesRatio, verdict(ratio <= targetLinesRatio, missed), m.allocs-o.allocs, m.perSecond/o.perSecond)
	return nil
}
