package actors

import (
	"encoding/json"
	"testing"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/messages"
)

func BenchmarkParseFrame(b *testing.B) {
	frames := []struct {
		name string
		data []byte
	}{
		{"batch", parserFixture(b, "createTrades_batch.json")},
		{"stickers", parserFixture(b, "createTrade_stickers.json")},
		{"canJoinAfter", parserFixture(b, "createTrade_canJoinAfter.json")},
		{"session_start_next", parserFixtureLines(b, "session_start.jsonl")[4]},
		{"session_start_pong", parserFixtureLines(b, "session_start.jsonl")[0]},
	}
	for _, f := range frames {
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(f.data)))
			var dst []messages.Trade
			for b.Loop() {
				dst, _ = ParseFrame(dst[:0], f.data, parserReceived)
			}
		})
	}
}

// BenchmarkParseFrameReference runs parseFrameRef, the encoding/json decoder
// ParseFrame replaced, on the batch: what ParseFrame was before.
func BenchmarkParseFrameReference(b *testing.B) {
	data := parserFixture(b, "createTrades_batch.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	var dst []messages.Trade
	for b.Loop() {
		dst, _ = parseFrameRef(dst[:0], data, parserReceived)
	}
}

// BenchmarkParseFrameStdlib decodes the full-field fixture (the batch) into a
// plain struct of every field with encoding/json: the yardstick for ParseFrame.
func BenchmarkParseFrameStdlib(b *testing.B) {
	data := parserFixture(b, "createTrades_batch.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var f parserStdFrame
		if err := json.Unmarshal(data, &f); err != nil {
			b.Fatal(err)
		}
		if len(f.Payload.Data.CreateTrades.Trades) != 2 {
			b.Fatal("the batch fixture should hold two trades")
		}
	}
}

// parserStdFrame is the batch fixture as plain encoding/json structs: the fake
// server's wire Trade holds every field a trade has.
type parserStdFrame struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Payload struct {
		Data struct {
			CreateTrades struct {
				Trades []fakeroll.Trade `json:"trades"`
			} `json:"createTrades"`
		} `json:"data"`
	} `json:"payload"`
}
