package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/fakeroll/rolltest"
	"github.com/rollsniper/rollsniper/internal/fixtures"
	"github.com/rollsniper/rollsniper/internal/journal"
	"github.com/rollsniper/rollsniper/internal/journal/journaltest"
)

// demoWhitelistFile copies the demo whitelist, which matches some of the fake
// feed's trades, into a file and returns its path.
func demoWhitelistFile(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../internal/whitelist/demo.json")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "wl.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// printed is stdout's trade and match records, each without the keys that
// differ from one run to the next (time; a match's latency_us, which counts
// from the frame's receipt), in the order they were printed. Trades and
// matches are apart: two sinks print them, each in order, interleaved as the
// scheduler runs them.
type printed struct {
	trades, matches []string
}

func parsePrinted(t *testing.T, out string) printed {
	t.Helper()
	var p printed
	for line := range strings.Lines(out) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("stdout line is not JSON: %q: %v", line, err)
		}
		delete(rec, "time")
		msg := rec["msg"]
		if msg == "match" {
			if _, ok := rec["latency_us"].(float64); !ok {
				t.Fatalf("a match without latency_us: %q", line)
			}
			delete(rec, "latency_us")
		}
		canon, err := json.Marshal(rec) // keys sorted
		if err != nil {
			t.Fatal(err)
		}
		switch msg {
		case "trade":
			p.trades = append(p.trades, string(canon))
		case "match":
			p.matches = append(p.matches, string(canon))
		default:
			t.Fatalf("stdout has a record that is neither a trade nor a match: %q", line)
		}
	}
	return p
}

// firstDiff says where a and b first differ, or "".
func firstDiff(what string, got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("%s %d:\n got  %s\n want %s", what, i, got[i], want[i])
		}
	}
	if len(got) != len(want) {
		return fmt.Sprintf("%d %s lines, want %d", len(got), what, len(want))
	}
	return ""
}

// runReplay runs sniper replay with args and returns its stdout and stderr.
func runReplay(t *testing.T, args ...string) (string, string) {
	t.Helper()
	stdout, stderr := newLines(), newLines()
	if err := run(testCtx(t), append([]string{"replay"}, args...), stdout, stderr); err != nil {
		t.Fatalf("sniper replay %v = %v, want nil; stderr:\n%s", args, err, stderr)
	}
	return stdout.String(), stderr.String()
}

// onDiskFrames counts the frame records of the journal in dir that a reader
// sees now.
func onDiskFrames(t *testing.T, dir string) int {
	t.Helper()
	r, err := journal.NewReader(dir)
	if err != nil {
		return 0 // no segment yet
	}
	defer r.Close()
	n := 0
	for rec, err := range r.All() {
		if err != nil {
			t.Fatal(err)
		}
		if rec.Kind == journal.KindFrame {
			n++
		}
	}
	return n
}

func TestRecordThenReplayPrintsTheSameLines(t *testing.T) {
	ctx := testCtx(t)
	srv := rolltest.Start(t, fakeroll.Options{Seed: 12})
	wl := demoWhitelistFile(t)
	dir := filepath.Join(t.TempDir(), "journal")
	stdout, stderr := newLines(), newLines()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- run(runCtx, append(fastArgs(srv.URL()), "-whitelist", wl, "-record", dir), stdout, stderr)
	}()
	if err := srv.WaitSubscribed(ctx, 1); err != nil {
		t.Fatal(err)
	}

	// Phase 1: trades one a frame and in batches, a malformed frame, a
	// frame with an invalid trade, a reconnect.
	frames := 0
	trades := 0
	publish := func(n, batch int) {
		for range n {
			var b []fakeroll.Trade
			for range batch {
				b = append(b, srv.NewTrade())
			}
			srv.Publish(b...)
			frames++
			trades += batch
		}
	}
	publish(60, 1)
	publish(20, 3)
	srv.SendRaw([]byte(`{"id":"1","type":"next","payload":{"data":{"createTrades":{"trades":[{"id":`))
	srv.SendRaw([]byte(`{"id":"1","type":"next","payload":{"data":{"createTrades":{"trades":[{"id":"VHJhZGU6MQ","tradeItems":null}]}}}}`))
	frames += 2
	stdout.waitTrades(ctx, t, trades)
	srv.DropAll()
	if err := srv.WaitSubscribed(ctx, 2); err != nil {
		t.Fatal(err)
	}
	publish(40, 2)
	stdout.waitTrades(ctx, t, trades)
	// Wait for the recorder's sync (every second) to put phase 1 on disk:
	// where the file ends then is where phase 2 begins.
	for onDiskFrames(t, dir) < frames {
		select {
		case <-ctx.Done():
			t.Fatalf("phase 1's %d frames never reached the disk (%d did)", frames, onDiskFrames(t, dir))
		case <-time.After(20 * time.Millisecond):
		}
	}
	segs, err := journal.ListSegments(dir)
	if err != nil || len(segs) != 1 {
		t.Fatalf("segments %v, %v; want one", segs, err)
	}
	phase1Size, phase1Out := segs[0].Size, stdout.String()

	// Phase 2, which a crash will tear off.
	publish(30, 2)
	stdout.waitTrades(ctx, t, trades)
	stop()
	if err := <-done; err != nil {
		t.Fatalf("run = %v", err)
	}
	live := parsePrinted(t, stdout.String())
	if len(live.matches) == 0 || len(live.trades) != trades {
		t.Fatalf("the live run printed %d trades and %d matches; want %d trades and some matches", len(live.trades), len(live.matches), trades)
	}

	t.Run("whole", func(t *testing.T) {
		out, errs := runReplay(t, "-speed", "max", "-whitelist", wl, "-log-format", "json", dir)
		got := parsePrinted(t, out)
		if d := firstDiff("trade", got.trades, live.trades); d != "" {
			t.Error(d)
		}
		if d := firstDiff("match", got.matches, live.matches); d != "" {
			t.Error(d)
		}
		// The malformed frames were recorded and replayed: the parser
		// skipped them again, and said so.
		for _, msg := range []string{`"msg":"frame skipped"`, `"msg":"trade skipped"`} {
			if n, want := strings.Count(errs, msg), strings.Count(stderr.String(), msg); n != 1 || want != 1 {
				t.Errorf("%s logged %d times in the replay, %d live; want once in each", msg, n, want)
			}
		}
		if strings.Contains(errs, "damaged") {
			t.Errorf("damage reported in an intact journal:\n%s", errs)
		}
	})

	t.Run("torn", func(t *testing.T) {
		// The process died while phase 2's first chunk was being written:
		// the file ends ten bytes into it.
		torn := t.TempDir()
		file, err := os.ReadFile(segs[0].Path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(torn, filepath.Base(segs[0].Path)), file[:phase1Size+10], 0o644); err != nil {
			t.Fatal(err)
		}
		out, errs := runReplay(t, "-speed", "max", "-whitelist", wl, "-log-format", "json", torn)
		got, want := parsePrinted(t, out), parsePrinted(t, phase1Out)
		if len(want.trades) == 0 || len(want.trades) == len(live.trades) {
			t.Fatalf("phase 1 printed %d trades of %d", len(want.trades), len(live.trades))
		}
		if d := firstDiff("trade", got.trades, want.trades); d != "" {
			t.Error(d)
		}
		if d := firstDiff("match", got.matches, want.matches); d != "" {
			t.Error(d)
		}
		if !strings.Contains(errs, `"msg":"skipped a damaged part of the journal (a torn tail after a crash, or corruption)"`) || !strings.Contains(errs, `"bytes":10`) {
			t.Errorf("the torn tail was not reported with its 10 bytes:\n%s", errs)
		}
	})
}

func TestReplayDecidesCanJoinAtTheRecordedTime(t *testing.T) {
	// A frame of the older createTrade feed says when the trade can be
	// joined, not whether: the parser decides from the receive time. The
	// recording received it 40 s before then (long past now): the replay
	// must print can_join false, as the live run did.
	frame := fixtures.Read(t, "createTrade_canJoinAfter.json")
	received := fixtures.Time("2024-01-30T20:38:21.000Z")
	dir := t.TempDir()
	journaltest.Write(t, dir, journal.Options{}, []journal.Record{{Kind: journal.KindFrame, Conn: 1, Session: 1, Time: received, Data: frame}}, false, false)
	out, _ := runReplay(t, "-speed", "max", "-log-format", "json", dir)
	got := parsePrinted(t, out)
	if len(got.trades) != 1 || !strings.Contains(got.trades[0], `"can_join":false`) {
		t.Errorf("replayed %q, want one trade that cannot be joined yet", got.trades)
	}
}

func TestReplayArgumentsToFix(t *testing.T) {
	notJournal := filepath.Join(t.TempDir(), "wl.json")
	if err := os.WriteFile(notJournal, []byte(`{"items":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "name the journal"},
		{[]string{"-speed", "fast", t.TempDir()}, `invalid value "fast" for flag -speed`},
		{[]string{"-speed", "0x", t.TempDir()}, "want 1x (the recorded timing)"},
		{[]string{t.TempDir()}, "holds no journal segments"},
		{[]string{notJournal}, "is not a rollsniper journal"},
		{[]string{filepath.Join(t.TempDir(), "missing")}, "no such file"},
	} {
		err := run(testCtx(t), append([]string{"replay"}, tc.args...), io.Discard, io.Discard)
		var ce *ConfigError
		if !errors.As(err, &ce) || exitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("sniper replay %q = %v (exit %d), want a setting to fix saying %q", tc.args, err, exitCode(err), tc.want)
		}
	}
}

func TestSubcommandHelpShowsTheFlagsItUses(t *testing.T) {
	for cmd, want := range map[string][]string{
		"replay":   {"Usage: sniper replay", "-speed speed", "-alerts", "-whitelist file", "-output format", "-log-format"},
		"backtest": {"Usage: sniper backtest", "-from time", "-to time", "-format format", "-whitelist file"},
	} {
		var help strings.Builder
		err := run(testCtx(t), []string{cmd, "-h"}, &help, io.Discard)
		if exitCode(err) != 0 {
			t.Errorf("sniper %s -h = %v, want exit status 0", cmd, err)
		}
		for _, w := range want {
			if !strings.Contains(help.String(), w) {
				t.Errorf("sniper %s -h does not show %q:\n%s", cmd, w, help.String())
			}
		}
		if strings.Contains(help.String(), "-url") || strings.Contains(help.String(), "-session") {
			t.Errorf("sniper %s -h shows the connection's settings, which it does not use:\n%s", cmd, help.String())
		}
	}
}

func TestSpeedFlag(t *testing.T) {
	for text, want := range map[string]float64{"1x": 1, "10x": 10, "max": 0, "MAX": 0, "2.5x": 2.5, "3": 3} {
		var s speedFlag
		if err := s.Set(text); err != nil || float64(s) != want {
			t.Errorf("-speed %s = %v, %v; want %v", text, float64(s), err, want)
		}
	}
	if s := speedFlag(10); s.String() != "10x" {
		t.Errorf("10 shows as %s", s.String())
	}
	if s := new(speedFlag).String(); s != "max" {
		t.Errorf("0 shows as %s, want max", s)
	}
}

// interrupt sends cmd SIGINT, adds the rest of its stdout to printed, and
// fails the test unless it exits 0.
func interrupt(t *testing.T, cmd *exec.Cmd, stdout *bufio.Scanner, printed *strings.Builder, stderr *lines) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for stdout.Scan() {
		printed.WriteString(stdout.Text() + "\n")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v; stderr:\n%s", err, stderr)
	}
}

// runBinary runs the built sniper with args in a fresh directory and returns
// its stdout and stderr; it fails the test unless it exits 0.
func runBinary(t *testing.T, args ...string) (string, string) {
	t.Helper()
	cmd := exec.CommandContext(testCtx(t), buildSniper(t), args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "ROLL_SESSION=")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("sniper %q: %v; stderr:\n%s", args, err, stderr.String())
	}
	return stdout.String(), stderr.String()
}

// The real binary records while it runs and while it shuts down (the trades
// still in flight when SIGINT comes are printed and recorded), exits 0, and
// its replay prints the same lines.
func TestBinaryRecordsThroughShutdownAndReplays(t *testing.T) {
	ctx := testCtx(t)
	srv := rolltest.Start(t, fakeroll.Options{Seed: 3})
	wl := demoWhitelistFile(t)
	dir := filepath.Join(t.TempDir(), "journal")
	cmd, sc, stderr := startSniper(ctx, t, srv, "-whitelist", wl, "-record", dir)
	var printed strings.Builder
	first := publishIDs(srv, 100)
	for n := 0; n < len(first) && sc.Scan(); {
		printed.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), `"msg":"trade"`) {
			n++
		}
	}
	publishIDs(srv, 300)
	interrupt(t, cmd, sc, &printed, stderr)
	live := parsePrinted(t, printed.String())
	if len(live.trades) <= len(first) {
		t.Fatalf("printed %d trades: the test wants some in flight at SIGINT", len(live.trades))
	}
	out, _ := runBinary(t, "replay", "-speed", "max", "-whitelist", wl, "-log-format", "json", dir)
	got := parsePrinted(t, out)
	if d := firstDiff("trade", got.trades, live.trades); d != "" {
		t.Error(d)
	}
	if d := firstDiff("match", got.matches, live.matches); d != "" {
		t.Error(d)
	}
}

// The demo records, and its recording replays.
func TestBinaryDemoRecords(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "journal")
	cmd, sc, stderr := startBinary(testCtx(t), t, "-demo", "-record", dir, "-log-format", "json")
	var printed strings.Builder
	for trades := 0; trades < 3 && sc.Scan(); {
		printed.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), `"msg":"trade"`) {
			trades++
		}
	}
	// A second sniper recording into the same journal is refused, naming
	// the first, and the first records on.
	second := exec.CommandContext(testCtx(t), buildSniper(t), "-demo", "-record", dir)
	second.Dir = t.TempDir()
	refusal, err := second.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Errorf("a second sniper -record into the same journal: %v, want exit status 2; output:\n%s", err, refusal)
	}
	if want := fmt.Sprintf("another process is recording into this journal (process %d)", cmd.Process.Pid); !strings.Contains(string(refusal), want) {
		t.Errorf("the refusal does not say %q:\n%s", want, refusal)
	}
	interrupt(t, cmd, sc, &printed, stderr)
	live := parsePrinted(t, printed.String())
	out, _ := runBinary(t, "replay", "-demo", "-speed", "max", "-log-format", "json", dir)
	got := parsePrinted(t, out)
	if len(got.trades) < 3 {
		t.Fatalf("replayed %d trades", len(got.trades))
	}
	if d := firstDiff("trade", got.trades, live.trades); d != "" {
		t.Error(d)
	}
	if d := firstDiff("match", got.matches, live.matches); d != "" {
		t.Error(d)
	}
}

// Two connections record every frame twice, each under its own number; the
// replay keeps the first copy of each trade, as the live run did, so it
// prints the live run's lines.
func TestRecordTwoConnectionsThenReplayPrintsEachTradeOnce(t *testing.T) {
	ctx := testCtx(t)
	srv := rolltest.Start(t, fakeroll.Options{Seed: 7})
	dir := filepath.Join(t.TempDir(), "journal")
	stdout, stderr := newLines(), newLines()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- run(runCtx, append(fastArgs(srv.URL()), "-connections", "2", "-record", dir), stdout, stderr)
	}()
	if err := srv.WaitSubscribed(ctx, 2); err != nil {
		t.Fatal(err)
	}
	const n = 40
	ids := publishIDs(srv, n)
	stdout.waitTrades(ctx, t, n)
	stop()
	if err := <-done; err != nil {
		t.Fatalf("run = %v; stderr:\n%s", err, stderr)
	}
	if got := onDiskFrames(t, dir); got != 2*n {
		t.Fatalf("the journal holds %d frames, want %d: each connection's copy", got, 2*n)
	}
	live := parsePrinted(t, stdout.String())
	if len(live.trades) != n {
		t.Fatalf("the live run printed %d trades, want %d (ids %v)", len(live.trades), n, ids)
	}
	out, _ := runReplay(t, "-speed", "max", "-log-format", "json", dir)
	if d := firstDiff("trade", parsePrinted(t, out).trades, live.trades); d != "" {
		t.Error(d)
	}
}
