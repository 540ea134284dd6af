package actors

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/rollsniper/rollsniper/internal/record"
	"github.com/rollsniper/rollsniper/messages"
)

// Printer is the sink that prints every trade as one log record, in whatever
// format its logger writes: tint text for a terminal, or JSON lines for jq.
//
// When its logger writes to a buffer (an output.Writer), the printer flushes it each
// time its queue is empty after a record: a quiet feed shows each trade at
// once, and a burst, which keeps the queue full, goes out in a few large
// writes rather than one write system call a trade.
type Printer struct {
	log     *slog.Logger
	flush   func() error
	printed atomic.Uint64
}

var _ Sink = (*Printer)(nil)

// NewPrinter returns a printer that writes to log, which should write to
// stdout. flush makes what log has written visible, typically output.Writer.Flush of
// the output.Writer under log's handler; nil means log writes straight through.
func NewPrinter(log *slog.Logger, flush func() error) *Printer {
	if flush == nil {
		flush = func() error { return nil }
	}
	return &Printer{log: log, flush: flush}
}

// Run prints every trade from in with record.Trade: an info record "trade" with the
// keys id, markup, price, can_join, status, item and stattrak, in that order. Markup and
// price are logged as the float64 the parser read, so they print as the feed
// sent them (11.98, not 11.980000000000002). It flushes whenever in is empty
// after a record, and before it returns.
//
// Run returns nil once in is closed and everything taken from it is printed
// and flushed, or ctx.Err() when ctx ends first (after flushing what it
// printed). A flush that fails (stdout is gone) ends Run with that error.
func (p *Printer) Run(ctx context.Context, in <-chan messages.Trade) error {
	for {
		select {
		case <-ctx.Done():
			if err := p.flush(); err != nil {
				return fmt.Errorf("print trades: %w", err)
			}
			return ctx.Err()
		case t, ok := <-in:
			if !ok {
				if err := p.flush(); err != nil {
					return fmt.Errorf("print trades: %w", err)
				}
				return nil
			}
			record.Trade(ctx, p.log, t)
			p.printed.Add(1)
			if len(in) == 0 {
				if err := p.flush(); err != nil {
					return fmt.Errorf("print trades: %w", err)
				}
			}
		}
	}
}

// Printed returns how many trades Run has printed so far. It is safe to call
// while Run runs.
func (p *Printer) Printed() uint64 {
	return p.printed.Load()
}
