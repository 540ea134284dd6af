package actors

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/rollsniper/rollsniper/internal/latency"
	"github.com/rollsniper/rollsniper/messages"
)

// Hub fans trades out to the sinks: one bounded queue per sink, filled without
// ever blocking, so a slow sink loses only its own trades and never slows the
// parser or the connection.
//
// When a sink's queue is full the hub drops the newest trade for that sink only
// and counts it. A streak of drops is logged twice: a warning when it begins and
// "sink caught up" on the first delivery after it, so a stuck sink cannot flood
// the log.
//
// A decision (AttachDecider) is made on the fan-out's own goroutine, before
// any queue is offered the trade, and only its outcome (a match) goes to a
// queue: the time from a frame to the decision on its trade is then one
// hand-off between goroutines (the connection's to the parser's), and the
// decision's goroutine wakes for matches only.
type Hub struct {
	in        <-chan messages.Trade
	log       *slog.Logger
	queues    []*hubQueue
	deciders  []*hubDecider
	started   atomic.Bool
	latency   latency.Histogram // frame receipt to fan-out, once per trade
	decisions latency.Histogram // frame receipt to decision, once per trade decided
}

// hubQueue is one sink's queue and its counters.
type hubQueue struct {
	name string
	// ch is the sink's queue. The hub is its only sender and closes it when Run
	// returns. When it is full the hub drops the newest trade for this sink.
	ch chan messages.Trade
	queueCounters
}

// queueCounters are a queue's counts, for its stats and its log lines.
type queueCounters struct {
	delivered atomic.Uint64
	dropped   atomic.Uint64
	// streak counts the drops since the last delivery. Only Run touches it.
	streak uint64
}

// A Decider decides trades for a hub (AttachDecider): Decide is called with
// every trade, in order, on the fan-out's goroutine, before the trade is
// offered to any queue, and reports whether it matched and the match. It must
// return at once (no I/O, no waiting, no allocation unless it matched): it
// runs on the path of every trade, and the next trade waits for it. The
// pointer is valid during the call only.
//
// The match's DecidedAt is when the decision was made, matched or not (the
// other fields only when it matched): the hub's decision latency is taken
// from it, so that what a decider does after deciding (counting, noting the
// item's sighting) is not counted as the decision's time. A decider that
// leaves it zero is timed when it returns.
type Decider interface {
	Decide(ctx context.Context, t *messages.Trade) (messages.Match, bool)
}

// hubDecider is a decider and the queue its matches go to.
type hubDecider struct {
	name string
	d    Decider
	// ch is the queue of matches, as hubQueue.ch is of trades.
	ch chan messages.Match
	queueCounters
	// match is the decision on the trade being fanned out, kept until the
	// trade's queues have been offered it; only the fan-out touches it.
	match   messages.Match
	matched bool
}

// SinkStats is a snapshot of one sink's queue. The counters only grow.
type SinkStats struct {
	Name      string
	Capacity  int    // the queue's capacity
	Queued    int    // trades (matches, in a decider's queue) waiting in the queue now
	Delivered uint64 // trades (matches) put in the queue
	Dropped   uint64 // trades (matches) dropped because the queue was full
}

// NewHub returns a hub that reads trades from in and logs to log. It starts
// nothing: attach the sinks, then call Run, or hand the hub to
// Parser.RunInto (in may then be nil), which fans out on the parser's own
// goroutine.
func NewHub(in <-chan messages.Trade, log *slog.Logger) *Hub {
	return &Hub{in: in, log: log}
}

// Attach adds a sink queue named name (for stats and logs) that holds up to
// capacity trades, and returns it for the sink to read. The hub owns the queue
// and closes it when Run (or Parser.RunInto) returns. Attach must be called
// before the hub runs, and capacity must be at least 1; it panics otherwise.
func (h *Hub) Attach(name string, capacity int) <-chan messages.Trade {
	h.checkAttach(capacity)
	q := &hubQueue{name: name, ch: make(chan messages.Trade, capacity)}
	h.queues = append(h.queues, q)
	return q.ch
}

// AttachDecider adds d, named name, whose matches go to a queue of capacity
// matches that the hub returns for the sink that acts on them, and owns, and
// closes, as Attach's. A full queue drops the newest match (counted and
// logged as a sink's trades are); the decision itself is never skipped. The
// rules of Attach apply.
func (h *Hub) AttachDecider(name string, capacity int, d Decider) <-chan messages.Match {
	h.checkAttach(capacity)
	q := &hubDecider{name: name, d: d, ch: make(chan messages.Match, capacity)}
	h.deciders = append(h.deciders, q)
	return q.ch
}

// checkAttach panics unless a queue of capacity may be attached now.
func (h *Hub) checkAttach(capacity int) {
	if h.started.Load() {
		panic("actors: Hub.Attach called after the hub started (Run or Parser.RunInto)")
	}
	if capacity < 1 {
		panic("actors: Hub.Attach: sink queue capacity must be at least 1")
	}
}

// Run offers every trade from in to every attached queue, in the order they were
// attached, without ever blocking: a full queue drops the trade for that sink
// only. When in closes, Run closes every queue and returns nil; when ctx ends, it
// closes every queue and returns ctx.Err(). A hub runs once: by Run, or by a
// Parser's RunInto, never both.
func (h *Hub) Run(ctx context.Context) error {
	h.start()
	defer h.closeQueues()
	var t messages.Trade // one for the run: fanOut's deciders get a pointer to it
	for {
		var ok bool
		select {
		case <-ctx.Done():
			return ctx.Err()
		case t, ok = <-h.in:
			if !ok {
				return nil
			}
			h.fanOut(ctx, &t)
		}
	}
}

// start marks the hub as running: no more Attach, and no second run.
func (h *Hub) start() {
	if h.started.Swap(true) {
		panic("actors: Hub run twice (Run or Parser.RunInto)")
	}
}

// closeQueues closes every sink's queue: the sinks drain them and return.
func (h *Hub) closeQueues() {
	for _, q := range h.queues {
		close(q.ch)
	}
	for _, q := range h.deciders {
		close(q.ch)
	}
}

// fanOut has every decider decide t, then offers t to every queue, then each
// match to its decider's queue (last, so that, of the goroutines the offers
// ready, the one that acts on a match runs first). It records t's latency:
// from its frame's receipt to the decisions (when there are deciders), and to
// the fan-out, once per trade (a trade with no ReceivedAt, which did not come
// off the socket, is not recorded). It does not allocate unless a decider
// does or it logs, which it does only where a streak of drops begins or ends.
// t is the caller's (the parser's decoding buffer): it is copied into each
// queue, and no decider may keep the pointer.
func (h *Hub) fanOut(ctx context.Context, t *messages.Trade) {
	var decided time.Time // the last decision's
	for _, q := range h.deciders {
		q.match, q.matched = q.d.Decide(ctx, t)
		if q.match.DecidedAt.After(decided) {
			decided = q.match.DecidedAt
		}
		if !q.matched {
			q.match.DecidedAt = time.Time{} // no match to hold it
		}
	}
	if !t.ReceivedAt.IsZero() {
		now := time.Now()
		h.latency.Observe(now.Sub(t.ReceivedAt))
		if len(h.deciders) > 0 {
			if decided.IsZero() || decided.After(now) {
				decided = now
			}
			h.decisions.Observe(decided.Sub(t.ReceivedAt))
		}
	}
	for _, q := range h.queues {
		select {
		case q.ch <- *t:
			q.sent(ctx, h.log, q.name)
		default:
			q.full(ctx, h.log, q.name, cap(q.ch), "trades")
		}
	}
	for _, q := range h.deciders {
		if !q.matched {
			continue
		}
		select {
		case q.ch <- q.match:
			q.sent(ctx, h.log, q.name)
		default:
			q.full(ctx, h.log, q.name, cap(q.ch), "matches")
		}
		q.match, q.matched = messages.Match{}, false // let the trade go
	}
}

// sent counts a delivery to sink's queue, and logs it when it ends a streak
// of drops.
func (c *queueCounters) sent(ctx context.Context, log *slog.Logger, sink string) {
	c.delivered.Add(1)
	if c.streak > 0 {
		log.LogAttrs(ctx, slog.LevelInfo, "sink caught up",
			slog.String("sink", sink),
			slog.Uint64("dropped", c.streak),
			slog.Uint64("dropped_total", c.dropped.Load()))
		c.streak = 0
	}
}

// full counts a drop from sink's queue, of capacity, full, and logs it when
// it begins a streak. what names the queue's values, for the log.
func (c *queueCounters) full(ctx context.Context, log *slog.Logger, sink string, capacity int, what string) {
	c.dropped.Add(1)
	if c.streak == 0 {
		log.LogAttrs(ctx, slog.LevelWarn, "sink queue full, dropping "+what,
			slog.String("sink", sink),
			slog.Int("capacity", capacity))
	}
	c.streak++
}

// Latency returns the histogram of how long trades took from their frame's
// receipt off the socket to being offered to the sinks' queues. It is safe to
// call while Run runs.
func (h *Hub) Latency() latency.Snapshot { return h.latency.Snapshot() }

// DecisionLatency returns the histogram of how long trades took from their
// frame's receipt off the socket to their decision, with deciders attached.
// It is safe to call while Run runs.
func (h *Hub) DecisionLatency() latency.Snapshot { return h.decisions.Snapshot() }

// Stats returns a snapshot of every queue, the sinks' in the order they were
// attached, then the deciders' (whose counts are of matches). It is safe to
// call while Run runs.
func (h *Hub) Stats() []SinkStats {
	stats := make([]SinkStats, 0, len(h.queues)+len(h.deciders))
	for _, q := range h.queues {
		stats = append(stats, q.stats(q.name, cap(q.ch), len(q.ch)))
	}
	for _, q := range h.deciders {
		stats = append(stats, q.stats(q.name, cap(q.ch), len(q.ch)))
	}
	return stats
}

func (c *queueCounters) stats(name string, capacity, queued int) SinkStats {
	return SinkStats{Name: name, Capacity: capacity, Queued: queued, Delivered: c.delivered.Load(), Dropped: c.dropped.Load()}
}
