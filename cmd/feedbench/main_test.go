package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rollsniper/rollsniper/internal/record"
	"github.com/rollsniper/rollsniper/messages"
)

func TestMain(m *testing.M) {
	// The benchmark starts its own binary again as the feed and as the NATS
	// server: under go test, that binary is this test binary.
	if role := os.Getenv(roleEnv); role == "server" || role == "nats" || role == "bare" {
		main()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// A small run prints every figure and the verdicts, from a real feed process.
func TestRunPrintsEveryFigure(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a guard against a hang, not a timing
	defer cancel()
	var out bytes.Buffer
	args := []string{"-trades", "2000", "-runs", "2", "-rates", "5,1000", "-rate-time", "200ms", "-rate-trades", "3", "-rate-runs", "2", "-compare-procs", "2"}
	if err := run(ctx, args, &out); err != nil {
		t.Fatalf("run() = %v; printed:\n%s", err, out.String())
	}
	want := []*regexp.Regexp{
		regexp.MustCompile(`(?m)^bare loop +\d+ +[\d.]+ +[\d.]+ +\d+ +1\.000 +[\d.]+ +[\d.]+$`),
		regexp.MustCompile(`(?m)^pipeline +\d+ +[\d.]+ +[\d.]+ +\d+ +0\.\d+ +[\d.]+ +[\d.]+$`),
		regexp.MustCompile(`pipeline / bare loop: CPU [\d.]+× \(target ≤ 1\.15×: (met|MISSED)\)`),
		regexp.MustCompile(`The clients run on 1 P \(GOMAXPROCS=1, as sniper runs the feed alone\)`),
		regexp.MustCompile(`with the garbage collector's target at GOGC=\S+ \((as sniper sets it|from the environment)\)`),
		regexp.MustCompile(`(?m)^on 2 P +\d+ +[\d.]+ +[\d.]+ +\d+ +[\d.]+ +[\d.]+$`),
		regexp.MustCompile(`(?m)^pipeline on 2 P / bare loop: CPU [\d.]+×, throughput [\d.]+× \(for comparison\)$`),
		regexp.MustCompile(`(?m)^ +5 +on 2 P +3 +[\d.]+ +[\d.]+ +\S+ +\S+ +\S+ +\S+ \S+$`),
		// 5 a second for 200 ms is one trade: -rate-trades makes it 3.
		regexp.MustCompile(`(?m)^ +5 +bare loop +3 +[\d.]+ +[\d.]+ +\S+ +\S+ +\S+ +\S+ \S+$`),
		regexp.MustCompile(`(?m)^ +5 +pipeline +3 +[\d.]+ +[\d.]+ +\S+ +\S+ +\S+ +\S+ \S+$`),
		regexp.MustCompile(`(?m)^ +5 +one hop +3 +[\d.]+ +[\d.]+ +\S+ +\S+ +\S+ +\S+ \S+$`),
		regexp.MustCompile(`(?m)^ +5 +one hop +[\d.]+× +[\d.]+× +[\d.]+× +[\d.]+× +one hop / bare loop: what one hand-off costs here$`),
		regexp.MustCompile(`(?m)^ +5 +ratio +[\d.]+× +[\d.]+× +[\d.]+× +[\d.]+× +CPU target ≤ 1\.15×: (met|MISSED); p99 target ≤ 1\.5×: (met|MISSED)$`),
		regexp.MustCompile(`(?m)^ +1000 +bare loop +200 `),
		regexp.MustCompile(`(?m)^ +1000 +pipeline +200 `),
		regexp.MustCompile(`(?m)^ +1000 +ratio .*; pipeline p99 ≤ 50µs: (met|MISSED)$`),
	}
	for _, re := range want {
		if !re.MatchString(out.String()) {
			t.Errorf("output lacks %v:\n%s", re, out.String())
		}
	}
}

// -record prints the three clients, the verdict, and the compaction's cost,
// from a real feed process and real journals.
func TestRecordModePrintsEveryFigure(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a guard against a hang, not a timing
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, []string{"-record", "-trades", "2000", "-runs", "1"}, &out); err != nil {
		t.Fatalf("run() = %v; printed:\n%s", err, out.String())
	}
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^pipeline +\d+ +[\d.]+ +[\d.]+ +\d+ +1\.00×$`),
		regexp.MustCompile(`(?m)^\+ record \(stored\) +\d+ +[\d.]+ +[\d.]+ +\d+ +[\d.]+×$`),
		regexp.MustCompile(`(?m)^\+ record \(zstd inline\) +\d+ +[\d.]+ +[\d.]+ +\d+ +[\d.]+×$`),
		regexp.MustCompile(`recording \(stored\) / pipeline alone: CPU [\d.]+× \(target ≤ 1\.10×: (met|MISSED)\); each run's ratio: [\d.]+`),
		regexp.MustCompile(`the recorders dropped no frame`),
		regexp.MustCompile(`[\d.]+ MB stored → [\d.]+ MB compressed \([\d.]+ to 1\) in \S+: [\d.]+ µs CPU a frame`),
	} {
		if !re.MatchString(out.String()) {
			t.Errorf("output lacks %v:\n%s", re, out.String())
		}
	}
}

// -binary builds the sniper binary and runs it beside the bare loop's
// process on the same frames: each rate's row has both processes' CPU, each
// above zero, their ratio and the verdict; a process that printed fewer
// trades than the feed sent would have failed the run.
func TestBinaryModeRunsTheSniperBesideABareLoop(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // a guard against a hang, not a timing
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, []string{"-binary", "-rates", "50,400", "-rate-time", "100ms", "-rate-trades", "5", "-rate-runs", "2"}, &out); err != nil {
		t.Fatalf("run() = %v; printed:\n%s", err, out.String())
	}
	row := regexp.MustCompile(`(?m)^ +(\d+) +(\d+) +([\d.]+) +([\d.]+) +[\d.]+× +[\d.]+× [\d.]+×; CPU target ≤ 1\.15×: (met|MISSED)$`)
	rows := row.FindAllStringSubmatch(out.String(), -1)
	if len(rows) != 2 || rows[0][1] != "50" || rows[0][2] != "5" || rows[1][1] != "400" || rows[1][2] != "40" {
		t.Fatalf("want rows for 50 a second (5 trades) and 400 (40), got %q:\n%s", rows, out.String())
	}
	for _, r := range rows {
		if r[3] == "0.00" || r[4] == "0.00" {
			t.Errorf("at %s a second: bare loop %s µs a trade, sniper %s: want both above zero", r[1], r[3], r[4])
		}
	}
	// Each rate's latencies, from the feed's send to each record's time:
	// p50 ≤ p99 ≤ p99.9 for each process, and the ratios.
	dur := `(\d[\d.]*(?:ns|µs|ms|s))`
	lat := regexp.MustCompile(`(?m)^ +(\d+) bare +` + dur + ` +` + dur + ` +` + dur + ` +sniper +` + dur + ` +` + dur + ` +` + dur +
		` +[\d.]+× +([\d.]+)× +[\d.]+× +p99 target ≤ 1\.5×: (met|MISSED)$`)
	rows = lat.FindAllStringSubmatch(out.String(), -1)
	if len(rows) != 2 || rows[0][1] != "50" || rows[1][1] != "400" {
		t.Fatalf("want latency rows for 50 and 400 a second, got %q:\n%s", rows, out.String())
	}
	for _, r := range rows {
		var d [6]time.Duration
		for i := range d {
			var err error
			if d[i], err = time.ParseDuration(r[2+i]); err != nil || d[i] <= 0 {
				t.Fatalf("at %s a second: latency %q: want a positive duration (%v)", r[1], r[2+i], err)
			}
		}
		if d[0] > d[1] || d[1] > d[2] || d[3] > d[4] || d[4] > d[5] {
			t.Errorf("at %s a second: percentiles out of order: bare %v, sniper %v", r[1], d[:3], d[3:])
		}
		ratio, _ := strconv.ParseFloat(r[8], 64)
		if want := d[4].Seconds() / d[1].Seconds(); math.Abs(ratio-want) > 0.006 {
			t.Errorf("at %s a second: p99 ratio %s×, want sniper's %v / bare's %v = %.3f", r[1], r[8], d[4], d[1], want)
		}
	}
}

// recordTime reads the time a record was made from the records sniper and
// the bare loop print.
func TestRecordTime(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 38, 15, 788378234, time.UTC)
	trade := messages.Trade{ID: "VHJhZGU6MzQ5NDY3NTU"}
	for _, at := range []time.Time{at, at.Truncate(time.Millisecond), at.Truncate(time.Second), at.In(time.FixedZone("", 3600))} {
		line := record.JSON.AppendTrade(nil, at, &trade)
		if got := recordTime(line); got != at.UnixNano() {
			t.Errorf("recordTime(%s) = %d, want %d", line, got, at.UnixNano())
		}
	}
	for _, line := range []string{``, `{"time":"`, `{"time":"2026-12-01T12:38:15Z`, `{"time":"yesterday","msg":"trade"}`, `{"msg":"trade","time":"2026-12-01T12:38:15Z"}`} {
		if got := recordTime([]byte(line)); got != 0 {
			t.Errorf("recordTime(%s) = %d, want 0: no time in front", line, got)
		}
	}
}

// recordTime never panics on what a process prints, and finds a time only in
// a line that begins with one.
func FuzzRecordTime(f *testing.F) {
	f.Add([]byte(`{"time":"2026-12-01T12:38:15.788378234Z","level":"INFO","msg":"trade"}`))
	f.Add([]byte(`{"time":"2026-12-01T12:38:15Z"`))
	f.Add([]byte(`{"time":""}`))
	f.Add([]byte(`{"msg":"trade","time":"2026-12-01T12:38:15Z"}`)) // a time, but not in front
	f.Fuzz(func(t *testing.T, line []byte) {
		if recordTime(line) != 0 && !bytes.HasPrefix(line, []byte(`{"time":"`)) {
			t.Errorf("recordTime(%q) found a time in a line that does not begin with one", line)
		}
	})
}

// -connections measures the burst with one connection and with two to the
// same feed process, which sends every trade to both: each figure and the
// ratio of CPU a unique trade are printed.
func TestRunConnectionsPrintsBothFigures(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a guard against a hang, not a timing
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, []string{"-trades", "2000", "-runs", "2", "-connections", "2"}, &out); err != nil {
		t.Fatalf("run() = %v; printed:\n%s", err, out.String())
	}
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^1 connection +\d+ +[\d.]+ +[\d.]+ +\d+$`),
		regexp.MustCompile(`(?m)^2 connections +\d+ +[\d.]+ +[\d.]+ +\d+$`),
		regexp.MustCompile(`(?m)^2 connections / 1: CPU per unique trade [\d.]+× \(target ≤ 1\.50×: (met|MISSED)\), allocs [-+][\d.]+ a trade, throughput [\d.]+×$`),
	} {
		if !re.MatchString(out.String()) {
			t.Errorf("output lacks %v:\n%s", re, out.String())
		}
	}
}

// -nats measures the burst through the pipeline alone and with the NATS
// publisher, against a JetStream server in a third process: each process's
// CPU is printed, the server's is its own and there only when trades were
// published to it, and the cores the target would need.
func TestNATSModePrintsEveryFigure(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a guard against a hang, not a timing
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, []string{"-nats", "-trades", "2000", "-runs", "1"}, &out); err != nil {
		t.Fatalf("run() = %v; printed:\n%s", err, out.String())
	}
	row := regexp.MustCompile(`(?m)^(pipeline|pipeline\+NATS) +\d+ +([\d.]+) +([\d.]+) +([\d.]+) +([\d.]+) +[\d.]+ +\d+$`)
	rows := row.FindAllStringSubmatch(out.String(), -1)
	if len(rows) != 2 {
		t.Fatalf("want the pipeline's row and pipeline+NATS's, got %d rows:\n%s", len(rows), out.String())
	}
	// The server stores 2,000 trades (and the matches) only in the second
	// run: its CPU there is well above what idling costs it in the first.
	alone, errA := strconv.ParseFloat(rows[0][3], 64)
	with, errW := strconv.ParseFloat(rows[1][3], 64)
	if errA != nil || errW != nil || with <= 0 || alone >= with { // numbers, not strings: "2.19" sorts after "155.53"
		t.Errorf("server µs a trade: %s alone, %s with NATS; want the second above the first and above 0:\n%s", rows[0][3], rows[1][3], out.String())
	}
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`pipeline\+NATS / pipeline: throughput [\d.]+× \(target ≥ 0\.90×: (met|MISSED)\), client CPU [\d.]+×`),
		regexp.MustCompile(`(?m)stored in JetStream: \d+ trades/s .*\(target ≥ 50000: (met|MISSED)\); each run's: \d+$`),
		regexp.MustCompile(`(?m)^at 0\.90× the pipeline's rate \(\d+ trades/s\), the client, the server and the feed together would keep [\d.]+ cores busy; this machine has \d+$`),
	} {
		if !re.MatchString(out.String()) {
			t.Errorf("output lacks %v:\n%s", re, out.String())
		}
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args    []string
		want    config
		wantErr string
	}{
		{nil, config{trades: 100_000, runs: 3, rates: []int{1, 100, 1000, 10000, 20000}, rateTime: time.Second, rateTrades: 21, rateRuns: 9, queue: 100_000}, ""},
		{[]string{"-quick"}, config{trades: quickTrades, runs: 1, rates: []int{100, 1000, 10000}, rateTime: quickRateTime, rateTrades: 21, rateRuns: 1, queue: quickTrades}, ""},
		{[]string{"-quick", "-rates", "1"}, config{trades: quickTrades, runs: 1, rates: []int{1}, rateTime: quickRateTime, rateTrades: 21, rateRuns: 1, queue: quickTrades}, ""},
		{[]string{"-quick", "-trades", "500", "-runs", "2", "-rate-time", "2s", "-rate-runs", "3"}, config{trades: 500, runs: 2, rates: []int{100, 1000, 10000}, rateTime: 2 * time.Second, rateTrades: 21, rateRuns: 3, queue: 500}, ""},
		{[]string{"-rates", "5, 50", "-queue", "1024", "-rate-trades", "7", "-rate-runs", "4"}, config{trades: 100_000, runs: 3, rates: []int{5, 50}, rateTime: time.Second, rateTrades: 7, rateRuns: 4, queue: 1024}, ""},
		{[]string{"-rate-trades", "1"}, config{}, "-rate-trades more than 1 (the warm-up)"},
		{[]string{"-rate-runs", "0"}, config{}, "must be positive"},
		{[]string{"-procs", "-1"}, config{}, "must not be negative"},
		{[]string{"-rates", "fast"}, config{}, "want positive whole numbers"},
		{[]string{"-runs", "0"}, config{}, "must be positive"},
		{[]string{"-connections", "1"}, config{}, "want 2 to 4"},
		{[]string{"-connections", "5"}, config{}, "want 2 to 4"},
		{[]string{"-connections", "2"}, config{trades: 100_000, runs: 3, rates: []int{1, 100, 1000, 10000, 20000}, rateTime: time.Second, rateTrades: 21, rateRuns: 9, queue: 100_000}, ""},
	}
	for _, tt := range tests {
		got, err := parseFlags(tt.args, io.Discard)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseFlags(%q) error = %v, want one containing %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseFlags(%q) = %v", tt.args, err)
			continue
		}
		if got.trades != tt.want.trades || got.runs != tt.want.runs || got.rateTime != tt.want.rateTime || got.rateTrades != tt.want.rateTrades || got.rateRuns != tt.want.rateRuns || got.queue != tt.want.queue || !slices.Equal(got.rates, tt.want.rates) {
			t.Errorf("parseFlags(%q) = %+v, want %+v", tt.args, got, tt.want)
		}
	}
}

func TestPercentile(t *testing.T) {
	sorted := make([]time.Duration, 1000)
	for i := range sorted {
		sorted[i] = time.Duration(i+1) * time.Microsecond
	}
	tests := []struct {
		p    float64
		want time.Duration
	}{
		{50, 500 * time.Microsecond},
		{99, 990 * time.Microsecond},
		{99.9, 999 * time.Microsecond},
		{100, 1000 * time.Microsecond},
	}
	for _, tt := range tests {
		if got := percentile(sorted, tt.p); got != tt.want {
			t.Errorf("percentile(1..1000 µs, %v) = %v, want %v", tt.p, got, tt.want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("percentile(nil) = %v, want 0", got)
	}
}

// The clients run on the Ps sniper -procs auto would pick for the run, and
// the comparison run only beside the usual runs, on other Ps.
func TestParseFlagsProcs(t *testing.T) {
	machine := runtime.GOMAXPROCS(0)
	for _, tt := range []struct {
		args           []string
		procs, compare int
	}{
		{[]string{"-compare-procs", "3"}, 1, 3},
		{[]string{"-compare-procs", "1"}, 1, 0}, // the same Ps: nothing to compare
		{[]string{"-quick"}, 1, 0},
		{[]string{"-quick", "-compare-procs", "2"}, 1, 2},
		{[]string{"-procs", "2", "-compare-procs", "1"}, 2, 1},
		{[]string{"-record"}, machine, 0},
		{[]string{"-nats"}, machine, 0},
		{[]string{"-connections", "2", "-compare-procs", "3"}, 1, 0},
	} {
		got, err := parseFlags(tt.args, io.Discard)
		if err != nil || got.procs != tt.procs || got.compare != tt.compare {
			t.Errorf("parseFlags(%q): procs %d, compare %d, err %v; want %d, %d", tt.args, got.procs, got.compare, err, tt.procs, tt.compare)
		}
	}
}

func TestRatesTakeTurnsAndPoolEveryRun(t *testing.T) {
	var order []int
	if err := inTurn(3, 3, func(c int) error { order = append(order, c); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 1, 2, 1, 2, 0, 2, 0, 1}; !slices.Equal(order, want) {
		t.Errorf("clients ran in the order %v, want %v", order, want)
	}
	stop := errors.New("stop")
	calls := 0
	if err := inTurn(3, 3, func(int) error { calls++; return stop }); err != stop || calls != 1 {
		t.Errorf("after a failing run: %v and %d calls, want the error and 1 call", err, calls)
	}

	// Three runs, each of a warm-up trade (5 ms) and 100 latencies: the
	// quiet one (1–100 µs), and two with a slow spell (its slowest two 1 ms).
	// Pooled, the p99 is the slow spells' (the 297th of 300); the p99 of each
	// run is its own; no warm-up counts.
	run := func(spell bool) runResult {
		r := runResult{latency: []time.Duration{5 * time.Millisecond}}
		for i := range 100 {
			d := time.Duration(i+1) * time.Microsecond
			if spell && i >= 98 {
				d = time.Millisecond
			}
			r.latency = append(r.latency, d)
		}
		rand.Shuffle(len(r.latency)-1, func(i, j int) { r.latency[i+1], r.latency[j+1] = r.latency[j+1], r.latency[i+1] })
		return r
	}
	s := summarise([]runResult{run(false), run(true), run(true)})
	if len(s.latency) != 300 || !slices.IsSorted(s.latency) {
		t.Fatalf("pooled %d latencies (sorted: %t), want every run's 300, sorted", len(s.latency), slices.IsSorted(s.latency))
	}
	if got := percentile(s.latency, 99); got != time.Millisecond {
		t.Errorf("pooled p99 %v, want 1ms", got)
	}
	if want := []time.Duration{99 * time.Microsecond, time.Millisecond, time.Millisecond}; !slices.Equal(s.p99s, want) {
		t.Errorf("p99 of each run %v, want %v", s.p99s, want)
	}
}

// -binary's latencies: from each frame's send to its record's time, for a
// run's trades but its warm-up; a record made before its frame was sent, or
// one without a time, fails the run.
func TestBinaryLatencies(t *testing.T) {
	p := &clientProc{cmd: exec.Command("sniper"), made: []int64{110, 220, 330, 1_050, 2_070, 3_090}}
	sent := []int64{1_000, 2_000, 3_000} // the second run's frames
	lat, err := p.latencies(nil, 3, sent)
	if want := []time.Duration{70, 90}; err != nil || !slices.Equal(lat, want) {
		t.Errorf("latencies of the second run = %v, %v; want %v (its first trade is the warm-up)", lat, err, want)
	}
	if _, err := p.latencies(nil, 0, sent); err == nil || !strings.Contains(err.Error(), "trade 1 before the feed sent it") {
		t.Errorf("the first run's records against the second run's sends: %v, want an error naming trade 1", err)
	}
	p.made[4] = 0
	if _, err := p.latencies(nil, 3, sent); err == nil || !strings.Contains(err.Error(), "trade 5 without a time") {
		t.Errorf("a record without a time: %v, want an error naming trade 5", err)
	}
}
