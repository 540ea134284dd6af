package record

import (
	"context"
	"log/slog"
	"time"

	"github.com/rollsniper/rollsniper/messages"
)

// TradeAttrs are the keys every record about a trade begins with, in order.
// Markup and price are the float64 the parser read, so they print as the feed
// sent them (11.98, not 11.980000000000002).
func TradeAttrs(t *messages.Trade) [7]slog.Attr {
	return [...]slog.Attr{
		slog.String("id", t.ID),
		slog.Float64("markup", t.MarkupPercent),
		slog.Float64("price", t.TotalValue),
		slog.Bool("can_join", t.CanJoin),
		slog.String("status", t.Status),
		slog.String("item", t.MarketName),
		slog.Bool("stattrak", t.StatTrak),
	}
}

// Trade writes t to log as an info record "trade" of TradeAttrs.
func Trade(ctx context.Context, log *slog.Logger, t messages.Trade) {
	attrs := TradeAttrs(&t)
	log.LogAttrs(ctx, slog.LevelInfo, "trade", attrs[:]...)
}

// MatchAttrs are the keys of a match record: TradeAttrs, then wear,
// souvenir, entry (the whitelist entry as the trader wrote it) and latency_us
// (microseconds from the frame's receipt to the decision).
func MatchAttrs(m *messages.Match) [11]slog.Attr {
	t := TradeAttrs(&m.Trade)
	return [...]slog.Attr{
		t[0], t[1], t[2], t[3], t[4], t[5], t[6],
		slog.String("wear", string(m.Trade.Wear)),
		slog.Bool("souvenir", m.Trade.Souvenir),
		slog.String("entry", m.Entry),
		slog.Float64("latency_us", float64(m.Latency())/float64(time.Microsecond)),
	}
}

// Match writes m to log as an info record "match" of MatchAttrs.
func Match(ctx context.Context, log *slog.Logger, m *messages.Match) {
	attrs := MatchAttrs(m)
	log.LogAttrs(ctx, slog.LevelInfo, "match", attrs[:]...)
}
