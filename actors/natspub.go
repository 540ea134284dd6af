package actors

// This file holds the NATS publisher: the sink that publishes every trade,
// and every whitelist match, to a JetStream stream, without ever making the
// pipeline wait on the server.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lmittmann/tint"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rollsniper/rollsniper/internal/backoff"
	"github.com/rollsniper/rollsniper/internal/natsrec"
	"github.com/rollsniper/rollsniper/messages"
)

// NATSPublisherConfig is what the NATS publisher needs. Zero values mean the
// defaults.
type NATSPublisherConfig struct {
	// Conn is how to reach the server.
	Conn NATSConnConfig
	// Subjects are where trades and matches go, and the stream's name.
	Subjects natsrec.Subjects
	// Matches is the whitelist's alert queue for this sink; nil publishes
	// trades only.
	Matches <-chan messages.Match
	// MaxPending bounds the messages published and not yet acknowledged by
	// the stream (4,096).
	MaxPending int
	// Buffer bounds the messages waiting to be published: while the server
	// is unreachable, the stream is not set up yet, or MaxPending are in
	// flight (65,536, about 35 MB). When it is full while the server is
	// unreachable the oldest is dropped and counted: a listing is worth more
	// the fresher it is; while the server is there but slower than the
	// feed, the publisher leaves the trades in its queue instead, which the
	// hub drops from (and counts) only when that is full too.
	Buffer int
	// AckTimeout is how long a message may wait for the stream's
	// acknowledgement before it is published again (5 s). Publishing again
	// is safe: the stream keeps one copy of a Nats-Msg-Id.
	AckTimeout time.Duration
	// DrainTimeout bounds, once the input is closed, how long the messages
	// still buffered or in flight may take in all (5 s); what is left then
	// is abandoned and counted.
	DrainTimeout time.Duration
	// StreamTimeout bounds one attempt to create or update the stream (5 s).
	StreamTimeout time.Duration
}

// NATSPublisherStats is a snapshot of the publisher's counters, which only
// grow, and its state.
type NATSPublisherStats struct {
	State       NATSState // the connection's
	StreamReady bool      // the stream was created, updated or found
	Published   uint64    // messages handed to the server for the first time
	Retried     uint64    // messages published again after an error or a timeout
	Acked       uint64    // messages the stream acknowledged, duplicates included
	Duplicates  uint64    // acknowledged as duplicates: another publisher's copy, or a retry's
	Dropped     uint64    // dropped from a full buffer
	Abandoned   uint64    // still buffered or unacknowledged when the drain ended
	Pending     int       // buffered or in flight now
}

// NATSPublisher is the sink that publishes every trade on Subjects.Trades
// and every match on Subjects.Matches, one natsrec record a message, with
// the header Nats-Msg-Id (natsrec.TradeMsgID, natsrec.MatchMsgID), so that
// the stream keeps one copy of each even when several publishers send it.
//
// It never blocks the pipeline: it takes every trade from its queue at once
// into a bounded buffer of its own and publishes asynchronously, at most
// MaxPending unacknowledged. While the server is unreachable the buffer
// holds what comes, then drops the oldest (counted; logged when a run of
// drops begins and when it ends); nats.go reconnects on its own, and what
// failed or timed out is published again. At start, and after every
// reconnect, it creates or updates the stream (natsrec.StreamConfig); an
// account that may not do so publishes to the stream as it is. Run's
// goroutine does all the work but the stream's set-up, which runs on a
// goroutine Run starts and awaits, and nats.go's own.
type NATSPublisher struct {
	cfg NATSPublisherConfig
	log *slog.Logger
	enc *natsrec.Encoder

	state       atomic.Int32 // a NATSState
	streamReady atomic.Bool
	// The counters Stats shows.
	published, retried, acked, duplicates, dropped, abandoned atomic.Uint64
	// inflight counts the messages published and not yet acknowledged or
	// failed; pending mirrors what Run buffers plus inflight, for Stats.
	inflight atomic.Int64
	pending  atomic.Int64
	// wake tells Run that room was made (an acknowledgement), a message
	// came back (failed) or the stream is ready; recheck tells the stream's
	// set-up that no stream answered a message. Neither blocks its sender.
	wake, recheck chan struct{}

	mu     sync.Mutex // guards failed
	failed []*nats.Msg

	started atomic.Bool
}

var _ Sink = (*NATSPublisher)(nil)

// Defaults for NATSPublisherConfig.
const (
	natsMaxPending    = 4096
	natsBuffer        = 65536
	natsAckTimeout    = 5 * time.Second
	natsDrainTimeout  = 5 * time.Second
	natsStreamTimeout = 5 * time.Second
)

// NewNATSPublisher returns a publisher for cfg that logs to log (nil
// discards). It starts nothing and connects to nothing: call Run.
func NewNATSPublisher(cfg NATSPublisherConfig, log *slog.Logger) *NATSPublisher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.MaxPending = positiveOr(cfg.MaxPending, natsMaxPending)
	cfg.Buffer = positiveOr(cfg.Buffer, natsBuffer)
	cfg.AckTimeout = positiveOr(cfg.AckTimeout, natsAckTimeout)
	cfg.DrainTimeout = positiveOr(cfg.DrainTimeout, natsDrainTimeout)
	cfg.StreamTimeout = positiveOr(cfg.StreamTimeout, natsStreamTimeout)
	if cfg.Conn.Name == "" {
		cfg.Conn.Name = "rollsniper publisher"
	}
	return &NATSPublisher{cfg: cfg, log: log, enc: natsrec.NewEncoder(), wake: make(chan struct{}, 1), recheck: make(chan struct{}, 1)}
}

func positiveOr[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Stats returns the publisher's counters. It is safe to call while Run runs.
func (p *NATSPublisher) Stats() NATSPublisherStats {
	return NATSPublisherStats{
		State:       NATSState(p.state.Load()),
		StreamReady: p.streamReady.Load(),
		Published:   p.published.Load(),
		Retried:     p.retried.Load(),
		Acked:       p.acked.Load(),
		Duplicates:  p.duplicates.Load(),
		Dropped:     p.dropped.Load(),
		Abandoned:   p.abandoned.Load(),
		Pending:     int(p.pending.Load()),
	}
}

// Run publishes every trade from in, and every match from Matches, until in
// is closed (and Matches too, if set); then it gives what is still buffered
// or in flight up to DrainTimeout, closes the connection and returns nil. It
// returns ctx.Err() when ctx ends first, abandoning what was not
// acknowledged. An unreachable server is not an error: Run buffers and
// counts while nats.go keeps trying. Run must be called once.
func (p *NATSPublisher) Run(ctx context.Context, in <-chan messages.Trade) error {
	if p.started.Swap(true) {
		panic("actors: NATSPublisher.Run called twice")
	}
	nc, err := connectNATS(p.cfg.Conn, p.log, &p.state)
	if err != nil {
		return fmt.Errorf("NATS publisher: %w", err)
	}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(p.cfg.MaxPending),
		jetstream.WithPublishAsyncTimeout(p.cfg.AckTimeout),
		jetstream.WithPublishAsyncAckHandler(p.onAck),
		jetstream.WithPublishAsyncErrHandler(p.onErr))
	if err != nil {
		nc.Close()
		return fmt.Errorf("NATS publisher: %w", err)
	}
	reconnected := nc.StatusChanged(nats.CONNECTED)
	setupCtx, stopSetup := context.WithCancel(ctx)
	setupDone := make(chan struct{})
	go func() {
		defer close(setupDone)
		p.keepStream(setupCtx, nc, js, reconnected)
	}()
	defer func() {
		stopSetup()
		<-setupDone
		nc.RemoveStatusListener(reconnected)
		nc.Close()
		p.state.Store(int32(NATSClosed))
	}()

	buf := newMsgRing(p.cfg.Buffer)
	matches := p.cfg.Matches
	for in != nil || matches != nil {
		// A full buffer while the server is there only means it is slower
		// than the feed for now: leave the trades in the hub's queue rather
		// than drop the oldest, which is for a server that is away.
		takeIn, takeMatches := in, matches
		if buf.len() == buf.cap() && nc.IsConnected() {
			takeIn, takeMatches = nil, nil
		}
		select {
		case <-ctx.Done():
			p.abandon(ctx, buf)
			return ctx.Err()
		case t, ok := <-takeIn:
			if !ok {
				in = nil
				break
			}
			p.add(ctx, buf, &nats.Msg{Subject: p.cfg.Subjects.Trades, Data: p.enc.Trade(&t),
				Header: nats.Header{jetstream.MsgIDHeader: {natsrec.TradeMsgID(&t)}}}, false)
		case m, ok := <-takeMatches:
			if !ok {
				matches = nil
				break
			}
			p.add(ctx, buf, &nats.Msg{Subject: p.cfg.Subjects.Matches, Data: p.enc.Match(&m),
				Header: nats.Header{jetstream.MsgIDHeader: {natsrec.MatchMsgID(&m)}}}, false)
		case <-p.wake:
		}
		p.step(ctx, nc, js, buf)
	}
	return p.drain(ctx, nc, js, buf)
}

// drain publishes what is buffered and waits for the acknowledgements, up to
// DrainTimeout.
func (p *NATSPublisher) drain(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, buf *msgRing) error {
	p.step(ctx, nc, js, buf)
	deadline := time.NewTimer(p.cfg.DrainTimeout)
	defer deadline.Stop()
	for buf.len() > 0 || p.inflight.Load() > 0 {
		select {
		case <-ctx.Done():
			p.abandon(ctx, buf)
			return ctx.Err()
		case <-deadline.C:
			p.abandon(ctx, buf)
			return nil
		case <-p.wake:
		}
		p.step(ctx, nc, js, buf)
	}
	return nil
}

// step takes back the messages that failed and publishes what it may.
func (p *NATSPublisher) step(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, buf *msgRing) {
	p.mu.Lock()
	failed := p.failed
	p.failed = nil
	p.mu.Unlock()
	for _, m := range failed {
		p.add(ctx, buf, m, true)
	}
	p.pump(nc, js, buf)
	p.pending.Store(int64(buf.len()) + p.inflight.Load())
}

// add buffers m, a message published before if retry, dropping the oldest
// message when the buffer is full.
func (p *NATSPublisher) add(ctx context.Context, buf *msgRing, m *nats.Msg, retry bool) {
	if buf.len() < buf.cap() {
		if buf.streak > 0 {
			p.log.LogAttrs(ctx, slog.LevelInfo, "NATS buffer has room again",
				slog.Uint64("dropped", buf.streak), slog.Uint64("dropped_total", p.dropped.Load()))
			buf.streak = 0
		}
	} else {
		buf.pop()
		p.dropped.Add(1)
		if buf.streak == 0 {
			p.log.LogAttrs(ctx, slog.LevelWarn, "NATS buffer full, dropping the oldest messages",
				slog.Int("capacity", buf.cap()), slog.String("connection", NATSState(p.state.Load()).String()),
				slog.Bool("stream_ready", p.streamReady.Load()))
		}
		buf.streak++
	}
	buf.push(m, retry)
}

// pump publishes buffered messages while the connection is up, the stream
// is set up, and fewer than MaxPending are in flight.
func (p *NATSPublisher) pump(nc *nats.Conn, js jetstream.JetStream, buf *msgRing) {
	for buf.len() > 0 && p.inflight.Load() < int64(p.cfg.MaxPending) && p.streamReady.Load() && nc.IsConnected() {
		m, retry := buf.pop()
		p.inflight.Add(1)
		if _, err := js.PublishMsgAsync(m, jetstream.WithStallWait(time.Millisecond)); err != nil {
			// The connection went in the meantime: keep it for later.
			p.inflight.Add(-1)
			buf.pushFront(m, retry)
			return
		}
		if retry {
			p.retried.Add(1)
		} else {
			p.published.Add(1)
		}
	}
}

// onAck counts an acknowledgement. It runs on nats.go's goroutine.
func (p *NATSPublisher) onAck(_ jetstream.JetStream, _ *nats.Msg, ack *jetstream.PubAck) {
	p.acked.Add(1)
	if ack.Duplicate {
		p.duplicates.Add(1)
	}
	p.inflight.Add(-1)
	p.signal()
}

// onErr takes back a message that was not acknowledged: the connection was
// lost, the acknowledgement timed out, or no stream answered (it was
// deleted, or the server is new), which has the stream set up again. It runs
// on one of nats.go's goroutines, sometimes under its locks: it only queues.
func (p *NATSPublisher) onErr(_ jetstream.JetStream, m *nats.Msg, err error) {
	p.mu.Lock()
	p.failed = append(p.failed, m)
	p.mu.Unlock()
	p.inflight.Add(-1)
	if errors.Is(err, jetstream.ErrNoStreamResponse) {
		notify(p.recheck)
	}
	p.signal()
}

func (p *NATSPublisher) signal() { notify(p.wake) }

// notify sends on ch, a channel of capacity 1, unless a notice is pending.
func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// abandon counts, and logs, what will not be published.
func (p *NATSPublisher) abandon(ctx context.Context, buf *msgRing) {
	n := uint64(buf.len()) + uint64(max(p.inflight.Load(), 0))
	p.mu.Lock()
	n += uint64(len(p.failed))
	p.failed = nil
	p.mu.Unlock()
	if n == 0 {
		return
	}
	p.abandoned.Add(n)
	p.log.LogAttrs(ctx, slog.LevelWarn, "NATS: stopping with messages not acknowledged",
		slog.Uint64("abandoned", n), slog.String("connection", NATSState(p.state.Load()).String()))
}

// keepStream creates or updates the stream whenever the connection is up: at
// start, after every reconnect (a new server may not have it) and when no
// stream answered a message, retrying with backoff until it works. It
// returns when ctx ends.
func (p *NATSPublisher) keepStream(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, reconnected <-chan nats.Status) {
	retry := backoff.Schedule{Initial: time.Second, Max: 30 * time.Second}
	failing := false
	for {
		var wait <-chan time.Time
		if nc.IsConnected() {
			if err := p.ensureStream(ctx, js); err != nil {
				if ctx.Err() != nil {
					return
				}
				d := retry.Next()
				if !failing {
					p.log.LogAttrs(ctx, slog.LevelWarn, "cannot set up the NATS stream; buffering until it works",
						slog.String("stream", p.cfg.Subjects.Stream), slog.Duration("retry_in", d), tint.Err(err))
				}
				failing = true
				wait = time.After(d)
			} else {
				if failing {
					p.log.LogAttrs(ctx, slog.LevelInfo, "NATS stream set up", slog.String("stream", p.cfg.Subjects.Stream))
				}
				failing = false
				retry.Reset()
				p.streamReady.Store(true)
				p.signal()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-reconnected:
		case <-p.recheck:
		case <-wait:
		}
	}
}

// ensureStream creates or updates the stream; when the account may not, a
// stream that exists will do.
func (p *NATSPublisher) ensureStream(ctx context.Context, js jetstream.JetStream) error {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.StreamTimeout)
	defer cancel()
	cfg := natsrec.StreamConfig(p.cfg.Subjects)
	_, err := js.CreateOrUpdateStream(ctx, cfg)
	if err == nil {
		return nil
	}
	if _, infoErr := js.Stream(ctx, cfg.Name); infoErr == nil {
		p.log.LogAttrs(ctx, slog.LevelWarn, "cannot create or update the NATS stream; publishing to it as it is",
			slog.String("stream", cfg.Name), tint.Err(err))
		return nil
	}
	if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
		return fmt.Errorf("%w: start the server with JetStream (nats-server -js)", err)
	}
	return err
}

// msgRing is a bounded FIFO of messages, each marked as a retry or not.
type msgRing struct {
	msgs    []*nats.Msg
	retries []bool
	head, n int
	// streak counts the drops since the buffer last had room.
	streak uint64
}

func newMsgRing(capacity int) *msgRing {
	return &msgRing{msgs: make([]*nats.Msg, capacity), retries: make([]bool, capacity)}
}

func (r *msgRing) len() int { return r.n }
func (r *msgRing) cap() int { return len(r.msgs) }

// push appends m; the ring must not be full.
func (r *msgRing) push(m *nats.Msg, retry bool) {
	i := (r.head + r.n) % len(r.msgs)
	r.msgs[i], r.retries[i] = m, retry
	r.n++
}

// pushFront puts m back in front; the ring must not be full.
func (r *msgRing) pushFront(m *nats.Msg, retry bool) {
	r.head = (r.head - 1 + len(r.msgs)) % len(r.msgs)
	r.msgs[r.head], r.retries[r.head] = m, retry
	r.n++
}

// pop removes and returns the oldest message; the ring must not be empty.
func (r *msgRing) pop() (*nats.Msg, bool) {
	m, retry := r.msgs[r.head], r.retries[r.head]
	r.msgs[r.head] = nil
	r.head = (r.head + 1) % len(r.msgs)
	r.n--
	return m, retry
}
