package main

// This file holds the two clients the benchmark compares: the bare loop and
// the real pipeline.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/sync/errgroup"

	"github.com/rollsniper/rollsniper/actors"
	"github.com/rollsniper/rollsniper/internal/feedjson"
	"github.com/rollsniper/rollsniper/internal/gqlws"
	"github.com/rollsniper/rollsniper/internal/record"
	"github.com/rollsniper/rollsniper/internal/whitelist"
	"github.com/rollsniper/rollsniper/messages"
)

// bareLoop is the baseline: one goroutine that reads a frame with
// coder/websocket, decodes it with the same feedjson.ParseFrame and prints each
// trade's line with the same record.Trade; no channels, no actors. Against
// it, the pipeline's figures are its overhead alone. It returns the cost of n
// trades of a burst.
func bareLoop(ctx context.Context, f *feed, n int, w io.Writer) (cost, error) {
	ws, _, err := websocket.Dial(ctx, f.url, &websocket.DialOptions{Subprotocols: []string{gqlws.Subprotocol}})
	if err != nil {
		return cost{}, fmt.Errorf("bare loop: dial: %w", err)
	}
	defer ws.CloseNow()
	ws.SetReadLimit(actors.DefaultReadLimit)
	if err := bareHandshake(ctx, ws); err != nil {
		return cost{}, fmt.Errorf("bare loop: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(w, nil))
	if err := f.send("burst", fmt.Sprint(n)); err != nil {
		return cost{}, err
	}

	from := takeSample()
	var trades []messages.Trade
	for got := 0; got < n; {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return cost{}, fmt.Errorf("bare loop: read after %d trades: %w", got, err)
		}
		trades, _ = feedjson.ParseFrame(trades[:0], data, time.Now())
		for _, t := range trades {
			record.Trade(ctx, log, t)
		}
		got += len(trades)
	}
	to := takeSample()
	feedCPU, err := f.done()
	if err != nil {
		return cost{}, err
	}
	return costOf(from, to, n, feedCPU), ws.Close(websocket.StatusNormalClosure, "")
}

// bareHandshake sends connection_init, waits for the ack and subscribes as the
// program does.
func bareHandshake(ctx context.Context, ws *websocket.Conn) error {
	send := func(e gqlws.Envelope) error {
		b, _ := json.Marshal(e)
		return ws.Write(ctx, websocket.MessageText, b)
	}
	if err := send(gqlws.Envelope{Type: gqlws.TypeConnectionInit}); err != nil {
		return err
	}
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return fmt.Errorf("waiting for connection_ack: %w", err)
		}
		var e gqlws.Envelope
		if json.Unmarshal(data, &e) == nil && e.Type == gqlws.TypeConnectionAck {
			break
		}
	}
	payload, _ := json.Marshal(gqlws.SubCreateTrades.Payload())
	return send(gqlws.Envelope{ID: "1", Type: gqlws.TypeSubscribe, Payload: payload})
}

// decisionSink is the whitelist's decision in a sink of its own: it matches
// each trade against the demo whitelist (whitelist.List.Match, what the
// whitelist sink does before it prints a match) and notes the time from the
// frame's receipt to the decision.
type decisionSink struct {
	list    *whitelist.List
	latency []time.Duration // preallocated; only Run appends
	matched int             // trades that matched; only Run counts
	seen    atomic.Int64
}

func (s *decisionSink) Run(ctx context.Context, in <-chan messages.Trade) error {
	for t := range in {
		if _, reason := s.list.Match(&t); reason == whitelist.Matched {
			s.matched++
		}
		s.latency = append(s.latency, time.Since(t.ReceivedAt))
		s.seen.Add(1)
	}
	return nil
}

// pipelineResult is what one run of the pipeline measured.
type pipelineResult struct {
	cost    cost
	latency []time.Duration   // frame to decision, one a trade the decision sink saw
	dropped map[string]uint64 // trades the hub dropped, by sink
	writes  int64             // writes to the output
}

// runPipeline runs the real pipeline (conn → parser → hub → printer, the
// whitelist's decision) against the feed while it runs command ("burst N" or "rate R D") for
// n trades, and returns once all of them are handled. Each sink's queue holds
// queue trades.
func runPipeline(ctx context.Context, f *feed, command, args string, n, queue int) (pipelineResult, error) {
	quiet := slog.New(slog.DiscardHandler)
	conn := actors.NewConn(actors.ConnConfig{URL: f.url}, quiet)
	parser := actors.NewParser(conn.Out(), quiet)
	hub := actors.NewHub(nil, quiet)
	var w countingWriter
	out := actors.NewOutput("stdout", &w, 4<<20, false, "trade")
	printer := actors.NewPrinter(slog.New(slog.NewJSONHandler(out.Stream("trade"), nil)), out.Flush)
	decision := &decisionSink{list: whitelist.Demo(), latency: make([]time.Duration, 0, n)}
	sinks := []struct {
		name string
		sink actors.Sink
	}{
		{"printer", printer},
		{"whitelist", decision}, // last, as in sniper: see its pipeline.go
	}

	g, gctx := errgroup.WithContext(ctx)
	connCtx, stopConn := context.WithCancel(gctx)
	defer stopConn()
	outCtx, stopOut := context.WithCancel(gctx)
	defer stopOut()
	var sinksDone sync.WaitGroup
	for _, s := range sinks {
		in := hub.Attach(s.name, queue)
		sinksDone.Add(1)
		g.Go(func() error { defer sinksDone.Done(); return s.sink.Run(gctx, in) })
	}
	// The printer's writer outlives the printer: it writes what is left once
	// the sinks are done.
	g.Go(func() error { return out.Run(outCtx) })
	g.Go(func() error { sinksDone.Wait(); stopOut(); return nil })
	g.Go(func() error { return parser.RunInto(gctx, hub) })
	g.Go(func() error { return conn.Run(connCtx) })

	if err := f.send(command, args); err != nil {
		return pipelineResult{}, err
	}
	from := takeSample()
	// Wait, checking every millisecond (a thousand wake-ups a second against
	// tens of thousands of trades), until the parser has handed on every trade.
	tick := time.NewTicker(time.Millisecond)
	for parser.Stats().Trades < uint64(n) {
		select {
		case <-tick.C:
		case <-ctx.Done():
			tick.Stop()
			return pipelineResult{}, fmt.Errorf("pipeline: %d of %d trades: %w", parser.Stats().Trades, n, ctx.Err())
		}
	}
	tick.Stop()
	stopConn() // the rest drains through closed channels
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return pipelineResult{}, err
	}
	to := takeSample()
	feedCPU, err := f.done()
	if err != nil {
		return pipelineResult{}, err
	}
	res := pipelineResult{cost: costOf(from, to, n, feedCPU), latency: decision.latency, writes: w.writes.Load(),
		dropped: map[string]uint64{}}
	for _, s := range hub.Stats() {
		if s.Dropped > 0 {
			res.dropped[s.Name] = s.Dropped
		}
	}
	if d := out.Stats().Dropped["trade"]; d > 0 {
		return res, fmt.Errorf("pipeline: %d trade records dropped: the output could not keep up with a counting writer", d)
	}
	if got := printer.Printed(); got+res.dropped["printer"] < uint64(n) {
		return res, fmt.Errorf("pipeline: printed %d of %d trades", got, n)
	}
	return res, nil
}
