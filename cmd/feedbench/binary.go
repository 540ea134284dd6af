package main

// This file holds -binary: the real sniper binary and a bare loop, each a
// process of its own, reading the same frames side by side, as an outside
// check measures them.

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"github.com/rollsniper/rollsniper/internal/whitelist"
)

// sniperPackage is what -binary builds when -sniper names no binary.
const sniperPackage = "github.com/rollsniper/rollsniper/cmd/sniper"

// binaryRates measures, at each steady rate, the sniper binary (as a user
// runs it: -whitelist with the demo's entries, JSON lines on stdout) and the
// bare loop, each in a process of its own started for the rate, both
// subscribed to the feed at once, so that they read the very same frames at
// the same moments (the feed writes each frame to the two in turn, first to
// one, then first to the other). Each process's CPU time (every thread's,
// from /proc) is taken when the feed starts sending and when both have
// printed the run's last trade; a rate has cfg.rateRuns runs on the same two
// processes, and the median run is shown. Each trade's latency (but for
// each run's warm-up, rateWarmup) is from the feed's publishing of its frame
// to the time in its record (the sniper's printer and the bare loop each take
// it as they format the line, the bare loop right after deciding): the same
// clock, the wall clock, in all three processes. Their start order turns
// with each rate.
func binaryRates(ctx context.Context, f *feed, cfg config, stdout io.Writer, missed *bool) error {
	dir, err := os.MkdirTemp("", "feedbench-binary")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := cfg.sniper
	if bin == "" {
		bin = filepath.Join(dir, "sniper")
		out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, sniperPackage).CombinedOutput()
		if err != nil {
			return fmt.Errorf("build sniper: %w: %s", err, out)
		}
	}
	list := filepath.Join(dir, "whitelist.json")
	if err := os.WriteFile(list, whitelist.DemoJSON(), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "feedbench -binary: the sniper binary (%s) and the bare loop, each a process of its own, subscribed\n", filepath.Base(bin))
	fmt.Fprintf(stdout, "to the feed at once, read the same frames side by side, one trade a frame; each prints JSON lines to a pipe.\n")
	fmt.Fprintf(stdout, "%v or %d trades a run, whichever is longer, %d run(s) on the same two processes, the run with the median\n", cfg.rateTime, cfg.rateTrades, cfg.rateRuns)
	fmt.Fprintf(stdout, "ratio shown. CPU a trade is every thread's, from the feed's start to both printing the last trade, idle time included.\n")
	fmt.Fprintf(stdout, "%9s %7s %14s %14s %8s   %s\n", "trades/s", "trades", "bare µs/trade", "sniper µs/tr", "ratio", "ratio of each run")
	var latencies []string
	for i, rate := range cfg.rates {
		n := max(cfg.rateTrades, int(int64(rate)*int64(cfg.rateTime)/int64(time.Second)))
		d := time.Duration(int64(n) * int64(time.Second) / int64(rate))
		res, err := binaryRate(ctx, f, cfg.rateRuns, i%2 == 1, fmt.Sprintf("%d %v", rate, d), n,
			[]string{bin, "-url", f.url, "-whitelist", list, "-output", "json"})
		if err != nil {
			return fmt.Errorf("-binary at %d a second: %w", rate, err)
		}
		m := medianIndex(res.ratios)
		fmt.Fprintf(stdout, "%9d %7d %14.2f %14.2f %7.2f×   %s; CPU target ≤ %.2f×: %s\n", rate, n, res.bare[m], res.sniper[m], res.ratios[m],
			numbersText("%.2f×", res.ratios), targetCPURatio, verdict(res.ratios[m] <= targetCPURatio, missed))
		b, s := res.latency[1], res.latency[0]
		p99 := ratioOf(percentile(s, 99), percentile(b, 99))
		latencies = append(latencies, fmt.Sprintf("%9d %-7s %10v %10v %10v   %-7s %10v %10v %10v   %6.2f× %6.2f× %6.2f×   p99 target ≤ %.1f×: %s", rate,
			"bare", percentile(b, 50), percentile(b, 99), percentile(b, 99.9),
			"sniper", percentile(s, 50), percentile(s, 99), percentile(s, 99.9),
			ratioOf(percentile(s, 50), percentile(b, 50)), p99, ratioOf(percentile(s, 99.9), percentile(b, 99.9)),
			targetP99Ratio, verdict(p99 <= targetP99Ratio, missed)))
	}
	fmt.Fprintf(stdout, "\nfrom the feed's publishing of a frame (before its first write; it writes each frame first to one process, then\n")
	fmt.Fprintf(stdout, "first to the other) to the time in its trade's record, taken as the line is made (the sniper's printer, the bare\n")
	fmt.Fprintf(stdout, "loop right after deciding), over every run's trades but its first %d (warm-up); the ratios are sniper / bare loop:\n", rateWarmup)
	fmt.Fprintf(stdout, "%9s %-7s %10s %10s %10s   %-7s %10s %10s %10s   %7s %7s %7s\n", "trades/s", "client", "p50", "p99", "p99.9", "client", "p50", "p99", "p99.9", "p50", "p99", "p99.9")
	for _, l := range latencies {
		fmt.Fprintln(stdout, l)
	}
	return nil
}

// binaryResult is what binaryRate measured: each run's CPU microseconds a
// trade, the bare loop's and the sniper's, and their ratio; and each
// process's latencies over every run (the sniper's first), sorted.
type binaryResult struct {
	ratios, bare, sniper []float64
	latency              [2][]time.Duration
}

// binaryRate runs the two processes (the sniper first unless sniperLast) for
// runs runs of the feed's "rate args", n trades each.
func binaryRate(ctx context.Context, f *feed, runs int, sniperLast bool, args string, n int, sniperCmd []string) (res binaryResult, err error) {
	bareCmd, err := roleCommand("bare", f.url)
	if err != nil {
		return res, err
	}
	cmds := []*exec.Cmd{exec.Command(sniperCmd[0], sniperCmd[1:]...), bareCmd}
	if sniperLast {
		cmds[0], cmds[1] = cmds[1], cmds[0]
	}
	procs := make([]*clientProc, len(cmds))
	defer func() {
		for _, p := range procs {
			if p != nil {
				err = errors.Join(err, p.stop())
			}
		}
	}()
	for i, cmd := range cmds {
		if procs[i], err = startClient(cmd, runs*n); err != nil {
			return res, err
		}
	}
	if sniperLast {
		procs[0], procs[1] = procs[1], procs[0]
	}
	sessions := 2 // the first run waits for both to subscribe
	for run := range runs {
		if err := f.send("rate", args, sessions); err != nil {
			return res, err
		}
		sessions = 0
		if err := f.started(); err != nil {
			return res, err
		}
		var from, to [2]time.Duration
		for i, p := range procs {
			if from[i], err = p.cpu(); err != nil {
				return res, err
			}
		}
		for i, p := range procs {
			if err := p.waitTrades(ctx, (run+1)*n); err != nil {
				return res, err
			}
			if to[i], err = p.cpu(); err != nil {
				return res, err
			}
		}
		if _, err := f.done(); err != nil {
			return res, err
		}
		sent, err := f.sends()
		if err != nil {
			return res, err
		}
		if len(sent) != n {
			return res, fmt.Errorf("the feed sent %d frames, want %d", len(sent), n)
		}
		for i, p := range procs {
			if res.latency[i], err = p.latencies(res.latency[i], run*n, sent); err != nil {
				return res, err
			}
		}
		s, b := (to[0]-from[0]).Seconds()*1e6/float64(n), (to[1]-from[1]).Seconds()*1e6/float64(n)
		res.ratios, res.sniper, res.bare = append(res.ratios, s/b), append(res.sniper, s), append(res.bare, b)
	}
	for _, l := range res.latency {
		slices.Sort(l)
	}
	return res, nil
}

// clientProc is a client process of -binary: it counts the trade records on
// its stdout and notes when each was made.
type clientProc struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	trades atomic.Int64
	more   chan struct{} // a trade was counted (buffer 1)
	ended  chan error    // the stdout reader's end

	mu   sync.Mutex
	made []int64 // each trade record's time, Unix nanoseconds (0: none)
}

// startClient starts cmd and counts the trade records it prints, expecting
// about n.
func startClient(cmd *exec.Cmd, n int) (*clientProc, error) {
	p := &clientProc{cmd: cmd, more: make(chan struct{}, 1), ended: make(chan error, 1), made: make([]int64, 0, n)}
	cmd.Stderr = &p.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", filepath.Base(cmd.Path), err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if line := sc.Bytes(); bytes.Contains(line, []byte(`"msg":"trade"`)) {
				p.mu.Lock()
				p.made = append(p.made, recordTime(line))
				p.mu.Unlock()
				p.trades.Add(1)
				select {
				case p.more <- struct{}{}:
				default:
				}
			}
		}
		p.ended <- sc.Err()
	}()
	return p, nil
}

// latencies appends to lat, for the trades from the from-th on (one for each
// frame sent, in order) but the run's warm-up (rateWarmup), the time from its
// frame's sending to its record's making, and returns it. A record made
// before its frame was sent means that the records are not the frames' in
// order: an error.
func (p *clientProc) latencies(lat []time.Duration, from int, sent []int64) ([]time.Duration, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, at := range p.made[from : from+len(sent)] {
		if at == 0 {
			return lat, fmt.Errorf("%s printed trade %d without a time: want a JSON record starting {\"time\":\"RFC 3339\"", filepath.Base(p.cmd.Path), from+i+1)
		}
		if at < sent[i] {
			return lat, fmt.Errorf("%s printed trade %d before the feed sent it: its records are not the frames' in order", filepath.Base(p.cmd.Path), from+i+1)
		}
		if i >= rateWarmup {
			lat = append(lat, time.Duration(at-sent[i]))
		}
	}
	return lat, nil
}

// recordTime is the time a JSON record (as sniper's -output json prints it,
// {"time":"2026-12-01T12:38:15.788378234Z",...) was made, in Unix
// nanoseconds; 0 when it has none.
func recordTime(line []byte) int64 {
	rest, ok := bytes.CutPrefix(line, []byte(`{"time":"`))
	end := bytes.IndexByte(rest, '"')
	if !ok || end < 0 {
		return 0
	}
	t, err := time.Parse(time.RFC3339Nano, string(rest[:end]))
	if err != nil {
		return 0
	}
	return t.UnixNano()
}

// waitTrades waits until p has printed n trades in all, a minute past the
// feed's at most.
func (p *clientProc) waitTrades(ctx context.Context, n int) error {
	for p.trades.Load() < int64(n) {
		select {
		case <-p.more:
		case err := <-p.ended:
			p.ended <- err
			return fmt.Errorf("%s stopped after %d of %d trades: %v: %s", filepath.Base(p.cmd.Path), p.trades.Load(), n, err, lastLine(p.stderr.String()))
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// cpu is the CPU time p's process has used so far: the sum over its threads
// of /proc's scheduler time, to the nanosecond (getrusage counts only the
// caller's own, and /proc/PID/stat counts clock ticks). It fails when no
// thread's time could be read (no /proc).
func (p *clientProc) cpu() (time.Duration, error) {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", p.cmd.Process.Pid))
	var sum time.Duration
	read := 0
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue // a thread that has just ended
		}
		if f := strings.Fields(string(b)); len(f) > 0 {
			if ns, err := strconv.ParseInt(f[0], 10, 64); err == nil {
				sum += time.Duration(ns)
				read++
			}
		}
	}
	if read == 0 {
		return 0, fmt.Errorf("%s: no thread's CPU time in /proc (-binary needs Linux's /proc/PID/task/*/schedstat)", filepath.Base(p.cmd.Path))
	}
	return sum, nil
}

// stop interrupts p, as a user stops sniper, and waits for it.
func (p *clientProc) stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	<-p.ended
	if err := p.cmd.Wait(); err != nil { // both exit 0 on SIGINT
		return fmt.Errorf("%s: %w: %s", filepath.Base(p.cmd.Path), err, lastLine(p.stderr.String()))
	}
	return nil
}

// lastLine is s's last line.
func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndexByte(s, '\n')+1:]
}

// serveBare is the bare loop's process for -binary: it reads the feed at url
// as bareLoop does (decoding, deciding and printing each trade on the
// goroutine that read its frame), on the Ps and with the garbage collector's
// target the clients run with, printing each trade's line on out, until the
// connection ends.
func serveBare(ctx context.Context, url string, out io.Writer) error {
	ws, err := dialSubscribed(ctx, url)
	if err != nil {
		return err
	}
	defer ws.CloseNow()
	w := bufio.NewWriterSize(out, 4096)
	work := newBareWork(0)
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) != -1 || ctx.Err() != nil {
				return nil
			}
			return err
		}
		if _, err := work.frame(data, time.Now(), w); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
		work.latency = work.latency[:0]
	}
}

// medianIndex is the index of xs's median (the lower of two middle ones).
func medianIndex(xs []float64) int {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(xs[a], xs[b]) })
	return idx[(len(idx)-1)/2]
}
