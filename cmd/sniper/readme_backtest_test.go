package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
)

// The README's backtest report comes from the command it names: a day of the
// fake feed (fakeroll -generate 24h -seed 1 -start 2026-11-30) and the
// example whitelist. Its lines, trimmed of some entries, are the report's.
func TestReadmeBacktestExample(t *testing.T) {
	if testing.Short() || raceDetector {
		// The race detector makes the day take twenty seconds; the code
		// it runs is raced in the other backtest tests.
		t.Skip("writes and backtests a day of the fake feed")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "**The report.**")
	_, rest, ok2 := strings.Cut(rest, "```\n")
	example, _, ok3 := strings.Cut(rest, "```\n")
	if !ok || !ok2 || !ok3 {
		t.Fatal("the README has no report after **The report.**")
	}
	dir := t.TempDir()
	fakeJournal(t, dir, fakeroll.JournalOptions{Start: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), Duration: 24 * time.Hour, Seed: 1})
	stdout, stderr := newLines(), newLines()
	if err := run(testCtx(t), []string{"backtest", "-whitelist", "../../whitelist.example.json", dir}, stdout, stderr); err != nil {
		t.Fatalf("backtest: %v\n%s", err, stderr)
	}
	report := strings.Split(stdout.String(), "\n")
	at := 0
	for i, line := range strings.Split(strings.TrimSuffix(example, "\n"), "\n") {
		if i == 0 {
			continue // names the files as the reader typed them
		}
		for at < len(report) && report[at] != line {
			at++
		}
		if at == len(report) {
			t.Fatalf("the README's report line %q is not in the report, in its order:\n%s", line, stdout)
		}
	}
}
