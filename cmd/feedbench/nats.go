package main

// This file holds the NATS measurement: the pipeline's burst with and
// without the NATS publisher attached, against a JetStream server run as a
// process of its own (this binary again, as the feed is), so that the
// client's CPU, the server's and the feed's are each measured apart, and
// what the two cores are asked for is plain.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

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
	srv, err := startNATS()
	if err != nil {
		return err
	}
	defer srv.close()

	fmt.Fprintf(stdout, "feedbench -nats: burst of %d trades, through the pipeline alone and with the NATS publisher attached\n", cfg.trades)
	fmt.Fprintf(stdout, "(JetStream, file storage, in a process of its own, as the feed is: each process's CPU is its own), %d run(s) each, median shown.\n\n", cfg.runs)
	var pipe, withNATS []cost
	var stored []float64
	for i := range cfg.runs {
		serverFrom, err := srv.cpu()
		if err != nil {
			return err
		}
		res, err := runPipeline(ctx, f, "burst", fmt.Sprint(cfg.trades), cfg.trades, cfg.queue, pipelineOpts{})
		if err != nil {
			return err
		}
		if res.cost.serverCPU, err = srv.cpuPerTrade(serverFrom, cfg.trades); err != nil {
			return err
		}
		pipe = append(pipe, res.cost)
		if serverFrom, err = srv.cpu(); err != nil {
			return err
		}
		subjects, err := natsrec.NewSubjects(fmt.Sprintf("feedbench%d", i)) // a new stream each run: no duplicates
		if err != nil {
			return err
		}
		ns := &natsSink{url: srv.url, subjects: subjects}
		if res, err = runPipeline(ctx, f, "burst", fmt.Sprint(cfg.trades), cfg.trades, cfg.queue, pipelineOpts{nats: ns}); err != nil {
			return err
		}
		if res.cost.serverCPU, err = srv.cpuPerTrade(serverFrom, cfg.trades); err != nil {
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
	fmt.Fprintf(stdout, "%-14s %10s %12s %12s %12s %12s %12s %12s\n", "client", "trades/s", "client µs/tr", "server µs/tr", "feed µs/tr", "cores busy", "allocs/tr", "bytes/tr")
	for _, r := range []struct {
		name string
		c    cost
	}{{"pipeline", p}, {"pipeline+NATS", n}} {
		fmt.Fprintf(stdout, "%-14s %10.0f %12.2f %12.2f %12.2f %12.2f %12.2f %12.0f\n", r.name, r.c.perSecond, r.c.cpu, r.c.serverCPU, r.c.feedCPU, r.c.cores(), r.c.allocs, r.c.bytes)
	}
	ratio := n.perSecond / p.perSecond
	fmt.Fprintf(stdout, "\npipeline+NATS / pipeline: throughput %.2f× (target ≥ %.2f×: %s), client CPU %.2f×\n",
		ratio, targetNATSRatio, verdict(ratio >= targetNATSRatio, missed), n.cpu/p.cpu)
	fmt.Fprintf(stdout, "stored in JetStream: %.0f trades/s from the burst's start to the last acknowledgement (target ≥ %d: %s); each run's: %s\n",
		rate, targetNATSRate, verdict(rate >= targetNATSRate, missed), numbersText("%.0f", stored))
	// What the target asks of the machine: the three processes' work for a
	// trade with NATS, at the target's share of the pipeline's rate alone.
	need := (n.cpu + n.serverCPU + n.feedCPU) * p.perSecond * targetNATSRatio / 1e6
	fmt.Fprintf(stdout, "at %.2f× the pipeline's rate (%.0f trades/s), the client, the server and the feed together would keep %.2f cores busy; this machine has %d\n",
		targetNATSRatio, p.perSecond*targetNATSRatio, need, runtime.NumCPU())
	return nil
}

// natsProcess is the JetStream server, run as a child process.
type natsProcess struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
	url string
}

// startNATS starts this binary again as a JetStream server on a free
// loopback port, storing in a temporary directory of its own.
func startNATS() (*natsProcess, error) {
	cmd, in, out, err := startRole("nats")
	if err != nil {
		return nil, err
	}
	s := &natsProcess{cmd: cmd, in: in, out: out}
	if !out.Scan() {
		s.close()
		return nil, fmt.Errorf("the NATS server process printed no URL: %v", out.Err())
	}
	s.url = out.Text()
	return s, nil
}

// cpu asks the server for the CPU time its process has used so far.
func (s *natsProcess) cpu() (time.Duration, error) {
	if _, err := fmt.Fprintln(s.in, "cpu"); err != nil {
		return 0, err
	}
	if !s.out.Scan() {
		return 0, fmt.Errorf("the NATS server process stopped: %v", s.out.Err())
	}
	var ns int64
	if _, err := fmt.Sscanf(s.out.Text(), "cpu %d", &ns); err != nil {
		return 0, fmt.Errorf("the NATS server process answered %q: %w", s.out.Text(), err)
	}
	return time.Duration(ns), nil
}

// cpuPerTrade is the server's CPU microseconds a trade since from, over n
// trades.
func (s *natsProcess) cpuPerTrade(from time.Duration, n int) (float64, error) {
	now, err := s.cpu()
	if err != nil {
		return 0, err
	}
	return float64((now - from).Microseconds()) / float64(n), nil
}

// close stops the server and waits for it.
func (s *natsProcess) close() error {
	s.in.Close()
	return s.cmd.Wait()
}

// serveNATS is the NATS server process: it starts a JetStream server on a
// free loopback port storing in a temporary directory, prints its URL, then
// answers each "cpu" line from in with "cpu NS", the process's user+sys CPU
// time so far. When in ends it stops the server and removes the directory.
func serveNATS(in io.Reader, out io.Writer) error {
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
	fmt.Fprintln(out, srv.URL())
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		if sc.Text() != "cpu" {
			return fmt.Errorf("nats: bad command %q", sc.Text())
		}
		fmt.Fprintf(out, "cpu %d\n", cpuTime().Nanoseconds())
	}
	return sc.Err()
}

// numbersText formats each of xs with format, spaces between: "1.02× 1.10×".
func numbersText(format string, xs []float64) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprintf(format, x)
	}
	return strings.Join(s, " ")
}
