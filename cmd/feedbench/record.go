package main

// This file holds feedbench -record: what journaling every frame (sniper
// -record) adds to the pipeline's CPU in the burst, against the same burst
// without it and with the frames compressed as they come instead, and what
// compressing the journal afterwards costs.

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/rollsniper/rollsniper/internal/journal"
)

// targetRecordRatio is the most recording may add to the pipeline's CPU in
// the burst (issue 12).
const targetRecordRatio = 1.10

// recordClient is one way of reading the burst: without a journal, or
// recording into one written with opts.
type recordClient struct {
	name   string
	record bool
	opts   journal.Options
	costs  []cost
}

// recordBurst reads the burst with the pipeline alone, recording as sniper
// -record does (stored segments, compressed later), and recording with
// zstd's fastest level inline (the alternative), in turn, cfg.runs times
// each, and prints the medians and their ratios to the pipeline alone; then
// it compresses the last stored journal as the compactor would, and prints
// what that costs a frame.
func recordBurst(ctx context.Context, f *feed, cfg config, stdout io.Writer, missed *bool) error {
	fmt.Fprintf(stdout, "feedbench -record: burst of %d trades (createTrades batches of 1-4) over loopback, read by the pipeline\n", cfg.trades)
	fmt.Fprintf(stdout, "alone and recording every frame (sniper -record: the tap, the recorder's queue, the journal synced every\n")
	fmt.Fprintf(stdout, "second), %d run(s) each, in turn, median shown. A recording run ends once the recorder has written every\n", cfg.runs)
	fmt.Fprintf(stdout, "frame, so that its whole work for the burst is counted.\n\n")
	clients := []*recordClient{
		{name: "pipeline"},
		{name: "+ record (stored)", record: true, opts: journal.Options{Store: true}},
		{name: "+ record (zstd inline)", record: true, opts: journal.Options{Level: zstd.SpeedFastest}},
	}
	var dropped uint64
	var stored string // the last stored journal
	defer func() { os.RemoveAll(stored) }()
	for i := range cfg.runs {
		for _, c := range clients {
			dir := ""
			if c.record {
				var err error
				if dir, err = os.MkdirTemp("", "feedbench-journal"); err != nil {
					return err
				}
			}
			res, err := runPipeline(ctx, f, "burst", fmt.Sprint(cfg.trades), cfg.trades, cfg.queue, pipelineOpts{record: dir, journal: c.opts})
			if err != nil {
				os.RemoveAll(dir)
				return err
			}
			if c.record && res.recorded+res.recordDropped != res.parsed.Frames {
				os.RemoveAll(dir)
				return fmt.Errorf("run %d, %s: the recorder wrote %d and dropped %d of %d frames", i+1, c.name, res.recorded, res.recordDropped, res.parsed.Frames)
			}
			dropped += res.recordDropped
			c.costs = append(c.costs, res.cost)
			if c.opts.Store {
				os.RemoveAll(stored)
				stored = dir
			} else {
				os.RemoveAll(dir)
			}
		}
	}
	if cfg.cpuprofile != "" {
		if err := profile(ctx, f, cfg); err != nil {
			return err
		}
	}
	base := median(clients[0].costs)
	fmt.Fprintf(stdout, "%-24s %10s %14s %14s %13s %10s\n", "client", "trades/s", "CPU µs/trade", "allocs/trade", "bytes/trade", "CPU ratio")
	for _, c := range clients {
		m := median(c.costs)
		fmt.Fprintf(stdout, "%-24s %10.0f %14.2f %14.2f %13.0f %9.2f×\n", c.name, m.perSecond, m.cpu, m.allocs, m.bytes, m.cpu/base.cpu)
	}
	ratio := median(clients[1].costs).cpu / base.cpu
	fmt.Fprintf(stdout, "\nrecording (stored) / pipeline alone: CPU %.2f× (target ≤ %.2f×: %s); each run's ratio:", ratio, targetRecordRatio, verdict(ratio <= targetRecordRatio, missed))
	for i := range clients[1].costs {
		fmt.Fprintf(stdout, " %.2f", clients[1].costs[i].cpu/clients[0].costs[i].cpu)
	}
	fmt.Fprintln(stdout)
	if dropped > 0 {
		*missed = true
		fmt.Fprintf(stdout, "the recorders DROPPED %d frames (the queue was full): their figures cover less work\n", dropped)
	} else {
		fmt.Fprintf(stdout, "the recorders dropped no frame\n")
	}
	return compactCost(stored, base, stdout)
}

// compactCost compresses the stored segments in dir one after the other, as
// the compactor does once the feed is quiet, and prints the CPU that took a
// frame and against the pipeline's CPU a trade, and the compression.
func compactCost(dir string, pipeline cost, stdout io.Writer) error {
	segs, err := journal.Stored(dir)
	if err != nil {
		return err
	}
	var before, after, records int64
	start, cpu := time.Now(), cpuTime()
	for _, s := range segs {
		res, err := journal.Compact(s, journal.CompactOptions{})
		if err != nil {
			return err
		}
		before, after, records = before+res.Before, after+res.After, records+res.Records
	}
	spent, wall := cpuTime()-cpu, time.Since(start)
	if records == 0 {
		return fmt.Errorf("the recording run left no stored segment in %s", dir)
	}
	perRecord := float64(spent.Microseconds()) / float64(records)
	perTrade := float64(spent.Microseconds()) / float64(pipeline.trades)
	fmt.Fprintf(stdout, "compressing the stored journal afterwards (the compactor does it while the feed is quiet, at nice 19): %d segments,\n", len(segs))
	fmt.Fprintf(stdout, "%.1f MB stored → %.1f MB compressed (%.1f to 1) in %v: %.2f µs CPU a frame, %.2f µs a trade, %.2f× the pipeline's CPU a trade\n",
		float64(before)/1e6, float64(after)/1e6, float64(before)/float64(after), wall.Round(time.Millisecond), perRecord, perTrade, perTrade/pipeline.cpu)
	return nil
}
