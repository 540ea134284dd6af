package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/fakeroll/rolltest"
	"github.com/rollsniper/rollsniper/internal/gqlws"
)

// The chaos soak runs only when asked for (task soak, and a short form in CI):
//
//	go test -v -count=1 -run '^TestSoak$' ./cmd/sniper -soak.faults=1000
var soakFaults = flag.Int("soak.faults", 0, "run TestSoak with this many faults (0 skips it)")

// soakFault is one way the server misbehaves, and what the client must do.
type soakFault struct {
	name   string
	inject func(srv *fakeroll.Server)
	// reasons are the reconnects the fault must cause, by the label the
	// metrics count them under; none means the session must carry on.
	reasons map[string]int
}

// soakReadLimit is the binary's -read-limit in the soak; soakOversize exceeds it.
const (
	soakReadLimit = 64 << 10
	soakOversize  = soakReadLimit + 1<<10
)

// soakFaultList is every fault the soak cycles through, in turn.
func soakFaultList() []soakFault {
	closeWith := func(code int) soakFault {
		reason := gqlws.ReasonCloseError
		switch code {
		case 1001:
			reason = gqlws.ReasonClosed
		case 1013, 4429:
			reason = gqlws.ReasonCloseSlowDown
		}
		return soakFault{fmt.Sprintf("close %d", code), func(srv *fakeroll.Server) { srv.CloseAll(code, "soak") }, map[string]int{reason: 1}}
	}
	oversize := append([]byte(`{"id":"1","type":"next","payload":{"data":{"createTrades":{"trades":[{"id":"`), bytes.Repeat([]byte("A"), soakOversize)...)
	oversize = append(oversize, `"}]}}}}`...)
	return []soakFault{
		{"drop", func(srv *fakeroll.Server) { srv.DropAll() }, map[string]int{gqlws.ReasonDropped: 1}},
		closeWith(1001), closeWith(1011), closeWith(1012), closeWith(1013), closeWith(1014),
		closeWith(4408), closeWith(4429), closeWith(4500),
		{"half-open", func(srv *fakeroll.Server) { srv.Silence() }, map[string]int{gqlws.ReasonHalfOpen: 1}},
		{"refusal 503", func(srv *fakeroll.Server) {
			srv.RefuseNext(2, http.StatusServiceUnavailable, nil)
			srv.DropAll()
		}, map[string]int{gqlws.ReasonDropped: 1, gqlws.ReasonHTTP503: 2}},
		{"malformed frames", func(srv *fakeroll.Server) {
			for _, f := range []string{`{"type":"next","payload":`, `{"id":"1","type":"next","payload":{"data":{"createTrades":{"trades":[{"id":7}]}}}}`, "\xff\xfe", `{"type":"surprise"}`} {
				srv.SendRaw([]byte(f))
			}
		}, nil},
		{"oversize frame", func(srv *fakeroll.Server) { srv.SendRaw(oversize) }, map[string]int{gqlws.ReasonReadLimit: 1}},
	}
}

// soakRetryAfterEvery is how often (in faults) the server also refuses with a
// 503 and Retry-After: 1, which the client must honour with a full second's
// wait, so it is rare enough to keep the soak quick.
const soakRetryAfterEvery = 250

// soakStallEvery is how often (in faults, half-way through each stretch, or
// half-way through a shorter soak) stdout and stderr stop being read for
// soakStall, while trades keep coming:
// the connection must stay up, and every trade be printed once they are read
// again. soakStallTrades are sent during it.
const (
	soakStallEvery  = 1000
	soakStall       = 2 * time.Second
	soakStallTrades = 300
)

// soakStreamBefore is how many trades stream in before the final SIGINT is
// sent, while they go on streaming.
const soakStreamBefore = 100

// soakHeartbeat is how often the feed sends a pong that answers no ping, all
// through the soak: a count of pongs would end the stop's barrier early.
const soakHeartbeat = 20 * time.Millisecond

// TestSoak runs the real binary against the fake feed while the feed cycles
// through every fault, with the backoff in milliseconds, and sends heartbeat
// pongs all along. Between faults it publishes trades on the healthy
// connection and waits for every one to be printed; now and then it stops
// reading the binary's stdout and stderr for a while, and the connection must
// stay. It samples the binary's own metrics to check that the parser and the
// sinks were never restarted, that the goroutine count returns to its
// baseline once a new session is up, and that the heap does not grow. It ends
// with SIGINT while trades stream in, which must print every trade sent
// before the feed read the unsubscribe and exit 0 within 2 s; then a second
// binary is stopped with the feed black-holed, which must exit 0 within its
// budget. It prints a one-line summary. Last, two connections are dropped at
// random, one at a time, beside one connection dropped with the first (see
// soakLines), and a second line gives what each printed, side by side.
func TestSoak(t *testing.T) {
	if *soakFaults <= 0 {
		t.Skip("the chaos soak runs with -soak.faults=N (task soak)")
	}
	faults := soakFaultList()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	srv := rolltest.Start(t, fakeroll.Options{InitTimeout: time.Second, Heartbeat: soakHeartbeat})

	cmd, stdout, stderr := soakStart(ctx, t, srv,
		"-backoff-initial", "1ms", "-backoff-max", "16ms",
		"-ping-interval", "100ms", "-ping-timeout", "150ms", "-ack-timeout", "2s",
		"-read-limit", fmt.Sprint(soakReadLimit))
	base := soakMetricsURL(ctx, t, stderr)

	start := time.Now()
	var (
		sent                   []string
		goroutines, heap       []float64
		baseline, maxGoroutine float64
		transient              int // samples above the baseline that went back down on a second look
		counts                 = make(map[string]int)
		wantReasons            = make(map[string]int)
		stalls                 int
	)
	for i := 0; i < *soakFaults; i++ {
		// A healthy connection: every trade sent on it must be printed.
		if err := srv.Wait(ctx, func(ss []fakeroll.Session) bool {
			return len(ss) > 0 && ss[len(ss)-1].Subscribed && !ss[len(ss)-1].Closed && !ss[len(ss)-1].Silenced
		}); err != nil {
			t.Fatalf("fault %d: no healthy session: %v\nstderr tail:\n%s", i, err, tail(stderr.String(), 20))
		}
		ids := publishIDs(srv, 3)
		sent = append(sent, ids...)
		stdout.waitLines(ctx, t, len(sent))

		m := scrape(ctx, t, base)
		g := m["go_goroutines"]
		if i == 0 {
			baseline = g
		}
		// A goroutine that is just finishing (a timer's, a scrape's) may still
		// be counted: scrape again, a bounded number of times, before calling
		// it one that outlived its session.
		for try := 0; g > baseline && try < 100; try++ {
			transient++
			m = scrape(ctx, t, base)
			g = m["go_goroutines"]
		}
		maxGoroutine = max(maxGoroutine, g)
		goroutines = append(goroutines, g)
		heap = append(heap, m["go_memstats_heap_inuse_bytes"])
		if got := m["rollsniper_trades_received_total"]; got != float64(len(sent)) {
			t.Fatalf("fault %d: the parser counted %v trades, want %d: was it restarted?", i, got, len(sent))
		}
		if got := m[`rollsniper_sink_delivered_total{sink="printer"}`]; got != float64(len(sent)) {
			t.Fatalf("fault %d: the printer's queue took %v trades, want %d: was it restarted?", i, got, len(sent))
		}

		if i%soakStallEvery == min(soakStallEvery, *soakFaults)/2 {
			sent = append(sent, soakStallOutput(ctx, t, srv, stdout, stderr)...)
			stalls++
			continue
		}
		f := faults[i%len(faults)]
		if i > 0 && i%soakRetryAfterEvery == 0 {
			f = soakFault{"503 with Retry-After", func(srv *fakeroll.Server) {
				srv.RefuseNext(1, http.StatusServiceUnavailable, http.Header{"Retry-After": {"1"}})
				srv.DropAll()
			}, map[string]int{gqlws.ReasonDropped: 1, gqlws.ReasonHTTP503: 1}}
		}
		sessions := len(srv.Sessions())
		f.inject(srv)
		counts[f.name]++
		for reason, n := range f.reasons {
			wantReasons[reason] += n
		}
		if f.reasons != nil {
			if err := srv.Wait(ctx, func(ss []fakeroll.Session) bool { return len(ss) > sessions }); err != nil {
				t.Fatalf("fault %d (%s): no new session: %v", i, f.name, err)
			}
		}
	}

	// Every trade sent on a healthy connection was printed, once, in order.
	if got := stdout.tradeIDs(t); !slices.Equal(got, sent) {
		t.Errorf("printed %d trades, want the %d sent on healthy connections, in order", len(got), len(sent))
	}
	if maxGoroutine > baseline {
		t.Errorf("goroutines rose from %v to %v: something outlives its session: %v", baseline, maxGoroutine, goroutines)
	}
	first, last := quarterMedians(heap)
	if last > first*1.5+4<<20 {
		t.Errorf("heap in use grew from %.1f MiB (first quarter's median) to %.1f MiB (last quarter's)", first/(1<<20), last/(1<<20))
	}
	final := scrape(ctx, t, base)
	// Each fault was seen for what it is, and nothing else ended a session.
	var reconnects float64
	for _, reason := range gqlws.Reasons() {
		got := final[`rollsniper_reconnects_total{conn="1",reason="`+reason+`"}`]
		reconnects += got
		if got != float64(wantReasons[reason]) {
			t.Errorf("reconnects for %s: %v, want %d", reason, got, wantReasons[reason])
		}
	}

	// The stop, mid-stream, with heartbeat pongs: every trade the feed sent
	// before it read the unsubscribe must be printed.
	before, stopped, exitErr := soakStopMidStream(ctx, t, srv, cmd)
	if exitErr != nil {
		t.Errorf("exit after SIGINT: %v, want status 0\nstderr tail:\n%s", exitErr, tail(stderr.String(), 20))
	}
	printed := stdout.tradeIDs(t)
	if len(printed) < len(sent)+len(before) || !slices.Equal(printed[:len(sent)+len(before)], append(slices.Clone(sent), before...)) {
		t.Errorf("stopping mid-stream: %d trades printed, want the %d sent on healthy connections and the %d sent before the unsubscribe, in order",
			len(printed), len(sent), len(before))
	}

	// A stop with the feed black-holed, on the production ping timings: the
	// barrier gets no answer, and the stop still ends within its budget.
	blackHoled := soakStopBlackHoled(ctx, t, srv)
	lines := soakLines(ctx, t, soakLinesDrops(*soakFaults))

	fmt.Printf("soak: %d faults in %v (%s), stdout and stderr unread for %v ×%d (the connection kept, %d trades each printed after), "+
		"%d sessions, %.0f reconnects, %d/%d trades delivered, parser and sinks never restarted, goroutines back to %v after every session (%v at most, %d transient), "+
		"heap in use %.1f→%.1f MiB, SIGINT mid-stream with heartbeat pongs: %d/%d trades sent before the unsubscribe printed, exit 0 in %v; "+
		"SIGINT with the feed black-holed: exit 0 in %v (-shutdown-timeout 2s)\n",
		*soakFaults, time.Since(start).Round(time.Second), faultCounts(faults, counts), soakStall, stalls, soakStallTrades,
		len(srv.Sessions()), reconnects, inOrder(printed, sent), len(sent), baseline, maxGoroutine, transient,
		first/(1<<20), last/(1<<20), inOrder(printed[min(len(sent), len(printed)):], before), len(before),
		stopped.Round(time.Millisecond), blackHoled.Round(time.Millisecond))
	fmt.Printf("soak, two connections: %s\n", lines)
}

// inOrder counts the ids of want found in got one after another, in order.
func inOrder(got, want []string) int {
	n := 0
	for _, id := range got {
		if n < len(want) && id == want[n] {
			n++
		}
	}
	return n
}

// soakStart runs the binary against srv with the soak's settings and args,
// its stdout and stderr kept line by line.
func soakStart(ctx context.Context, t *testing.T, srv *fakeroll.Server, args ...string) (*exec.Cmd, *lines, *lines) {
	t.Helper()
	cmd := exec.CommandContext(ctx, buildSniper(t), append([]string{"-url", srv.URL(), "-log-format", "json", "-metrics-addr", "127.0.0.1:0"}, args...)...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "ROLL_SESSION=", "ROLL_LOG_LEVEL=")
	stdout, stderr := newLines(), newLines()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, stdout, stderr
}

// soakStallOutput stops reading the binary's stdout and stderr for
// soakStall while soakStallTrades trades arrive, then reads them again: the
// session must carry on, and the trades are returned, to be printed.
func soakStallOutput(ctx context.Context, t *testing.T, srv *fakeroll.Server, stdout, stderr *lines) []string {
	t.Helper()
	sessions := len(srv.Sessions())
	stdout.pause()
	stderr.pause()
	var ids []string
	for range soakStallTrades / 3 {
		ids = append(ids, publishIDs(srv, 3)...)
	}
	<-time.After(soakStall) // the stall is the fault itself, not a wait for something
	stdout.resume()
	stderr.resume()
	if err := srv.Wait(ctx, func(ss []fakeroll.Session) bool { return !ss[len(ss)-1].Closed }); err != nil {
		t.Fatal(err)
	}
	if got := len(srv.Sessions()); got != sessions {
		t.Fatalf("a stall of stdout and stderr cost the connection: %d sessions, was %d", got, sessions)
	}
	return ids
}

// soakStopMidStream sends SIGINT while trades stream in, one at a time, and
// returns the trades whose sending ended before the feed read the binary's
// unsubscribe, how long the binary took to exit, and its exit error.
func soakStopMidStream(ctx context.Context, t *testing.T, srv *fakeroll.Server, cmd *exec.Cmd) ([]string, time.Duration, error) {
	t.Helper()
	unsubscribed := srv.Unsubscribes()
	streaming := make(chan []string, 1)
	halt := make(chan struct{})
	flowing := make(chan struct{}) // closed once soakStreamBefore trades are sent
	go func() {
		var before []string
		defer func() {
			if len(before) < soakStreamBefore {
				close(flowing)
			}
		}()
		for {
			if len(before) == soakStreamBefore {
				close(flowing)
			}
			select {
			case <-halt:
				streaming <- before
				return
			default:
			}
			tr := srv.NewTrade()
			srv.Publish(tr)
			if srv.Unsubscribes() != unsubscribed {
				streaming <- before
				return
			}
			before = append(before, tr.ID)
		}
	}()
	<-flowing
	stopAt := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var exitErr error
	select {
	case exitErr = <-waited:
	case <-time.After(2 * time.Second):
		_ = cmd.Process.Kill()
		<-waited
		t.Fatal("SIGINT did not end the program within 2 s (-shutdown-timeout)")
	}
	stopped := time.Since(stopAt)
	close(halt)
	return <-streaming, stopped, exitErr
}

// soakStopBlackHoled runs a second binary on the production ping timings,
// black-holes the feed and sends SIGINT: it must exit 0 within its budget.
func soakStopBlackHoled(ctx context.Context, t *testing.T, srv *fakeroll.Server) time.Duration {
	t.Helper()
	subscribed := 0
	for _, s := range srv.Sessions() {
		if s.Subscribed {
			subscribed++
		}
	}
	cmd, stdout, stderr := soakStart(ctx, t, srv, "-ping-interval", "30s", "-ping-timeout", "10s", "-shutdown-timeout", "2s")
	if err := srv.WaitSubscribed(ctx, subscribed+1); err != nil {
		t.Fatalf("the second binary did not subscribe: %v\nstderr:\n%s", err, stderr)
	}
	ids := publishIDs(srv, 3)
	if got := stdout.waitTrades(ctx, t, len(ids)); !slices.Equal(got, ids) {
		t.Fatalf("the second binary printed %v, want %v", got, ids)
	}
	srv.Silence()
	stopAt := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("exit after SIGINT with the feed black-holed: %v, want status 0\nstderr:\n%s", err, tail(stderr.String(), 20))
		}
	case <-time.After(2*time.Second + 500*time.Millisecond):
		_ = cmd.Process.Kill()
		<-waited
		t.Fatal("SIGINT with the feed black-holed did not end the program within -shutdown-timeout (2 s)")
	}
	return time.Since(stopAt)
}

// soakMetricsURL waits for the binary to say where it serves metrics.
func soakMetricsURL(ctx context.Context, t *testing.T, stderr *lines) string {
	t.Helper()
	var url string
	stderr.waitUntil(ctx, t, "where metrics are served", func() bool {
		for line := range strings.Lines(stderr.buf.String()) {
			var rec struct {
				Msg     string `json:"msg"`
				Metrics string `json:"metrics"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "serving metrics" {
				url = strings.TrimSuffix(rec.Metrics, "/metrics")
				return true
			}
		}
		return false
	})
	return url
}

// quarterMedians returns the medians of the first and the last quarter of xs.
func quarterMedians(xs []float64) (first, last float64) {
	median := func(xs []float64) float64 {
		if len(xs) == 0 {
			return 0
		}
		s := slices.Clone(xs)
		slices.Sort(s)
		return s[len(s)/2]
	}
	q := max(len(xs)/4, 1)
	return median(xs[:min(q, len(xs))]), median(xs[max(len(xs)-q, 0):])
}

// faultCounts renders how often each fault was injected.
func faultCounts(faults []soakFault, counts map[string]int) string {
	var parts []string
	for _, f := range faults {
		parts = append(parts, fmt.Sprintf("%s ×%d", f.name, counts[f.name]))
	}
	if n := counts["503 with Retry-After"]; n > 0 {
		parts = append(parts, fmt.Sprintf("503 with Retry-After ×%d", n))
	}
	return strings.Join(parts, ", ")
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}
