package actors

// This file is one session of the connection actor: dial and upgrade,
// connection_init and its ack, subscribe, then watch the connection (pings,
// the half-open watchdog, the stale-feed check) until it ends.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/rollsniper/rollsniper/internal/gqlws"
)

// session dials, handshakes, subscribes and reads until the session ends. It
// reports whether any trade message arrived, and why the session ended (nil
// only on shutdown): a *gqlws.FatalError or a *gqlws.RetryError. Every
// goroutine it starts has exited when it returns.
func (c *Conn) session(ctx context.Context) (productive bool, err error) {
	n := c.sessions.Add(1)
	c.state.Store(int32(StateConnecting))
	log := c.log.With(slog.Uint64("session", n))

	dialCtx, cancelDial := context.WithTimeout(ctx, c.cfg.AckTimeout)
	ws, resp, err := websocket.Dial(dialCtx, c.cfg.URL, &websocket.DialOptions{
		HTTPClient:   c.cfg.HTTPClient,
		HTTPHeader:   c.header(),
		Subprotocols: []string{gqlws.Subprotocol},
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

	if err := r.write(rctx, gqlws.Init(c.cfg.Token)); err != nil {
		return false, gqlws.Retry(gqlws.ReasonWriteFailed, fmt.Errorf("send connection_init: %w", err))
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
		return false, gqlws.Retry(gqlws.ReasonAckTimeout, fmt.Errorf("no connection_ack within %v (-ack-timeout)", c.cfg.AckTimeout))
	case <-r.acked:
	}

	// Subscribed from before the subscribe leaves, so that whoever sees it
	// arrive sees the state too; a failed send ends the session anyway.
	c.state.Store(int32(StateSubscribed))
	if tap := c.cfg.Tap; tap != nil {
		tap.SessionStarted(n, time.Now(), string(c.cfg.Subscription))
	}
	if err := r.write(rctx, gqlws.Subscribe(c.cfg.Subscription)); err != nil {
		return false, gqlws.Retry(gqlws.ReasonWriteFailed, fmt.Errorf("send subscribe: %w", err))
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
				return r.productive.Load(), gqlws.Retry(gqlws.ReasonWriteFailed, fmt.Errorf("send ping: %w", err))
			}
		case <-watchdog.C:
			idle := r.since() - time.Duration(r.lastFrame.Load())
			if idle >= silence {
				return r.productive.Load(), gqlws.Retry(gqlws.ReasonHalfOpen,
					fmt.Errorf("no frame for %v (-ping-interval plus -ping-timeout): the connection is dead", idle.Round(time.Millisecond)))
			}
			watchdog.Reset(silence - idle)
		case <-staleC:
			quiet := r.since() - max(subscribedAt, time.Duration(r.lastTrade.Load()))
			if quiet >= c.cfg.StaleAfter {
				err := fmt.Errorf("no trade for %v (-stale-after): the subscription may have died silently", c.cfg.StaleAfter)
				log.WarnContext(ctx, err.Error()+"; reconnecting")
				return r.productive.Load(), gqlws.Retry(gqlws.ReasonStale, err)
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

// dialError classifies a failed upgrade as fatal or retryable
// (gqlws.ClassifyUpgrade), and warns about a 403, which is often Cloudflare's
// rather than the session's.
func (c *Conn) dialError(ctx context.Context, log *slog.Logger, resp *http.Response, err error) error {
	if resp == nil {
		return gqlws.Retry(gqlws.ReasonDial, fmt.Errorf("dial: %w", err))
	}
	if resp.StatusCode == http.StatusForbidden {
		log.WarnContext(ctx, "upgrade forbidden: often Cloudflare rather than the session; check ROLL_SESSION (-session) and whether Cloudflare cookies are needed",
			slog.Int("status", resp.StatusCode))
	}
	return gqlws.ClassifyUpgrade(resp.StatusCode, resp.Header, time.Now())
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
