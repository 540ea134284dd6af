package actors

// This file holds the NATS source: it stands where the connection and the
// parser stand, and hands the hub the trades of a JetStream stream that
// other sniper processes publish.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/lmittmann/tint"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rollsniper/rollsniper/internal/backoff"
	"github.com/rollsniper/rollsniper/internal/dedup"
	"github.com/rollsniper/rollsniper/internal/loglimit"
	"github.com/rollsniper/rollsniper/internal/natsrec"
	"github.com/rollsniper/rollsniper/messages"
)

// NATSSourceConfig is what the NATS source needs. Zero values mean the
// defaults.
type NATSSourceConfig struct {
	// Conn is how to reach the server.
	Conn NATSConnConfig
	// Subjects says which stream and subject hold the trades.
	Subjects natsrec.Subjects
	// Durable names the consumer, which the server keeps with its place in
	// the stream: a source that starts again under the same name gets every
	// trade published since it stopped. "" reads through an unnamed
	// consumer. A consumer made by this run delivers the trades published
	// since Run started.
	Durable string
	// Busy reports whether the sinks have fallen behind. While catching up
	// on a backlog the source holds the next trade while Busy is true, up to
	// MaxHold, so that a backlog's burst does not overflow the sinks'
	// queues; a sink stuck longer loses trades as it would on the live feed.
	// Nil: never busy.
	Busy func() bool
	// MaxHold bounds one hold for Busy (1 s).
	MaxHold time.Duration
	// BackoffInitial and BackoffMax pace the attempts to set up the
	// consumer: while the stream does not exist yet, or after an error
	// (1 s, 30 s).
	BackoffInitial, BackoffMax time.Duration
	// Queue is the capacity of the queue to the hub (1,024).
	Queue int
	// DrainTimeout bounds, on shutdown, how long the trades nats.go has
	// already received may take to reach the hub (2 s); what is left is not
	// acknowledged, so the server delivers it again to the next run.
	DrainTimeout time.Duration
}

// NATSSourceStats is a snapshot of the source's counters, which only grow,
// and its state.
type NATSSourceStats struct {
	State       NATSState // the connection's
	Consuming   bool      // the consumer is set up and being read
	Received    uint64    // messages the server delivered
	Trades      uint64    // trades handed to the hub, each acknowledged
	Redelivered uint64    // trades skipped: this run had handed them on already
	Malformed   uint64    // messages that are no trade record, refused for good
	Behind      uint64    // trades in the stream not delivered yet, as of the last one
	LastTrade   time.Time // when the last trade was handed on; zero before the first
}

// NATSSource reads a stream's trades through a JetStream consumer and hands
// them, in the stream's order, to the hub: sniper -source. Each trade is
// acknowledged once it is in the hub's queue, so a source stopped and
// started again under the same Durable name goes on from the first trade it
// had not handed on; a trade the server delivers twice in one run (an
// acknowledgement lost with a connection) is handed on once.
//
// An unreachable server and a stream that does not exist yet are waited
// for, with backoff; nats.go reconnects on its own. Run's goroutine does all
// the work, beside nats.go's own.
type NATSSource struct {
	cfg NATSSourceConfig
	log *slog.Logger
	out chan messages.Trade

	state     atomic.Int32 // a NATSState
	consuming atomic.Bool
	// The counters Stats shows.
	received, trades, redelivered, malformed, behind atomic.Uint64
	lastTrade                                        atomic.Int64 // Unix nanoseconds

	// Only Run touches these.
	seen  *dedup.Window
	warns loglimit.Limiter

	started atomic.Bool
}

// Defaults for NATSSourceConfig.
const (
	natsSourceQueue   = 1024
	natsSourceHold    = time.Second
	natsSourceBackoff = 30 * time.Second
	natsSourceDrain   = 2 * time.Second
	// natsSourceSeen is how many trade ids a source remembers to skip a
	// redelivery: far more than can be unacknowledged at once.
	natsSourceSeen = 4 * natsrec.MaxAckPending
	// natsPaceEvery is how often, in trades, a source catching up asks Busy.
	natsPaceEvery = 32
	// natsFetchBatch and natsFetchWait shape one pull: the most messages it
	// asks for, and how long the server may take to send them. The wait
	// bounds how long a stop waits for the pull in hand.
	natsFetchBatch = 256
	natsFetchWait  = 500 * time.Millisecond
)

// NewNATSSource returns a source for cfg that logs to log (nil discards). It
// starts nothing and connects to nothing: call Run.
func NewNATSSource(cfg NATSSourceConfig, log *slog.Logger) *NATSSource {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.MaxHold = positiveOr(cfg.MaxHold, natsSourceHold)
	cfg.BackoffInitial = positiveOr(cfg.BackoffInitial, time.Second)
	cfg.BackoffMax = max(positiveOr(cfg.BackoffMax, natsSourceBackoff), cfg.BackoffInitial)
	cfg.Queue = positiveOr(cfg.Queue, natsSourceQueue)
	cfg.DrainTimeout = positiveOr(cfg.DrainTimeout, natsSourceDrain)
	if cfg.Conn.Name == "" {
		cfg.Conn.Name = "rollsniper source"
	}
	return &NATSSource{
		cfg:   cfg,
		log:   log,
		out:   make(chan messages.Trade, cfg.Queue),
		seen:  dedup.New(natsSourceSeen, 0),
		warns: loglimit.Limiter{Burst: 5, Window: time.Minute},
	}
}

// Out is the queue of trades for the hub. Run is its only sender and closes
// it when it returns.
func (s *NATSSource) Out() <-chan messages.Trade { return s.out }

// Stats returns the source's counters. It is safe to call while Run runs.
func (s *NATSSource) Stats() NATSSourceStats {
	st := NATSSourceStats{
		State:       NATSState(s.state.Load()),
		Consuming:   s.consuming.Load(),
		Received:    s.received.Load(),
		Trades:      s.trades.Load(),
		Redelivered: s.redelivered.Load(),
		Malformed:   s.malformed.Load(),
		Behind:      s.behind.Load(),
	}
	if ns := s.lastTrade.Load(); ns != 0 {
		st.LastTrade = time.Unix(0, ns)
	}
	return st
}

// Run reads trades until ctx ends, then hands on the rest of the batch the
// server was sending (up to DrainTimeout), makes sure the server has every
// acknowledgement, closes the connection and Out, and returns nil. It
// returns an error only when the connection cannot be set up at all (an
// unusable option). Run must be called once.
func (s *NATSSource) Run(ctx context.Context) error {
	if s.started.Swap(true) {
		panic("actors: NATSSource.Run called twice")
	}
	defer close(s.out)
	nc, err := connectNATS(s.cfg.Conn, s.log, &s.state)
	if err != nil {
		return fmt.Errorf("NATS source: %w", err)
	}
	defer func() {
		// The acknowledgements are on their way: make sure the server has
		// them before the next run asks it where to go on from.
		if nc.IsConnected() {
			if err := nc.FlushTimeout(s.cfg.DrainTimeout); err != nil {
				s.log.Warn("NATS: the last acknowledgements may be lost; their trades will come again", tint.Err(err))
			}
		}
		nc.Close()
		s.state.Store(int32(NATSClosed))
	}()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("NATS source: %w", err)
	}
	retry := backoff.Schedule{Initial: s.cfg.BackoffInitial, Max: s.cfg.BackoffMax}
	since := time.Now()
	name := s.cfg.Durable // an unnamed consumer's name, once the server gave it one
	failing := false
	for {
		cons, err := s.consumer(ctx, js, name, since)
		if err == nil {
			name = cons.CachedInfo().Name
			if failing {
				s.log.Info("NATS source set up", slog.String("stream", s.cfg.Subjects.Stream))
			}
			failing = false
			retry.Reset()
			err = s.consume(ctx, cons)
		}
		if ctx.Err() != nil {
			return nil
		}
		d := retry.Next()
		if !failing {
			s.log.Warn("NATS source: waiting", slog.String("why", s.why(err)), slog.Duration("retry_in", d), tint.Err(err))
		} else {
			s.log.Debug("NATS source: still waiting", slog.Duration("retry_in", d), tint.Err(err))
		}
		failing = true
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(d):
		}
	}
}

// why says in plain words what a consumer error means for the user.
func (s *NATSSource) why(err error) string {
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		return "the stream " + s.cfg.Subjects.Stream + " does not exist yet: it is created by a publisher (sniper -nats URL, with the same -nats-subject)"
	case errors.Is(err, jetstream.ErrJetStreamNotEnabled), errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount):
		return "the server has no JetStream: start it with -js"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout), errors.Is(err, nats.ErrNoResponders):
		return "the server does not answer"
	}
	return "the consumer could not be set up or was lost"
}

// consumer finds the consumer named name, made by an earlier run or before
// a reconnect, or makes it to deliver from since on.
func (s *NATSSource) consumer(ctx context.Context, js jetstream.JetStream, name string, since time.Time) (jetstream.Consumer, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var c jetstream.Consumer
	var err error = jetstream.ErrConsumerNotFound
	if name != "" {
		c, err = js.Consumer(ctx, s.cfg.Subjects.Stream, name)
	}
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		c, err = js.CreateConsumer(ctx, s.cfg.Subjects.Stream, natsrec.ConsumerConfig(s.cfg.Subjects, s.cfg.Durable, since))
	}
	if err != nil {
		return nil, err
	}
	info := c.CachedInfo()
	s.log.Info("NATS source reading", slog.String("stream", s.cfg.Subjects.Stream),
		slog.String("consumer", info.Name), slog.Bool("durable", s.cfg.Durable != ""),
		slog.Uint64("behind", info.NumPending), slog.Int("unacknowledged", info.NumAckPending))
	return c, nil
}

// consume hands on the consumer's trades until ctx ends, then finishes the
// batch in hand, and returns nil; or returns the error that ended the
// reading first.
//
// It pulls in batches, each a request the server answers with up to
// natsFetchBatch messages within natsFetchWait, streaming them as they come.
// A stop waits for the batch in hand to end rather than walk away from it:
// messages the server sent for a request nobody reads any more would come
// back only after AckWait, out of order.
func (s *NATSSource) consume(ctx context.Context, cons jetstream.Consumer) error {
	s.consuming.Store(true)
	defer s.consuming.Store(false)
	// Once ctx ends, what is in hand still goes to the hub, as the
	// connection actor's last frames do, for up to DrainTimeout.
	sendCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	defer context.AfterFunc(ctx, func() {
		select {
		case <-time.After(s.cfg.DrainTimeout):
		case <-sendCtx.Done():
		}
		cancel()
	})()
	for ctx.Err() == nil {
		batch, err := cons.Fetch(natsFetchBatch, jetstream.FetchMaxWait(natsFetchWait))
		if err != nil {
			return err
		}
		for msg := range batch.Messages() {
			if !s.handle(sendCtx, msg) {
				return nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return err
		}
	}
	return nil
}

// handle hands msg's trade to the hub and acknowledges it, and reports
// whether it did (false: ctx ended first, and msg is left for the server to
// deliver again). A message that is no trade record is refused for good; a
// trade handed on before in this run is acknowledged and skipped.
func (s *NATSSource) handle(ctx context.Context, msg jetstream.Msg) bool {
	s.received.Add(1)
	meta, _ := msg.Metadata()
	if meta != nil {
		s.behind.Store(meta.NumPending)
	}
	r, err := natsrec.Decode(msg.Data())
	if err == nil && r.Kind != natsrec.KindTrade {
		err = fmt.Errorf("a %q record on the trades subject", r.Kind)
	}
	if err != nil {
		s.malformed.Add(1)
		_ = msg.Term()
		if ok, left := s.warns.Allow(time.Now()); ok {
			s.log.Warn("NATS source: skipping a message that is no trade record", slog.String("subject", msg.Subject()),
				slog.Uint64("left_out_before", left), tint.Err(err))
		}
		return true
	}
	t := r.Trade()
	if dup, _ := s.seen.Arrive([]byte(t.ID), 0, time.Now()); dup {
		s.redelivered.Add(1)
		_ = msg.Ack()
		return true
	}
	if meta != nil && meta.NumPending > 0 && s.cfg.Busy != nil && s.trades.Load()%natsPaceEvery == 0 {
		s.hold(ctx)
	}
	select {
	case s.out <- *t:
	case <-ctx.Done():
		return false
	}
	_ = msg.Ack()
	s.trades.Add(1)
	s.lastTrade.Store(time.Now().UnixNano())
	return true
}

// hold waits while the sinks are busy, up to MaxHold.
func (s *NATSSource) hold(ctx context.Context) {
	deadline := time.Now().Add(s.cfg.MaxHold)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for s.cfg.Busy() && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
