package actors

// This file is one session of the connection actor: dial and upgrade,
// connection_init and its ack, subscribe, then watch the connection (pings,
// the half-open watchdog, the stale-feed check) until it ends; and its end on
// a stop (the barrier, the close, within the stop's budget).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/coder/websocket"
	"github.com/lmittmann/tint"

	"github.com/rollsniper/rollsniper/internal/gqlws"
	"github.com/rollsniper/rollsniper/internal/liveness"
)

// session dials, handshakes, subscribes and reads until the session ends. It
// reports whether any trade message arrived, and why the session ended (nil
// only on shutdown): a *gqlws.FatalError or a *gqlws.RetryError. Every
// goroutine it starts has exited when it returns, and every frame its reader
// read has been handed to the parser (unless a stop ran out of time).
func (c *Conn) session(ctx context.Context) (productive bool, err error) {
	n := c.sessions.Add(1)
	c.setState(StateConnecting)
	log := c.log.With(slog.Uint64("session", n))

	dialCtx, cancelDial := context.WithTimeout(ctx, c.cfg.AckTimeout)
	ws, resp, err := websocket.Dial(dialCtx, c.cfg.URL, &websocket.DialOptions{
		HTTPClient:   c.cfg.HTTPClient,
		HTTPHeader:   c.header(),
		Subprotocols: []string{gqlws.Subprotocol},
	})
	cancelDial()
	if err != nil {
		return false, c.dialError(resp, err)
	}
	if got := ws.Subprotocol(); got != gqlws.Subprotocol {
		ws.CloseNow()
		return false, gqlws.WrongSubprotocol(got)
	}
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
	// However the session ends, the socket is closed first, so that the peer
	// of a dead session sees the end at once; then the reader is awaited,
	// with the frame it may still be handing to the parser.
	defer func() {
		cancelRead()
		ws.CloseNow()
		if !readerDone {
			c.awaitReader(ctx, r, readErr)
		}
	}()
	ended := func(err error) (bool, error) {
		readerDone = true
		return r.productive.Load(), readError(err)
	}

	if err := r.write(rctx, gqlws.Init(c.cfg.Token)); err != nil {
		return false, gqlws.Retry(gqlws.ReasonWriteFailed, fmt.Errorf("send connection_init: %w", err))
	}

	ackTimer := time.NewTimer(c.cfg.AckTimeout)
	defer ackTimer.Stop()
	select {
	case <-ctx.Done():
		c.shutdown(r, cancelRead, false)
		return false, nil
	case err := <-readErr:
		return ended(err)
	case <-ackTimer.C:
		return false, gqlws.Retry(gqlws.ReasonAckTimeout, fmt.Errorf("no connection_ack within %v (-ack-timeout)", c.cfg.AckTimeout))
	case <-r.acked:
	}

	// Subscribed from before the subscribe leaves, so that whoever sees it
	// arrive sees the state too; a failed send ends the session anyway.
	c.setState(StateSubscribed)
	c.everSubscribed = true
	r.cuttable.Store(false) // reads without a context from here: see readMessage
	if tap := c.cfg.Tap; tap != nil {
		tap.SessionStarted(n, time.Now(), string(c.cfg.Subscription))
	}
	if err := r.write(rctx, gqlws.Subscribe(c.cfg.Subscription)); err != nil {
		return false, gqlws.Retry(gqlws.ReasonWriteFailed, fmt.Errorf("send subscribe: %w", err))
	}
	subscribedAt := r.listening()
	log.InfoContext(ctx, "subscribed", slog.String("subscription", string(c.cfg.Subscription)))

	// Pings go out every interval. Any frame at all proves the connection is
	// alive; a session that has heard nothing for the window while listening
	// is dead (half-open) and is abandoned. Both watchdogs measure listening
	// time (liveness.Clock), so a parser that falls behind never makes a
	// healthy connection look dead.
	ping := time.NewTicker(c.cfg.PingInterval)
	defer ping.Stop()
	window := liveness.Window(c.cfg.PingInterval, c.cfg.PingTimeout)
	watchdog := time.NewTimer(window)
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
			c.shutdown(r, cancelRead, true)
			return r.productive.Load(), nil
		case err := <-readErr:
			return ended(err)
		case <-ping.C:
			if err := r.write(rctx, gqlws.Ping()); err != nil {
				return r.productive.Load(), gqlws.Retry(gqlws.ReasonWriteFailed, fmt.Errorf("send ping: %w", err))
			}
		case <-watchdog.C:
			quiet := r.listening() - time.Duration(r.lastFrame.Load())
			dead, next := liveness.Check(quiet, window)
			if dead {
				return r.productive.Load(), gqlws.Retry(gqlws.ReasonHalfOpen,
					fmt.Errorf("no frame for %v (-ping-interval plus -ping-timeout): the connection is dead", quiet.Round(time.Millisecond)))
			}
			watchdog.Reset(next)
		case <-staleC:
			quiet := r.listening() - max(subscribedAt, time.Duration(r.lastTrade.Load()))
			dead, next := liveness.Check(quiet, c.cfg.StaleAfter)
			if dead {
				err := fmt.Errorf("no trade for %v (-stale-after): the subscription may have died silently", c.cfg.StaleAfter)
				log.WarnContext(ctx, err.Error()+"; reconnecting")
				return r.productive.Load(), gqlws.Retry(gqlws.ReasonStale, err)
			}
			stale.Reset(next)
		}
	}
}

// The shares of the stop's budget (ShutdownTimeout, from when ctx ends): the
// barrier waits for its pong until stopBarrierShare of it has passed (and at
// most the ping timeout), the close handshake may run until stopCloseShare,
// and a frame still waiting for the parser is given up when all of it has.
// What is left after the close is the parser's and the sinks' to drain.
const (
	stopBarrierShare = 0.5
	stopCloseShare   = 0.75
)

// stopBy is when the stop's budget runs out: ShutdownTimeout after the first
// call, which Run's goroutine makes once it has seen ctx end.
func (c *Conn) stopBy() time.Time {
	if c.stopStart.IsZero() {
		c.stopStart = time.Now()
	}
	return c.stopStart.Add(c.cfg.ShutdownTimeout)
}

// stopAt is the point share of the way through the stop's budget.
func (c *Conn) stopAt(share float64) time.Time {
	c.stopBy()
	return c.stopStart.Add(time.Duration(share * float64(c.cfg.ShutdownTimeout)))
}

// shutdown ends the session on a stop, within the stop's budget.
//
// When subscribed it unsubscribes, then sends a barrier ping with a token of
// its own and waits for the pong that echoes it: the server answers in order,
// so once that pong is read, every trade the server sent before it read the
// unsubscribe has been read and handed on. Without the barrier the close
// handshake would discard them. A pong sent unprompted (a heartbeat) or
// answering an earlier ping cannot end the wait: it does not carry the
// token. If the echo does not come in time the stop may have lost trades: that
// is logged with how long it waited, and counted.
//
// Then it closes with status 1000, the handshake cut short (cancelRead) when
// its share of the budget runs out; without the echo the peer is not
// answering, and it closes at once instead.
func (c *Conn) shutdown(r *sessionReader, cancelRead context.CancelFunc, subscribed bool) {
	// The reads from here take the context cancelRead cuts (see
	// readMessage): the read after the next frame (the barrier's echo) is
	// one. Should the close handshake take the read lock before that read
	// starts, the cut cannot close the socket and the close waits on
	// coder/websocket's own 5 s, as it did when every read took ctx.
	r.cuttable.Store(true)
	barrierBy := c.stopAt(stopBarrierShare)
	if byTimeout := time.Now().Add(c.cfg.PingTimeout); byTimeout.Before(barrierBy) {
		barrierBy = byTimeout
	}
	answering := true
	if subscribed {
		start := time.Now()
		ctx, cancel := context.WithDeadline(context.Background(), barrierBy)
		token := barrierToken()
		r.barrier.Store(&token)
		err := r.write(ctx, gqlws.Unsubscribe())
		if err == nil {
			err = r.write(ctx, gqlws.BarrierPing(token))
		}
		cancel()
		answering = err == nil && r.awaitEcho(barrierBy)
		if !answering {
			c.unconfirmed.Add(1)
			attrs := []slog.Attr{slog.Duration("waited", time.Since(start).Round(time.Millisecond))}
			if err != nil {
				attrs = append(attrs, tint.Err(err))
			}
			r.log.LogAttrs(context.Background(), slog.LevelWarn,
				"stopping without the feed's answer to the unsubscribe: trades it sent just before may be lost", attrs...)
		}
	}
	closeBy := c.stopAt(stopCloseShare)
	if !answering || !time.Now().Before(closeBy) {
		r.ws.CloseNow()
		return
	}
	// A read in progress that is cut closes the connection, which ends a
	// close handshake stuck waiting for the peer's answer.
	cut := time.AfterFunc(time.Until(closeBy), cancelRead)
	defer cut.Stop()
	if err := r.ws.Close(websocket.StatusNormalClosure, ""); err != nil {
		r.log.Debug("close", tint.Err(err))
	}
}

// awaitReader waits for the session's reader to return. The reader may be
// handing a frame to the parser, which is waited for as long as it takes,
// except during a stop: when the stop's budget runs out, the frame is given
// up.
func (c *Conn) awaitReader(ctx context.Context, r *sessionReader, readErr <-chan error) {
	select {
	case <-readErr:
		return
	case <-ctx.Done():
	}
	t := time.NewTimer(time.Until(c.stopBy()))
	defer t.Stop()
	select {
	case <-readErr:
	case <-t.C:
		close(r.abandon)
		<-readErr
	}
}

// barrierToken returns a token for one barrier ping that no pong of the
// server's own making will carry.
func barrierToken() string {
	return strconv.FormatUint(rand.Uint64(), 36)
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

// dialError classifies a failed dial: no HTTP answer (gqlws.DialFailed), or a
// refused or wrong upgrade (gqlws.ClassifyUpgrade), with what the server said.
func (c *Conn) dialError(resp *http.Response, err error) error {
	if resp == nil {
		return gqlws.DialFailed(gqlws.Host(c.cfg.URL), err)
	}
	var body []byte
	if resp.Body != nil { // the library keeps the start of it
		body, _ = io.ReadAll(io.LimitReader(resp.Body, 1024))
		resp.Body.Close()
	}
	return gqlws.ClassifyUpgrade(resp.StatusCode, resp.Header, body, time.Now())
}

// readError classifies why a session's reader stopped.
func readError(err error) error {
	if _, ok := errors.AsType[*gqlws.RetryError](err); ok {
		return err
	}
	if ce, ok := errors.AsType[websocket.CloseError](err); ok {
		return gqlws.Classify(int(ce.Code), ce.Reason)
	}
	if _, ok := errors.AsType[*readLimitError](err); ok {
		return gqlws.Retry(gqlws.ReasonReadLimit, err)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return gqlws.Retry(gqlws.ReasonDropped, errors.New("the connection was dropped without a close frame"))
	}
	return gqlws.Retry(gqlws.ReasonDropped, err)
}
