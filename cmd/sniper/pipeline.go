package main

import (
	"context"
	"log/slog"

	"golang.org/x/sync/errgroup"

	"github.com/rollsniper/rollsniper/actors"
)

// sinkQueue is each sink's queue capacity: about a quarter of an hour of the
// real feed's usual rate, so only a sink that is stuck, not one that is briefly
// slow, loses trades.
const sinkQueue = 1024

// namedSink is a sink and the name its queue is counted and logged under.
type namedSink struct {
	name string
	sink actors.Sink
}

// pipeline is the whole actor graph: conn → parser → hub → sinks.
type pipeline struct {
	conn    *actors.Conn
	parser  *actors.Parser
	hub     *actors.Hub
	printer *actors.Printer
	sinks   []namedSink
	extra   []func(context.Context) error // more actors to run beside the pipeline (the demo's faults)
	log     *slog.Logger
}

// newPipeline builds every actor for cfg. It starts nothing. flush makes what
// trades has written visible (the Output under it); nil if it is unbuffered.
func newPipeline(cfg Config, logs, trades *slog.Logger, flush func() error) *pipeline {
	conn := actors.NewConn(actors.ConnConfig{
		URL:            cfg.URL,
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
	}, logs.With("actor", "conn"))
	parser := actors.NewParser(conn.Out(), logs.With("actor", "parser"))
	p := &pipeline{
		conn:    conn,
		parser:  parser,
		hub:     actors.NewHub(parser.Out(), logs.With("actor", "hub")),
		printer: actors.NewPrinter(trades, flush),
		log:     logs,
	}
	// Adding a sink is one line here.
	p.sinks = append(p.sinks, namedSink{"printer", p.printer})
	return p
}

// run runs every actor until the pipeline has drained. A cancelled ctx stops
// only the connection actor: it unsubscribes and closes with status 1000, its
// output closes, and the stop cascades through closed channels so that the
// parser and every sink finish what was already received. An actor's error
// cancels the rest at once and is returned.
func (p *pipeline) run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(context.WithoutCancel(ctx))
	connCtx, stopConn := context.WithCancel(gctx)
	defer stopConn()
	defer context.AfterFunc(ctx, stopConn)()

	for _, s := range p.sinks {
		in := p.hub.Attach(s.name, sinkQueue)
		g.Go(func() error { return s.sink.Run(gctx, in) })
	}
	g.Go(func() error { return p.hub.Run(gctx) })
	g.Go(func() error { return p.parser.Run(gctx) })
	g.Go(func() error { return p.conn.Run(connCtx) })
	for _, run := range p.extra {
		g.Go(func() error { return run(connCtx) })
	}
	return g.Wait()
}
