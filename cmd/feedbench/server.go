package main

// This file holds the feed's side of the benchmark: the fake server, run as a
// child process so that its CPU is not the client's.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
)

// roleEnv names the environment variable that makes the benchmark's own
// binary run as the feed.
const roleEnv = "FEEDBENCH_ROLE"

// benchEpoch is when every benchmark trade was created: fixed, so that each run
// sends the very same bytes.
var benchEpoch = time.Date(2026, 1, 2, 19, 37, 45, 0, time.UTC)

// batchSize is the size of the createTrades batch that starts at trade i:
// one to four trades, in turn, as the real feed batches a busy second.
func batchSize(i int) int { return 1 + i%4 }

// serve is the feed process: it starts a fake feed on loopback, prints its
// URL, then obeys one command a line from in, answering each on out:
//
//	burst SESSIONS N     wait until SESSIONS sessions have subscribed (counting
//	                     every one since the start, so a client of two
//	                     connections adds two), then publish N trades in
//	                     batches of one to four, at once, to every open
//	                     subscribed session
//	rate SESSIONS R D    likewise, then one trade a frame at R a second for D
//	sends                print "sends N", then the last rate's N send times,
//	                     one a line (Unix nanoseconds: see paced)
//
// Each command but sends is answered twice: "go" once the sessions have
// subscribed and the trades are about to go out, so that the client measures
// from there (not its dial and handshake), and "done CPU_NS" at the end, the
// process's user+sys CPU time the command took. serve returns when in ends.
func serve(in io.Reader, out io.Writer, trades int) error {
	// Taking turns: the clients of -binary, side by side, each read a frame
	// first half the time.
	srv, err := fakeroll.Start(fakeroll.Options{TakeTurns: true})
	if err != nil {
		return err
	}
	defer srv.Close()
	gen := fakeroll.NewGenerator(1)
	pool := make([]fakeroll.Trade, trades)
	for i := range pool {
		pool[i] = gen.Next(benchEpoch)
	}
	fmt.Fprintln(out, srv.URL())

	var sent []int64 // the last rate's send times
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 1 && f[0] == "sends" {
			w := bufio.NewWriter(out)
			fmt.Fprintf(w, "sends %d\n", len(sent))
			for _, ns := range sent {
				fmt.Fprintln(w, ns)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			continue
		}
		if len(f) < 3 {
			return fmt.Errorf("feed: bad command %q", sc.Text())
		}
		sessions, _ := strconv.Atoi(f[1])
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := srv.WaitSubscribed(ctx, sessions)
		cancel()
		if err != nil {
			return err
		}
		fmt.Fprintln(out, "go")
		cpu := cpuTime()
		switch f[0] {
		case "burst":
			n, _ := strconv.Atoi(f[2])
			for i := 0; i < n; {
				size := min(batchSize(i), n-i)
				srv.Publish(pool[i%len(pool) : i%len(pool)+size]...)
				i += size
			}
		case "rate":
			if len(f) < 4 {
				return fmt.Errorf("feed: bad command %q", sc.Text())
			}
			rate, _ := strconv.Atoi(f[2])
			d, _ := time.ParseDuration(f[3])
			sent = paced(srv, pool, rate, d, sent[:0])
		default:
			return fmt.Errorf("feed: unknown command %q", f[0])
		}
		fmt.Fprintf(out, "done %d\n", (cpuTime() - cpu).Nanoseconds())
	}
	return sc.Err()
}

// paced publishes one trade a frame at rate a second for d: each at its
// appointed time, or at once when the feed has fallen behind. It appends to
// sent the wall clock's time (Unix nanoseconds) of each frame's publishing,
// taken before its first write, and returns it: the time -binary measures
// the processes' lines from.
func paced(srv *fakeroll.Server, pool []fakeroll.Trade, rate int, d time.Duration, sent []int64) []int64 {
	n := int(int64(rate) * int64(d) / int64(time.Second))
	period := time.Second / time.Duration(rate)
	start := time.Now()
	for i := range n {
		if wait := time.Until(start.Add(time.Duration(i) * period)); wait > 0 {
			time.Sleep(wait)
		}
		sent = append(sent, time.Now().UnixNano())
		srv.Publish(pool[i%len(pool)])
	}
	return sent
}

// feed is the feed process as the client sees it.
type feed struct {
	cmd      *exec.Cmd
	in       io.WriteCloser
	out      *bufio.Scanner
	url      string
	sessions int // sessions the client has opened so far
}

// startFeed starts this binary again as the feed, holding n trades.
func startFeed(n int) (*feed, error) {
	cmd, in, out, err := startRole("server", "-trades", strconv.Itoa(n))
	if err != nil {
		return nil, err
	}
	f := &feed{cmd: cmd, in: in, out: out}
	if !f.out.Scan() {
		f.close()
		return nil, fmt.Errorf("the feed process printed no URL: %v", f.out.Err())
	}
	f.url = f.out.Text()
	return f, nil
}

// startRole starts this binary again in role (roleEnv) with args, and
// returns it with its stdin and its stdout, a line at a time.
func startRole(role string, args ...string) (*exec.Cmd, io.WriteCloser, *bufio.Scanner, error) {
	cmd, err := roleCommand(role, args...)
	if err != nil {
		return nil, nil, nil, err
	}
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, nil, fmt.Errorf("start the %s process: %w", role, err)
	}
	return cmd, in, bufio.NewScanner(stdout), nil
}

// roleCommand is this binary again, to run in role (roleEnv) with args.
func roleCommand(role string, args ...string) (*exec.Cmd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), roleEnv+"="+role)
	return cmd, nil
}

// send asks the feed to run command with args once the client's next
// sessions (one for each of its connections) have subscribed. It does not
// wait: done does.
func (f *feed) send(command, args string, sessions int) error {
	f.sessions += sessions
	_, err := fmt.Fprintf(f.in, "%s %d %s\n", command, f.sessions, args)
	return err
}

// started waits until the feed is about to send the last command's trades.
func (f *feed) started() error {
	got, err := f.line()
	if err == nil && got != "go" {
		err = fmt.Errorf("feed answered %q, want go", got)
	}
	return err
}

// done waits for the feed to finish the last command and returns the CPU time
// the feed spent on it.
func (f *feed) done() (time.Duration, error) {
	var ns int64
	err := f.answer("done %d", &ns)
	return time.Duration(ns), err
}

// sends returns the send times of the last rate command's frames (Unix
// nanoseconds, wall clock), in order.
func (f *feed) sends() ([]int64, error) {
	if _, err := fmt.Fprintln(f.in, "sends"); err != nil {
		return nil, err
	}
	var n int
	if err := f.answer("sends %d", &n); err != nil {
		return nil, err
	}
	sent := make([]int64, n)
	for i := range sent {
		if err := f.answer("%d", &sent[i]); err != nil {
			return nil, err
		}
	}
	return sent, nil
}

// answer reads the feed's next line into args, as format says it is.
func (f *feed) answer(format string, args ...any) error {
	got, err := f.line()
	if err != nil {
		return err
	}
	if _, err := fmt.Sscanf(got, format, args...); err != nil {
		return fmt.Errorf("feed answered %q, want %q: %w", got, format, err)
	}
	return nil
}

// line is the feed's next line.
func (f *feed) line() (string, error) {
	if !f.out.Scan() {
		return "", fmt.Errorf("the feed process stopped: %v", f.out.Err())
	}
	return f.out.Text(), nil
}

// close ends the feed process and waits for it.
func (f *feed) close() error {
	f.in.Close()
	return f.cmd.Wait()
}
