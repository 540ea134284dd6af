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
	"github.com/rollsniper/rollsniper/internal/whitelist"
)

// sinkQueue is each sink's queue capacity: about a quarter of an hour of the
// real feed's usual rate, so only a sink that is stuck, not one that is briefly
// slow, loses trades.
const sinkQueue = 1024

// alertQueue is the whitelist's queue of matches for the alert sinks: matches
// are rare (a few a day for a tight whitelist), so this only fills when the
// alert sink is stuck, and then the whitelist drops and counts.
const alertQueue = 64

// whitelistQueue is the whitelist's queue capacity. A trade the whitelist
// never sees is a match the trader never hears of, so its queue holds about
// 150 ms of a 100,000-trade-a-second burst, which it decides in well under
// that. In bytes: a real trade is about 200, and the parser lets none through
// with more than feedjson.MaxTradeText of text plus its stickers' names (at
// most 5 × feedjson.MaxStickerName), so the queue holds at most about 30 MiB
// whatever the feed sends (sinkQueue's, about 2 MiB).
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
//	(-connections: the    (keeps the first      ├──▶ whitelist ──matches──▶ discord
//	 only actors that      copy of each trade)  └──▶ ...more sinks, each with its own queue
//	 restart)
//
// newPipeline builds it and run runs it; nothing else wires actors together.
type pipeline struct {
	lines   *actors.Lines // the connections, one or more
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

	// source stands for lines and parser under -source (both nil then): the
	// hub runs on its own, fed by the NATS stream. Nil otherwise.
	source     *actors.NATSSource
	natsPub    *actors.NATSPublisher // the -nats sink; nil without -nats
	natsAlerts int                   // the whitelist's alert queue for natsPub

	extra   []func(context.Context) error // more actors to run beside the pipeline (the demo's faults, metrics, reloads)
	log     *slog.Logger
	out     *outputs      // stdout's writer runs in the pipeline; the loggers write to the outputs
	budget  time.Duration // -shutdown-timeout: how long a stop may take in all
	started time.Time     // when newPipeline built it
	// stopBy is when the stop's budget runs out; zero until a stop begins.
	// Only run's goroutine touches it.
	stopBy time.Time
}

// newPipeline builds every actor for cfg, logging to logs and printing
// through out. It starts nothing. It fails, with a *ConfigError, only when the
// whitelist file cannot be read or is invalid.
func newPipeline(cfg Config, logs *slog.Logger, out *outputs) (*pipeline, error) {
	var conns []actors.ConnConfig
	for _, url := range cfg.URLs() {
		conns = append(conns, connConfig(cfg, url))
	}
	lines := actors.NewLines(conns, logs.With("actor", "conn"))
	parser := actors.NewParserLines(lines.Out(), len(conns), logs.With("actor", "parser"))
	p := &pipeline{
		lines:   lines,
		parser:  parser,
		hub:     actors.NewHub(nil, logs.With("actor", "hub")),
		printer: actors.NewPrinter(out.trades, out.stdout.Flush),
		log:     logs,
		out:     out,
		budget:  cfg.ShutdownTimeout,
		started: time.Now(),
	}
	if cfg.Source != "" {
		p.lines, p.parser = nil, nil
		p.source = newNATSSource(cfg, logs, func() bool { return hubBusy(p.hub) })
		p.hub = actors.NewHub(p.source.Out(), logs.With("actor", "hub"))
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

// addWhitelist adds the whitelist sink, its reloader when the list comes from
// a file, and the Discord alerts when a webhook is set.
//
// The whitelist is attached after the printer on purpose. The fan-out offers
// a trade to the queues in attach order, and Go's scheduler runs the goroutine
// readied last first, on the parser's own thread, once the parser waits: so
// the decision does not wait behind the printer's write. In feedbench this
// order cut the p99 from frame to decision by a fifth to a third.
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
		Log:    logs.With("actor", "whitelist"),
		Flush:  out.stdout.Flush,
		Alerts: alerts,

		AlertQueues: queues,
	})
	p.sinks = append(p.sinks, namedSink{"whitelist", p.whitelist, whitelistQueue})
	logs.Info("whitelist loaded", slog.String("file", cmp.Or(cfg.Whitelist, "built-in demo")), slog.Int("entries", list.Len()))

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
	// stdout's writer outlives the sinks that print: it writes what is left
	// once they are done.
	g.Go(func() error { return p.out.stdout.Run(outCtx) })
	g.Go(func() error { sinks.Wait(); stopOut(); return nil })
	for _, run := range p.alerts {
		g.Go(func() error { return run(sinkCtx) })
	}
	if p.source != nil {
		// The NATS source stands for the connection and the parser.
		g.Go(func() error { return p.hub.Run(gctx) })
		g.Go(func() error { return p.source.Run(connCtx) })
	} else {
		// The parser fans out on its own goroutine: one hand-off fewer
		// between the socket and the sinks (see Parser.RunInto).
		g.Go(func() error { return p.parser.RunInto(gctx, p.hub) })
		g.Go(func() error { return p.lines.Run(connCtx) })
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
