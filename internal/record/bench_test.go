package record

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/messages"
)

// BenchmarkTradeRecord writes the record of a trade with a float and a
// sticker in each format, and, as the baseline, the record as slog's JSON
// handler wrote it before records had a format of their own (fewer keys).
func BenchmarkTradeRecord(b *testing.B) {
	tr := goldenTrades(b)[1]
	for _, f := range []Format{JSON, Text, Color} {
		b.Run(f.String(), func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 1024)
			for b.Loop() {
				buf = f.AppendTrade(buf[:0], time.Now(), &tr)
			}
		})
	}
	b.Run("slog-json-before", func(b *testing.B) {
		b.ReportAllocs()
		log := slog.New(slog.NewJSONHandler(io.Discard, nil))
		ctx := context.Background()
		for b.Loop() {
			slogTrade(ctx, log, &tr)
		}
	})
}

// slogTrade is how the printer wrote a trade before.
func slogTrade(ctx context.Context, log *slog.Logger, t *messages.Trade) {
	log.LogAttrs(ctx, slog.LevelInfo, "trade",
		slog.String("id", t.ID), slog.Float64("markup", t.MarkupPercent), slog.Float64("price", t.TotalValue),
		slog.Bool("can_join", t.CanJoin), slog.String("status", t.Status), slog.String("item", t.MarketName),
		slog.Bool("stattrak", t.StatTrak))
}
