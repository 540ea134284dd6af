package actors

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/rollsniper/rollsniper/messages"
)

// Printer is the sink that prints every trade as one log record, in whatever
// format its logger writes: tint text for a terminal, or JSON lines for jq.
type Printer struct {
	log     *slog.Logger
	printed atomic.Uint64
}

var _ Sink = (*Printer)(nil)

// NewPrinter returns a printer that writes to log, which should write to stdout.
func NewPrinter(log *slog.Logger) *Printer {
	return &Printer{log: log}
}

// Run prints every trade from in as an info record "trade" with the keys id,
// markup, price, can_join, status, item and stattrak, in that order. Markup and
// price are logged as the float64 the parser read, so they print as the feed
// sent them (11.98, not 11.980000000000002). Run returns nil once in is closed
// and everything taken from it is printed, or ctx.Err() when ctx ends first.
func (p *Printer) Run(ctx context.Context, in <-chan messages.Trade) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case t, ok := <-in:
			if !ok {
				return nil
			}
			p.log.LogAttrs(ctx, slog.LevelInfo, "trade",
				slog.String("id", t.ID),
				slog.Float64("markup", t.MarkupPercent),
				slog.Float64("price", t.TotalValue),
				slog.Bool("can_join", t.CanJoin),
				slog.String("status", t.Status),
				slog.String("item", t.MarketName),
				slog.Bool("stattrak", t.StatTrak))
			p.printed.Add(1)
		}
	}
}

// Printed returns how many trades Run has printed so far. It is safe to call
// while Run runs.
func (p *Printer) Printed() uint64 {
	return p.printed.Load()
}
