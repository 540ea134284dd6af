package actors

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/lmittmann/tint"

	"github.com/rollsniper/rollsniper/internal/record"
	"github.com/rollsniper/rollsniper/internal/whitelist"
	"github.com/rollsniper/rollsniper/messages"
)

// Whitelist is the decision sink. It decides every trade against the
// trader's whitelist as a hub's Decider (Hub.AttachDecider), on the fan-out's
// goroutine, so that a decision waits for no hand-off between goroutines;
// Run, on a goroutine of its own, acts on the matches alone: it prints a
// "match" record for each and offers it to the alert sinks. Trades that do
// not match print nothing; they are counted by the reason they were rejected.
//
// The list can be replaced while it runs (Swap); each trade is decided
// against one list, never half of an old one and half of a new one.
//
// It also keeps when each entry's item last came on the feed, and once a day
// warns of the entries whose item has not come for UnseenAfter: a name the
// market spells differently never matches, and nothing else would say so.
type Whitelist struct {
	// state is the list trades are decided against, and when each of its
	// entries' items last came: replaced together by Swap.
	state  atomic.Pointer[decisionState]
	out    io.Writer
	format record.Format
	log    *slog.Logger
	// logRejects: log says each rejection, at debug level. Asked once,
	// not for every trade: slog's Enabled through the handler took a
	// microsecond a trade at 100 trades a second, with the caches cold.
	logRejects bool
	flush      func() error
	buf        []byte // Run's own: the match record being written
	// alerts are the alert queues, one for each alert sink (Discord, the
	// NATS publisher), none without one. Run is their only sender and closes
	// them when it returns. When one is full Run drops the newest match for
	// that sink (the match record is still printed) and counts it.
	alerts []alertQueue

	matched       atomic.Uint64
	rejected      [whitelist.NumReasons]atomic.Uint64
	alertsDropped atomic.Uint64
	// flushFailing is only touched by Run: whether the last flush failed.
	flushFailing bool
	started      atomic.Bool

	unseenAfter, unseenEvery time.Duration
}

// decisionState is a list and when each of its entries' items last came on
// the feed, carried across a Swap by entry.
type decisionState struct {
	list *whitelist.List
	seen *whitelist.LastSeen
}

var _ Decider = (*Whitelist)(nil)

// WhitelistConfig configures a Whitelist sink.
type WhitelistConfig struct {
	// List is the initial whitelist. Required.
	List *whitelist.List
	// Out is where match records go, one Write each: stdout's match stream.
	// Nil discards them.
	Out io.Writer
	// Format is the match records' format.
	Format record.Format
	// Log is where status records go (alert drops, flush failures), and
	// each rejection when Log is enabled for debug, which NewWhitelist asks
	// once. Nil discards them.
	Log *slog.Logger
	// Flush is called after each match record so that it shows at once; nil
	// for none.
	Flush func() error
	// Alerts is the capacity of each alert queue; 0 means no alert queue.
	Alerts int
	// AlertQueues is how many alert queues there are when Alerts is set,
	// one for each alert sink: each gets every match (0 means 1).
	AlertQueues int
	// UnseenAfter is how long an entry's item may be absent from the feed
	// before Run warns of it, in a check every UnseenEvery; 0 turns the
	// check off.
	UnseenAfter time.Duration
	// UnseenEvery is how often Run checks; 0 means DefaultUnseenEvery.
	UnseenEvery time.Duration
}

// DefaultUnseenEvery is how often a Whitelist looks for entries whose item
// has not come, unless told otherwise: a warning a day for each such entry
// is enough to be noticed and too few to be noise.
const DefaultUnseenEvery = 24 * time.Hour

// alertQueue is one alert sink's queue.
type alertQueue struct {
	ch chan messages.Match
	// streak counts the drops since the last alert delivered. Only Run
	// touches it.
	streak uint64
}

// WhitelistStats is a snapshot of a Whitelist's counters, which only grow.
type WhitelistStats struct {
	// Entries is the current list's number of entries.
	Entries int
	// Matched counts the trades that matched an entry.
	Matched uint64
	// Rejected counts the trades that did not, by reason; every reason but
	// whitelist.Matched has a key, zero or not.
	Rejected map[whitelist.Reason]uint64
	// AlertsDropped counts the matches not offered to an alert sink because
	// its alert queue was full, over every queue.
	AlertsDropped uint64
}

// NewWhitelist returns a whitelist sink. It starts nothing; call Run. It
// panics if cfg.List is nil or cfg.Alerts is negative.
func NewWhitelist(cfg WhitelistConfig) *Whitelist {
	if cfg.List == nil {
		panic("actors: NewWhitelist: WhitelistConfig.List is nil")
	}
	if cfg.Alerts < 0 || cfg.AlertQueues < 0 {
		panic("actors: NewWhitelist: WhitelistConfig.Alerts or AlertQueues is negative")
	}
	w := &Whitelist{out: cfg.Out, format: cfg.Format, log: cfg.Log, flush: cfg.Flush,
		unseenAfter: cfg.UnseenAfter, unseenEvery: cfg.UnseenEvery}
	if w.unseenEvery <= 0 {
		w.unseenEvery = DefaultUnseenEvery
	}
	if w.out == nil {
		w.out = io.Discard
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	w.logRejects = w.log.Enabled(context.Background(), slog.LevelDebug)
	if cfg.Alerts > 0 {
		w.alerts = make([]alertQueue, max(cfg.AlertQueues, 1))
		for i := range w.alerts {
			w.alerts[i].ch = make(chan messages.Match, cfg.Alerts)
		}
	}
	w.state.Store(&decisionState{list: cfg.List, seen: whitelist.NewLastSeen(cfg.List, time.Now())})
	return w
}

// Alerts returns the first alert queue, or nil when the sink has none. Run
// closes it when it returns.
func (w *Whitelist) Alerts() <-chan messages.Match { return w.AlertQueue(0) }

// AlertQueue returns alert queue i, from 0, or nil when there is no such
// queue. Run closes it when it returns.
func (w *Whitelist) AlertQueue(i int) <-chan messages.Match {
	if i < 0 || i >= len(w.alerts) {
		return nil
	}
	return w.alerts[i].ch
}

// Swap replaces the whitelist atomically: trades decided after it returns use
// l. Its entries keep when their items last came from the entries of the
// list before that ask for the same item. It panics if l is nil. It is safe
// to call while trades are decided, from one goroutine at a time (the
// reloader's).
func (w *Whitelist) Swap(l *whitelist.List) {
	if l == nil {
		panic("actors: Whitelist.Swap(nil)")
	}
	w.state.Store(&decisionState{list: l, seen: w.state.Load().seen.Carry(l, time.Now())})
}

// List returns the current whitelist.
func (w *Whitelist) List() *whitelist.List { return w.state.Load().list }

// Stats returns a snapshot of the counters. It is safe to call while Run runs.
func (w *Whitelist) Stats() WhitelistStats {
	s := WhitelistStats{
		Entries:       w.List().Len(),
		Matched:       w.matched.Load(),
		Rejected:      make(map[whitelist.Reason]uint64, whitelist.NumReasons-1),
		AlertsDropped: w.alertsDropped.Load(),
	}
	for r := whitelist.Matched + 1; r < whitelist.NumReasons; r++ {
		s.Rejected[r] = w.rejected[r].Load()
	}
	return s
}

// Decide decides t against the current list: it counts the outcome, notes
// that the entry's item came, and, when t matched, returns the match. The
// match's DecidedAt is set either way: the time right after the list matched
// t, which is the decision's (see Decider). It is
// the hub's Decider (Hub.AttachDecider): it runs on the fan-out's goroutine,
// once for every trade, and must be called from one goroutine at a time. A
// rejection does not allocate unless debug logging is on.
func (w *Whitelist) Decide(ctx context.Context, t *messages.Trade) (messages.Match, bool) {
	st := w.state.Load()
	i, reason := st.list.Match(t)
	decided := time.Now()
	st.seen.Saw(i, decided)
	if reason != whitelist.Matched {
		w.rejected[reason].Add(1)
		if w.logRejects {
			w.log.LogAttrs(ctx, slog.LevelDebug, "trade rejected",
				slog.String("id", t.ID),
				slog.String("item", t.MarketName),
				slog.String("reason", reason.String()),
				slog.Int("entry", i))
		}
		return messages.Match{DecidedAt: decided}, false // the hub times the decision by it
	}
	w.matched.Add(1)
	return messages.Match{Trade: *t, Entry: st.list.Entry(i).String(), EntryIndex: i, DecidedAt: decided}, true
}

// Run acts on every match from in (a hub's queue of this Whitelist's
// matches, from AttachDecider), and with UnseenAfter, every UnseenEvery
// warns on Log of each entry whose item has not come for UnseenAfter (since
// it last came, or since the entry began to be watched: the start, or the
// reload that brought it). A match is written to Out as a "match" record
// (see internal/record: in JSON, the trade record's keys with entry, the
// entry as the trader wrote it, and latency_us, microseconds from the
// frame's receipt to the decision); Flush is called; and the match is
// offered to the alert queues without blocking.
//
// Run returns nil when in is closed and every match taken from it is acted
// on, or ctx.Err() when ctx ends first; either way it closes the alert
// queues. Run must be called once.
func (w *Whitelist) Run(ctx context.Context, in <-chan messages.Match) error {
	if w.started.Swap(true) {
		panic("actors: Whitelist.Run called twice")
	}
	defer func() {
		for _, q := range w.alerts {
			close(q.ch)
		}
	}()
	var check <-chan time.Time
	if w.unseenAfter > 0 {
		t := time.NewTicker(w.unseenEvery)
		defer t.Stop()
		check = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case m, ok := <-in:
			if !ok {
				return nil
			}
			w.act(ctx, &m)
		case now := <-check:
			w.reportUnseen(ctx, now)
		}
	}
}

// reportUnseen warns of each entry whose item has not come for unseenAfter.
func (w *Whitelist) reportUnseen(ctx context.Context, now time.Time) {
	for _, u := range w.state.Load().seen.Unseen(now, w.unseenAfter) {
		attrs := []slog.Attr{slog.String("entry", u.Entry.String()), slog.Duration("unseen_for", u.For.Round(time.Minute))}
		if u.LastSeen.IsZero() {
			attrs = append(attrs, slog.Time("watched_since", u.Since))
		} else {
			attrs = append(attrs, slog.Time("last_seen", u.LastSeen))
		}
		w.log.LogAttrs(ctx, slog.LevelWarn, unseenMessage, attrs...)
	}
}

// unseenMessage is the warning of an entry whose item has not come.
const unseenMessage = "a whitelist entry's item has not been on the feed for a long time: it may be rare, or CSGORoll may spell its name otherwise (compare the item names in the trade records); -unseen-after sets how long"

// act prints m's record and offers m to the alert queues.
func (w *Whitelist) act(ctx context.Context, m *messages.Match) {
	w.buf = w.format.AppendMatch(w.buf[:0], m.DecidedAt, m)
	_, _ = w.out.Write(w.buf)
	w.doFlush(ctx)
	for i := range w.alerts {
		w.alert(ctx, &w.alerts[i], *m)
	}
}

// doFlush calls Flush, warning once when it starts failing and once when it
// works again.
func (w *Whitelist) doFlush(ctx context.Context) {
	if w.flush == nil {
		return
	}
	err := w.flush()
	switch {
	case err != nil && !w.flushFailing:
		w.log.LogAttrs(ctx, slog.LevelWarn, "cannot flush match records", tint.Err(err))
	case err == nil && w.flushFailing:
		w.log.LogAttrs(ctx, slog.LevelInfo, "match records flush again")
	}
	w.flushFailing = err != nil
}

// alert offers m to the alert queue q without blocking. A full queue drops m
// and counts it; a streak of drops is logged when it begins and when it ends,
// as the hub does for sink queues.
func (w *Whitelist) alert(ctx context.Context, q *alertQueue, m messages.Match) {
	select {
	case q.ch <- m:
		if q.streak > 0 {
			w.log.LogAttrs(ctx, slog.LevelInfo, "alerts caught up",
				slog.Uint64("dropped", q.streak),
				slog.Uint64("dropped_total", w.alertsDropped.Load()))
			q.streak = 0
		}
	default:
		w.alertsDropped.Add(1)
		if q.streak == 0 {
			w.log.LogAttrs(ctx, slog.LevelWarn, "alert queue full, dropping alerts",
				slog.Int("capacity", cap(q.ch)))
		}
		q.streak++
	}
}
