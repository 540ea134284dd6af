package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rollsniper/rollsniper/actors"
	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/fakeroll/rolltest"
	"github.com/rollsniper/rollsniper/internal/fixtures"
	"github.com/rollsniper/rollsniper/internal/gqlws"
	"github.com/rollsniper/rollsniper/internal/logtest"
	"github.com/rollsniper/rollsniper/messages"
)

func TestMain(m *testing.M) {
	// Build the binaries the end-to-end tests run before any test starts its
	// clock: a cold build (nats-server is large) can take longer than a
	// test's whole budget on a busy machine.
	flag.Parse()
	if !testing.Short() {
		sniperOnce.Do(buildSniperOnce)
	}
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		if sniperBin != "" {
			os.RemoveAll(filepath.Dir(sniperBin))
		}
		os.Exit(code)
	}))
}

// reconnectKey is the attribute every wait before a reconnect is logged with.
const reconnectKey = "delay_from"

// fastArgs are settings that run the whole schedule in milliseconds.
func fastArgs(url string) []string {
	return []string{"-url", url, "-log-format", "json", "-backoff-initial", "1ms", "-backoff-max", "8ms",
		"-ping-interval", "1m", "-ack-timeout", "5s"}
}

// testCtx bounds a test's waits.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// lines is an io.Writer that keeps what was written and lets a test wait for
// a number of trade records.
type lines struct {
	mu       sync.Mutex
	buf      bytes.Buffer
	newlines int // line ends in buf
	changed  chan struct{}
	gate     chan struct{} // while not nil, a Write waits for it to close
}

func newLines() *lines { return &lines{changed: make(chan struct{})} }

// pause makes every Write wait, as a reader that stops reading would, until
// resume.
func (l *lines) pause() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gate = make(chan struct{})
}

func (l *lines) resume() {
	l.mu.Lock()
	defer l.mu.Unlock()
	close(l.gate)
	l.gate = nil
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	gate := l.gate
	l.mu.Unlock()
	if gate != nil {
		<-gate
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	close(l.changed)
	l.changed = make(chan struct{})
	l.newlines += bytes.Count(p, []byte("\n"))
	return l.buf.Write(p)
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// tradeIDs returns the ids of the JSON trade records written so far.
func (l *lines) tradeIDs(t *testing.T) []string {
	t.Helper()
	return tradeIDs(t, l.String())
}

func tradeIDs(t *testing.T, out string) []string {
	t.Helper()
	var ids []string
	for line := range strings.Lines(out) {
		var rec struct {
			Msg string `json:"msg"`
			ID  string `json:"id"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("stdout line is not JSON: %q: %v", line, err)
		}
		switch rec.Msg {
		case "trade":
			ids = append(ids, rec.ID)
		case "match": // the whitelist's, when one is loaded (the demo's is)
		default:
			t.Fatalf("stdout has a record that is neither a trade nor a match: %q", line)
		}
	}
	return ids
}

// waitTrades waits until n trade records were written.
func (l *lines) waitTrades(ctx context.Context, t *testing.T, n int) []string {
	t.Helper()
	var ids []string
	l.waitUntil(ctx, t, fmt.Sprintf("%d trades", n), func() bool {
		ids = tradeIDs(t, l.buf.String())
		return len(ids) >= n
	})
	return ids
}

// waitUntil waits until cond holds, or fails the test saying it was waiting
// for what. cond runs with l locked: it reads l.buf and l.newlines directly.
func (l *lines) waitUntil(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	for {
		l.mu.Lock()
		ok, changed := cond(), l.changed
		l.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("waiting for %s in:\n%s", what, tail(l.String(), 50))
		}
	}
}

// waitFor waits until what was written contains s.
func (l *lines) waitFor(ctx context.Context, t *testing.T, s string) {
	t.Helper()
	l.waitUntil(ctx, t, strconv.Quote(s), func() bool { return bytes.Contains(l.buf.Bytes(), []byte(s)) })
}

// waitLines waits until n whole lines were written. It costs nothing per
// line already seen, so a soak can wait on thousands.
func (l *lines) waitLines(ctx context.Context, t *testing.T, n int) {
	t.Helper()
	l.waitUntil(ctx, t, fmt.Sprintf("%d lines", n), func() bool { return l.newlines >= n })
}

func publishIDs(srv *fakeroll.Server, n int) []string {
	var ids []string
	for range n {
		tr := srv.NewTrade()
		srv.Publish(tr)
		ids = append(ids, tr.ID)
	}
	return ids
}

func TestRunPrintsTradesAndStopsCleanly(t *testing.T) {
	ctx := testCtx(t)
	srv := rolltest.Start(t, fakeroll.Options{})
	stdout, stderr := newLines(), newLines()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- run(runCtx, fastArgs(srv.URL()), stdout, stderr) }()

	if err := srv.WaitSubscribed(ctx, 1); err != nil {
		t.Fatal(err)
	}
	want := publishIDs(srv, 5)
	stdout.waitTrades(ctx, t, len(want))
	stop()
	if err := <-done; err != nil {
		t.Fatalf("run = %v, want nil after cancel", err)
	}
	if got := stdout.tradeIDs(t); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("printed %v, want %v", got, want)
	}
	if err := srv.Wait(ctx, func(ss []fakeroll.Session) bool { return ss[0].Closed }); err != nil {
		t.Fatal(err)
	}
	if s := srv.Sessions()[0]; s.ClientCloseCode != 1000 {
		t.Errorf("closed with %d, want 1000", s.ClientCloseCode)
	}
	if !strings.Contains(stderr.String(), `"session":"set"`) && !strings.Contains(stderr.String(), `"session":"unset"`) {
		t.Errorf("the starting config does not say whether the session is set:\n%s", stderr)
	}
}

func TestRunRejectedSessionExitsWithStatus2(t *testing.T) {
	srv := rolltest.Start(t, fakeroll.Options{RequireSession: "the-right-one"})
	stdout, stderr := newLines(), newLines()
	args := append(fastArgs(srv.URL()), "-session", "session=the-wrong-one")
	err := run(testCtx(t), args, stdout, stderr)
	if err == nil {
		t.Fatal("run = nil, want a fatal error")
	}
	if got := exitCode(err); got != 2 {
		t.Errorf("exit code %d, want 2", got)
	}
	for _, want := range []string{"ROLL_SESSION", "-session", "4403"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	for _, out := range []string{err.Error(), stdout.String(), stderr.String()} {
		if strings.Contains(out, "the-wrong-one") {
			t.Errorf("the session value was shown: %s", out)
		}
	}
}

func TestRunInvalidSettingExitsWithStatus2(t *testing.T) {
	err := run(testCtx(t), []string{"-url", "http://example.invalid/ws"}, io.Discard, io.Discard)
	if got := exitCode(err); got != 2 {
		t.Errorf("exit code %d for %v, want 2", got, err)
	}
	if err == nil || !strings.Contains(err.Error(), "-url") {
		t.Errorf("error %v does not name -url", err)
	}
}

// testPipeline is the real pipeline against a fake feed, with a recording sink
// beside the printer, so a test can look at the same actor instances over time.
type testPipeline struct {
	*pipeline
	srv    *fakeroll.Server
	stdout *lines
	logs   *logtest.Recorder
	seen   *recordingSink
	stop   func() error
}

// startPipeline runs a pipeline against a fresh fake feed, after setup (if
// any) has changed it, and returns once it has subscribed.
func startPipeline(t *testing.T, sub gqlws.Subscription, setup ...func(*testPipeline)) *testPipeline {
	t.Helper()
	return startPipelineArgs(t, func(*fakeroll.Server) []string { return []string{"-subscription", string(sub)} }, setup...)
}

// startPipelineArgs is startPipeline with more settings, which args returns
// for the fake feed it is given.
func startPipelineArgs(t *testing.T, args func(*fakeroll.Server) []string, setup ...func(*testPipeline)) *testPipeline {
	t.Helper()
	stdout := newLines()
	tp := startPipelineTo(t, stdout, args, setup...)
	tp.stdout = stdout
	return tp
}

// startPipelineTo is startPipelineArgs printing to stdout.
func startPipelineTo(t *testing.T, stdout io.Writer, args func(*fakeroll.Server) []string, setup ...func(*testPipeline)) *testPipeline {
	t.Helper()
	ctx := testCtx(t)
	srv := rolltest.Start(t, fakeroll.Options{})
	cfg, err := parseConfig(append(fastArgs(srv.URL()), args(srv)...), func(string) string { return "" }, t.TempDir(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	rec, logs := logtest.New()
	p, err := newPipeline(cfg, logs, newOutputs(cfg, false, stdout, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	tp := &testPipeline{pipeline: p, srv: srv, logs: rec, seen: newRecordingSink()}
	tp.sinks = append(tp.sinks, namedSink{"recorder", tp.seen, 0})
	for _, f := range setup {
		f(tp)
	}

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- tp.run(runCtx, nil) }()
	var once sync.Once
	var result error
	tp.stop = func() error {
		once.Do(func() {
			cancel()
			result = <-done
		})
		return result
	}
	t.Cleanup(func() { tp.stop() })
	if err := srv.WaitSubscribed(ctx, 1); err != nil {
		t.Fatal(err)
	}
	return tp
}

// recordingSink keeps every trade it is given.
type recordingSink struct {
	mu      sync.Mutex
	trades  []messages.Trade
	changed chan struct{}
}

var _ actors.Sink = (*recordingSink)(nil)

func newRecordingSink() *recordingSink { return &recordingSink{changed: make(chan struct{})} }

func (s *recordingSink) Run(ctx context.Context, in <-chan messages.Trade) error {
	for {
		select {
		case tr, ok := <-in:
			if !ok {
				return nil
			}
			s.mu.Lock()
			s.trades = append(s.trades, tr)
			close(s.changed)
			s.changed = make(chan struct{})
			s.mu.Unlock()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (s *recordingSink) wait(ctx context.Context, t *testing.T, n int) []messages.Trade {
	t.Helper()
	for {
		s.mu.Lock()
		got, changed := append([]messages.Trade(nil), s.trades...), s.changed
		s.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("sink got %d trades, want %d", len(got), n)
		}
	}
}

// Every fixture frame parses and is printed; malformed frames in between are
// skipped without a reconnect.
func TestPipelineFixturesAndMalformedFrames(t *testing.T) {
	ctx := testCtx(t)
	tp := startPipeline(t, gqlws.SubCreateTrades)
	frames := []struct {
		file string
		ids  []string
	}{
		{"createTrade_stickers.json", []string{"VHJhZGU6MzI5OTM0Nzg"}},
		{"createTrade_canJoinAfter.json", []string{"VHJhZGU6MzQ5MjEwMjA"}},
		{"createTrades_batch.json", []string{"VHJhZGU6MzI5OTM0Nzg", "VHJhZGU6MzQ5MjEwMjA"}},
	}
	malformed := []string{
		`{"id":"1","type":"next","payload":{"data":{"createTrades":{"trades":[{"id":"VHJhZGU6MQ","status":"LISTED","markupPercent":5,"totalValue":1,"createdAt":"2024-01-02T19:37:45.236Z","tradeItems":[{"marketName":"AK-47 | Redline (Field-Tested)","itemVariant":null}]}]}}}}`,
		`{"id":"1","type":"next","payload":{"data":{"createTrades":{"trades":[{"id":"VHJhZGU6Mg","status":"LISTED"}]}}}}`,
		`{"id":"1","type":"next","payload":{"data":{"createTrade":{"trade":{"id":42}}}}}`,
		`{"id":"1","type":"next","payload":`,
		"\xff\xfe not json",
		`{"type":"surprise"}`,
	}
	var want []string
	for i, f := range frames {
		data := fixtures.Read(t, f.file)
		tp.srv.SendRaw(data)
		tp.srv.SendRaw([]byte(malformed[i%len(malformed)]))
		want = append(want, f.ids...)
	}
	for _, m := range malformed {
		tp.srv.SendRaw([]byte(m))
	}
	last := publishIDs(tp.srv, 1)
	want = append(want, last...)

	got := tp.seen.wait(ctx, t, len(want))
	var gotIDs []string
	for _, tr := range got {
		gotIDs = append(gotIDs, tr.ID)
	}
	if fmt.Sprint(gotIDs) != fmt.Sprint(want) {
		t.Errorf("trades %v, want %v", gotIDs, want)
	}
	tp.stdout.waitTrades(ctx, t, len(want))
	if err := tp.stop(); err != nil {
		t.Fatalf("run = %v, want nil", err)
	}
	if n := tp.lines.Conns()[0].Sessions(); n != 1 {
		t.Errorf("%d sessions, want 1: malformed frames must not cost the connection", n)
	}
	if n := len(tp.logs.Having(reconnectKey)); n != 0 {
		t.Errorf("%d reconnects, want none", n)
	}
	if s := tp.parser.Stats(); s.Trades != uint64(len(want)) {
		t.Errorf("parser counted %d trades, want %d", s.Trades, len(want))
	}
	var warned int
	for _, r := range tp.logs.Records() {
		if r.Level == slog.LevelWarn && r.String("actor") == "parser" {
			warned++
		}
	}
	if warned < len(malformed) {
		t.Errorf("%d parser warnings, want at least one for each of %d malformed frames", warned, len(malformed))
	}
}

// After an abrupt drop the program reconnects and the same parser and sinks
// keep counting.
func TestPipelineKeepsActorsAcrossReconnects(t *testing.T) {
	for _, sub := range []gqlws.Subscription{gqlws.SubCreateTrades, gqlws.SubCreateTrade} {
		t.Run(string(sub), func(t *testing.T) {
			ctx := testCtx(t)
			tp := startPipeline(t, sub)
			parser, printer := tp.parser, tp.printer

			first := publishIDs(tp.srv, 3)
			tp.seen.wait(ctx, t, 3)
			tp.srv.DropAll()
			if err := tp.srv.WaitSubscribed(ctx, 2); err != nil {
				t.Fatal(err)
			}
			second := publishIDs(tp.srv, 4)
			got := tp.seen.wait(ctx, t, 7)
			tp.stdout.waitTrades(ctx, t, 7)
			if err := tp.stop(); err != nil {
				t.Fatalf("run = %v, want nil", err)
			}

			if tp.parser != parser || tp.printer != printer {
				t.Fatal("actor instances were replaced")
			}
			want := append(first, second...)
			for i, tr := range got {
				if tr.ID != want[i] {
					t.Errorf("trade %d = %s, want %s", i, tr.ID, want[i])
				}
			}
			if s := parser.Stats(); s.Trades != 7 {
				t.Errorf("parser counted %d trades across the reconnect, want 7", s.Trades)
			}
			if n := printer.Printed(); n != 7 {
				t.Errorf("printer printed %d trades across the reconnect, want 7", n)
			}
			if n := tp.lines.Conns()[0].Sessions(); n != 2 {
				t.Errorf("%d sessions, want 2", n)
			}
			r := tp.logs.WaitHaving(ctx, t, reconnectKey, 1)[0]
			if d := r.Attrs["delay"].Duration(); d != time.Millisecond {
				t.Errorf("first reconnect waited %v, want the initial 1ms", d)
			}
		})
	}
}

// buildSniper builds the program once per test binary run.
func buildSniper(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	sniperOnce.Do(buildSniperOnce)
	if sniperErr != nil {
		t.Fatal(sniperErr)
	}
	return sniperBin
}

var (
	sniperOnce sync.Once
	sniperBin  string
	sniperErr  error
)

func buildSniperOnce() {
	dir, err := os.MkdirTemp("", "sniper-test")
	if err != nil {
		sniperErr = err
		return
	}
	sniperBin = filepath.Join(dir, "sniper")
	out, err := exec.Command("go", "build", "-o", sniperBin, ".").CombinedOutput()
	if err != nil {
		sniperErr = fmt.Errorf("go build: %v\n%s", err, out)
	}
}

// startSniper runs the built program against srv, subscribed, with stdout
// read line by line.
func startSniper(ctx context.Context, t *testing.T, srv *fakeroll.Server, args ...string) (*exec.Cmd, *bufio.Scanner, *lines) {
	t.Helper()
	cmd, stdout, stderr := startBinary(ctx, t, append(fastArgs(srv.URL()), args...)...)
	if err := srv.WaitSubscribed(ctx, 1); err != nil {
		t.Fatalf("%v; stderr:\n%s", err, stderr)
	}
	return cmd, stdout, stderr
}

// startBinary starts the built sniper with args in a fresh directory, and
// returns it with its stdout, read line by line, and its stderr.
func startBinary(ctx context.Context, t *testing.T, args ...string) (*exec.Cmd, *bufio.Scanner, *lines) {
	t.Helper()
	cmd := exec.CommandContext(ctx, buildSniper(t), args...)
	cmd.Dir = t.TempDir() // no .env there
	cmd.Env = append(os.Environ(), "ROLL_SESSION=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := newLines()
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, bufio.NewScanner(stdout), stderr
}

// The real binary: SIGINT during the stream closes with status 1000, prints
// every trade received before it, and exits 0.
func TestBinarySIGINTDrainsAndExitsZero(t *testing.T) {
	ctx := testCtx(t)
	srv := rolltest.Start(t, fakeroll.Options{})
	cmd, sc, stderr := startSniper(ctx, t, srv)

	first := publishIDs(srv, 50)
	// Read until the last trade is out, then interrupt while more are in flight.
	var printed strings.Builder
	for n := 0; n < len(first) && sc.Scan(); n++ {
		printed.WriteString(sc.Text() + "\n")
	}
	second := publishIDs(srv, 200)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
		printed.WriteString(sc.Text() + "\n")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v; stderr:\n%s", err, stderr)
	}

	want := append(first, second...)
	if got := tradeIDs(t, printed.String()); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("printed %d trades, want all %d sent before SIGINT, in order", len(got), len(want))
	}
	if err := srv.Wait(ctx, func(ss []fakeroll.Session) bool { return ss[0].Closed }); err != nil {
		t.Fatal(err)
	}
	s := srv.Sessions()[0]
	if s.ClientCloseCode != 1000 {
		t.Errorf("client closed with %d, want 1000", s.ClientCloseCode)
	}
	var unsubscribed bool
	for _, m := range s.Received {
		unsubscribed = unsubscribed || m.Type == gqlws.TypeComplete
	}
	if !unsubscribed {
		t.Errorf("client never unsubscribed: %v", s.Received)
	}
}

// SIGINT while the feed is black-holed (it reads and answers nothing): the
// stop cannot be confirmed, and still ends with status 0 within
// -shutdown-timeout, not after the ping timeout and the close handshake's own
// waits.
func TestBinarySIGINTWithTheFeedBlackHoledExitsWithinTheBudget(t *testing.T) {
	ctx := testCtx(t)
	srv := rolltest.Start(t, fakeroll.Options{})
	cmd, _, stderr := startSniper(ctx, t, srv, "-shutdown-timeout", "1s", "-ping-timeout", "10s")
	srv.Silence()
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	took := time.Since(start)
	if err != nil {
		t.Fatalf("exit: %v, want status 0; stderr:\n%s", err, stderr)
	}
	// A generous margin for a loaded machine: the old stop took 12 s.
	if took > 2*time.Second {
		t.Errorf("the stop took %v with -shutdown-timeout 1s", took)
	}
	if !strings.Contains(stderr.String(), "stopping without the feed's answer to the unsubscribe") {
		t.Errorf("the unconfirmed stop was not logged:\n%s", stderr)
	}
}

// A second SIGINT cuts the stop short, even while the first is still waiting
// on a feed that no longer answers and on a stdout nobody reads; it writes
// what was printed but not yet written before it exits, rather than dropping
// it.
func TestBinarySecondSIGINTWritesWhatIsBufferedAndExits(t *testing.T) {
	ctx := testCtx(t)
	srv := rolltest.Start(t, fakeroll.Options{})
	cmd, sc, stderr := startSniper(ctx, t, srv, "-metrics-addr", "127.0.0.1:0")
	base := soakMetricsURL(ctx, t, stderr)
	// Nobody reads stdout for now: more is printed than its pipe holds.
	const n = 1000
	var want []string
	for i := 0; i < n; i += 4 {
		batch := []fakeroll.Trade{srv.NewTrade(), srv.NewTrade(), srv.NewTrade(), srv.NewTrade()}
		srv.Publish(batch...)
		for _, tr := range batch {
			want = append(want, tr.ID)
		}
	}
	for scrape(ctx, t, base)["rollsniper_printed_total"] < n {
		if ctx.Err() != nil {
			t.Fatal("the trades were never printed")
		}
	}
	srv.Silence() // the graceful stop now waits for a pong and a close that never come
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	// The first signal is being handled once the client has unsubscribed.
	err := srv.Wait(ctx, func(ss []fakeroll.Session) bool {
		for _, m := range ss[0].Received {
			if m.Type == gqlws.TypeComplete {
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("%v; stderr:\n%s", err, stderr)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var printed strings.Builder
	for sc.Scan() {
		printed.WriteString(sc.Text() + "\n")
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 128+int(syscall.SIGINT) {
		t.Fatalf("exit: %v, want status %d from the second SIGINT; stderr:\n%s", err, 128+int(syscall.SIGINT), stderr)
	}
	if got := tradeIDs(t, printed.String()); !slices.Equal(got, want) {
		t.Errorf("%d of the %d trades printed before the second SIGINT reached stdout", len(got), n)
	}
}

func TestRunDemoShowsTrades(t *testing.T) {
	ctx := testCtx(t)
	stdout := newLines()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- run(runCtx, []string{"-demo", "-log-format", "json"}, stdout, io.Discard)
	}()
	stdout.waitTrades(ctx, t, 2)
	stop()
	if err := <-done; err != nil {
		t.Fatalf("run -demo = %v, want nil", err)
	}
}

// The connection actor's settings reach it from the flags: a stale feed is
// replaced after -stale-after, a frame over -read-limit ends the session, and
// -backoff-jitter draws each wait at random.
func TestPipelineWiresConnectionSettings(t *testing.T) {
	reconnect := func(tp *testPipeline) logtest.Record {
		t.Helper()
		return tp.logs.WaitHaving(testCtx(t), t, reconnectKey, 1)[0]
	}
	t.Run("stale-after", func(t *testing.T) {
		tp := startPipelineArgs(t, func(*fakeroll.Server) []string { return []string{"-stale-after", "50ms"} })
		if r := reconnect(tp); r.String("kind") != gqlws.ReasonStale {
			t.Errorf("a feed with no trades ended with %q, want %q after -stale-after", r.String("kind"), gqlws.ReasonStale)
		}
	})
	t.Run("read-limit", func(t *testing.T) {
		tp := startPipelineArgs(t, func(*fakeroll.Server) []string { return []string{"-read-limit", "16KiB"} })
		tp.srv.SendRaw([]byte(`{"type":"next","payload":"` + strings.Repeat("x", 20<<10) + `"}`))
		if r := reconnect(tp); r.String("kind") != gqlws.ReasonReadLimit {
			t.Errorf("a 20 KiB frame ended the session with %q, want %q under -read-limit 16KiB", r.String("kind"), gqlws.ReasonReadLimit)
		}
	})
	t.Run("backoff-jitter", func(t *testing.T) {
		tp := startPipelineArgs(t, func(*fakeroll.Server) []string { return []string{"-backoff-jitter"} })
		tp.srv.DropAll()
		if r := reconnect(tp); r.String("delay_from") != "backoff with jitter" {
			t.Errorf("the wait came from %q, want the jittered backoff", r.String("delay_from"))
		}
	})
}
