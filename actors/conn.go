package actors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

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
	// HTTPClient dials the upgrade; nil means http.DefaultClient.
	HTTPClient *http.Client
}

// DefaultReadLimit is large enough for the biggest realistic batch of trades.
const DefaultReadLimit = 1 << 20

// frameQueueBytes bounds the memory the frames waiting for the parser can hold
// when every one is as large as the read limit allows: a hostile feed of
// oversized-but-allowed frames cannot make the queue take more.
const frameQueueBytes = 64 << 20

// frameQueue is the capacity of the queue to the parser for a read limit:
// 1,024 frames (real ones are a few KiB) unless frameQueueBytes says fewer,
// and never fewer than 16.
func frameQueue(readLimit int64) int {
	return int(max(16, min(1024, frameQueueBytes/readLimit)))
}

// DefaultStaleAfter is how long a subscription may go without a trade before
// it is replaced: the feed carries about one listing a second.
const DefaultStaleAfter = 5 * time.Minute

// oversizeCountFactor bounds how far an oversized frame is counted (and
// discarded) to report its size: up to this many times the read limit, beyond
// which it is reported as "more than" that.
const oversizeCountFactor = 16

// slowDownFactor sets the least wait after a slow-down close that names no
// delay: this many times BackoffInitial (10 s with the defaults).
const slowDownFactor = 10

// maxServerDelay caps how long a server's hint can make the actor wait, so a
// wrong or hostile hint cannot stop the feed for days.
const maxServerDelay = time.Hour

// maxReasonLen bounds how much of a server-supplied reason goes into an error.
const maxReasonLen = 200

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

	// rand is the jitter's random source (see Backoff.Rand); nil in production.
	rand func(n int64) int64

	state      atomic.Int32 // a ConnState
	sessions   atomic.Uint64
	frames     atomic.Uint64
	reconnects [len(reconnectReasons)]atomic.Uint64
	backoff    atomic.Int64 // the current or last delay, in nanoseconds
	failures   atomic.Int64 // see ConnStats.ConsecutiveFailures
	lastFrame  atomic.Int64 // Unix nanoseconds; 0 before the first frame
	lastTrade  atomic.Int64 // Unix nanoseconds; 0 before the first trade
}

// NewConn returns a connection actor for cfg. It starts nothing: call Run.
func NewConn(cfg ConnConfig, log *slog.Logger) *Conn {
	if cfg.ReadLimit <= 0 {
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
	if cfg.StaleAfter == 0 {
		cfg.StaleAfter = DefaultStaleAfter
	}
	return &Conn{
		cfg: cfg,
		log: log,
		// Bounded; when full the socket reader blocks. The parser behind it never
		// blocks on sinks (the hub drops for slow sinks), so a full queue only
		// means a burst larger than the buffer, which the parser clears in
		// microseconds.
		out: make(chan messages.Frame, frameQueue(cfg.ReadLimit)),
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
}

// Stats returns a snapshot of the actor. It is safe to call while Run runs.
// Reconnects holds every reason label, counted or not.
func (c *Conn) Stats() ConnStats {
	s := ConnStats{
		State:               ConnState(c.state.Load()),
		Sessions:            c.Sessions(),
		Frames:              c.Frames(),
		Reconnects:          make(map[string]uint64, len(reconnectReasons)),
		Backoff:             time.Duration(c.backoff.Load()),
		ConsecutiveFailures: int(c.failures.Load()),
		LastFrame:           unixNanoTime(c.lastFrame.Load()),
		LastTrade:           unixNanoTime(c.lastTrade.Load()),
		Window:              c.cfg.PingInterval + c.cfg.PingTimeout,
	}
	for i, r := range reconnectReasons {
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

// The reasons a session ends and the actor reconnects: ConnStats.Reconnects'
// keys and the "kind" of each "reconnecting" log record. The set is fixed,
// whatever the server sends, so it is safe as a metric label.
const (
	ReasonDial              = "dial"               // no HTTP answer: DNS, TCP, TLS, timeout
	ReasonHTTP403           = "http_403"           // upgrade forbidden (Cloudflare or the session)
	ReasonHTTP429           = "http_429"           // upgrade refused: too many requests
	ReasonHTTP503           = "http_503"           // upgrade refused: unavailable
	ReasonHTTP5xx           = "http_5xx"           // upgrade refused with another 5xx
	ReasonHTTPOther         = "http_other"         // upgrade refused with another status
	ReasonDropped           = "dropped"            // connection lost without a close frame
	ReasonClosed            = "closed"             // server closed normally (1000) or is going away (1001)
	ReasonCloseSlowDown     = "close_slow_down"    // server closed with 4429 or 1013: slow down
	ReasonCloseError        = "close_error"        // server closed with another retryable code
	ReasonHalfOpen          = "half_open"          // no frame for the ping interval plus timeout
	ReasonStale             = "stale"              // subscribed, but no trade for StaleAfter
	ReasonAckTimeout        = "ack_timeout"        // no connection_ack in time
	ReasonReadLimit         = "read_limit"         // a frame larger than ReadLimit
	ReasonSubscriptionEnded = "subscription_ended" // server sent complete or error for our subscription
	ReasonWriteFailed       = "write_failed"       // a protocol message could not be sent
)

// reconnectReasons lists every reason, in the order of the actor's counters.
var reconnectReasons = [...]string{
	ReasonDial, ReasonHTTP403, ReasonHTTP429, ReasonHTTP503, ReasonHTTP5xx, ReasonHTTPOther,
	ReasonDropped, ReasonClosed, ReasonCloseSlowDown, ReasonCloseError, ReasonHalfOpen,
	ReasonStale, ReasonAckTimeout, ReasonReadLimit, ReasonSubscriptionEnded, ReasonWriteFailed,
}

// ReconnectReasons returns every reason label, for a metric to declare them
// all up front.
func ReconnectReasons() []string { return slices.Clone(reconnectReasons[:]) }

// reasonIndex is reason's index in reconnectReasons; an unknown reason (a
// bug) counts as dropped rather than inventing a label.
func reasonIndex(reason string) int {
	if i := slices.Index(reconnectReasons[:], reason); i >= 0 {
		return i
	}
	return slices.Index(reconnectReasons[:], ReasonDropped)
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
	reason     string        // one of the Reason constants
	retryAfter time.Duration // the server asked to wait at least this long
	askedBy    string        // where retryAfter came from, for the log
	slowDown   bool          // the server asked to slow down: never reset the backoff
}

// retry is a retryable end of a session, for reason.
func retry(reason string, err error) *sessionError {
	return &sessionError{err: err, reason: reason}
}

func (e *sessionError) Error() string { return e.err.Error() }
func (e *sessionError) Unwrap() error { return e.err }

// Run opens sessions until ctx ends or the server gives a fatal answer. On
// shutdown it unsubscribes and closes the socket with status 1000, then returns
// nil; on a fatal answer it returns a *FatalError. It closes Out either way.
func (c *Conn) Run(ctx context.Context) error {
	defer close(c.out)
	defer c.state.Store(int32(StateStopped))
	b := Backoff{Initial: c.cfg.BackoffInitial, Max: c.cfg.BackoffMax, Jitter: c.cfg.BackoffJitter, Rand: c.rand}
	for {
		productive, err := c.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if fatal, ok := errors.AsType[*FatalError](err); ok {
			return fatal
		}
		se, ok := errors.AsType[*sessionError](err)
		if !ok {
			se = retry(ReasonDropped, err)
		}
		c.reconnects[reasonIndex(se.reason)].Add(1)
		// A slow-down is the server's answer to how often we connect: a
		// productive session before it must not make the next one come sooner.
		if productive && !se.slowDown {
			b.Reset()
		}
		delay, why := c.nextDelay(&b, se)
		c.failures.Store(int64(b.Attempt()))
		c.backoff.Store(int64(delay))
		c.state.Store(int32(StateWaiting))
		c.log.WarnContext(ctx, "reconnecting",
			slog.Duration("delay", delay), slog.String("delay_from", why), slog.Int("attempt", b.Attempt()),
			slog.String("kind", se.reason), slog.String("reason", se.Error()))
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// nextDelay is how long to wait after the session that ended with se, and
// where that figure comes from: the schedule (with jitter if set), or the
// server's ask when that is longer. A slow-down that names no delay waits at
// least slowDownFactor times BackoffInitial. A server's ask is capped at
// maxServerDelay.
func (c *Conn) nextDelay(b *Backoff, se *sessionError) (time.Duration, string) {
	delay, why := b.Next(), "backoff"
	if b.Jitter {
		why = "backoff with jitter"
	}
	floor, asked := se.retryAfter, se.askedBy
	if se.slowDown && floor <= 0 {
		floor, asked = slowDownFactor*c.cfg.BackoffInitial, fmt.Sprintf("slow-down floor (%d × -backoff-initial)", slowDownFactor)
	}
	if floor > maxServerDelay {
		floor, asked = maxServerDelay, asked+fmt.Sprintf(", capped at %v", maxServerDelay)
	}
	if floor > delay {
		return floor, asked
	}
	return delay, why
}

// session dials, handshakes, subscribes and reads until the session ends. It
// reports whether any trade message arrived, and why the session ended (nil
// only on shutdown): a *FatalError or a *sessionError. Every goroutine it
// starts has exited when it returns.
func (c *Conn) session(ctx context.Context) (productive bool, err error) {
	n := c.sessions.Add(1)
	c.state.Store(int32(StateConnecting))
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
	// The reader enforces ReadLimit itself, so that it can say how large an
	// oversized frame was; the library's limit would only say it was too big.
	ws.SetReadLimit(-1)
	log.InfoContext(ctx, "connected", slog.String("url", c.cfg.URL))

	// The reader's context is the session's own, not ctx: cancelling a read
	// closes the socket, and on shutdown the socket must stay open long enough
	// to unsubscribe and close cleanly.
	rctx, cancelRead := context.WithCancel(context.WithoutCancel(ctx))
	r := newSessionReader(c, ws, n, log)
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
		return r.productive.Load(), readError(err)
	}

	init := messages.Envelope{Type: messages.TypeConnectionInit}
	if c.cfg.Token != "" {
		init.Payload, _ = json.Marshal(messages.InitPayload{Token: c.cfg.Token})
	}
	if err := r.write(rctx, init); err != nil {
		return false, retry(ReasonWriteFailed, fmt.Errorf("send connection_init: %w", err))
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
		return false, retry(ReasonAckTimeout, fmt.Errorf("no connection_ack within %v (-ack-timeout)", c.cfg.AckTimeout))
	case <-r.acked:
	}

	// Subscribed from before the subscribe leaves, so that whoever sees it
	// arrive sees the state too; a failed send ends the session anyway.
	c.state.Store(int32(StateSubscribed))
	payload, _ := json.Marshal(c.cfg.Subscription.Payload())
	if err := r.write(rctx, messages.Envelope{ID: subscriptionID, Type: messages.TypeSubscribe, Payload: payload}); err != nil {
		return false, retry(ReasonWriteFailed, fmt.Errorf("send subscribe: %w", err))
	}
	subscribedAt := r.since()
	log.InfoContext(ctx, "subscribed", slog.String("subscription", string(c.cfg.Subscription)))

	// Pings go out every interval. Any frame at all proves the connection is
	// alive; a session with no frame for an interval plus the ping timeout is
	// dead (half-open) and is abandoned.
	ping := time.NewTicker(c.cfg.PingInterval)
	defer ping.Stop()
	silence := c.cfg.PingInterval + c.cfg.PingTimeout
	watchdog := time.NewTimer(silence)
	defer watchdog.Stop()
	// A live connection whose subscription died without a word sends pongs
	// but no trades: replaced after StaleAfter without one.
	var staleC <-chan time.Time
	var stale *time.Timer
	if c.cfg.StaleAfter > 0 {
		stale = time.NewTimer(c.cfg.StaleAfter)
		defer stale.Stop()
		staleC = stale.C
	}
	for {
		select {
		case <-ctx.Done():
			r.closeNormal(rctx, true)
			return r.productive.Load(), nil
		case err := <-readErr:
			return ended(err)
		case <-ping.C:
			if err := r.ping(rctx); err != nil {
				return r.productive.Load(), retry(ReasonWriteFailed, fmt.Errorf("send ping: %w", err))
			}
		case <-watchdog.C:
			idle := r.since() - time.Duration(r.lastFrame.Load())
			if idle >= silence {
				return r.productive.Load(), retry(ReasonHalfOpen,
					fmt.Errorf("no frame for %v (-ping-interval plus -ping-timeout): the connection is dead", idle.Round(time.Millisecond)))
			}
			watchdog.Reset(silence - idle)
		case <-staleC:
			quiet := r.since() - max(subscribedAt, time.Duration(r.lastTrade.Load()))
			if quiet >= c.cfg.StaleAfter {
				err := fmt.Errorf("no trade for %v (-stale-after): the subscription may have died silently", c.cfg.StaleAfter)
				log.WarnContext(ctx, err.Error()+"; reconnecting")
				return r.productive.Load(), retry(ReasonStale, err)
			}
			stale.Reset(c.cfg.StaleAfter - quiet)
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
		return retry(ReasonDial, fmt.Errorf("dial: %w", err))
	}
	status := resp.StatusCode
	err = fmt.Errorf("upgrade refused with HTTP %d %s", status, http.StatusText(status))
	se := &sessionError{err: err, reason: ReasonHTTPOther}
	switch {
	case status == http.StatusUnauthorized:
		return &FatalError{Err: err, Fix: "the session was rejected: copy a fresh \"session\" cookie from your browser into ROLL_SESSION (or -session)"}
	case status == http.StatusForbidden:
		se.reason = ReasonHTTP403
		log.WarnContext(ctx, "upgrade forbidden: often Cloudflare rather than the session; check ROLL_SESSION (-session) and whether Cloudflare cookies are needed",
			slog.Int("status", status))
	case status == http.StatusTooManyRequests:
		se.reason, se.slowDown = ReasonHTTP429, true
	case status == http.StatusServiceUnavailable:
		se.reason = ReasonHTTP503
	case status >= 500 && status <= 599:
		se.reason = ReasonHTTP5xx
	}
	if d := retryAfter(resp.Header.Get("Retry-After"), time.Now()); d > 0 {
		se.retryAfter, se.askedBy = d, fmt.Sprintf("Retry-After of HTTP %d", status)
	}
	return se
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

// readError classifies why a session's reader stopped.
func readError(err error) error {
	if _, ok := errors.AsType[*sessionError](err); ok {
		return err
	}
	if _, ok := errors.AsType[websocket.CloseError](err); ok {
		return closeError(err)
	}
	if _, ok := errors.AsType[*readLimitError](err); ok {
		return retry(ReasonReadLimit, err)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return retry(ReasonDropped, errors.New("the connection was dropped without a close frame"))
	}
	return retry(ReasonDropped, err)
}

// closeError classifies how the server ended a session with a close frame.
func closeError(err error) error {
	ce, _ := errors.AsType[websocket.CloseError](err)
	closed := fmt.Errorf("server closed the connection with %d %s", int(ce.Code), closeReason(ce))
	switch ce.Code {
	case messages.CloseUnauthorized, messages.CloseForbidden:
		return &FatalError{Err: closed,
			Fix: "the session was rejected: copy a fresh \"session\" cookie from your browser into ROLL_SESSION (or -session)"}
	case messages.CloseBadRequest, messages.CloseSubprotocolNotAcceptable, messages.CloseSubscriberAlreadyExists:
		return &FatalError{Err: closed,
			Fix: "the feed no longer accepts this client's protocol: check -url (ROLL_WS_URL) and -subscription (ROLL_SUBSCRIPTION)"}
	case websocket.StatusNormalClosure, websocket.StatusGoingAway:
		return retry(ReasonClosed, closed)
	case messages.CloseTooManyInitialisationReqs, websocket.StatusTryAgainLater:
		se := &sessionError{err: closed, reason: ReasonCloseSlowDown, slowDown: true}
		if d := reasonDelay(ce.Reason); d > 0 {
			se.retryAfter, se.askedBy = d, fmt.Sprintf("delay in the %d close reason", int(ce.Code))
		}
		return se
	}
	return retry(ReasonCloseError, closed)
}

// reasonDelay reads a delay out of a close reason: a Go duration ("30s",
// "1m30s") anywhere in it, or a number of seconds after "after" (or
// "retry-after") or "in" or
// before "s", "sec" or "seconds" ("retry after 30", "try again in 30
// seconds"). It returns 0 when the reason names none.
func reasonDelay(reason string) time.Duration {
	words := strings.FieldsFunc(strings.ToLower(reason), func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r == '.' || r == '-' || r == 'µ')
	})
	for i, w := range words {
		if d, err := time.ParseDuration(w); err == nil && d > 0 {
			return d
		}
		secs, err := strconv.ParseFloat(w, 64)
		if err != nil || secs <= 0 || secs > maxServerDelay.Seconds() {
			continue
		}
		before := i > 0 && (strings.HasSuffix(words[i-1], "after") || words[i-1] == "in")
		after := i+1 < len(words) && slices.Contains([]string{"s", "sec", "secs", "second", "seconds"}, words[i+1])
		if before || after {
			return time.Duration(secs * float64(time.Second))
		}
	}
	return 0
}

// closeReason renders a close frame's reason for a log line, quoted and short.
func closeReason(ce websocket.CloseError) string {
	if ce.Reason == "" {
		return "(no reason given)"
	}
	return strconv.Quote(truncate(ce.Reason, maxReasonLen))
}

// truncate shortens s to at most n bytes (and a marker), on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// readLimitError is a frame larger than the read limit.
type readLimitError struct {
	size  int64 // its size, or as far as it was counted
	exact bool  // size is the frame's size, not a lower bound
	limit int64
}

func (e *readLimitError) Error() string {
	size := fmt.Sprintf("%d bytes", e.size)
	if !e.exact {
		size = "more than " + size
	}
	return fmt.Sprintf("a frame of %s is larger than the read limit of %d bytes (-read-limit)", size, e.limit)
}

// sessionReader is a session's one reader: it answers pings, notices the ack,
// and forwards everything else to the parser.
type sessionReader struct {
	conn    *Conn
	ws      *websocket.Conn
	session uint64
	log     *slog.Logger
	// send writes one protocol message; tests of the frame handling swap it.
	send func(context.Context, messages.Envelope) error

	acked      chan struct{} // closed on the first connection_ack
	ackSeen    bool          // run's own: acked is closed
	pong       chan struct{} // a pong arrived (buffer 1, never blocks the reader)
	pongs      atomic.Uint64 // pongs received
	pingsSent  uint64        // pings sent; the session goroutine's own
	done       chan struct{} // closed when run returns
	start      time.Time     // when the reader started
	lastFrame  atomic.Int64  // when the last frame arrived, as nanoseconds since start
	lastTrade  atomic.Int64  // when the last next arrived, as nanoseconds since start
	productive atomic.Bool   // a trade message arrived

	// run's own: the buffer each message is read into, reused, and the limit
	// on reading into it.
	buf        bytes.Buffer
	limited    io.LimitedReader
	binarySeen bool // a binary frame was skipped (and said so)
}

func newSessionReader(c *Conn, ws *websocket.Conn, session uint64, log *slog.Logger) *sessionReader {
	r := &sessionReader{conn: c, ws: ws, session: session, log: log, start: time.Now(),
		acked: make(chan struct{}), pong: make(chan struct{}, 1), done: make(chan struct{})}
	r.send = r.writeWS
	return r
}

// since is how long ago the reader started.
func (r *sessionReader) since() time.Duration { return time.Since(r.start) }

// run reads until the socket fails, a frame ends the session or ctx ends, and
// returns why.
func (r *sessionReader) run(ctx context.Context) error {
	defer close(r.done)
	for {
		typ, data, err := r.readMessage(ctx)
		if err != nil {
			return err
		}
		received := time.Now()
		r.lastFrame.Store(int64(received.Sub(r.start)))
		r.conn.lastFrame.Store(received.UnixNano())
		r.conn.frames.Add(1)
		if typ != websocket.MessageText {
			// Once a session: a feed that sends nothing else must not flood
			// the log. The frames are counted all the same.
			if !r.binarySeen {
				r.binarySeen = true
				r.log.WarnContext(ctx, "skipping binary frames: the feed's messages are text; more this session are skipped without a word", slog.Int("bytes", len(data)))
			}
			continue
		}
		forward, err := r.handle(ctx, data, received)
		if err != nil {
			return err
		}
		if !forward {
			continue
		}
		// data is the reused buffer: the parser gets its own copy.
		select {
		case r.conn.out <- messages.Frame{Data: bytes.Clone(data), ReceivedAt: received, Session: r.session}:
		case <-ctx.Done():
			return ctx.Err()
		}
		// Hand the processor to the parser now rather than when the next read
		// finds the socket empty: the parser was made ready by the send, and
		// runs next on this thread. It took the median frame-to-decision time
		// at 1,000 trades a second from about 15 µs to 9, and its p99 from
		// about 45 µs to 31, for a few percent more CPU in a burst.
		runtime.Gosched()
	}
}

// readMessage reads one message into the reader's buffer and returns it; the
// bytes are valid until the next call. A message larger than the read limit
// returns a *readLimitError naming its size: the rest of it is counted, not
// kept, up to oversizeCountFactor times the limit, so memory stays bounded
// whatever the server sends.
func (r *sessionReader) readMessage(ctx context.Context) (websocket.MessageType, []byte, error) {
	typ, msg, err := r.ws.Reader(ctx)
	if err != nil {
		return 0, nil, err
	}
	limit := r.conn.cfg.ReadLimit
	r.buf.Reset()
	r.limited = io.LimitedReader{R: msg, N: limit + 1}
	if _, err := r.buf.ReadFrom(&r.limited); err != nil {
		return 0, nil, err
	}
	if int64(r.buf.Len()) <= limit {
		return typ, r.buf.Bytes(), nil
	}
	rest, err := io.CopyN(io.Discard, msg, oversizeCountFactor*limit)
	return 0, nil, &readLimitError{size: int64(r.buf.Len()) + rest, exact: errors.Is(err, io.EOF), limit: limit}
}

// handle acts on one text frame of the protocol: it notes the ack, answers a
// ping, counts a pong, ends the session when the server completes or rejects
// our subscription, and marks a next as a trade. It reports whether the frame
// goes on to the parser (next, and anything it does not recognise, which the
// parser reports), or why the session must end. It keeps no reference to data.
func (r *sessionReader) handle(ctx context.Context, data []byte, received time.Time) (forward bool, err error) {
	env := peekEnvelope(data)
	switch env.typ {
	case messages.TypeConnectionAck:
		if !r.ackSeen {
			r.ackSeen = true
			close(r.acked)
		}
		return false, nil
	case messages.TypePing:
		if err := r.send(ctx, messages.Envelope{Type: messages.TypePong}); err != nil {
			return false, retry(ReasonWriteFailed, fmt.Errorf("answer ping: %w", err))
		}
		return false, nil
	case messages.TypePong:
		r.pongs.Add(1)
		select {
		case r.pong <- struct{}{}:
		default:
		}
		return false, nil
	case messages.TypeComplete:
		if env.id == subscriptionID {
			return false, retry(ReasonSubscriptionEnded, errors.New("server completed the subscription"))
		}
		return false, nil
	case messages.TypeError:
		if env.id == subscriptionID {
			return false, retry(ReasonSubscriptionEnded, fmt.Errorf("server rejected the subscription: %s", graphQLErrors(data)))
		}
		return false, nil
	case messages.TypeNext:
		r.lastTrade.Store(int64(received.Sub(r.start)))
		r.conn.lastTrade.Store(received.UnixNano())
		if !r.productive.Swap(true) {
			r.conn.failures.Store(0)
		}
	}
	return true, nil
}

// write sends one protocol message.
func (r *sessionReader) write(ctx context.Context, m messages.Envelope) error { return r.send(ctx, m) }

// writeWS sends one protocol message on the socket, bounded by the ping
// timeout so a stuck socket cannot hold the session forever.
func (r *sessionReader) writeWS(ctx context.Context, m messages.Envelope) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, max(r.conn.cfg.PingTimeout, time.Second))
	defer cancel()
	return r.ws.Write(wctx, websocket.MessageText, b)
}

// ping sends a protocol ping and counts it. Only the session goroutine pings.
func (r *sessionReader) ping(ctx context.Context) error {
	r.pingsSent++
	return r.write(ctx, messages.Envelope{Type: messages.TypePing})
}

// closeNormal ends the session on shutdown: unsubscribe when subscribed, then a
// close handshake with status 1000.
//
// Between the two it sends a ping and waits (at most the ping timeout) for its
// pong: the server answers in order, so once it is read every trade the server
// sent before it saw the unsubscribe has been read too and handed on. Without
// this barrier the close handshake would discard trades still in flight. Pongs
// carry nothing to tell them apart, so the barrier's pong is found by count: it
// is the one that brings the pongs received up to the pings sent, and a pong
// to an earlier, periodic ping cannot end the wait early.
func (r *sessionReader) closeNormal(ctx context.Context, subscribed bool) {
	if subscribed {
		err := r.write(ctx, messages.Envelope{ID: subscriptionID, Type: messages.TypeComplete})
		if err == nil {
			err = r.ping(ctx)
		}
		if err != nil {
			r.log.DebugContext(ctx, "unsubscribe", tint.Err(err))
		} else {
			r.awaitPongs(r.pingsSent, min(r.conn.cfg.PingTimeout, shutdownFlushTimeout))
		}
	}
	if err := r.ws.Close(websocket.StatusNormalClosure, ""); err != nil {
		r.log.DebugContext(ctx, "close", tint.Err(err))
	}
}

// awaitPongs waits until n pongs have arrived in all, the reader ends, or
// timeout passes.
func (r *sessionReader) awaitPongs(n uint64, timeout time.Duration) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for r.pongs.Load() < n {
		select {
		case <-r.pong:
		case <-r.done:
			return
		case <-t.C:
			r.log.Debug("no pong before closing", slog.Duration("waited", timeout))
			return
		}
	}
}

// graphQLErrors renders an error message's payload for a log line, short
// whatever the server sent.
func graphQLErrors(frame []byte) string {
	var msg struct {
		Payload []messages.GraphQLError `json:"payload"`
	}
	if json.Unmarshal(frame, &msg) != nil || len(msg.Payload) == 0 {
		return "no reason given"
	}
	reason := truncate(msg.Payload[0].Message, maxReasonLen)
	if len(msg.Payload) > 1 {
		reason += fmt.Sprintf(" (and %d more)", len(msg.Payload)-1)
	}
	return reason
}
