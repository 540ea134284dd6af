package actors

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/lmittmann/tint"

	"github.com/rollsniper/rollsniper/internal/dedup"
	"github.com/rollsniper/rollsniper/internal/feedjson"
	"github.com/rollsniper/rollsniper/internal/latency"
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
//
// Fed by several lines of one feed (NewParserLines), it is also their
// arbiter: it hands on each trade once, from whichever line brought it
// first, and drops the later copies, which it recognises before it decodes
// anything (by the frame's bytes, or its trade ids) in bounded windows of
// recent frames and trade ids (dedup.Window), so that a copy costs a hash or
// a scan, not a decode.
type Parser struct {
	in  <-chan messages.Frame
	out chan messages.Trade
	log *slog.Logger

	frames  atomic.Uint64
	trades  atomic.Uint64
	skipped [len(feedjson.ErrorKinds)]atomic.Uint64
	lines   []lineCounters // one per line of the feed, in order

	// window remembers the ids of the trades handed on lately, and recent
	// the frames read lately (by their bytes' hash, each with how many
	// trades it held); both nil with one line, where nothing is arbitrated.
	// They and ids are Run's own.
	window *dedup.Window
	recent *dedup.Window
	ids    [][]byte // a frame's trade ids (slices of its data)

	// warns limits the warnings; only Run's goroutine touches it.
	warns loglimit.Limiter
	now   func() time.Time // the clock of the limiter; tests set it
}

// lineCounters are one line's counts: what it brought first, its copies of
// what another line (or itself) brought before, and how much earlier than
// the others it was when it won.
type lineCounters struct {
	first      atomic.Uint64
	duplicates atomic.Uint64
	lead       latency.Histogram
}

// LineStats is one line's share of the feed, as the parser arbitrated it.
type LineStats struct {
	// Conn is the line's number, from 1.
	Conn int
	// First counts the trades this line delivered first: the ones the parser
	// handed on from it. With one line, every trade.
	First uint64
	// Duplicates counts the copies dropped: trades a line had delivered
	// before.
	Duplicates uint64
	// Lead is how much earlier this line's copy arrived than another line's
	// copy of the same trade, once for each such copy: which route is
	// faster.
	Lead latency.Snapshot
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
	// Lines is each line's share, in line order: one entry for one line.
	Lines []LineStats
}

// NewParser returns a parser reading frames from in. It starts nothing.
func NewParser(in <-chan messages.Frame, log *slog.Logger) *Parser {
	return newParser(in, log, parserOutSize)
}

// NewParserLines returns a parser reading the frames of lines lines of one
// feed from in (Lines.Out), each frame marked with its line (Frame.Conn),
// that hands on each trade once: from whichever line brought it first, in
// the order the lines brought them. A copy is recognised in a window of the
// last dedup.DefaultCapacity trade ids handed on, each kept at most
// dedup.DefaultMaxAge (and of the last frameWindow frames). With one line it
// is NewParser. It starts nothing.
func NewParserLines(in <-chan messages.Frame, lines int, log *slog.Logger) *Parser {
	p := newParser(in, log, parserOutSize)
	if lines > 1 {
		p.arbitrate(lines, dedup.New(dedup.DefaultCapacity, dedup.DefaultMaxAge), dedup.New(frameWindow, dedup.DefaultMaxAge))
	}
	return p
}

// frameWindow is how many recent frames the arbiter remembers by their
// bytes: a quarter as many as trade ids, since a frame holds one to a few
// trades. A copy of a frame forgotten here is still recognised by its trade
// ids, at the cost of a scan.
const frameWindow = dedup.DefaultCapacity / 4

func newParser(in <-chan messages.Frame, log *slog.Logger, size int) *Parser {
	return &Parser{in: in, out: make(chan messages.Trade, size), log: log, now: time.Now,
		lines: make([]lineCounters, 1),
		warns: loglimit.Limiter{Burst: parserWarnBurst, Window: parserWarnWindow}}
}

// arbitrate makes p the arbiter of lines lines, remembering trade ids in ids
// and frames in frames.
func (p *Parser) arbitrate(lines int, ids, frames *dedup.Window) {
	p.lines = make([]lineCounters, lines)
	p.window, p.recent = ids, frames
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
	for i := range p.lines {
		l := &p.lines[i]
		s.Lines = append(s.Lines, LineStats{Conn: i + 1, First: l.first.Load(), Duplicates: l.duplicates.Load(), Lead: l.lead.Snapshot()})
	}
	return s
}

// Run decodes every frame from in and sends its trades on Out, in order. Every
// problem is logged at warn and counted, never fatal. Run returns nil once in is
// closed and drained, or ctx.Err() if ctx ends first; either way it closes Out.
func (p *Parser) Run(ctx context.Context) error {
	defer close(p.out)
	return p.run(ctx, true, func(t *messages.Trade) bool {
		select {
		case p.out <- *t:
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
// the time from a frame's receipt to a decision. h must not be Run.
//
// RunInto returns nil once in is closed and drained. It waits for a frame
// on in alone, not on ctx too: once ctx ends it returns ctx.Err() after the
// frame in hand, or the next one, or when in closes; so in must be closed
// once ctx ends, as the connections' queue (Lines) is when they run on ctx
// or a context derived from it. (Waking from a select on both, which locks
// ctx's channel too and unhooks from it, takes 0.4 µs more when the caches
// have gone cold between frames, as at the real feed's rhythm:
// BenchmarkColdWake.) It closes h's queues (not Out) when it returns.
func (p *Parser) RunInto(ctx context.Context, h *Hub) error {
	h.start()
	defer h.closeQueues()
	return p.run(ctx, false, func(t *messages.Trade) bool {
		h.fanOut(ctx, t)
		return true
	})
}

// run decodes every frame from in and hands its trades to emit, in order,
// until in is closed (nil), ctx ends, or emit reports that ctx ended
// (ctx.Err()). Unless orCtx, it waits for frames on in alone, and notices
// that ctx ended before each wait, and when in closes.
func (p *Parser) run(ctx context.Context, orCtx bool, emit func(*messages.Trade) bool) error {
	var trades []messages.Trade
	for {
		if !orCtx && ctx.Err() != nil {
			return ctx.Err() // after the frame in hand, before waiting
		}
		var f messages.Frame
		var ok bool
		if orCtx {
			select {
			case f, ok = <-p.in:
			case <-ctx.Done():
				return ctx.Err()
			}
		} else {
			f, ok = <-p.in
		}
		if !ok {
			return ctx.Err() // nil unless ctx ended before in closed
		}
		p.frames.Add(1)
		if p.window != nil {
			var ok bool
			if trades, ok = p.arbitrateFrame(ctx, f, trades, emit); !ok {
				return ctx.Err()
			}
			f.Release()
			continue
		}
		var err error
		trades, err = feedjson.ParseFrame(trades[:0], f.Data, f.ReceivedAt)
		if err != nil {
			p.report(ctx, f, err)
		}
		for i := range trades {
			if !p.handOn(&trades[i], 0, emit) {
				return ctx.Err()
			}
		}
		clear(trades) // let the strings go while the slice waits for the next frame
		// The trades' strings are copies, and nothing else keeps the bytes:
		// the next frame may be read into them.
		f.Release()
	}
}

// handOn hands t, from line (an index from 0), to emit, and reports whether
// emit took it (false: ctx ended). t is the decoding buffer's: emit must not
// keep the pointer.
func (p *Parser) handOn(t *messages.Trade, line int, emit func(*messages.Trade) bool) bool {
	// Counted before it is handed on, so that whoever sees the trade
	// downstream (a printed line) sees it counted too.
	p.trades.Add(1)
	if !emit(t) {
		p.trades.Add(^uint64(0)) // it was not handed on after all
		return false
	}
	p.lines[line].first.Add(1)
	return true
}

// arbitrateFrame hands on the trades of f that no line handed on before, in
// their order, and counts the copies; it returns trades (its decoding
// buffer, emptied) and whether emit took every trade (false: ctx ended).
//
// A copy is recognised before anything is decoded, in one of two ways:
//   - the frame is, byte for byte, one read before that held trades (the
//     lines of one route send a listing alike): its hash is in the window of
//     recent frames, which keeps how many trades it held;
//   - every one of its trade ids (feedjson.TradeIDs, sure of them) was handed
//     on before: another route's frame, batched or written otherwise. The ids
//     are read only when the frame's first one (feedjson.FirstTradeID, a
//     hint) was handed on before, so that a new frame is decoded at once.
//
// Any other frame is decoded, and each of its trades handed on unless its id
// was before. Only a trade handed on is recorded as seen, so a line whose
// copy of a trade is broken never hides another line's good one; and a frame
// that held no trade (a malformed one, an error) is read again each time it
// comes, so its problems are reported as with one line. Recognising a copy
// allocates nothing.
func (p *Parser) arbitrateFrame(ctx context.Context, f messages.Frame, trades []messages.Trade, emit func(*messages.Trade) bool) ([]messages.Trade, bool) {
	line := min(max(f.Conn, 1), len(p.lines)) - 1
	at := f.ReceivedAt
	if at.IsZero() {
		at = p.now()
	}
	// A new frame is recorded at once, and tagged with its trades once they
	// are known (TagLast: nothing else is recorded in p.recent meanwhile).
	seen, first := p.recent.Arrive(f.Data, line, at)
	if seen && first.Tag > 0 {
		for range first.Tag {
			p.copied(line, first, at)
		}
		return trades, true
	}
	tag := func(n int) {
		if !seen {
			p.recent.TagLast(uint32(n))
		}
	}
	if hint := feedjson.FirstTradeID(f.Data); hint != nil {
		if known, _ := p.window.Seen(hint, at); known {
			if n, ok := p.allSeen(f.Data, line, at); ok {
				tag(n)
				return trades, true
			}
		}
	}
	trades, err := feedjson.ParseFrame(trades[:0], f.Data, f.ReceivedAt)
	if err != nil {
		p.report(ctx, f, err)
	}
	defer clear(trades) // let the strings go while the slice waits for the next frame
	for i := range trades {
		if dup, first := p.window.Arrive([]byte(trades[i].ID), line, at); dup {
			p.copied(line, first, at)
			continue
		}
		if !p.handOn(&trades[i], line, emit) {
			return trades, false
		}
	}
	tag(len(trades))
	return trades, true
}

// allSeen reports whether data's trade ids, read with certainty, were all
// handed on before, and how many there are. Then each is counted as a copy
// from line, at at.
func (p *Parser) allSeen(data []byte, line int, at time.Time) (int, bool) {
	ids, ok := feedjson.TradeIDs(p.ids[:0], data)
	p.ids = ids
	defer clear(ids) // they point into data: let it go
	if !ok {
		return 0, false
	}
	for _, id := range ids {
		if seen, _ := p.window.Seen(id, at); !seen {
			return 0, false
		}
	}
	for _, id := range ids {
		_, first := p.window.Arrive(id, line, at)
		p.copied(line, first, at)
	}
	return len(ids), true
}

// copied counts a copy that line brought at at of a trade first handed on as
// first, and the lead of the line that brought it then.
func (p *Parser) copied(line int, first dedup.Arrival, at time.Time) {
	p.lines[line].duplicates.Add(1)
	if first.Conn != line {
		p.lines[first.Conn].lead.Observe(at.Sub(first.At))
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
		if p.window != nil {
			attrs = append(attrs, slog.Int("conn", f.Conn))
		}
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
