package actors

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/rollsniper/rollsniper/internal/record"
	"github.com/rollsniper/rollsniper/messages"
)

// Printer is the sink that prints every trade as one record, in its record
// format (record.Format): colour text for a terminal, plain text, or JSON
// lines for jq.
//
// When its writer is a buffer (an Output's stream), the printer flushes it
// each time its queue is empty after a record: a quiet feed shows each trade
// at once, and a burst, which keeps the queue full, goes out in a few large
// writes rather than one write system call a trade. Writing a record
// allocates nothing: the printer reuses one buffer.
type Printer struct {
	w       io.Writer
	format  record.Format
	flush   func() error
	buf     []byte           // Run's own: the record being written
	now     func() time.Time // the records' time; tests stop the clock
	printed atomic.Uint64
}

var _ Sink = (*Printer)(nil)

// NewPrinter returns a printer that writes each record in format to w, which
// should be stdout's trade stream, in one Write. flush makes what w has taken
// visible (the Output's Flush); nil means w writes straight through.
func NewPrinter(w io.Writer, format record.Format, flush func() error) *Printer {
	if flush == nil {
		flush = func() error { return nil }
	}
	return &Printer{w: w, format: format, flush: flush, buf: make([]byte, 0, 1024), now: time.Now}
}

// SetClock makes the printer stamp its records with the time now returns
// instead of time.Now's (a test or an example stops the clock with it). Call
// it before Run.
func (p *Printer) SetClock(now func() time.Time) { p.now = now }

// Run prints every trade from in as a "trade" record (see internal/record:
// in JSON, the keys id, markup, price, can_join, status, item and stattrak
// come first, in that order, with markup and price as the feed sent them).
// It flushes whenever in is empty after a record, and before it returns. A
// write error is not Run's to report: stdout's stream never fails, and a
// plain writer's failure shows at the flush.
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
			p.buf = p.format.AppendTrade(p.buf[:0], p.now(), &t)
			_, _ = p.w.Write(p.buf)
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
