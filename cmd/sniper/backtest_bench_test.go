package main

import (
	"context"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/feedjson"
	"github.com/rollsniper/rollsniper/internal/journal"
	"github.com/rollsniper/rollsniper/internal/whitelist"
	"github.com/rollsniper/rollsniper/messages"
)

// bareDecode is the baseline: one goroutine that reads the journal (chunks
// checked, decompressed, records split) and decodes every frame with
// feedjson.ParseFrame, and does nothing else. It returns the trades.
func bareDecode(b *testing.B, dir string) int {
	r, err := journal.NewReader(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	var trades []messages.Trade
	n := 0
	for rec, err := range r.All() {
		if err != nil {
			b.Fatal(err)
		}
		if rec.Kind != journal.KindFrame {
			continue
		}
		trades, _ = feedjson.ParseFrame(trades[:0], rec.Data, rec.Time)
		n += len(trades)
	}
	return n
}

// fullBacktest is sniper backtest's work, the report's rendering included:
// replay, parser and decisions on their goroutines, as the command runs them.
func fullBacktest(b *testing.B, dir string, list *whitelist.List) int {
	r, err := journal.NewReader(dir)
	if err != nil {
		b.Fatal(err)
	}
	run, err := runBacktest(context.Background(), r, list, time.Time{}, time.Time{}, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	if err := run.report.WriteTable(io.Discard); err != nil {
		b.Fatal(err)
	}
	return int(run.report.Trades)
}

// BenchmarkBacktest runs sniper backtest's replay on a compressed day of the
// fake feed (about 95,000 trades) with the example whitelist, against a bare
// loop that decompresses and decodes the same bytes on one goroutine.
// "ratio" times both in turn in each iteration and reports the best of each
// (on a shared machine the slow runs measure the neighbours): backtest over
// bare loop (issue 12's target: at most 1.3), and the backtest's trades a
// second (target: at least 200,000).
func BenchmarkBacktest(b *testing.B) {
	dir := b.TempDir()
	fakeJournal(b, dir, fakeroll.JournalOptions{Start: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), Duration: 24 * time.Hour, Seed: 1})
	list, err := whitelist.Load("../../whitelist.example.json")
	if err != nil {
		b.Fatal(err)
	}
	want := bareDecode(b, dir)
	b.Run("bare-loop", func(b *testing.B) {
		for b.Loop() {
			bareDecode(b, dir)
		}
		b.ReportMetric(float64(want)*float64(b.N)/b.Elapsed().Seconds(), "trades/s")
	})
	b.Run("backtest", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if got := fullBacktest(b, dir, list); got != want {
				b.Fatalf("the backtest decided %d trades, the bare loop decoded %d", got, want)
			}
		}
		b.ReportMetric(float64(want)*float64(b.N)/b.Elapsed().Seconds(), "trades/s")
	})
	b.Run("ratio", func(b *testing.B) {
		bare, full := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
		i := 0
		for b.Loop() {
			steps := []func(){
				func() { start := time.Now(); bareDecode(b, dir); bare = min(bare, time.Since(start)) },
				func() { start := time.Now(); fullBacktest(b, dir, list); full = min(full, time.Since(start)) },
			}
			if i%2 == 1 {
				steps[0], steps[1] = steps[1], steps[0]
			}
			i++
			for _, s := range steps {
				s()
			}
		}
		b.ReportMetric(float64(full)/float64(bare), "x-bare-loop")
		b.ReportMetric(float64(want)/full.Seconds(), "trades/s")
		b.ReportMetric(float64(want)/bare.Seconds(), "bare-trades/s")
	})
}
