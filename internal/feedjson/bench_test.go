package feedjson

// This file measures ParseFrame on every fixture frame, side by side with the
// encoding/json reference decoder (parseFrameRef) and with plain
// encoding/json into structs of every field. Read the figures with
//
//	go test -run=NONE -bench=ParseFrame -benchmem ./actors/
//
// Each ParseFrame result also reports x-stdlib: its time over plain
// encoding/json's on the same frame, measured in the same run (the target is
// at most 0.25 on the full-field frame, the batch).

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/fixtures"
	"github.com/rollsniper/rollsniper/messages"
)

// parserBenchFrame is one fixture frame, named after its file (and line).
type parserBenchFrame struct {
	name string
	data []byte
}

// parserBenchFrames returns every frame of every fixture file: the .json files
// whole, the .jsonl files line by line.
func parserBenchFrames(tb testing.TB) []parserBenchFrame {
	tb.Helper()
	var frames []parserBenchFrame
	for _, file := range fixtures.All(tb) {
		name := file.Name
		switch {
		case strings.HasSuffix(name, ".jsonl"):
			for i, line := range fixtures.Lines(tb, name) {
				frames = append(frames, parserBenchFrame{fmt.Sprintf("%s:%d", strings.TrimSuffix(name, ".jsonl"), i+1), line})
			}
		case strings.HasSuffix(name, ".json"):
			frames = append(frames, parserBenchFrame{strings.TrimSuffix(name, ".json"), file.Data})
		default:
			tb.Fatalf("fixture %s is neither .json nor .jsonl", name)
		}
	}
	return frames
}

func BenchmarkParseFrame(b *testing.B) {
	for _, f := range parserBenchFrames(b) {
		b.Run(f.name, func(b *testing.B) {
			b.Run("ParseFrame", func(b *testing.B) {
				parserBenchDecode(b, f.data, ParseFrame)
				// testing.Benchmark cannot run inside a benchmark: time
				// encoding/json here, untimed, over a share of the iterations.
				b.StopTimer()
				per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
				runs := max(b.N/4, 50)
				start := time.Now()
				for range runs {
					parserStdlibDecode(f.data)
				}
				b.ReportMetric(per/(float64(time.Since(start).Nanoseconds())/float64(runs)), "x-stdlib")
			})
			b.Run("reference", func(b *testing.B) { parserBenchDecode(b, f.data, parseFrameRef) })
			b.Run("stdlib", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(f.data)))
				for b.Loop() {
					parserStdlibDecode(f.data)
				}
			})
		})
	}
}

// parserBenchDecode runs decode on data b.N times, reusing one slice of trades.
func parserBenchDecode(b *testing.B, data []byte, decode func([]messages.Trade, []byte, time.Time) ([]messages.Trade, error)) {
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	var dst []messages.Trade
	for b.Loop() {
		dst, _ = decode(dst[:0], data, fixtures.Received)
	}
}

// parserStdlibDecode decodes data into a plain struct of every field with
// encoding/json: the yardstick for ParseFrame. Non-trade frames decode too.
func parserStdlibDecode(data []byte) parserStdFrame {
	var f parserStdFrame
	_ = json.Unmarshal(data, &f)
	return f
}

// parserStdFrame is a frame of either listing shape as plain encoding/json
// structs: the fake server's wire Trade holds every field a trade has.
type parserStdFrame struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Payload struct {
		Data struct {
			CreateTrades struct {
				Trades []fakeroll.Trade `json:"trades"`
			} `json:"createTrades"`
			CreateTrade struct {
				Trade *fakeroll.Trade `json:"trade"`
			} `json:"createTrade"`
		} `json:"data"`
	} `json:"payload"`
}

// TestParserStdFrameReadsTheFixtures keeps the yardstick honest: it must
// decode the trades, not skip them.
func TestParserStdFrameReadsTheFixtures(t *testing.T) {
	tests := []struct {
		file       string
		wantTrades int
	}{
		{"createTrades_batch.json", 2},
		{"createTrade_stickers.json", 1},
		{"createTrade_canJoinAfter.json", 1},
	}
	for _, tt := range tests {
		var f parserStdFrame
		if err := json.Unmarshal(fixtures.Read(t, tt.file), &f); err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		trades := f.Payload.Data.CreateTrades.Trades
		if f.Payload.Data.CreateTrade.Trade != nil {
			trades = append(trades, *f.Payload.Data.CreateTrade.Trade)
		}
		if len(trades) != tt.wantTrades {
			t.Fatalf("%s: decoded %d trades, want %d", tt.file, len(trades), tt.wantTrades)
		}
		for i, tr := range trades {
			if tr.ID == "" || len(tr.TradeItems) == 0 || tr.TradeItems[0].ItemVariant == nil {
				t.Errorf("%s: trade %d decoded without its id, items or variant: %+v", tt.file, i, tr)
			}
		}
	}
}
