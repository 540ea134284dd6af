package main

// This file holds the NATS measurement: the pipeline's burst with and
// without the NATS publisher attached, against a JetStream server embedded
// in this process.

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/rollsniper/rollsniper/internal/natsrec"
	"github.com/rollsniper/rollsniper/internal/natsserver"
)

// NATS targets, checked by every -nats run.
const (
	targetNATSRate  = 50_000 // trades stored a second, at least
	targetNATSRatio = 0.90   // pipeline+NATS throughput over the pipeline's, at least
)

// natsBurst runs the burst through the pipeline alone and with the NATS
// publisher, alternately, cfg.runs times each, and prints the medians: the
// pipeline's throughput both ways, their ratio, and how fast the trades were
// stored (from the burst's start to the last acknowledgement).
func natsBurst(ctx context.Context, f *feed, cfg config, stdout io.Writer, missed *bool) error {
	dir, err := os.MkdirTemp("", "feedbench-nats")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := natsserver.Start(natsserver.Config{StoreDir: dir, Port: -1})
	if err != nil {
		return err
	}
	defer srv.Shutdown()

	fmt.Fprintf(stdout, "feedbench -nats: burst of %d trades, through the pipeline alone and with the NATS publisher attached\n", cfg.trades)
	fmt.Fprintf(stdout, "(JetStream, file storage, embedded in this process: CPU figures include the server's), %d run(s) each, median shown.\n\n", cfg.runs)
	var pipe, withNATS []cost
	var stored []float64
	for i := range cfg.runs {
		res, err := runPipeline(ctx, f, "burst", fmt.Sprint(cfg.trades), cfg.trades, cfg.queue, pipelineOpts{})
		if err != nil {
			return err
		}
		pipe = append(pipe, res.cost)
		subjects, err := natsrec.NewSubjects(fmt.Sprintf("feedbench%d", i)) // a new stream each run: no duplicates
		if err != nil {
			return err
		}
		ns := &natsSink{url: srv.URL(), subjects: subjects}
		if res, err = runPipeline(ctx, f, "burst", fmt.Sprint(cfg.trades), cfg.trades, cfg.queue, pipelineOpts{nats: ns}); err != nil {
			return err
		}
		withNATS = append(withNATS, res.cost)
		stored = append(stored, float64(cfg.trades)/ns.stored.Seconds())
		if s := ns.pub.Stats(); s.Dropped > 0 || s.Duplicates > 0 {
			fmt.Fprintf(stdout, "note: run %d: the publisher dropped %d and the stream saw %d duplicates\n", i+1, s.Dropped, s.Duplicates)
		}
		for name, d := range res.dropped {
			fmt.Fprintf(stdout, "note: run %d: the hub dropped %d trades for the %s (queue %d)\n", i+1, d, name, cfg.queue)
		}
	}
	p, n := median(pipe), median(withNATS)
	slices.Sort(stored)
	rate := stored[len(stored)/2]
	fmt.Fprintf(stdout, "%-14s %12s %14s %14s %13s\n", "client", "trades/s", "CPU µs/trade", "allocs/trade", "bytes/trade")
	fmt.Fprintf(stdout, "%-14s %12.0f %14.2f %14.2f %13.0f\n", "pipeline", p.perSecond, p.cpu, p.allocs, p.bytes)
	fmt.Fprintf(stdout, "%-14s %12.0f %14.2f %14.2f %13.0f\n", "pipeline+NATS", n.perSecond, n.cpu, n.allocs, n.bytes)
	ratio := n.perSecond / p.perSecond
	fmt.Fprintf(stdout, "\npipeline+NATS / pipeline: throughput %.2f× (target ≥ %.2f×: %s), CPU %.2f×\n",
		ratio, targetNATSRatio, verdict(ratio >= targetNATSRatio, missed), n.cpu/p.cpu)
	fmt.Fprintf(stdout, "stored in JetStream: %.0f trades/s from the burst's start to the last acknowledgement (target ≥ %d: %s); each run's: %s\n",
		rate, targetNATSRate, verdict(rate >= targetNATSRate, missed), ratesText(stored))
	return nil
}

// rates formats trades-a-second figures.
func ratesText(rs []float64) string {
	out := ""
	for i, r := range rs {
		if i > 0 {
			out += " "
		}
		out += fmt.Sprintf("%.0f", r)
	}
	return out
}
