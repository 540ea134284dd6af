package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/rollsniper/rollsniper/actors"
	"github.com/rollsniper/rollsniper/internal/journal"
	"github.com/rollsniper/rollsniper/internal/whitelist"
	"github.com/rollsniper/rollsniper/messages"
)

// sinkQueue is each sink's queue capacity: about a quarter of an hour of the
// real feed's usual rate, so only a sink that is stuck, not one that is briefly
// slow, loses trades.
const sinkQueue = 1024

// alertQueue is the whitelist's queue of matches for the alert sinks: matches
// are rare (a few a day for a tight whitelist), so this only fills when the
// alert sink is stuck, and then the whitelist drops and counts.
const alertQueue = 64

// whitelistQueue is the capacity of the whitelist's queue of matches. The
// decision itself is never queued (it is made on the fan-out's goroutine,
// see Hub.AttachDecider); a match dropped here is one the trader never
// hears of, so the queue holds the matches of about 150 ms of a
// 100,000-trade-a-second burst in which every trade matched, which the
// whitelist prints in well under that. In bytes: a real trade is about 200,
// and the parser lets none through with more than feedjson.MaxTradeText of
// text plus its stickers' names (at most 5 × feedjson.MaxStickerName), so
// the queue holds at most about 30 MiB whatever the feed sends (sinkQueue's,
// about 2 MiB).
const whitelistQueue = 16384

// namedSink is a sink, the name its queue is counted and logged under, and
// its queue's capacity (0: sinkQueue).
type namedSink struct {
	name  string
	sink  actors.Sink
	queue int
}

// pipeline is the whole actor graph, as the README draws it:
//
//	conn 1 ─┐frames                 trades
//	conn 2 ─┴───────▶ parser ───────────▶ hub ──┬──▶ printer   (stdout)
//	(-connections: the    (keeps the first  (decides) ├──matches──▶ whitelist ──▶ discord
//	 only actors that      copy of each trade)  └──▶ ...more sinks, each with its own queue
//	 restart)
//	   └── tap ──▶ recorder (-record) ──closed segments──▶ compactor
//
// or, for sniper replay, the same with a replay of a journal where the conn
// is. newPipeline (or newReplayPipeline) builds it and run runs it; nothing
// else wires actors together.
type pipeline struct {
	source  frameSource   // the connections, or a replay; nil under -source
	lines   *actors.Lines // the connections, one or more; nil in a replay and under -source
	parser  *actors.Parser
	hub     *actors.Hub
	printer *actors.Printer
	sinks   []namedSink

	whitelist *actors.Whitelist // the decision sink; nil without a whitelist
	discord   *actors.Discord   // alerts on the whitelist's matches; nil without a webhook
	hup       chan struct{}     // asks the whitelist reloader to reload; nil without a whitelist file
	// alerts are actors fed by a sink rather than the hub: they stop, like
	// the sinks, once their input is closed and drained.
	alerts []func(context.Context) error

	// natsSource stands for the source and the parser under -source (both
	// nil then): the hub runs on its own, fed by the NATS stream. Nil
	// otherwise.
	natsSource *actors.NATSSource
	natsPub    *actors.NATSPublisher // the -nats sink; nil without -nats
	natsAlerts int                   // the whitelist's alert queue for natsPub

	// recorder journals what conn reads (-record), and compactor compresses
	// the segments it closes; both nil without -record.
	recorder   *actors.Recorder
	compactor  *actors.Compactor
	journalDir string

	extra   []func(context.Context) error // more actors to run beside the pipeline (the demo's faults, metrics, reloads)
	log     *slog.Logger
	out     *outputs      // stdout's writer runs in the pipeline; the loggers write to the outputs
	budget  time.Duration // -shutdown-timeout: how long a stop may take in all
	started time.Time     // when newPipeline built it
	// stopBy is when the stop's budget runs out; zero until a stop begins.
	// Only run's goroutine touches it.
	stopBy time.Time
}

// frameSource is the head of the pipeline: the connection actor, or a replay.
// Run returns once it sends no more frames, and closes Out.
type frameSource interface {
	Run(ctx context.Context) error
	Out() <-chan messages.Frame
}

// newPipeline builds every actor for cfg, logging to logs and printing
// through out. It starts nothing. It fails, with a *ConfigError, only when the
// whitelist file cannot be read or is invalid, or -record's directory cannot
// be made.
func newPipeline(cfg Config, logs *slog.Logger, out *outputs) (*pipeline, error) {
	if cfg.Source != "" {
		p, err := newPipelineFrom(nil, 0, cfg, logs, out)
		if err != nil {
			return nil, err
		}
		p.natsSource = newNATSSource(cfg, logs, func() bool { return hubBusy(p.hub) })
		p.hub = actors.NewHub(p.natsSource.Out(), logs.With("actor", "hub"))
		return p, nil
	}
	recorder, err := newRecorder(cfg, logs)
	if err != nil {
		return nil, err
	}
	var conns []actors.ConnConfig
	for i, url := range cfg.URLs() {
		c := connConfig(cfg, url)
		c.Tap = recorder.Tap(uint8(i + 1)) // nil without -record
		conns = append(conns, c)
	}
	lines := actors.NewLines(conns, logs.With("actor", "conn"))
	p, err := newPipelineFrom(lines, len(conns), cfg, logs, out)
	if err != nil {
		return nil, err
	}
	p.lines = lines
	if recorder != nil {
		p.recorder, p.journalDir = recorder, cfg.Record
		p.compactor = actors.NewCompactor(actors.CompactorConfig{In: recorder.Closed(), Busy: recorder.Busy, Log: logs.With("actor", "compactor")})
	}
	return p, nil
}

// newRecorder returns the recorder -record asks for, nil without it. It
// fails, with a *ConfigError, when the directory cannot be made.
func newRecorder(cfg Config, logs *slog.Logger) (*actors.Recorder, error) {
	if cfg.Record == "" {
		return nil, nil
	}
	w, err := journal.NewWriter(cfg.Record, journal.Options{
		Store:        true,
		SegmentBytes: recordSegmentBytes(cfg.RecordMax),
		Writer:       "rollsniper " + currentVersion().Version,
	})
	if err != nil {
		hint := ": name a directory sniper can create and write to"
		if errors.Is(err, journal.ErrLocked) {
			hint = "" // the error says what to do
		}
		return nil, &ConfigError{Problems: []error{fmt.Errorf("-record (ROLL_RECORD) %q: %w%s", cfg.Record, err, hint)}}
	}
	logs.Info("recording the feed", slog.String("dir", cfg.Record), slog.Int64("max_bytes", cfg.RecordMax))
	return actors.NewRecorder(actors.RecorderConfig{Writer: w, MaxBytes: cfg.RecordMax, Log: logs.With("actor", "recorder")}), nil
}

// recordSegmentBytes is the size of the journal's segments for -record-max
// limit: an eighth of it, so that retention deletes a small part of the
// journal at a time, between 1 MiB and the journal's default of 32 MiB.
func recordSegmentBytes(limit int64) int64 {
	if limit <= 0 {
		return journal.DefaultSegmentBytes
	}
	return min(journal.DefaultSegmentBytes, max(1<<20, limit/8))
}

// newPipelineFrom builds the parser, the hub and the sinks behind src, whose
// frames come from lines lines of one feed (the parser keeps the first copy
// of each trade when there are several); and the hub alone when src is nil:
// the caller feeds it.
func newPipelineFrom(src frameSource, lines int, cfg Config, logs *slog.Logger, out *outputs) (*pipeline, error) {
	p := &pipeline{
		hub:     actors.NewHub(nil, logs.With("actor", "hub")),
		printer: actors.NewPrinter(out.trades, out.records, out.stdout.Flush),
		log:     logs,
		out:     out,
		budget:  cfg.ShutdownTimeout,
		started: time.Now(),
	}
	if src != nil {
		p.source = src
		p.parser = actors.NewParserLines(src.Out(), lines, logs.With("actor", "parser"))
	}
	// Adding a sink is one line here.
	p.sinks = append(p.sinks, namedSink{"printer", p.printer, sinkQueue})
	list, err := loadWhitelist(cfg)
	if err != nil {
		return nil, err
	}
	if list != nil {
		p.addWhitelist(cfg, list, logs, out)
	}
	if cfg.NATSURL != "" {
		p.addNATSPublisher(cfg, logs)
	}
	return p, nil
}

// connConfig is one connection's settings, to url.
func connConfig(cfg Config, url string) actors.ConnConfig {
	return actors.ConnConfig{
		URL:            url,
		Session:        cfg.Session,
		Token:          cfg.Token,
		Origin:         cfg.Origin,
		UserAgent:      cfg.UserAgent,
		Subscription:   cfg.Subscription,
		BackoffInitial: cfg.BackoffInitial,
		BackoffMax:     cfg.BackoffMax,
		PingInterval:   cfg.PingInterval,
		PingTimeout:    cfg.PingTimeout,
		AckTimeout:     cfg.AckTimeout,
		ReadLimit:      cfg.ReadLimit,
		BackoffJitter:  cfg.BackoffJitter,
		StaleAfter:     cfg.StaleAfter,
		// The connections' share of the stop: what is left is the parser's
		// and the sinks' to drain, and the outputs' to flush.
		ShutdownTimeout: cfg.ShutdownTimeout * 3 / 4,
	}
}

// loadWhitelist returns the whitelist cfg names, the demo's when -demo runs
// without one, or nil when there is none.
func loadWhitelist(cfg Config) (*whitelist.List, error) {
	switch {
	case cfg.Whitelist != "":
		list, err := whitelist.Load(cfg.Whitelist)
		if _, ok := errors.AsType[*whitelist.ValidationError](err); ok {
			return nil, &ConfigError{Problems: []error{fmt.Errorf("-whitelist (ROLL_WHITELIST): fix these in the file, then check it with: sniper check -whitelist FILE\n%w", err)}}
		}
		if err != nil {
			return nil, &ConfigError{Problems: []error{fmt.Errorf("-whitelist (ROLL_WHITELIST): %w", err)}}
		}
		return list, nil
	case cfg.Demo:
		return whitelist.Demo(), nil
	}
	return nil, nil
}

// addWhitelist adds the whitelist, its reloader when the list comes from a
// file, and the Discord alerts when a webhook is set. The whitelist decides
// on the fan-out's goroutine (run attaches it with Hub.AttachDecider), and
// its own goroutine wakes for matches only: a decision waits for one
// hand-off between goroutines, not two (see the README's Performance).
func (p *pipeline) addWhitelist(cfg Config, list *whitelist.List, logs *slog.Logger, out *outputs) {
	alerts, queues := 0, 0 // one alert queue for each alert sink
	if cfg.DiscordWebhook != "" {
		queues++ // queue 0, Alerts()
	}
	if cfg.NATSURL != "" {
		p.natsAlerts = queues
		queues++
	}
	if queues > 0 {
		alerts = alertQueue
	}
	p.whitelist = actors.NewWhitelist(actors.WhitelistConfig{
		List:   list,
		Out:    out.matches,
		Format: out.records,
		Log:    logs.With("actor", "whitelist"),
		Flush:  out.stdout.Flush,
		Alerts: alerts,

		AlertQueues: queues,
		UnseenAfter: cfg.UnseenAfter,
	})
	logs.Info("whitelist loaded", slog.String("file", cmp.Or(cfg.Whitelist, "built-in demo")), slog.Int("entries", list.Len()),
		slog.Int("warnings", len(list.Warnings())))

	if cfg.Whitelist != "" {
		p.hup = make(chan struct{}, 1)
		reloader := actors.NewWhitelistReloader(actors.WhitelistReloaderConfig{
			Path: cfg.Whitelist,
			Sink: p.whitelist,
			HUP:  p.hup,
			Log:  logs.With("actor", "whitelist"),
		})
		p.extra = append(p.extra, reloader.Run)
	}
	if cfg.DiscordWebhook != "" {
		p.discord = actors.NewDiscord(actors.DiscordConfig{WebhookURL: cfg.DiscordWebhook}, logs.With("actor", "discord"))
		p.alerts = append(p.alerts, func(ctx context.Context) error { return p.discord.Run(ctx, p.whitelist.Alerts()) })
	}
}

// reload asks for the whitelist to be read again (SIGHUP). It never blocks: a
// reload already pending covers this one too.
func (p *pipeline) reload() {
	select {
	case p.hup <- struct{}{}:
	default:
	}
}

// The shares of the stop's budget (-shutdown-timeout) beyond the
// connection's own: the sinks give up what they still hold (Discord's drain
// gets what is left until then) at sinkGiveUpShare of it, and run stops
// waiting when all of it has passed.
const sinkGiveUpShare = 7.0 / 8

// errSecondSignal ends run when a second signal cut the stop short.
var errSecondSignal = errors.New("stopped at once by a second signal")

// run runs every actor until the pipeline has drained. A cancelled ctx stops
// only the connections: each unsubscribes and closes with status 1000, their
// queue closes, and the stop cascades through closed channels so that the
// parser and every sink finish what was already received, and stdout's writer
// writes what they printed. An actor's error cancels the rest at once and is
// returned.
//
// The stop runs under one budget, p.budget from when ctx ends: the sinks are
// told to give up at sinkGiveUpShare of it, and when all of it has passed run
// returns nil without waiting further (a writer blocked on a stalled stdout
// is left behind: the process is about to exit). When hurry closes, run
// returns errSecondSignal at once.
func (p *pipeline) run(ctx context.Context, hurry <-chan struct{}) error {
	g, gctx := errgroup.WithContext(context.WithoutCancel(ctx))
	connCtx, stopConn := context.WithCancel(gctx)
	defer stopConn()
	defer context.AfterFunc(ctx, stopConn)()
	sinkCtx, giveUp := context.WithCancel(gctx)
	defer giveUp()
	outCtx, stopOut := context.WithCancel(gctx)
	defer stopOut()

	var sinks sync.WaitGroup
	for _, s := range p.sinks {
		in := p.hub.Attach(s.name, cmp.Or(s.queue, sinkQueue))
		sinks.Add(1)
		g.Go(func() error { defer sinks.Done(); return s.sink.Run(sinkCtx, in) })
	}
	if p.whitelist != nil {
		matches := p.hub.AttachDecider("whitelist", whitelistQueue, p.whitelist)
		sinks.Add(1)
		g.Go(func() error { defer sinks.Done(); return p.whitelist.Run(sinkCtx, matches) })
	}
	// stdout's writer outlives the sinks that print: it writes what is left
	// once they are done.
	g.Go(func() error { return p.out.stdout.Run(outCtx) })
	g.Go(func() error { sinks.Wait(); stopOut(); return nil })
	for _, run := range p.alerts {
		g.Go(func() error { return run(sinkCtx) })
	}
	if p.natsSource != nil {
		// The NATS source stands for the connection and the parser.
		g.Go(func() error { return p.hub.Run(gctx) })
		g.Go(func() error { return p.natsSource.Run(connCtx) })
	} else {
		// The recorder stops once the source has returned: no tap is
		// called after, so it drains everything the connection read.
		recCtx, stopRecorder := context.WithCancel(gctx)
		defer stopRecorder()
		if p.recorder != nil {
			g.Go(func() error { return p.recorder.Run(recCtx) })
			g.Go(func() error { return p.compactor.Run(connCtx) })
		}
		// The parser fans out on its own goroutine: one hand-off fewer
		// between the socket and the sinks (see Parser.RunInto). It waits
		// on the source's queue alone: after an actor's error it returns
		// once the source, stopping on connCtx, has closed that queue.
		g.Go(func() error { return p.parser.RunInto(gctx, p.hub) })
		g.Go(func() error {
			// A source that ends (a replay at the end of its journal)
			// stops the actors beside it too, as a shutdown does.
			defer stopConn()
			defer stopRecorder()
			return p.source.Run(connCtx)
		})
	}
	for _, run := range p.extra {
		g.Go(func() error { return run(connCtx) })
	}

	// Waited for here, or left behind past the budget: see above.
	done := make(chan error, 1)
	go func() { done <- g.Wait() }()
	var giveUpC, overC <-chan time.Time
	stopping := ctx.Done()
	for {
		select {
		case err := <-done:
			if !p.stopBy.IsZero() && errors.Is(err, context.Canceled) {
				return nil // the sinks gave up, as the budget asked
			}
			return err
		case <-stopping:
			stopping = nil
			p.stopBy = time.Now().Add(p.budget)
			giveUpT := time.NewTimer(time.Duration(sinkGiveUpShare * float64(p.budget)))
			defer giveUpT.Stop()
			overT := time.NewTimer(p.budget)
			defer overT.Stop()
			giveUpC, overC = giveUpT.C, overT.C
		case <-giveUpC:
			giveUp()
		case <-overC:
			p.log.Warn("the stop took all of -shutdown-timeout: exiting with what could be written",
				slog.Duration("shutdown_timeout", p.budget))
			return nil
		case <-hurry:
			return errSecondSignal
		}
	}
}

// deliveredFirst is how many trades each connection delivered first (the
// ones printed from it), connection 1 first; nil under -source. With one
// connection it is every trade.
func (p *pipeline) deliveredFirst() []uint64 {
	if p.parser == nil {
		return nil
	}
	var first []uint64
	for _, l := range p.parser.Stats().Lines {
		first = append(first, l.First)
	}
	return first
}

// deliveredFirstAttr shows first (deliveredFirst) in a log line, as
// delivered_first.conn1=N delivered_first.conn2=M.
func deliveredFirstAttr(first []uint64) slog.Attr {
	var attrs []any
	for i, n := range first {
		attrs = append(attrs, slog.Uint64(fmt.Sprintf("conn%d", i+1), n))
	}
	return slog.Group("delivered_first", attrs...)
}
