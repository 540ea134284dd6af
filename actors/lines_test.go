package actors

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/fakeroll/rolltest"
	"github.com/rollsniper/rollsniper/internal/gqlws"
	"github.com/rollsniper/rollsniper/internal/logtest"
	"github.com/rollsniper/rollsniper/messages"
)

// linesHarness is Lines running against fake feeds on loopback.
type linesHarness struct {
	lines *Lines
	logs  *logtest.Recorder
	ctx   context.Context // bounds every wait in the test

	cancel context.CancelFunc
	done   chan error // Run's result
}

// fastLine is a line's config against url, with timings in milliseconds.
func fastLine(url string) ConnConfig {
	return ConnConfig{URL: url, BackoffInitial: time.Millisecond, BackoffMax: 8 * time.Millisecond,
		PingInterval: time.Minute, PingTimeout: time.Minute, AckTimeout: 5 * time.Second}
}

// linesRun runs Lines for cfgs; the test's cleanup stops it.
func linesRun(t *testing.T, cfgs ...ConnConfig) *linesHarness {
	t.Helper()
	rec, log := logtest.New()
	h := &linesHarness{lines: NewLines(cfgs, log), logs: rec}
	h.ctx, h.cancel, h.done = runActor(t, h.lines.Run, func() {
		h.cancel()
		h.result(t)
	})
	return h
}

// result waits for Run to return, draining Out meanwhile (the lines' stop
// hands on what they read), and returns Run's error once Out is closed.
func (h *linesHarness) result(t *testing.T) error {
	t.Helper()
	for {
		select {
		case _, ok := <-h.lines.Out():
			if ok {
				continue
			}
			select {
			case err := <-h.done:
				h.done <- err
				return err
			case <-h.ctx.Done():
				t.Fatal("Out closed before Run returned")
			}
		case <-h.ctx.Done():
			t.Fatalf("Run did not return; logged:\n%s", h.logs.Dump())
		}
	}
}

// frame returns the next frame on Out.
func (h *linesHarness) frame(t *testing.T) messages.Frame {
	t.Helper()
	return nextFrame(t, h.ctx, h.lines.Out(), h.logs)
}

// waitUp waits until n lines are subscribed.
func (h *linesHarness) waitUp(t *testing.T, n int) {
	t.Helper()
	// Every change of a line's state is followed by a log line: wait on the
	// log, counted before the state is read.
	for {
		seen := len(h.logs.Records())
		if h.lines.Up() == n {
			return
		}
		h.logs.WaitFor(h.ctx, t, "a line's state to change", func(r []logtest.Record) bool { return len(r) > seen })
	}
}

// Two lines to one market: each brings every trade, into one queue, marked
// with its number; Out closes once both have stopped.
func TestLinesShareOneQueue(t *testing.T) {
	srv := rolltest.Start(t, fakeroll.Options{})
	h := linesRun(t, fastLine(srv.URL()), fastLine(strings.Replace(srv.URL(), "/ws", "/graphql", 1)))
	if err := srv.WaitSubscribed(h.ctx, 2); err != nil {
		t.Fatal(err)
	}
	trade := srv.NewTrade()
	if n := srv.Publish(trade); n != 2 {
		t.Fatalf("Publish reached %d lines, want 2", n)
	}
	var conns []int
	for range 2 {
		f := h.frame(t)
		if !strings.Contains(string(f.Data), trade.ID) || f.Session != 1 {
			t.Errorf("frame %+v, want session 1 carrying %s", f, trade.ID)
		}
		conns = append(conns, f.Conn)
	}
	slices.Sort(conns)
	if !slices.Equal(conns, []int{1, 2}) {
		t.Errorf("the frames came from lines %v, want one from each of 1 and 2", conns)
	}
	for i, c := range h.lines.Conns() {
		if c.Number() != i+1 || c.Stats().State != StateSubscribed {
			t.Errorf("line %d: number %d, state %v", i+1, c.Number(), c.Stats().State)
		}
	}
	h.cancel()
	if err := h.result(t); err != nil {
		t.Errorf("Run = %v, want nil on a stop", err)
	}
	for i, c := range h.lines.Conns() {
		if s := c.Stats().State; s != StateStopped {
			t.Errorf("line %d is %v after Run returned", i+1, s)
		}
	}
	if h.logs.Matching("the feed lost its last connection: listings published until one reconnects are lost") != nil {
		t.Error("a stop was logged as the feed going down")
	}
}

// A line that fails while the other carries the feed waits at info, saying
// so; when both are lost the feed says it is down, and whole again when one
// comes back.
func TestLinesSayWhenTheFeedIsWhole(t *testing.T) {
	srv := rolltest.Start(t, fakeroll.Options{})
	b := strings.Replace(srv.URL(), "/ws", "/graphql", 1)
	h := linesRun(t, fastLine(srv.URL()), fastLine(b))
	h.waitUp(t, 2)
	onPath := func(path string) func(fakeroll.Session) bool {
		return func(s fakeroll.Session) bool { return s.Path == path }
	}

	if n := srv.DropWhere(onPath("/ws")); n != 1 {
		t.Fatalf("dropped %d, want line 1", n)
	}
	wait := h.logs.WaitHaving(h.ctx, t, "delay_from", 1)[0]
	if wait.Level != slog.LevelInfo || wait.String("conn") != "1" || !strings.HasSuffix(wait.Message, "the feed still arrives on another connection") {
		t.Errorf("line 1's wait while line 2 was up: %v %q conn=%s, want info, saying the feed still arrives", wait.Level, wait.Message, wait.String("conn"))
	}
	h.waitUp(t, 2)

	// Both lines lost: refuse the reconnects so that the feed stays down
	// long enough to be seen down.
	srv.RefuseNext(4, 503, nil)
	srv.DropAll()
	down := h.logs.WaitCount(h.ctx, t, "the feed lost its last connection: listings published until one reconnects are lost", 1)[0]
	if down.Level != slog.LevelWarn {
		t.Errorf("the feed going down logged at %v, want warn", down.Level)
	}
	back := h.logs.WaitCount(h.ctx, t, "the feed is whole again: a connection is subscribed", 1)[0]
	if back.Level != slog.LevelInfo || back.String("down_for") == "" {
		t.Errorf("the feed coming back: %v %v", back.Level, back.Attrs)
	}
	// While both were down, a wait was not covered: at least one of them
	// said so at warn.
	var uncovered int
	for _, r := range h.logs.Having("delay_from") {
		if r.Level == slog.LevelWarn && !strings.Contains(r.Message, "another connection") {
			uncovered++
		}
	}
	if uncovered == 0 {
		t.Errorf("no wait at warn while the feed was down:\n%s", h.logs.Dump())
	}
}

// A fatal answer on one line ends every line: Run returns it, as one
// connection's Run does, and closes Out.
func TestLinesFatalOnOneLineStopsAll(t *testing.T) {
	good := rolltest.Start(t, fakeroll.Options{})
	refusing := rolltest.Start(t, fakeroll.Options{RequireSession: "another-session"})
	h := linesRun(t, fastLine(good.URL()), fastLine(refusing.URL()))
	err := h.result(t)
	if _, ok := err.(*gqlws.FatalError); !ok {
		t.Fatalf("Run = %v, want the refused line's *gqlws.FatalError", err)
	}
	for i, c := range h.lines.Conns() {
		if s := c.Stats().State; s != StateStopped {
			t.Errorf("line %d is %v", i+1, s)
		}
	}
}

// One line is the one connection of old: no number in its logs, no
// feed-wide lines, and its waits at warn.
func TestOneLineLogsAsOneConnection(t *testing.T) {
	srv := rolltest.Start(t, fakeroll.Options{})
	h := linesRun(t, fastLine(srv.URL()))
	if err := srv.WaitSubscribed(h.ctx, 1); err != nil {
		t.Fatal(err)
	}
	srv.DropAll()
	wait := h.logs.WaitHaving(h.ctx, t, "delay_from", 1)[0]
	if wait.Level != slog.LevelWarn || wait.String("conn") != "" || strings.Contains(wait.Message, "another connection") {
		t.Errorf("the one line's wait: %v %q %v", wait.Level, wait.Message, wait.Attrs)
	}
	if err := srv.WaitSubscribed(h.ctx, 2); err != nil {
		t.Fatal(err)
	}
	if h.logs.Matching("the feed lost its last connection: listings published until one reconnects are lost") != nil {
		t.Error("one line logged the feed-wide line")
	}
}

// A line that fails while another carries the feed logs at info, however
// often; once the other is down too, its fifth failure in a row with the
// feed down is an error, whatever its attempt number.
func TestLinesEscalateOnlyWhileTheFeedIsDown(t *testing.T) {
	refusing := rolltest.Start(t, fakeroll.Options{})
	refusing.RefuseNext(1_000_000, 503, nil)
	up := rolltest.Start(t, fakeroll.Options{})
	h := linesRun(t, fastLine(refusing.URL()), fastLine(up.URL()))
	waitsOf := func(recs []logtest.Record, conn string) []logtest.Record {
		var out []logtest.Record
		for _, r := range recs {
			if r.String(reconnectKey) != "" && r.String("conn") == conn {
				out = append(out, r)
			}
		}
		return out
	}
	if err := up.WaitSubscribed(h.ctx, 1); err != nil {
		t.Fatal(err)
	}
	// Twelve failures of line 1 while line 2 is up: the fifth among them.
	h.logs.WaitFor(h.ctx, t, "twelve covered waits", func(recs []logtest.Record) bool {
		n := 0
		for _, r := range waitsOf(recs, "1") {
			if strings.Contains(r.Message, "another connection") {
				n++
			}
		}
		return n >= 12
	})
	up.RefuseNext(1_000_000, 503, nil)
	up.DropAll()
	recs := h.logs.WaitFor(h.ctx, t, "line 2 down, and five waits of line 1 after", func(recs []logtest.Record) bool {
		for i, r := range recs {
			if r.String(reconnectKey) != "" && r.String("conn") == "2" {
				return len(waitsOf(recs[i:], "1")) >= 6
			}
		}
		return false
	})
	var down []slog.Level
	after := false // line 2 has gone
	for i, r := range recs {
		if r.String(reconnectKey) == "" {
			continue
		}
		if r.String("conn") == "2" {
			after = true
			continue
		}
		covered := strings.Contains(r.Message, "another connection")
		if covered && r.Level != slog.LevelInfo {
			t.Errorf("wait %d of line 1 (attempt %s) while line 2 was up at %v, want info", i, r.String("attempt"), r.Level)
		}
		if after && !covered {
			down = append(down, r.Level)
		}
	}
	// With the feed down: warn, warn, warn, warn, then error.
	want := []slog.Level{slog.LevelWarn, slog.LevelWarn, slog.LevelWarn, slog.LevelWarn, slog.LevelError}
	if len(down) < 5 || !slices.Equal(down[:5], want) {
		t.Errorf("line 1's waits with the feed down: %v, want the fifth in a row at error", down)
	}
}
