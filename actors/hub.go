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
type Hub struct {
	in      <-chan messages.Trade
	log     *slog.Logger
	queues  []*hubQueue
	started atomic.Bool
	latency latency.Histogram // frame receipt to fan-out, once per trade
}

// hubQueue is one sink's queue and its counters.
type hubQueue struct {
	name string
	// ch is the sink's queue. The hub is its only sender and closes it when Run
	// returns. When it is full the hub drops the newest trade for this sink.
	ch        chan messages.Trade
	delivered atomic.Uint64
	dropped   atomic.Uint64
	// streak counts the drops since the last delivery. Only Run touches it.
	streak uint64
}

// SinkStats is a snapshot of one sink's queue. The counters only grow.
type SinkStats struct {
	Name      string
	Capacity  int    // the queue's capacity
	Queued    int    // trades waiting in the queue now
	Delivered uint64 // trades put in the queue
	Dropped   uint64 // trades dropped because the queue was full
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
	if h.started.Load() {
		panic("actors: Hub.Attach called after the hub started (Run or Parser.RunInto)")
	}
	if capacity < 1 {
		panic("actors: Hub.Attach: sink queue capacity must be at least 1")
	}
	q := &hubQueue{name: name, ch: make(chan messages.Trade, capacity)}
	h.queues = append(h.queues, q)
	return q.ch
}

// Run offers every trade from in to every attached queue, in the order they were
// attached, without ever blocking: a full queue drops the trade for that sink
// only. When in closes, Run closes every queue and returns nil; when ctx ends, it
// closes every queue and returns ctx.Err(). A hub runs once: by Run, or by a
// Parser's RunInto, never both.
func (h *Hub) Run(ctx context.Context) error {
	h.start()
	defer h.closeQueues()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case t, ok := <-h.in:
			if !ok {
				return nil
			}
			h.fanOut(ctx, t)
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
}

// fanOut offers t to every queue and records its latency: from its frame's
// receipt to now, once per trade (a trade with no ReceivedAt, which did not come
// off the socket, is not recorded). It does not allocate unless it logs, which
// it does only where a streak of drops begins or ends.
func (h *Hub) fanOut(ctx context.Context, t messages.Trade) {
	if !t.ReceivedAt.IsZero() {
		h.latency.Observe(time.Since(t.ReceivedAt))
	}
	for _, q := range h.queues {
		select {
		case q.ch <- t:
			q.delivered.Add(1)
			if q.streak > 0 {
				h.log.LogAttrs(ctx, slog.LevelInfo, "sink caught up",
					slog.String("sink", q.name),
					slog.Uint64("dropped", q.streak),
					slog.Uint64("dropped_total", q.dropped.Load()))
				q.streak = 0
			}
		default:
			q.dropped.Add(1)
			if q.streak == 0 {
				h.log.LogAttrs(ctx, slog.LevelWarn, "sink queue full, dropping trades",
					slog.String("sink", q.name),
					slog.Int("capacity", cap(q.ch)))
			}
			q.streak++
		}
	}
}

// Latency returns the histogram of how long trades took from their frame's
// receipt off the socket to being offered to the sinks' queues. It is safe to
// call while Run runs.
func (h *Hub) Latency() latency.Snapshot { return h.latency.Snapshot() }

// Stats returns a snapshot of every queue, in the order they were attached. It
// is safe to call while Run runs.
func (h *Hub) Stats() []SinkStats {
	stats := make([]SinkStats, len(h.queues))
	for i, q := range h.queues {
		stats[i] = SinkStats{
			Name:      q.name,
			Capacity:  cap(q.ch),
			Queued:    len(q.ch),
			Delivered: q.delivered.Load(),
			Dropped:   q.dropped.Load(),
		}
	}
	return stats
}
