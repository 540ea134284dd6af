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

// TestSoak runs the real binary against the fake feed while the feed cycles
// through every fault, with the backoff in milliseconds. Between faults it
// publishes trades on the healthy connection and waits for every one to be
// printed; it samples the binary's own metrics to check that the parser and
// the sinks were never restarted, that the goroutine count returns to its
// baseline once a new session is up, and that the heap does not grow. It ends
// with SIGINT, which must exit 0 within 2 s, and prints a one-line summary.
func TestSoak(t *testing.T) {
	if *soakFaults <= 0 {
		t.Skip("the chaos soak runs with -soak.faults=N (task soak)")
	}
	faults := soakFaultList()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	srv := rolltest.Start(t, fakeroll.Options{InitTimeout: time.Second})

	cmd := exec.CommandContext(ctx, buildSniper(t),
		"-url", srv.URL(), "-log-format", "json",
		"-backoff-initial", "1ms", "-backoff-max", "16ms",
		"-ping-interval", "100ms", "-ping-timeout", "150ms", "-ack-timeout", "2s",
		"-read-limit", fmt.Sprint(soakReadLimit), "-metrics-addr", "127.0.0.1:0")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "ROLL_SESSION=", "ROLL_LOG_LEVEL=")
	stdout, stderr := newLines(), newLines()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	base := soakMetricsURL(ctx, t, stderr)

	start := time.Now()
	var (
		sent                   []string
		goroutines, heap       []float64
		baseline, maxGoroutine float64
		transient              int // samples above the baseline that went back down on a second look
		counts                 = make(map[string]int)
		wantReasons            = make(map[string]int)
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
		got := final[`rollsniper_reconnects_total{reason="`+reason+`"}`]
		reconnects += got
		if got != float64(wantReasons[reason]) {
			t.Errorf("reconnects for %s: %v, want %d", reason, got, wantReasons[reason])
		}
	}

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
		t.Fatal("SIGINT did not end the program within 2 s")
	}
	stopped := time.Since(stopAt)
	if exitErr != nil {
		t.Errorf("exit after SIGINT: %v, want status 0\nstderr tail:\n%s", exitErr, tail(stderr.String(), 20))
	}

	fmt.Printf("soak: %d faults in %v (%s), %d sessions, %.0f reconnects, %d/%d trades delivered, parser and sinks never restarted, goroutines back to %v after every session (%v at most, %d transient), heap in use %.1f→%.1f MiB, SIGINT exit %d in %v\n",
		*soakFaults, time.Since(start).Round(time.Second), faultCounts(faults, counts), len(srv.Sessions()), reconnects,
		len(stdout.tradeIDs(t)), len(sent), baseline, maxGoroutine, transient, first/(1<<20), last/(1<<20),
		cmd.ProcessState.ExitCode(), stopped.Round(time.Millisecond))
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
