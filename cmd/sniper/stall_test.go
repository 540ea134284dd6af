package main

// Tests of what the program does when its own output stalls: a stderr or a
// stdout that nobody reads must not hold up the feed, the whitelist, the
// alerts, or the stop.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/fakeroll/rolltest"
)

// stalledWriter is a file nobody reads: every write waits until the test
// ends, then goes nowhere.
type stalledWriter struct {
	open chan struct{}
	once sync.Once
}

// newStalledWriter returns a stalled writer that the test's cleanup opens, so
// that whatever waits on it finishes before the leak check.
func newStalledWriter(t *testing.T) *stalledWriter {
	w := &stalledWriter{open: make(chan struct{})}
	t.Cleanup(w.release)
	return w
}

func (w *stalledWriter) release() { w.once.Do(func() { close(w.open) }) }

func (w *stalledWriter) Write(p []byte) (int, error) {
	<-w.open
	return len(p), nil
}

// With a stderr that takes no write, the parser's warnings about malformed
// frames (and everything else the program logs) cost nothing: every trade
// after them is printed, on the one connection.
func TestRunStalledStderrNeverHoldsUpTheFeed(t *testing.T) {
	ctx := testCtx(t)
	srv := rolltest.Start(t, fakeroll.Options{})
	stdout := newLines()
	stderr := newStalledWriter(t)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- run(runCtx, append(fastArgs(srv.URL()), "-log-level", "debug"), stdout, stderr) }()
	if err := srv.WaitSubscribed(ctx, 1); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 50 {
		srv.SendRaw([]byte(`{"id":"1","type":"next","payload":{"data":{"createTrades":{"trades":[{"id":` + fmt.Sprint(i) + `}]}}}}`))
		want = append(want, publishIDs(srv, 1)...)
	}
	if got := stdout.waitTrades(ctx, t, len(want)); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("printed %v, want %v", got, want)
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("run = %v, want nil", err)
	}
	if n := len(srv.Sessions()); n != 1 {
		t.Errorf("%d sessions, want 1", n)
	}
}

// alertHook is a local stand-in for Discord that accepts every alert and
// passes on the id each one is about.
type alertHook struct {
	url    string
	posted chan string
}

func startAlertHook(t *testing.T) *alertHook {
	t.Helper()
	h := &alertHook{posted: make(chan string, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if body, err := io.ReadAll(r.Body); err == nil {
			select {
			case h.posted <- string(body):
			default:
			}
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL + "/api/webhooks/1/alert-hook-token"
	return h
}

// With a stdout nobody reads, the whitelist still decides and its alerts
// still go out, and the stop still ends, within -shutdown-timeout.
func TestRunStalledStdoutStillAlertsAndStopsOnTime(t *testing.T) {
	ctx := testCtx(t)
	hook := startAlertHook(t)
	srv := rolltest.Start(t, fakeroll.Options{})
	wanted := srv.NewTrade()
	args := append(fastArgs(srv.URL()), "-whitelist", writeFile(t, "wl.json", whitelistFor(wanted)),
		"-discord-webhook", hook.url, "-shutdown-timeout", "1s")
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- run(runCtx, args, newStalledWriter(t), newLines()) }()
	if err := srv.WaitSubscribed(ctx, 1); err != nil {
		t.Fatal(err)
	}
	publishIDs(srv, 20) // printed into a stdout that takes nothing
	srv.Publish(wanted)
	select {
	case body := <-hook.posted:
		if !strings.Contains(body, wanted.ID) {
			t.Errorf("the alert is not about %s: %s", wanted.ID, body)
		}
	case <-ctx.Done():
		t.Fatal("no alert while stdout was stalled")
	}
	start := time.Now()
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run = %v, want nil", err)
		}
	case <-ctx.Done():
		t.Fatal("the stop never ended: it waits on the stalled stdout")
	}
	if took := time.Since(start); took > time.Second+500*time.Millisecond {
		t.Errorf("the stop took %v with -shutdown-timeout 1s", took)
	}
}

// The printer never waits on a stalled stdout: the trades that do not fit in
// stdout's buffer are dropped and counted, the connection stays, and the stop
// ends within -shutdown-timeout.
func TestPipelineStalledStdoutDropsAndCountsTrades(t *testing.T) {
	// More trades than stdout's buffer holds; the recorder's queue holds
	// them all, so that it sees every trade however loaded the machine.
	const n = 8000
	tp := startPipelineTo(t, newStalledWriter(t), func(*fakeroll.Server) []string { return []string{"-shutdown-timeout", "1s"} },
		func(tp *testPipeline) { tp.sinks[len(tp.sinks)-1].queue = n })
	gen := fakeroll.NewGenerator(7)
	for i := 0; i < n; i += 4 {
		batch := make([]fakeroll.Trade, 4)
		for j := range batch {
			batch[j] = gen.Next(time.Now())
		}
		tp.srv.Publish(batch...)
	}
	tp.seen.wait(testCtx(t), t, n)
	start := time.Now()
	if err := tp.stop(); err != nil {
		t.Errorf("run = %v, want nil", err)
	}
	if took := time.Since(start); took > time.Second+500*time.Millisecond {
		t.Errorf("the stop took %v with -shutdown-timeout 1s", took)
	}
	if got := tp.parser.Stats().Trades; got != n {
		t.Errorf("the parser passed on %d trades, want %d", got, n)
	}
	if tp.lines.Conns()[0].Sessions() != 1 {
		t.Errorf("%d sessions, want 1", tp.lines.Conns()[0].Sessions())
	}
	// The printer never waited on stdout: it printed every trade it was
	// given (a burst may overflow its queue, which the hub counts), and what
	// did not fit in stdout's buffer was counted.
	if got, dropped := tp.printer.Printed(), tp.hub.Stats()[0].Dropped; got+dropped != n {
		t.Errorf("the printer printed %d trades and its queue dropped %d, want %d in all", got, dropped, n)
	}
	if s := tp.out.stdout.Stats(); s.Dropped["trade"] == 0 {
		t.Errorf("stdout %+v: want trade records dropped and counted", s)
	}
}
