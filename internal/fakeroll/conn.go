package fakeroll

import (
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/rollsniper/rollsniper/internal/gqlws"
)

// conn is one accepted connection. ServeHTTP's goroutine runs its loop (run),
// which owns the protocol state and is the only one to close the connection
// with a close frame; a second goroutine, started and awaited by run, reads.
// Other goroutines reach a conn through its subscriptions (Publish, SendRaw),
// market (the market's ticks), its gate (Silence), closeReq (CloseAll) and
// CloseNow (DropAll, DropWhere, Close), which
// the library makes safe to call from anywhere.
type conn struct {
	s      *Server
	ws     *websocket.Conn
	net    *gatedConn
	sess   *Session // guarded by s.mu
	log    *slog.Logger
	rng    *rand.Rand // run's only
	cookie string     // the upgrade's session cookie
	// done is closed when run has returned and the session is recorded closed.
	done chan struct{}
	// handledN counts the messages run has handled, and handled says it
	// went up (buffer 1): under IgnoreCloseAfterUnsubscribe the reader waits
	// for each message it read to be handled before it reads the next, so
	// that a connection that has just fallen deaf reads nothing more.
	handledN atomic.Int64
	handled  chan struct{}
	// closeReq asks run to close with a close frame; run stops reading it when
	// it returns, so a sender selects on done as well.
	closeReq chan closeRequest
	// market carries the market's ticks to run, which writes them; the
	// market never waits on it (see offer).
	market chan *batch

	mu   sync.Mutex // guards subs
	subs []subscription

	// run's own state.
	initReceived bool
	acked        bool
	unsubscribed bool  // a complete ended a subscription (IgnoreCloseAfterUnsubscribe)
	closing      bool  // a close frame was sent: messages are only recorded
	closeCode    int   // the status sent
	closeErr     error // what the close handshake returned
}

type subscription struct {
	id    string
	field gqlws.Subscription
}

type closeRequest struct {
	code   int
	reason string
}

// run serves the connection until it ends, then records the end. ctx is never
// cancelled: the connection ends when either side closes it.
func (c *conn) run(ctx context.Context) {
	defer close(c.done)
	// A connection that ended is let go of, whoever ended it: its socket is
	// closed rather than left to the garbage collector.
	defer c.ws.CloseNow()

	frames := make(chan []byte)
	var readErr error
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		defer close(frames)
		for read := int64(1); ; read++ {
			_, data, err := c.ws.Read(ctx)
			if err != nil {
				readErr = err
				return
			}
			frames <- data
			if !c.s.deafToClose.Load() {
				continue
			}
			for c.handledN.Load() < read {
				<-c.handled
			}
			if c.net.deaf.Load() { // hold the connection open, unread
				<-c.net.closed
				readErr = net.ErrClosed
				return
			}
		}
	})

	opts := c.s.opts
	initTimer := time.NewTimer(opts.InitTimeout)
	defer initTimer.Stop()
	var drop <-chan time.Time
	if opts.DropEvery > 0 {
		dropTimer := time.NewTimer(c.jitter(opts.DropEvery, 0.75, 1.25))
		defer dropTimer.Stop()
		drop = dropTimer.C
	}
	var heartbeat <-chan time.Time
	if opts.Heartbeat > 0 {
		t := time.NewTicker(opts.Heartbeat)
		defer t.Stop()
		heartbeat = t.C
	}

	if c.ws.Subprotocol() != gqlws.Subprotocol {
		c.close(gqlws.CloseSubprotocolNotAcceptable, "Subprotocol not acceptable")
	}
	for {
		select {
		case data, ok := <-frames:
			if !ok {
				c.end(readErr)
				return
			}
			c.handle(ctx, data)
			c.handledN.Add(1)
			select {
			case c.handled <- struct{}{}:
			default:
			}
		case <-initTimer.C:
			if !c.initReceived {
				c.close(gqlws.CloseConnectionInitTimeout, "Connection initialisation timeout")
			}
		case b := <-c.market:
			c.deliver(ctx, b)
		case <-heartbeat:
			// Unprompted, as the protocol allows: a pong that answers no ping.
			c.send(ctx, []byte(heartbeatFrame))
		case <-drop:
			c.log.Info("dropping the connection")
			_ = c.ws.CloseNow()
		case req := <-c.closeReq:
			c.close(req.code, req.reason)
		}
	}
}

// effect is what a client message makes the server do, decided before the
// message is recorded and carried out after, so that a test that sees the
// message recorded also sees its consequences in the session.
type effect struct {
	mutate      func(*Session) // applied with the message's record
	reply       []byte
	closeCode   int
	closeReason string
	deaf        bool // fall silent and read no more after the reply (IgnoreCloseAfterUnsubscribe)
}

func closeWith(code int, reason string) effect {
	return effect{closeCode: code, closeReason: reason}
}

// handle records one client message and acts on it.
func (c *conn) handle(ctx context.Context, data []byte) {
	var env gqlws.Envelope
	parsed := json.Unmarshal(data, &env) == nil
	if !parsed {
		quoted, _ := json.Marshal(string(data))
		env = gqlws.Envelope{Payload: quoted}
	}
	var eff effect
	if !c.closing {
		eff = c.react(env, parsed)
	}
	c.s.update(c.sess, func(s *Session) {
		s.Received = append(s.Received, env)
		if eff.mutate != nil {
			eff.mutate(s)
		}
	})
	if eff.reply != nil {
		c.send(ctx, eff.reply)
	}
	if eff.deaf {
		c.net.silent.Store(true)
		c.net.deaf.Store(true)
		c.s.update(c.sess, func(s *Session) { s.Silenced = true })
	}
	if eff.closeCode != 0 {
		c.close(eff.closeCode, eff.closeReason)
	}
}

// react updates the protocol state for one message and says what to do, as a
// graphql-ws server would: validation first (4400), then the message's rules.
func (c *conn) react(env gqlws.Envelope, parsed bool) effect {
	sub, ok := validate(env, parsed)
	if !ok {
		return closeWith(gqlws.CloseBadRequest, "Invalid message received")
	}
	switch env.Type {
	case gqlws.TypeConnectionInit:
		if c.initReceived {
			return closeWith(gqlws.CloseTooManyInitialisationReqs, "Too many initialisation requests")
		}
		c.initReceived = true
		if want := c.s.opts.RequireSession; want != "" && c.cookie != want {
			return closeWith(gqlws.CloseForbidden, "Forbidden")
		}
		if c.s.withholdingAck() {
			c.log.Info("withholding connection_ack")
			return effect{}
		}
		c.acked = true
		return effect{reply: []byte(ackFrame), mutate: func(s *Session) { s.Acked = true }}
	case gqlws.TypePing:
		return effect{reply: pongFor(env.Payload), deaf: c.unsubscribed && c.s.deafToClose.Load()}
	case gqlws.TypeSubscribe:
		if !c.acked {
			return closeWith(gqlws.CloseUnauthorized, "Unauthorized")
		}
		if c.hasSub(env.ID) {
			return closeWith(gqlws.CloseSubscriberAlreadyExists, "Subscriber for "+env.ID+" already exists")
		}
		field := subscriptionField(sub.Query)
		switch f := gqlws.Subscription(field); f {
		case gqlws.SubCreateTrades, gqlws.SubCreateTrade:
			c.addSub(subscription{id: env.ID, field: f})
			c.log.Info("subscribed", "id", env.ID, "field", f)
			return effect{mutate: func(s *Session) { s.Subscribed, s.Subscription = true, f }}
		default:
			return effect{reply: errorFrame(env.ID, unknownFieldMessage(field))}
		}
	case gqlws.TypeComplete:
		if c.removeSub(env.ID) {
			c.s.unsubscribes.Add(1)
			c.unsubscribed = true
		}
	}
	// pong: nothing to do.
	return effect{}
}

// close sends a close frame with code and waits for the client's, at most
// about ten seconds (the library's handshake timeouts). Only run calls it; a
// second call does nothing.
func (c *conn) close(code int, reason string) {
	if c.closing {
		return
	}
	c.closing = true
	c.closeCode = code
	c.s.update(c.sess, func(s *Session) { s.ServerCloseCode = code })
	c.log.Info("closing", "code", code, "reason", reason)
	c.closeErr = c.ws.Close(websocket.StatusCode(code), reason)
}

// end records that the connection ended with readErr, the reader's last error.
func (c *conn) end(readErr error) {
	code := int(websocket.CloseStatus(readErr))
	if code == -1 && c.closing && c.closeErr == nil {
		// The close handshake read the client's echo of our code.
		code = c.closeCode
	}
	c.log.Info("connection ended", "client_close", code)
	c.s.ended(c, code)
}

// send writes one text message, unless the connection is silenced. It reports
// whether the message was written.
func (c *conn) send(ctx context.Context, data []byte) bool {
	return c.sendAs(ctx, websocket.MessageText, data)
}

// sendAs writes one message of type typ, unless the connection is silenced.
func (c *conn) sendAs(ctx context.Context, typ websocket.MessageType, data []byte) bool {
	if c.net.silent.Load() {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	if err := c.ws.Write(ctx, typ, data); err != nil {
		c.log.Debug("write", "err", err)
		return false
	}
	return true
}

// offer hands the connection one tick of the market, without waiting: a
// connection whose client has stopped reading for marketBacklog ticks misses
// the next ones, as a real server drops what a stalled client cannot take.
func (c *conn) offer(b *batch) {
	select {
	case c.market <- b:
	default:
		c.log.Debug("missed a tick of the market: the client is not reading")
	}
}

// jitter returns d scaled by a random factor in [lo, hi).
func (c *conn) jitter(d time.Duration, lo, hi float64) time.Duration {
	return jitter(c.rng, d, lo, hi)
}

// jitter returns d scaled by a random factor in [lo, hi) drawn from rng.
func jitter(rng *rand.Rand, d time.Duration, lo, hi float64) time.Duration {
	return time.Duration(float64(d) * (lo + (hi-lo)*rng.Float64()))
}

func (c *conn) subscriptions() []subscription {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]subscription(nil), c.subs...)
}

func (c *conn) hasSub(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.subs {
		if s.id == id {
			return true
		}
	}
	return false
}

func (c *conn) addSub(s subscription) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.subs = append(c.subs, s)
}

// removeSub ends the subscription id and reports whether there was one.
func (c *conn) removeSub(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, s := range c.subs {
		if s.id == id {
			c.subs = append(c.subs[:i], c.subs[i+1:]...)
			return true
		}
	}
	return false
}
