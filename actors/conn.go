package actors

// This file is the connection actor's outer loop: its settings, its state and
// counters, and Run, which opens one session after another with backoff. A
// session itself (dial, handshake, subscribe, watch) is in session.go and its
// socket reader in reader.go; the rules for what an ending means are in
// internal/gqlws.

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rollsniper/rollsniper/internal/backoff"
	"github.com/rollsniper/rollsniper/internal/gqlws"
	"github.com/rollsniper/rollsniper/internal/liveness"
	"github.com/rollsniper/rollsniper/messages"
)

// ConnConfig is what the connection actor needs to reach the feed.
type ConnConfig struct {
	URL          string
	Session      string // the value of the "session" cookie; sent only in the Cookie header
	Token        string // API token for connection_init; sent only when set
	Origin       string // sent as Origin when set
	UserAgent    string // sent as User-Agent when set
	Subscription gqlws.Subscription

	BackoffInitial time.Duration // first reconnect delay (1 s)
	BackoffMax     time.Duration // cap on the reconnect delay (60 s)
	PingInterval   time.Duration // how often a protocol ping is sent
	PingTimeout    time.Duration // how long after a ping some frame must arrive
	AckTimeout     time.Duration // how long the upgrade plus connection_ack may take

	// BackoffJitter draws each reconnect delay uniformly from [0, the
	// scheduled delay] ("full jitter"), never below what the server asked.
	BackoffJitter bool
	// StaleAfter is how long a subscribed session may go without a trade (a
	// next message) before it is taken for dead and replaced. Zero means
	// DefaultStaleAfter; a negative value turns the check off.
	StaleAfter time.Duration

	// ReadLimit caps one frame's size in bytes; a larger frame ends the session
	// and is logged with its size. Zero or less means DefaultReadLimit.
	ReadLimit int64
	// ShutdownTimeout is the budget of a stop, from when Run's context ends:
	// the unsubscribe's barrier, the close handshake and the hand-off of the
	// frames already read all happen within it, and Run returns by then.
	// Zero or less means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// HTTPClient dials the upgrade; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Tap, when set, is shown every frame handed to the parser and the
	// start and end of each session (see ConnTap): the recorder's.
	Tap ConnTap

	// NoYield leaves out the reader's yield to the parser after each frame
	// (see reader.go): only for feedbench -no-yield, which shows what the
	// yield still saves.
	NoYield bool
}

// DefaultReadLimit is large enough for the biggest realistic batch of trades.
const DefaultReadLimit = 1 << 20

// frameQueueBytes bounds the bytes the frames waiting for the parser can hold
// when every one is as large as the read limit allows: a hostile feed of
// oversized-but-allowed frames cannot make the queue take more. (A frame's
// buffer holds at most twice its bytes, and 1 KiB: see
// sessionReader.frameData.)
const frameQueueBytes = 64 << 20

// frameQueue is the capacity of the queue to the parser for a read limit:
// 1,024 frames (real ones are a few KiB) unless frameQueueBytes says fewer.
// Never fewer than one, so a read limit above frameQueueBytes queues one
// frame: the queue holds at most max(frameQueueBytes, the read limit).
func frameQueue(readLimit int64) int {
	return int(max(1, min(1024, frameQueueBytes/readLimit)))
}

// DefaultStaleAfter is how long a subscription may go without a trade before
// it is replaced: the feed carries about one listing a second.
const DefaultStaleAfter = 5 * time.Minute

// oversizeCountFactor bounds how far an oversized frame is counted (and
// discarded) to report its size: up to this many times the read limit, beyond
// which it is reported as "more than" that.
const oversizeCountFactor = 16

// DefaultShutdownTimeout is the stop's budget when none is set: a round trip
// to the feed takes a fraction of it.
const DefaultShutdownTimeout = 2 * time.Second

// Conn is the connection actor: it keeps one session with the feed open at a
// time, hands every trade frame to Out, and opens a new session with backoff
// whenever one ends for any reason but shutdown or a fatal answer. Several of
// them, each with its own sessions, backoff and reasons, make the lines of
// one feed (see Lines).
type Conn struct {
	cfg ConnConfig
	log *slog.Logger
	out chan messages.Frame
	// ownsOut: Run closes out when it returns. A line of Lines shares out
	// with the other lines, and Lines closes it.
	ownsOut bool
	// number is which line of the feed this is, from 1; frames carry it.
	number int
	// pool holds the buffers the parser gave back, shared by the lines of
	// one queue; the readers read frames into them.
	pool *framePool
	// covered reports whether another line is subscribed: the feed is still
	// whole while this one waits. Nil for a connection on its own.
	covered func() bool
	// stateChanged is called, on Run's goroutine, after each change of state,
	// with the new one; nil for a connection on its own.
	stateChanged func(ConnState)

	// rand is the jitter's random source (see Backoff.Rand); nil in production.
	rand func(n int64) int64

	state      atomic.Int32 // a ConnState
	sessions   atomic.Uint64
	frames     atomic.Uint64
	reconnects [gqlws.NumReasons]atomic.Uint64
	backoff    atomic.Int64 // the current or last delay, in nanoseconds
	failures   atomic.Int64 // see ConnStats.ConsecutiveFailures
	lastFrame  atomic.Int64 // Unix nanoseconds; 0 before the first frame
	lastTrade  atomic.Int64 // Unix nanoseconds; 0 before the first trade
	// unconfirmed counts the stops whose barrier got no echo in time, and
	// abandoned the frames given up when a stop's budget ran out.
	unconfirmed atomic.Uint64
	abandoned   atomic.Uint64

	// stopStart is when Run's goroutine first saw its context end; only that
	// goroutine touches it (see stopBy). everSubscribed: a session has
	// subscribed since Run started; also Run's own.
	stopStart      time.Time
	everSubscribed bool
	// downStreak counts the failures in a row while no other line was
	// subscribed (see gqlws.Wait.DownStreak); Run's own.
	downStreak int
	host       string // the feed's host, for messages
}

// NewConn returns a connection actor for cfg. It starts nothing: call Run.
func NewConn(cfg ConnConfig, log *slog.Logger) *Conn {
	cfg = connDefaults(cfg)
	// Bounded; when full the socket reader blocks. The parser behind it never
	// blocks on sinks (the hub drops for slow sinks), so a full queue only
	// means a burst larger than the buffer, which the parser clears in
	// microseconds.
	return newConn(cfg, log, make(chan messages.Frame, frameQueue(cfg.ReadLimit)), new(framePool), 1)
}

// newConn returns line number of a feed, for cfg (with its defaults), that
// hands its frames to out and reads them into buffers from pool, out's. It
// owns out only for a connection on its own (NewConn sets that).
func newConn(cfg ConnConfig, log *slog.Logger, out chan messages.Frame, pool *framePool, number int) *Conn {
	return &Conn{cfg: cfg, log: log, host: gqlws.Host(cfg.URL), out: out, pool: pool, ownsOut: true, number: number}
}

// connDefaults fills in cfg's unset fields.
func connDefaults(cfg ConnConfig) ConnConfig {
	if cfg.ReadLimit <= 0 {
		cfg.ReadLimit = DefaultReadLimit
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&cfg.BackoffInitial, time.Second}, {&cfg.BackoffMax, time.Minute},
		{&cfg.PingInterval, 30 * time.Second}, {&cfg.PingTimeout, 10 * time.Second}, {&cfg.AckTimeout, 10 * time.Second},
		{&cfg.ShutdownTimeout, DefaultShutdownTimeout},
	} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	if cfg.Subscription == "" {
		cfg.Subscription = gqlws.SubCreateTrades
	}
	if cfg.StaleAfter == 0 {
		cfg.StaleAfter = DefaultStaleAfter
	}
	return cfg
}

// Out carries every frame the parser should see: next messages and anything the
// connection actor could not classify. Run closes it when it returns (a line
// of Lines: Lines does, once every line has returned).
func (c *Conn) Out() <-chan messages.Frame { return c.out }

// Number is which line of the feed the connection is, from 1.
func (c *Conn) Number() int { return c.number }

// setState moves the actor to state s and tells whoever watches the lines.
func (c *Conn) setState(s ConnState) {
	c.state.Store(int32(s))
	if c.stateChanged != nil {
		c.stateChanged(s)
	}
}

// Sessions is how many sessions have been started (dial attempts included).
func (c *Conn) Sessions() uint64 { return c.sessions.Load() }

// Frames is how many frames have been read across every session.
func (c *Conn) Frames() uint64 { return c.frames.Load() }

// ConnState is where the connection actor is in a session's life.
type ConnState int32

// The connection actor's states, in the order a session goes through them.
const (
	StateWaiting    ConnState = iota // between sessions: waiting out the backoff (or not started)
	StateConnecting                  // dialling, upgrading, waiting for connection_ack
	StateSubscribed                  // subscribed: frames flow
	StateStopped                     // Run has returned
)

// String names the state as metrics and logs show it.
func (s ConnState) String() string {
	switch s {
	case StateWaiting:
		return "waiting"
	case StateConnecting:
		return "connecting"
	case StateSubscribed:
		return "subscribed"
	case StateStopped:
		return "stopped"
	}
	return "unknown"
}

// ConnStats is a snapshot of the connection actor, for metrics and health
// checks. Counters only grow.
type ConnStats struct {
	State    ConnState
	Sessions uint64 // sessions started, dial attempts included
	Frames   uint64 // frames read across every session
	// Reconnects counts ended sessions by reason label (see the reason
	// constants): a small fixed set, safe as a metric label.
	Reconnects map[string]uint64
	// Backoff is the delay being waited now, or the last one waited; zero
	// before the first failure.
	Backoff time.Duration
	// ConsecutiveFailures counts the sessions that ended since the backoff
	// schedule last started again (the attempt number of the last wait). It
	// drops to 0 as soon as a session receives a trade.
	ConsecutiveFailures int
	// LastFrame is when the last frame of any kind arrived; zero if none has.
	LastFrame time.Time
	// LastTrade is when the last next (trade) message arrived; zero if none has.
	LastTrade time.Time
	// Window is how long the connection may stay silent before it counts as
	// dead: the ping interval plus the ping timeout.
	Window time.Duration
	// UnconfirmedStops counts the stops in which the feed did not answer the
	// unsubscribe's barrier in time: trades it sent just before may be lost.
	UnconfirmedStops uint64
	// AbandonedFrames counts the frames read but never handed to the parser
	// because a stop's budget ran out while they waited for room.
	AbandonedFrames uint64
}

// Stats returns a snapshot of the actor. It is safe to call while Run runs.
// Reconnects holds every reason label, counted or not.
func (c *Conn) Stats() ConnStats {
	s := ConnStats{
		State:               ConnState(c.state.Load()),
		Sessions:            c.Sessions(),
		Frames:              c.Frames(),
		Reconnects:          make(map[string]uint64, gqlws.NumReasons),
		Backoff:             time.Duration(c.backoff.Load()),
		ConsecutiveFailures: int(c.failures.Load()),
		LastFrame:           unixNanoTime(c.lastFrame.Load()),
		LastTrade:           unixNanoTime(c.lastTrade.Load()),
		Window:              liveness.Window(c.cfg.PingInterval, c.cfg.PingTimeout),
		UnconfirmedStops:    c.unconfirmed.Load(),
		AbandonedFrames:     c.abandoned.Load(),
	}
	for i, r := range gqlws.Reasons() {
		s.Reconnects[r] = c.reconnects[i].Load()
	}
	return s
}

// unixNanoTime is the time ns nanoseconds after the Unix epoch, or the zero
// time for 0.
func unixNanoTime(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// Run opens sessions until ctx ends or the server gives a fatal answer. On
// shutdown it unsubscribes, waits for the feed to confirm it has sent
// everything before that, and closes the socket with status 1000, all within
// ShutdownTimeout, then returns nil; on a fatal answer it returns a
// *gqlws.FatalError. Either way it closes Out (a connection on its own),
// after every frame its sessions read has been handed on (or, past the stop's
// budget, given up and counted).
func (c *Conn) Run(ctx context.Context) error {
	if c.ownsOut {
		defer close(c.out)
	}
	defer c.setState(StateStopped)
	b := backoff.Schedule{Initial: c.cfg.BackoffInitial, Max: c.cfg.BackoffMax, Jitter: c.cfg.BackoffJitter, Rand: c.rand}
	for {
		productive, err := c.session(ctx)
		if tap := c.cfg.Tap; tap != nil {
			tap.SessionEnded(c.sessions.Load(), time.Now(), sessionEndNote(ctx, err))
		}
		if ctx.Err() != nil {
			return nil
		}
		if fatal, ok := errors.AsType[*gqlws.FatalError](err); ok {
			return fatal
		}
		se, ok := errors.AsType[*gqlws.RetryError](err)
		if !ok {
			se = gqlws.Retry(gqlws.ReasonDropped, err)
		}
		c.reconnects[gqlws.ReasonIndex(se.Reason)].Add(1)
		// A slow-down is the server's answer to how often we connect: a
		// productive session before it must not make the next one come sooner.
		if productive && !se.SlowDown {
			b.Reset()
			c.downStreak = 0
		}
		// Another line carries the feed meanwhile: this wait loses nothing.
		covered := c.covered != nil && c.covered()
		if covered {
			c.downStreak = 0
		} else {
			c.downStreak++
		}
		delay, why := c.nextDelay(&b, se)
		c.failures.Store(int64(b.Attempt()))
		c.backoff.Store(int64(delay))
		c.setState(StateWaiting)
		// In words first; the label and the library's own text as fields.
		// What the server said is shown, but never a secret it may echo.
		w := gqlws.Wait{Err: se, Host: c.host, Delay: delay, Attempt: b.Attempt(), EverConnected: c.everSubscribed,
			Covered: covered, DownStreak: c.downStreak}
		attrs := []slog.Attr{slog.Duration("delay", delay), slog.String("delay_from", why), slog.Int("attempt", b.Attempt()),
			slog.String("kind", se.Reason), slog.String("reason", c.redact(se.Error()))}
		if se.Said != "" {
			attrs = append(attrs, slog.String("server_said", c.redact(se.Said)))
		}
		c.log.LogAttrs(ctx, w.Level(), c.redact(w.Message()), attrs...)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// redact hides the session cookie and the API token in s, text that holds
// what a server sent back.
func (c *Conn) redact(s string) string {
	for _, secret := range []string{c.cfg.Session, c.cfg.Token} {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "<secret>")
		}
	}
	return s
}

// nextDelay is how long to wait after the session that ended with se, and
// where that figure comes from: the schedule (with jitter if set), or what the
// server asked (gqlws.RetryError.Floor) when that is longer.
func (c *Conn) nextDelay(b *backoff.Schedule, se *gqlws.RetryError) (time.Duration, string) {
	delay, why := b.Next(), "backoff"
	if b.Jitter {
		why = "backoff with jitter"
	}
	if floor, asked := se.Floor(c.cfg.BackoffInitial); floor > delay {
		return floor, asked
	}
	return delay, why
}
