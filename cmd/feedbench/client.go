package main

// This file holds the clients the benchmark compares: the bare loop, one hop
// (the bare loop cut in two goroutines) and the real pipeline.

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/sync/errgroup"

	"github.com/rollsniper/rollsniper/actors"
	"github.com/rollsniper/rollsniper/internal/feedjson"
	"github.com/rollsniper/rollsniper/internal/gqlws"
	"github.com/rollsniper/rollsniper/internal/journal"
	"github.com/rollsniper/rollsniper/internal/natsrec"
	"github.com/rollsniper/rollsniper/internal/record"
	"github.com/rollsniper/rollsniper/internal/whitelist"
	"github.com/rollsniper/rollsniper/messages"
)

// bareLoop is the baseline: one goroutine that reads a frame with
// coder/websocket, decodes it with the same feedjson.ParseFrame, decides each
// trade against the same whitelist and prints its line with the same
// record.JSON.AppendTrade; no channels, no actors. Against it, the pipeline's figures
// are its overhead alone. It runs command ("burst N" or "rate R D") on the
// feed and returns the cost of its n trades, and each trade's time from the
// frame's receipt to the decision, which here is taken on the goroutine that
// read the frame: the least this machine can do.
func bareLoop(ctx context.Context, f *feed, command, args string, n int, w io.Writer) (runResult, error) {
	ws, err := dialSubscribed(ctx, f.url)
	if err != nil {
		return runResult{}, fmt.Errorf("bare loop: %w", err)
	}
	defer ws.CloseNow()
	work := newBareWork(n)
	if err := f.send(command, args, 1); err != nil {
		return runResult{}, err
	}
	if err := f.started(); err != nil {
		return runResult{}, err
	}

	from := takeSample()
	for got := 0; got < n; {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return runResult{}, fmt.Errorf("bare loop: read after %d trades: %w", got, err)
		}
		k, err := work.frame(data, time.Now(), w)
		if err != nil {
			return runResult{}, fmt.Errorf("bare loop: print: %w", err)
		}
		got += k
	}
	to := takeSample()
	feedCPU, err := f.done()
	if err != nil {
		return runResult{}, err
	}
	res := runResult{cost: costOf(from, to, n, feedCPU), latency: work.latency, writes: int64(n)}
	return res, ws.Close(websocket.StatusNormalClosure, "")
}

// bareWork is the bare loop's work on a frame, which one hop's second
// goroutine does too: decode it, decide each trade against the demo
// whitelist, note the time from the frame's receipt to the decision, and
// print the trade's line.
type bareWork struct {
	list    *whitelist.List
	trades  []messages.Trade
	line    []byte
	latency []time.Duration // preallocated for the run's trades
}

func newBareWork(n int) *bareWork {
	return &bareWork{list: whitelist.Demo(), line: make([]byte, 0, 1024), latency: make([]time.Duration, 0, n)}
}

// frame does the work on data, a frame received at at, printing to w, and
// returns how many trades it held.
func (b *bareWork) frame(data []byte, at time.Time, w io.Writer) (int, error) {
	b.trades, _ = feedjson.ParseFrame(b.trades[:0], data, at)
	for i := range b.trades {
		t := &b.trades[i]
		b.list.Match(t)
		b.latency = append(b.latency, time.Since(t.ReceivedAt))
		b.line = record.JSON.AppendTrade(b.line[:0], time.Now(), t)
		if _, err := w.Write(b.line); err != nil {
			return 0, err
		}
	}
	return len(b.trades), nil
}

// oneHop is the least an actor shape can do: the bare loop cut in two
// goroutines joined by one channel, as the pipeline's connection and parser
// are. One reads each frame with coder/websocket (whose Read returns a slice
// of its own), sends it on a buffered channel and yields to the other, as
// the pipeline's reader does (actors.YieldToReadied); the other decodes it,
// decides each trade and prints its line, exactly as the bare loop does.
// Against it, the pipeline's latency is what the rest of the actors cost;
// against the bare loop, it is what one hand-off between goroutines costs on
// this machine.
func oneHop(ctx context.Context, f *feed, command, args string, n int, w io.Writer) (runResult, error) {
	ws, err := dialSubscribed(ctx, f.url)
	if err != nil {
		return runResult{}, fmt.Errorf("one hop: %w", err)
	}
	defer ws.CloseNow()
	type frame struct {
		data []byte
		at   time.Time
	}
	frames := make(chan frame, 1024)
	decided := make(chan error, 1)
	work := newBareWork(n)
	go func() {
		for got := 0; got < n; {
			fr, ok := <-frames
			if !ok {
				return // the reader failed, or never started
			}
			k, err := work.frame(fr.data, fr.at, w)
			if err != nil {
				decided <- fmt.Errorf("one hop: print: %w", err)
				return
			}
			got += k
		}
		decided <- nil
	}()
	err = f.send(command, args, 1)
	if err == nil {
		err = f.started()
	}
	if err != nil {
		close(frames) // no reader yet: the decider returns
		return runResult{}, err
	}
	from := takeSample()
	readErr := make(chan error, 1)
	go func() {
		for {
			_, data, err := ws.Read(ctx)
			if err != nil {
				readErr <- err
				return
			}
			frames <- frame{data, time.Now()}
			actors.YieldToReadied()
		}
	}()
	select {
	case err = <-decided:
	case err = <-readErr:
		close(frames) // the reader has returned: the decider returns too
		err = fmt.Errorf("one hop: read: %w", err)
	}
	if err != nil {
		return runResult{}, err
	}
	to := takeSample()
	feedCPU, err := f.done()
	if err != nil {
		return runResult{}, err
	}
	res := runResult{cost: costOf(from, to, n, feedCPU), latency: work.latency, writes: int64(n)}
	err = ws.Close(websocket.StatusNormalClosure, "")
	<-readErr // the reader ends with the connection
	return res, err
}

// dialSubscribed dials the feed, with the program's read limit, and
// subscribes as the program does.
func dialSubscribed(ctx context.Context, url string) (*websocket.Conn, error) {
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{gqlws.Subprotocol}})
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	ws.SetReadLimit(actors.DefaultReadLimit)
	if err := bareHandshake(ctx, ws); err != nil {
		ws.CloseNow()
		return nil, err
	}
	return ws, nil
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

// decisionRecorder is the whitelist's decision as sniper makes it: the
// actors.Whitelist over the demo whitelist, attached to the hub as its
// Decider, on the fan-out's goroutine. It notes each trade's time from the
// frame's receipt to the decision, which the whitelist takes right after the
// list matched the trade, as the bare loop takes its own right after Match.
type decisionRecorder struct {
	w       *actors.Whitelist
	latency []time.Duration // preallocated; only the fan-out appends
	want    int             // trades to decide before closing done
	done    chan struct{}   // closed once want trades are decided
}

func newDecisionRecorder(n int) *decisionRecorder {
	return &decisionRecorder{
		w:       actors.NewWhitelist(actors.WhitelistConfig{List: whitelist.Demo()}),
		latency: make([]time.Duration, 0, n), want: n, done: make(chan struct{}),
	}
}

func (d *decisionRecorder) Decide(ctx context.Context, t *messages.Trade) (messages.Match, bool) {
	m, ok := d.w.Decide(ctx, t)
	d.latency = append(d.latency, m.DecidedAt.Sub(t.ReceivedAt)) // as the hub times it: see actors.Decider
	if len(d.latency) == d.want {
		close(d.done)
	}
	return m, ok
}

// runResult is what one run of a client measured.
type runResult struct {
	cost    cost
	latency []time.Duration    // frame to decision, one a trade decided
	dropped map[string]uint64  // trades the hub dropped, by sink (the pipeline's)
	writes  int64              // writes to the output
	parsed  actors.ParserStats // the pipeline's parser, at the end
	// recorded and recordDropped are what the recorder did with the frames
	// (parsed.Frames), when it ran.
	recorded, recordDropped uint64
}

// natsSink is a NATS publisher to attach to one pipeline run, and what it
// measured.
type natsSink struct {
	url      string           // the embedded server's
	subjects natsrec.Subjects // a prefix of the run's own, so its stream is new
	pub      *actors.NATSPublisher
	stored   time.Duration // from the burst's start to the last trade stored
}

// pipelineOpts are what a pipeline run adds to the plain pipeline.
type pipelineOpts struct {
	nats  *natsSink // the NATS publisher to attach; nil for none
	conns int       // connections to the feed, as sniper -connections; 0 means 1
	// record, when set, is the directory to record the frames into, as
	// sniper -record does (the recorder and its compactor), with the
	// journal options journal.
	record  string
	journal journal.Options
	noYield bool // the readers do not yield after a hand-off (ConnConfig.NoYield)
}

// runPipeline runs the real pipeline (connections → parser → hub → printer,
// the whitelist's decision, and what opts adds) against the feed while it
// runs command ("burst N" or "rate R D") for n trades, and returns once all
// of them are handled: decided, every copy read with several connections,
// stored with NATS, recorded (or dropped) with a recorder, so that the whole
// work of each is measured. Each sink's queue holds queue trades.
func runPipeline(ctx context.Context, f *feed, command, args string, n, queue int, opts pipelineOpts) (runResult, error) {
	quiet := slog.New(slog.DiscardHandler)
	ns := opts.nats
	var rec *actors.Recorder
	var comp *actors.Compactor
	if opts.record != "" {
		jo := opts.journal
		jo.Writer = "feedbench"
		w, err := journal.NewWriter(opts.record, jo)
		if err != nil {
			return runResult{}, err
		}
		rec = actors.NewRecorder(actors.RecorderConfig{Writer: w, Log: quiet})
		comp = actors.NewCompactor(actors.CompactorConfig{In: rec.Closed(), Busy: rec.Busy, Log: quiet})
	}
	conns := make([]actors.ConnConfig, max(opts.conns, 1))
	for i := range conns {
		conns[i] = actors.ConnConfig{URL: f.url, Tap: rec.Tap(uint8(i + 1)), NoYield: opts.noYield}
	}
	lines := actors.NewLines(conns, quiet)
	parser := actors.NewParserLines(lines.Out(), len(conns), quiet)
	hub := actors.NewHub(nil, quiet)
	var w countingWriter
	out := actors.NewOutput("stdout", &w, 4<<20, false, "trade")
	printer := actors.NewPrinter(out.Stream("trade"), record.JSON, out.Flush)
	decision := newDecisionRecorder(n)
	sinks := []struct {
		name string
		sink actors.Sink
	}{
		{"printer", printer},
	}
	if ns != nil {
		ns.pub = actors.NewNATSPublisher(actors.NATSPublisherConfig{Conn: actors.NATSConnConfig{URL: ns.url}, Subjects: ns.subjects}, quiet)
		sinks = append(sinks, struct {
			name string
			sink actors.Sink
		}{"nats", ns.pub})
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
	matches := hub.AttachDecider("whitelist", queue, decision) // as in sniper: see its pipeline.go
	g.Go(func() error { return decision.w.Run(gctx, matches) })
	// The printer's writer outlives the printer: it writes what is left once
	// the sinks are done.
	g.Go(func() error { return out.Run(outCtx) })
	g.Go(func() error { sinksDone.Wait(); stopOut(); return nil })
	g.Go(func() error { return parser.RunInto(gctx, hub) })
	recCtx, stopRec := context.WithCancel(gctx)
	defer stopRec()
	if rec != nil {
		g.Go(func() error { return rec.Run(recCtx) })
		g.Go(func() error { return comp.Run(connCtx) })
	}
	g.Go(func() error {
		defer stopRec() // as sniper's pipeline: the recorder drains once the connections have stopped
		return lines.Run(connCtx)
	})

	stop := func() error { stopConn(); return g.Wait() } // the rest drains through closed channels
	err := f.send(command, args, len(conns))
	if err == nil {
		err = f.started()
	}
	if err != nil {
		_ = stop()
		return runResult{}, err
	}
	// From the moment the feed sends, to the decision on the last trade: not
	// the dial and handshake before, nor the stop after, as for the bare loop.
	from := takeSample()
	var to sample
	// Wait for the decision on the last trade: on a channel, not by polling,
	// so that waiting costs nothing at slow rates, where a poll's wake-ups
	// would outnumber the trades.
	select {
	case <-decision.done:
		if len(conns) > 1 {
			// The copies cost too: the run ends when the last is read.
			if err := waitCopies(ctx, parser, len(conns)*n); err != nil {
				_ = stop()
				return runResult{}, err
			}
		}
		if rec != nil {
			// The recorder's work for the burst is the recording's cost:
			// wait until it has written (or dropped) every frame. A
			// check every 100 µs costs the recording run a little.
			for frames := parser.Stats().Frames; ; time.Sleep(100 * time.Microsecond) {
				if s := rec.Stats(); s.Recorded+s.Dropped >= frames || gctx.Err() != nil {
					break
				}
			}
		}
		to = takeSample()
	case <-gctx.Done():
		err := stop()
		return runResult{}, fmt.Errorf("pipeline: %d of %d trades: %w", parser.Stats().Trades, n, cmp.Or(err, context.Cause(gctx)))
	}
	if ns != nil {
		if err := waitStored(ctx, ns.pub, n); err != nil {
			_ = stop()
			return runResult{}, err
		}
		ns.stored = time.Since(from.at)
	}
	if err := stop(); err != nil && !errors.Is(err, context.Canceled) {
		return runResult{}, err
	}
	feedCPU, err := f.done()
	if err != nil {
		return runResult{}, err
	}
	res := runResult{cost: costOf(from, to, n, feedCPU), latency: decision.latency, writes: w.writes.Load(),
		dropped: map[string]uint64{}, parsed: parser.Stats()}
	if rec != nil {
		s := rec.Stats()
		res.recorded, res.recordDropped = s.Recorded, s.Dropped
	}
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

// waitStored waits until the publisher has had n trades acknowledged, a
// minute at most. Polling every millisecond costs little beside a burst.
func waitStored(ctx context.Context, pub *actors.NATSPublisher, n int) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for pub.Stats().Acked < uint64(n) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("NATS: %d of %d trades stored: %w", pub.Stats().Acked, n, ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}

// waitCopies waits until the parser has read n trades from its lines, first
// copies and later ones together, a minute at most. A poll every
// millisecond costs little beside a burst.
func waitCopies(ctx context.Context, parser *actors.Parser, n int) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	read := func() uint64 {
		var sum uint64
		for _, l := range parser.Stats().Lines {
			sum += l.First + l.Duplicates
		}
		return sum
	}
	for read() < uint64(n) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("pipeline: %d of the %d copies read: %w", read(), n, ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}
