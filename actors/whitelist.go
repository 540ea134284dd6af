package actors

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/lmittmann/tint"

	"github.com/rollsniper/rollsniper/internal/whitelist"
	"github.com/rollsniper/rollsniper/messages"
)

// Whitelist is the decision sink: it matches every trade against the trader's
// whitelist, prints a "match" record for each trade that matches, and offers
// it to the alert sinks. Trades that do not match print nothing; they are
// counted by the reason they were rejected.
//
// The list can be replaced while Run runs (Swap); each trade is decided
// against one list, never half of an old one and half of a new one.
type Whitelist struct {
	list  atomic.Pointer[whitelist.List]
	out   *slog.Logger
	log   *slog.Logger
	flush func() error
	// alerts is the alert queue, nil without one. Run is its only sender and
	// closes it when it returns. When it is full Run drops the newest match for
	// the alert sinks (the match record is still printed) and counts it.
	alerts chan messages.Match

	matched       atomic.Uint64
	rejected      [whitelist.NumReasons]atomic.Uint64
	alertsDropped atomic.Uint64
	// alertStreak and flushFailing are only touched by Run: the drops since the
	// last alert delivered, and whether the last flush failed.
	alertStreak  uint64
	flushFailing bool
	started      atomic.Bool
}

var _ Sink = (*Whitelist)(nil)

// WhitelistConfig configures a Whitelist sink.
type WhitelistConfig struct {
	// List is the initial whitelist. Required.
	List *whitelist.List
	// Out is where match records go: stdout's trade logger. Nil discards them.
	Out *slog.Logger
	// Log is where status records go (alert drops, flush failures). Nil
	// discards them.
	Log *slog.Logger
	// Flush is called after each match record so that it shows at once; nil
	// for none.
	Flush func() error
	// Alerts is the capacity of the alert queue; 0 means no alert queue.
	Alerts int
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
	// AlertsDropped counts the matches not offered to the alert sinks because
	// the alert queue was full.
	AlertsDropped uint64
}

// NewWhitelist returns a whitelist sink. It starts nothing; call Run. It
// panics if cfg.List is nil or cfg.Alerts is negative.
func NewWhitelist(cfg WhitelistConfig) *Whitelist {
	if cfg.List == nil {
		panic("actors: NewWhitelist: WhitelistConfig.List is nil")
	}
	if cfg.Alerts < 0 {
		panic("actors: NewWhitelist: WhitelistConfig.Alerts is negative")
	}
	w := &Whitelist{out: cfg.Out, log: cfg.Log, flush: cfg.Flush}
	if w.out == nil {
		w.out = slog.New(slog.DiscardHandler)
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if cfg.Alerts > 0 {
		w.alerts = make(chan messages.Match, cfg.Alerts)
	}
	w.list.Store(cfg.List)
	return w
}

// Alerts returns the alert queue, or nil when the sink has none. Run closes it
// when it returns.
func (w *Whitelist) Alerts() <-chan messages.Match {
	if w.alerts == nil {
		return nil
	}
	return w.alerts
}

// Swap replaces the whitelist atomically: trades decided after it returns use
// l. It panics if l is nil. It is safe to call while Run runs.
func (w *Whitelist) Swap(l *whitelist.List) {
	if l == nil {
		panic("actors: Whitelist.Swap(nil)")
	}
	w.list.Store(l)
}

// List returns the current whitelist.
func (w *Whitelist) List() *whitelist.List { return w.list.Load() }

// Stats returns a snapshot of the counters. It is safe to call while Run runs.
func (w *Whitelist) Stats() WhitelistStats {
	s := WhitelistStats{
		Entries:       w.list.Load().Len(),
		Matched:       w.matched.Load(),
		Rejected:      make(map[whitelist.Reason]uint64, whitelist.NumReasons-1),
		AlertsDropped: w.alertsDropped.Load(),
	}
	for r := whitelist.Matched + 1; r < whitelist.NumReasons; r++ {
		s.Rejected[r] = w.rejected[r].Load()
	}
	return s
}

// Run decides every trade from in. A match is logged on Out as an info record
// "match" with the keys id, markup, price, can_join, status, item, stattrak
// (as the printer's trade records), then wear, souvenir, entry (the entry as
// the trader wrote it) and latency_us (microseconds from the frame's receipt
// to the decision); Flush is called; and the match is offered to the alert
// queue without blocking. A rejection is only counted (and logged at debug
// level when Log has it enabled).
//
// Run returns nil when in is closed and every trade taken from it is decided,
// or ctx.Err() when ctx ends first; either way it closes the alert queue. Run
// must be called once.
func (w *Whitelist) Run(ctx context.Context, in <-chan messages.Trade) error {
	if w.started.Swap(true) {
		panic("actors: Whitelist.Run called twice")
	}
	if w.alerts != nil {
		defer close(w.alerts)
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case t, ok := <-in:
			if !ok {
				return nil
			}
			w.decide(ctx, &t)
		}
	}
}

// decide matches t and acts on the result. The rejection path does not
// allocate unless debug logging is on.
func (w *Whitelist) decide(ctx context.Context, t *messages.Trade) {
	l := w.list.Load()
	i, reason := l.Match(t)
	decided := time.Now()
	if reason != whitelist.Matched {
		w.rejected[reason].Add(1)
		if w.log.Enabled(ctx, slog.LevelDebug) {
			w.log.LogAttrs(ctx, slog.LevelDebug, "trade rejected",
				slog.String("id", t.ID),
				slog.String("item", t.MarketName),
				slog.String("reason", reason.String()),
				slog.Int("entry", i))
		}
		return
	}
	w.matched.Add(1)
	entry := l.Entry(i).String()
	attrs := tradeAttrs(t)
	w.out.LogAttrs(ctx, slog.LevelInfo, "match", append(attrs[:],
		slog.String("wear", string(t.Wear)),
		slog.Bool("souvenir", t.Souvenir),
		slog.String("entry", entry),
		slog.Float64("latency_us", float64(decided.Sub(t.ReceivedAt))/float64(time.Microsecond)))...)
	w.doFlush(ctx)
	if w.alerts != nil {
		w.alert(ctx, messages.Match{Trade: *t, Entry: entry, EntryIndex: i, DecidedAt: decided})
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

// alert offers m to the alert queue without blocking. A full queue drops m and
// counts it; a streak of drops is logged when it begins and when it ends, as
// the hub does for sink queues.
func (w *Whitelist) alert(ctx context.Context, m messages.Match) {
	select {
	case w.alerts <- m:
		if w.alertStreak > 0 {
			w.log.LogAttrs(ctx, slog.LevelInfo, "alerts caught up",
				slog.Uint64("dropped", w.alertStreak),
				slog.Uint64("dropped_total", w.alertsDropped.Load()))
			w.alertStreak = 0
		}
	default:
		w.alertsDropped.Add(1)
		if w.alertStreak == 0 {
			w.log.LogAttrs(ctx, slog.LevelWarn, "alert queue full, dropping alerts",
				slog.Int("capacity", cap(w.alerts)))
		}
		w.alertStreak++
	}
}

// WhitelistReloader is the actor that reloads the whitelist file into a
// Whitelist sink: on a signal from HUP (main forwards SIGHUP there) and when
// the file changes. It polls the file's identity, size and modification time
// on every tick, and reads and hashes it only when one of them changed, so an
// editor's rename over the file, a write in place and a touch are all noticed,
// and a touch alone does not reload.
//
// A good file replaces the list atomically and logs "whitelist reloaded"; a
// broken or missing file keeps the previous list running and logs a warning
// with every problem, once for each version of the file (a missing file once
// until it returns).
type WhitelistReloader struct {
	path   string
	sink   *Whitelist
	hup    <-chan struct{}
	tick   <-chan time.Time
	period time.Duration
	log    *slog.Logger

	// Only Run touches these: what the last poll saw, the hash of the last
	// contents read, and whether the file was missing or unreadable.
	seen    os.FileInfo
	sum     [sha256.Size]byte
	missing bool
}

// WhitelistReloaderConfig configures a WhitelistReloader.
type WhitelistReloaderConfig struct {
	// Path is the whitelist file. Required.
	Path string
	// Sink is the whitelist sink whose list is replaced. Required.
	Sink *Whitelist
	// HUP triggers a reload on every receive; main forwards SIGHUP into it.
	// Nil for none.
	HUP <-chan struct{}
	// Tick triggers a poll of the file on every receive; nil makes Run use a
	// ticker of Period. Tests inject it.
	Tick <-chan time.Time
	// Period is how often to poll when Tick is nil; 0 means 2 s.
	Period time.Duration
	// Log is where reloads and failures are logged. Nil discards them.
	Log *slog.Logger
}

// DefaultWhitelistPoll is how often a WhitelistReloader polls its file unless
// told otherwise.
const DefaultWhitelistPoll = 2 * time.Second

// NewWhitelistReloader returns a reloader. It starts nothing; call Run. It
// panics if cfg.Path is empty or cfg.Sink is nil.
func NewWhitelistReloader(cfg WhitelistReloaderConfig) *WhitelistReloader {
	if cfg.Path == "" || cfg.Sink == nil {
		panic("actors: NewWhitelistReloader: Path and Sink are required")
	}
	r := &WhitelistReloader{path: cfg.Path, sink: cfg.Sink, hup: cfg.HUP, tick: cfg.Tick, period: cfg.Period, log: cfg.Log}
	if r.period <= 0 {
		r.period = DefaultWhitelistPoll
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	return r
}

// Run reloads on every signal from HUP and polls the file on every tick, until
// ctx ends; then it returns nil. The first poll compares the file with the
// contents the sink's current list was parsed from, so a change made between
// the first load and Run is not missed. A closed HUP is ignored from then on.
func (r *WhitelistReloader) Run(ctx context.Context) error {
	tick := r.tick
	if tick == nil {
		t := time.NewTicker(r.period)
		defer t.Stop()
		tick = t.C
	}
	hup := r.hup
	r.sum = r.sink.List().Sum()
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-hup:
			if !ok {
				hup = nil
				continue
			}
			r.reload(ctx, "SIGHUP")
		case <-tick:
			r.poll(ctx)
		}
	}
}

// poll reloads the file if it changed since the last poll.
func (r *WhitelistReloader) poll(ctx context.Context) {
	info, err := os.Stat(r.path)
	if err != nil {
		r.unreadable(ctx, "file change", err)
		return
	}
	if r.seen != nil && os.SameFile(r.seen, info) && info.Size() == r.seen.Size() && info.ModTime().Equal(r.seen.ModTime()) {
		return
	}
	data, err := os.ReadFile(r.path)
	if err != nil {
		r.unreadable(ctx, "file change", err)
		return
	}
	r.seen, r.missing = info, false
	sum := sha256.Sum256(data)
	if sum == r.sum {
		return
	}
	r.apply(ctx, "file change", data, sum)
}

// reload reads and applies the file whatever its state: the user asked.
func (r *WhitelistReloader) reload(ctx context.Context, trigger string) {
	r.missing = false // a reload the user asked for always says how it went
	info, err := os.Stat(r.path)
	if err != nil {
		r.unreadable(ctx, trigger, err)
		return
	}
	data, err := os.ReadFile(r.path)
	if err != nil {
		r.unreadable(ctx, trigger, err)
		return
	}
	r.seen = info
	r.apply(ctx, trigger, data, sha256.Sum256(data))
}

// apply parses data and swaps it in, or says why not.
func (r *WhitelistReloader) apply(ctx context.Context, trigger string, data []byte, sum [sha256.Size]byte) {
	r.sum = sum
	l, err := whitelist.Parse(data)
	if err != nil {
		if ve, ok := errors.AsType[*whitelist.ValidationError](err); ok {
			ve.File = r.path
		}
		r.log.LogAttrs(ctx, slog.LevelWarn, "whitelist reload failed; keeping the previous whitelist",
			slog.String("trigger", trigger), slog.String("path", r.path), tint.Err(err))
		return
	}
	r.sink.Swap(l)
	r.log.LogAttrs(ctx, slog.LevelInfo, "whitelist reloaded",
		slog.String("trigger", trigger), slog.String("path", r.path), slog.Int("entries", l.Len()))
}

// unreadable warns that the file cannot be read, once until it can be again.
// The next poll that can read it compares its contents as if it were new.
func (r *WhitelistReloader) unreadable(ctx context.Context, trigger string, err error) {
	r.seen = nil
	if r.missing {
		return
	}
	r.missing = true
	r.log.LogAttrs(ctx, slog.LevelWarn, "whitelist reload failed; keeping the previous whitelist",
		slog.String("trigger", trigger), slog.String("path", r.path), tint.Err(err))
}
