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
// the same moments. Each process's CPU time (every thread's, from /proc) is
// taken when the feed starts sending and when both have printed the run's
// last trade; a rate has cfg.runs runs on the same two processes, and the
// median run is shown. Their start order turns with each rate.
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
	fmt.Fprintf(stdout, "%v or %d trades a run, whichever is longer, %d run(s) on the same two processes, the run with the median\n", cfg.rateTime, cfg.rateTrades, cfg.runs)
	fmt.Fprintf(stdout, "ratio shown. CPU a trade is every thread's, from the feed's start to both printing the last trade, idle time included.\n")
	fmt.Fprintf(stdout, "%9s %7s %14s %14s %8s   %s\n", "trades/s", "trades", "bare µs/trade", "sniper µs/tr", "ratio", "ratio of each run")
	for i, rate := range cfg.rates {
		n := max(cfg.rateTrades, int(int64(rate)*int64(cfg.rateTime)/int64(time.Second)))
		d := time.Duration(int64(n) * int64(time.Second) / int64(rate))
		ratios, bare, sniper, err := binaryRate(ctx, f, cfg.runs, i%2 == 1, fmt.Sprintf("%d %v", rate, d), n,
			[]string{bin, "-url", f.url, "-whitelist", list, "-output", "json"})
		if err != nil {
			return fmt.Errorf("-binary at %d a second: %w", rate, err)
		}
		m := medianIndex(ratios)
		fmt.Fprintf(stdout, "%9d %7d %14.2f %14.2f %7.2f×   %s; CPU target ≤ %.2f×: %s\n", rate, n, bare[m], sniper[m], ratios[m],
			numbersText("%.2f×", ratios), targetCPURatio, verdict(ratios[m] <= targetCPURatio, missed))
	}
	return nil
}

// binaryRate runs the two processes (the sniper first unless sniperLast) for
// runs runs of the feed's "rate args", n trades each, and returns each run's
// ratio sniper / bare loop and their CPU microseconds a trade.
func binaryRate(ctx context.Context, f *feed, runs int, sniperLast bool, args string, n int, sniperCmd []string) (ratios, bare, sniper []float64, err error) {
	bareCmd, err := roleCommand("bare", f.url)
	if err != nil {
		return nil, nil, nil, err
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
		if procs[i], err = startClient(cmd); err != nil {
			return nil, nil, nil, err
		}
	}
	if sniperLast {
		procs[0], procs[1] = procs[1], procs[0]
	}
	sessions := 2 // the first run waits for both to subscribe
	for run := range runs {
		if err := f.send("rate", args, sessions); err != nil {
			return nil, nil, nil, err
		}
		sessions = 0
		if err := f.started(); err != nil {
			return nil, nil, nil, err
		}
		var from, to [2]time.Duration
		for i, p := range procs {
			if from[i], err = p.cpu(); err != nil {
				return nil, nil, nil, err
			}
		}
		for i, p := range procs {
			if err := p.waitTrades(ctx, (run+1)*n); err != nil {
				return nil, nil, nil, err
			}
			if to[i], err = p.cpu(); err != nil {
				return nil, nil, nil, err
			}
		}
		if _, err := f.done(); err != nil {
			return nil, nil, nil, err
		}
		s, b := (to[0]-from[0]).Seconds()*1e6/float64(n), (to[1]-from[1]).Seconds()*1e6/float64(n)
		ratios, sniper, bare = append(ratios, s/b), append(sniper, s), append(bare, b)
	}
	return ratios, bare, sniper, nil
}

// clientProc is a client process of -binary: it counts the trade records on
// its stdout.
type clientProc struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	trades atomic.Int64
	more   chan struct{} // a trade was counted (buffer 1)
	ended  chan error    // the stdout reader's end
}

// startClient starts cmd and counts the trade records it prints.
func startClient(cmd *exec.Cmd) (*clientProc, error) {
	p := &clientProc{cmd: cmd, more: make(chan struct{}, 1), ended: make(chan error, 1)}
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
			if bytes.Contains(sc.Bytes(), []byte(`"msg":"trade"`)) {
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
