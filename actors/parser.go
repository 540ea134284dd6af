package actors

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/lmittmann/tint"

	"github.com/rollsniper/rollsniper/internal/feedjson"
	"github.com/rollsniper/rollsniper/internal/loglimit"
	"github.com/rollsniper/rollsniper/messages"
)

// parserOutSize bounds the parser's output. When it is full the parser blocks:
// trades are never dropped here, and the hub downstream never blocks for long
// because it sheds load per sink.
const parserOutSize = 1024

// parserDebugPrefix is how much of a skipped frame is logged, at debug level only.
const parserDebugPrefix = 120

// A feed that sends nothing but garbage must not fill a small server's disk:
// the parser logs at most parserWarnBurst warnings per parserWarnWindow, then
// counts the rest and says how many it left out in the next warning it logs.
// Every problem is still counted in Stats (and so in the metrics).
const (
	parserWarnBurst  = 20
	parserWarnWindow = time.Minute
)

// Parser turns frames into trades with ParseFrame. It is one long-lived actor:
// it keeps running, and counting, across the connection's sessions.
type Parser struct {
	in  <-chan messages.Frame
	out chan messages.Trade
	log *slog.Logger

	frames  atomic.Uint64
	trades  atomic.Uint64
	skipped [len(feedjson.ErrorKinds)]atomic.Uint64

	// warns limits the warnings; only Run's goroutine touches it.
	warns loglimit.Limiter
	now   func() time.Time // the clock of the limiter; tests set it
}

// ParserStats are the parser's counters since it was made.
type ParserStats struct {
	// Frames counts the frames read from in.
	Frames uint64
	// Trades counts the trades sent on Out (or fanned out by RunInto).
	Trades uint64
	// Skipped counts problems by kind: a whole frame for the frame kinds, one
	// trade for ParseInvalidTrade. ParseServerErrors counts next payloads that
	// carried errors; the data that came with them was still used.
	Skipped map[feedjson.ErrorKind]uint64
}

// NewParser returns a parser reading frames from in. It starts nothing.
func NewParser(in <-chan messages.Frame, log *slog.Logger) *Parser {
	return newParser(in, log, parserOutSize)
}

func newParser(in <-chan messages.Frame, log *slog.Logger, size int) *Parser {
	return &Parser{in: in, out: make(chan messages.Trade, size), log: log, now: time.Now,
		warns: loglimit.Limiter{Burst: parserWarnBurst, Window: parserWarnWindow}}
}

// Out is the parser's output. The parser owns it and closes it when Run returns.
func (p *Parser) Out() <-chan messages.Trade { return p.out }

// Stats returns the parser's counters. It is safe to call while Run runs.
func (p *Parser) Stats() ParserStats {
	s := ParserStats{
		Frames:  p.frames.Load(),
		Trades:  p.trades.Load(),
		Skipped: make(map[feedjson.ErrorKind]uint64, len(feedjson.ErrorKinds)),
	}
	for i, k := range feedjson.ErrorKinds {
		s.Skipped[k] = p.skipped[i].Load()
	}
	return s
}

// Run decodes every frame from in and sends its trades on Out, in order. Every
// problem is logged at warn and counted, never fatal. Run returns nil once in is
// closed and drained, or ctx.Err() if ctx ends first; either way it closes Out.
func (p *Parser) Run(ctx context.Context) error {
	defer close(p.out)
	return p.run(ctx, func(t messages.Trade) bool {
		select {
		case p.out <- t:
			return true
		case <-ctx.Done():
			return false
		}
	})
}

// RunInto is Run with the fan-out on the parser's own goroutine: each trade is
// offered to every queue of h (which never blocks: a full queue drops for its
// sink only) instead of being sent on Out for h.Run to read. That is one
// goroutine hand-off fewer between the socket and the sinks, which is most of
// the time from a frame's receipt to a decision. h must not be Run. RunInto
// returns as Run does, and closes h's queues (not Out) when it returns.
func (p *Parser) RunInto(ctx context.Context, h *Hub) error {
	h.start()
	defer h.closeQueues()
	return p.run(ctx, func(t messages.Trade) bool {
		h.fanOut(ctx, t)
		return true
	})
}

// run decodes every frame from in and hands its trades to emit, in order,
// until in is closed (nil), ctx ends, or emit reports that ctx ended
// (ctx.Err()).
func (p *Parser) run(ctx context.Context, emit func(messages.Trade) bool) error {
	var trades []messages.Trade
	for {
		var f messages.Frame
		var ok bool
		select {
		case f, ok = <-p.in:
			if !ok {
				return nil
			}
		case <-ctx.Done():
			return ctx.Err()
		}
		p.frames.Add(1)
		var err error
		trades, err = feedjson.ParseFrame(trades[:0], f.Data, f.ReceivedAt)
		if err != nil {
			p.report(ctx, f, err)
		}
		for _, t := range trades {
			// Counted before it is handed on, so that whoever sees the trade
			// downstream (a printed line) sees it counted too.
			p.trades.Add(1)
			if !emit(t) {
				p.trades.Add(^uint64(0)) // it was not handed on after all
				return ctx.Err()
			}
		}
		clear(trades) // let the strings go while the slice waits for the next frame
	}
}

// report logs and counts each problem in err, a ParseFrame error.
func (p *Parser) report(ctx context.Context, f messages.Frame, err error) {
	for _, pe := range feedjson.Problems(err) {
		for i, k := range feedjson.ErrorKinds {
			if k == pe.Kind {
				p.skipped[i].Add(1)
			}
		}
		ok, suppressed := p.warns.Allow(p.now())
		if !ok {
			continue
		}
		attrs := []slog.Attr{slog.String("kind", string(pe.Kind)), slog.Uint64("session", f.Session), tint.Err(pe)}
		if suppressed > 0 {
			attrs = append(attrs, slog.Uint64("suppressed", suppressed))
		}
		msg := "frame skipped"
		switch pe.Kind {
		case feedjson.InvalidTrade:
			msg = "trade skipped"
			attrs = append(attrs, slog.String("trade", pe.TradeID))
		case feedjson.ServerErrors:
			msg = "server errors in frame"
		}
		p.log.LogAttrs(ctx, slog.LevelWarn, msg, attrs...)
	}
	if p.log.Enabled(ctx, slog.LevelDebug) {
		prefix := f.Data[:min(len(f.Data), parserDebugPrefix)]
		p.log.LogAttrs(ctx, slog.LevelDebug, "frame with problems",
			slog.Uint64("session", f.Session), slog.Int("bytes", len(f.Data)), slog.String("prefix", string(prefix)))
	}
}
