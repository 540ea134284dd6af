package actors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/lmittmann/tint"

	"github.com/rollsniper/rollsniper/messages"
)

// ConnConfig is what the connection actor needs to reach the feed.
type ConnConfig struct {
	URL          string
	Session      string // the value of the "session" cookie; sent only in the Cookie header
	Token        string // API token for connection_init; sent only when set
	Origin       string // sent as Origin when set
	UserAgent    string // sent as User-Agent when set
	Subscription messages.Subscription

	BackoffInitial time.Duration // first reconnect delay (1 s)
	BackoffMax     time.Duration // cap on the reconnect delay (60 s)
	PingInterval   time.Duration // how often a protocol ping is sent
	PingTimeout    time.Duration // how long after a ping some frame must arrive
	AckTimeout     time.Duration // how long the upgrade plus connection_ack may take

	// ReadLimit caps one frame's size in bytes; a larger frame ends the session.
	// Zero means DefaultReadLimit.
	ReadLimit int64
	// HTTPClient dials the upgrade; nil means http.DefaultClient.
	HTTPClient *http.Client
}

// DefaultReadLimit is large enough for the biggest realistic batch of trades.
const DefaultReadLimit = 1 << 20

// shutdownFlushTimeout bounds how long a shutdown waits for the trades still in
// flight before it closes: they arrive within a round trip.
const shutdownFlushTimeout = 2 * time.Second

// subscriptionID is the id of the one operation a session runs.
const subscriptionID = "1"

// Conn is the connection actor: it keeps one session with the feed open at a
// time, hands every trade frame to Out, and opens a new session with backoff
// whenever one ends for any reason but shutdown or a fatal answer.
type Conn struct {
	cfg ConnConfig
	log *slog.Logger
	out chan messages.Frame

	sessions atomic.Uint64
	frames   atomic.Uint64
}

// NewConn returns a connection actor for cfg. It starts nothing: call Run.
func NewConn(cfg ConnConfig, log *slog.Logger) *Conn {
	if cfg.ReadLimit == 0 {
		cfg.ReadLimit = DefaultReadLimit
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&cfg.BackoffInitial, time.Second}, {&cfg.BackoffMax, time.Minute},
		{&cfg.PingInterval, 30 * time.Second}, {&cfg.PingTimeout, 10 * time.Second}, {&cfg.AckTimeout, 10 * time.Second},
	} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	if cfg.Subscription == "" {
		cfg.Subscription = messages.SubCreateTrades
	}
	return &Conn{
		cfg: cfg,
		log: log,
		// Bounded; when full the socket reader blocks. The parser behind it never
		// blocks on sinks (the hub drops for slow sinks), so a full queue only
		// means a burst larger than the buffer, which the parser clears in
		// microseconds.
		out: make(chan messages.Frame, 1024),
	}
}

// Out carries every frame the parser should see: next messages and anything the
// connection actor could not classify. Run closes it when it returns.
func (c *Conn) Out() <-chan messages.Frame { return c.out }

// Sessions is how many sessions have been started (dial attempts included).
func (c *Conn) Sessions() uint64 { return c.sessions.Load() }

// Frames is how many frames have been read across every session.
func (c *Conn) Frames() uint64 { return c.frames.Load() }

// ConnState is where the connection actor is in a session's life.
type ConnState int32

// The connection actor's states, in the order a session goes through them.
const (
	StateWaiting     ConnState = iota // between sessions: waiting out the backoff (or not started)
	StateConnecting                   // dialling, upgrading, waiting for connection_ack
	StateSubscribed                   // subscribed: frames flow
	StateStopped                      // Run has returned
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
	// ConsecutiveFailures counts the sessions that ended since the last
	// productive one (one that received a trade).
	ConsecutiveFailures int
	// LastFrame is when the last frame of any kind arrived; zero if none has.
	LastFrame time.Time
	// LastTrade is when the last next (trade) message arrived; zero if none has.
	LastTrade time.Time
	// Window is how long the connection may stay silent before it counts as
	// dead: the ping interval plus the ping timeout.
	Window time.Duration
}

// Stats returns a snapshot of the actor. It is safe to call while Run runs.
func (c *Conn) Stats() ConnStats {
	return ConnStats{
		Sessions:   c.Sessions(),
		Frames:     c.Frames(),
		Reconnects: map[string]uint64{},
		Window:     c.cfg.PingInterval + c.cfg.PingTimeout,
	}
}

// FatalError is an answer from the server that retrying cannot fix: the user
// has to change a setting. Fix says which and how.
type FatalError struct {
	Err error
	Fix string
}

func (e *FatalError) Error() string { return e.Err.Error() + ": " + e.Fix }
func (e *FatalError) Unwrap() error { return e.Err }

// sessionError says why a session ended, and what that means for the next one.
type sessionError struct {
	err        error
	retryAfter time.Duration // the server asked to wait at least this long
}

func (e *sessionError) Error() string { return e.err.Error() }
func (e *sessionError) Unwrap() error { return e.err }

// Run opens sessions until ctx ends or the server gives a fatal answer. On
// shutdown it unsubscribes and closes the socket with status 1000, then returns
// nil; on a fatal answer it returns a *FatalError. It closes Out either way.
func (c *Conn) Run(ctx context.Context) error {
	defer close(c.out)
	b := Backoff{Initial: c.cfg.BackoffInitial, Max: c.cfg.BackoffMax}
	for {
		productive, err := c.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if fatal, ok := errors.AsType[*FatalError](err); ok {
			return fatal
		}
		if productive {
			b.Reset()
		}
		delay := b.Next()
		if se, ok := errors.AsType[*sessionError](err); ok && se.retryAfter > delay {
			delay = se.retryAfter
		}
		c.log.WarnContext(ctx, "reconnecting",
			slog.Duration("delay", delay), slog.Int("attempt", b.Attempt()), slog.String("reason", err.Error()))
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// session dials, handshakes, subscribes and reads until the session ends. It
// reports whether any trade message arrived, and why the session ended (nil
// only on shutdown). Every goroutine it starts has exited when it returns.
func (c *Conn) session(ctx context.Context) (productive bool, err error) {
	n := c.sessions.Add(1)
	log := c.log.With(slog.Uint64("session", n))

	dialCtx, cancelDial := context.WithTimeout(ctx, c.cfg.AckTimeout)
	ws, resp, err := websocket.Dial(dialCtx, c.cfg.URL, &websocket.DialOptions{
		HTTPClient:   c.cfg.HTTPClient,
		HTTPHeader:   c.header(),
		Subprotocols: []string{messages.Subprotocol},
	})
	cancelDial()
	if err != nil {
		return false, c.dialError(ctx, log, resp, err)
	}
	defer ws.CloseNow()
	ws.SetReadLimit(c.cfg.ReadLimit)
	log.InfoContext(ctx, "connected", slog.String("url", c.cfg.URL))

	// The reader's context is the session's own, not ctx: cancelling a read
	// closes the socket, and on shutdown the socket must stay open long enough
	// to unsubscribe and close cleanly.
	rctx, cancelRead := context.WithCancel(context.WithoutCancel(ctx))
	r := &sessionReader{conn: c, ws: ws, session: n, log: log, start: time.Now(),
		acked: make(chan struct{}), pong: make(chan struct{}, 1), done: make(chan struct{})}
	readErr := make(chan error, 1)
	go func() { readErr <- r.run(rctx) }()
	readerDone := false
	defer func() {
		cancelRead()
		if !readerDone {
			<-readErr
		}
	}()
	ended := func(err error) (bool, error) {
		readerDone = true
		if errors.Is(err, websocket.ErrMessageTooBig) {
			return r.productive.Load(), fmt.Errorf("a frame was larger than the read limit of %d bytes", c.cfg.ReadLimit)
		}
		return r.productive.Load(), closeError(err)
	}

	init := messages.Envelope{Type: messages.TypeConnectionInit}
	if c.cfg.Token != "" {
		init.Payload, _ = json.Marshal(messages.InitPayload{Token: c.cfg.Token})
	}
	if err := r.write(rctx, init); err != nil {
		return false, fmt.Errorf("send connection_init: %w", err)
	}

	ackTimer := time.NewTimer(c.cfg.AckTimeout)
	defer ackTimer.Stop()
	select {
	case <-ctx.Done():
		r.closeNormal(rctx, false)
		return false, nil
	case err := <-readErr:
		return ended(err)
	case <-ackTimer.C:
		return false, fmt.Errorf("no connection_ack within %v (-ack-timeout)", c.cfg.AckTimeout)
	case <-r.acked:
	}

	payload, _ := json.Marshal(c.cfg.Subscription.Payload())
	if err := r.write(rctx, messages.Envelope{ID: subscriptionID, Type: messages.TypeSubscribe, Payload: payload}); err != nil {
		return false, fmt.Errorf("send subscribe: %w", err)
	}
	log.InfoContext(ctx, "subscribed", slog.String("subscription", string(c.cfg.Subscription)))

	// Pings go out every interval. Any frame at all proves the connection is
	// alive; a session with no frame for an interval plus the ping timeout is
	// dead (half-open) and is abandoned.
	ping := time.NewTicker(c.cfg.PingInterval)
	defer ping.Stop()
	silence := c.cfg.PingInterval + c.cfg.PingTimeout
	watchdog := time.NewTimer(silence)
	defer watchdog.Stop()
	for {
		select {
		case <-ctx.Done():
			r.closeNormal(rctx, true)
			return r.productive.Load(), nil
		case err := <-readErr:
			return ended(err)
		case <-ping.C:
			if err := r.write(rctx, messages.Envelope{Type: messages.TypePing}); err != nil {
				return r.productive.Load(), fmt.Errorf("send ping: %w", err)
			}
		case <-watchdog.C:
			idle := r.idle()
			if idle >= silence {
				return r.productive.Load(), fmt.Errorf("no frame for %v (-ping-interval plus -ping-timeout): the connection is dead", idle.Round(time.Millisecond))
			}
			watchdog.Reset(silence - idle)
		}
	}
}

// header is the upgrade request's headers. The session cookie goes only here.
func (c *Conn) header() http.Header {
	h := http.Header{}
	if c.cfg.Session != "" {
		h.Set("Cookie", "session="+c.cfg.Session)
	}
	if c.cfg.Origin != "" {
		h.Set("Origin", c.cfg.Origin)
	}
	if c.cfg.UserAgent != "" {
		h.Set("User-Agent", c.cfg.UserAgent)
	}
	return h
}

// dialError classifies a failed upgrade as fatal or retryable.
func (c *Conn) dialError(ctx context.Context, log *slog.Logger, resp *http.Response, err error) error {
	if resp == nil {
		return fmt.Errorf("dial: %w", err)
	}
	status := resp.StatusCode
	err = fmt.Errorf("upgrade refused with HTTP %d %s", status, http.StatusText(status))
	switch status {
	case http.StatusUnauthorized:
		return &FatalError{Err: err, Fix: "the session was rejected: copy a fresh \"session\" cookie from your browser into ROLL_SESSION (or -session)"}
	case http.StatusForbidden:
		log.WarnContext(ctx, "upgrade forbidden: often Cloudflare rather than the session; check ROLL_SESSION (-session) and whether Cloudflare cookies are needed",
			slog.Int("status", status))
	}
	return &sessionError{err: err, retryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// closeError classifies how the server ended a session.
func closeError(err error) error {
	var ce websocket.CloseError
	if !errors.As(err, &ce) {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return errors.New("the connection was dropped without a close frame")
		}
		return err
	}
	closed := fmt.Errorf("server closed the connection with %d %s", int(ce.Code), closeReason(ce))
	switch ce.Code {
	case messages.CloseUnauthorized, messages.CloseForbidden:
		return &FatalError{Err: closed,
			Fix: "the session was rejected: copy a fresh \"session\" cookie from your browser into ROLL_SESSION (or -session)"}
	case messages.CloseBadRequest, messages.CloseSubprotocolNotAcceptable, messages.CloseSubscriberAlreadyExists:
		return &FatalError{Err: closed,
			Fix: "the feed no longer accepts this client's protocol: check -url (ROLL_WS_URL) and -subscription (ROLL_SUBSCRIPTION)"}
	}
	return closed
}

// closeReason renders a close frame's reason for a log line, quoted and short.
func closeReason(ce websocket.CloseError) string {
	if ce.Reason == "" {
		return "(no reason given)"
	}
	return strconv.Quote(ce.Reason)
}

// sessionReader is a session's one reader: it answers pings, notices the ack,
// and forwards everything else to the parser.
type sessionReader struct {
	conn    *Conn
	ws      *websocket.Conn
	session uint64
	log     *slog.Logger

	acked      chan struct{} // closed on the first connection_ack
	pong       chan struct{} // a pong arrived (buffer 1, never blocks the reader)
	done       chan struct{} // closed when run returns
	start      time.Time     // when the reader started
	lastFrame  atomic.Int64  // when the last frame arrived, as nanoseconds since start
	productive atomic.Bool   // a trade message arrived
}

// idle is how long ago the last frame arrived (or the reader started).
func (r *sessionReader) idle() time.Duration {
	return time.Since(r.start) - time.Duration(r.lastFrame.Load())
}

// run reads until the socket fails or ctx ends and returns why.
func (r *sessionReader) run(ctx context.Context) error {
	defer close(r.done)
	ackSeen := false
	for {
		typ, data, err := r.ws.Read(ctx)
		if err != nil {
			return err
		}
		received := time.Now()
		r.lastFrame.Store(int64(received.Sub(r.start)))
		r.conn.frames.Add(1)
		if typ != websocket.MessageText {
			r.log.WarnContext(ctx, "skipping binary frame", slog.Int("bytes", len(data)))
			continue
		}
		// A malformed frame is the parser's to report: it goes on like a trade.
		env := peekEnvelope(data)
		switch env.typ {
		case messages.TypeConnectionAck:
			if !ackSeen {
				ackSeen = true
				close(r.acked)
			}
			continue
		case messages.TypePing:
			if err := r.write(ctx, messages.Envelope{Type: messages.TypePong}); err != nil {
				return fmt.Errorf("answer ping: %w", err)
			}
			continue
		case messages.TypePong:
			select {
			case r.pong <- struct{}{}:
			default:
			}
			continue
		case messages.TypeComplete:
			if env.id == subscriptionID {
				return errors.New("server completed the subscription")
			}
			continue
		case messages.TypeError:
			if env.id == subscriptionID {
				return fmt.Errorf("server rejected the subscription: %s", graphQLErrors(data))
			}
			continue
		case messages.TypeNext:
			r.productive.Store(true)
		}
		select {
		case r.conn.out <- messages.Frame{Data: data, ReceivedAt: received, Session: r.session}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// write sends one protocol message, bounded by the ping timeout so a stuck
// socket cannot hold the session forever.
func (r *sessionReader) write(ctx context.Context, m messages.Envelope) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, max(r.conn.cfg.PingTimeout, time.Second))
	defer cancel()
	return r.ws.Write(wctx, websocket.MessageText, b)
}

// closeNormal ends the session on shutdown: unsubscribe when subscribed, then a
// close handshake with status 1000.
//
// Between the two it sends a ping and waits (at most the ping timeout) for the
// pong: the server answers in order, so once the pong is read every trade it
// sent before it saw the unsubscribe has been read too and handed on. Without
// this barrier the close handshake would discard trades still in flight.
func (r *sessionReader) closeNormal(ctx context.Context, subscribed bool) {
	if subscribed {
		select {
		case <-r.pong: // an earlier ping's pong: the one awaited below must come after the ping
		default:
		}
		err := r.write(ctx, messages.Envelope{ID: subscriptionID, Type: messages.TypeComplete})
		if err == nil {
			err = r.write(ctx, messages.Envelope{Type: messages.TypePing})
		}
		if err != nil {
			r.log.DebugContext(ctx, "unsubscribe", tint.Err(err))
		} else {
			r.awaitPong(min(r.conn.cfg.PingTimeout, shutdownFlushTimeout))
		}
	}
	if err := r.ws.Close(websocket.StatusNormalClosure, ""); err != nil {
		r.log.DebugContext(ctx, "close", tint.Err(err))
	}
}

// awaitPong waits for a pong, for the reader to end, or for timeout.
func (r *sessionReader) awaitPong(timeout time.Duration) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-r.pong:
	case <-r.done:
	case <-t.C:
		r.log.Debug("no pong before closing", slog.Duration("waited", timeout))
	}
}

// graphQLErrors renders an error message's payload for a log line.
func graphQLErrors(frame []byte) string {
	var msg struct {
		Payload []messages.GraphQLError `json:"payload"`
	}
	if json.Unmarshal(frame, &msg) != nil || len(msg.Payload) == 0 {
		return "no reason given"
	}
	reason := msg.Payload[0].Message
	if len(msg.Payload) > 1 {
		reason += fmt.Sprintf(" (and %d more)", len(msg.Payload)-1)
	}
	return reason
}
