package actors

// This file is a session's socket reader: the one goroutine that reads the
// socket, answers the protocol's pings, notes the ack and the pongs, and hands
// every other frame to the parser; and the shutdown barrier that waits for the
// frames still in flight.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/lmittmann/tint"

	"github.com/rollsniper/rollsniper/internal/feedjson"
	"github.com/rollsniper/rollsniper/internal/gqlws"
	"github.com/rollsniper/rollsniper/messages"
)

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
	send func(context.Context, gqlws.Envelope) error

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
		f := messages.Frame{Data: bytes.Clone(data), ReceivedAt: received, Session: r.session}
		if tap := r.conn.cfg.Tap; tap != nil {
			tap.Frame(f) // returns at once: see ConnTap
		}
		select {
		case r.conn.out <- f:
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
	env := feedjson.Peek(data)
	switch env.Type {
	case gqlws.TypeConnectionAck:
		if !r.ackSeen {
			r.ackSeen = true
			close(r.acked)
		}
		return false, nil
	case gqlws.TypePing:
		if err := r.send(ctx, gqlws.Pong()); err != nil {
			return false, gqlws.Retry(gqlws.ReasonWriteFailed, fmt.Errorf("answer ping: %w", err))
		}
		return false, nil
	case gqlws.TypePong:
		r.pongs.Add(1)
		select {
		case r.pong <- struct{}{}:
		default:
		}
		return false, nil
	case gqlws.TypeComplete:
		if env.ID == gqlws.SubscriptionID {
			return false, gqlws.Retry(gqlws.ReasonSubscriptionEnded, errors.New("server completed the subscription"))
		}
		return false, nil
	case gqlws.TypeError:
		if env.ID == gqlws.SubscriptionID {
			return false, gqlws.Retry(gqlws.ReasonSubscriptionEnded, fmt.Errorf("server rejected the subscription: %s", gqlws.ErrorMessage(data)))
		}
		return false, nil
	case gqlws.TypeNext:
		r.lastTrade.Store(int64(received.Sub(r.start)))
		r.conn.lastTrade.Store(received.UnixNano())
		if !r.productive.Swap(true) {
			r.conn.failures.Store(0)
		}
	}
	return true, nil
}

// write sends one protocol message.
func (r *sessionReader) write(ctx context.Context, m gqlws.Envelope) error { return r.send(ctx, m) }

// writeWS sends one protocol message on the socket, bounded by the ping
// timeout so a stuck socket cannot hold the session forever.
func (r *sessionReader) writeWS(ctx context.Context, m gqlws.Envelope) error {
	b, err := m.Marshal()
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
	return r.write(ctx, gqlws.Ping())
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
		err := r.write(ctx, gqlws.Unsubscribe())
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
