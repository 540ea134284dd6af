package actors

// This file is a session's socket reader: the one goroutine that reads the
// socket, answers the protocol's pings, notes the ack and the pongs, and hands
// every other frame to the parser.

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

	"github.com/rollsniper/rollsniper/internal/feedjson"
	"github.com/rollsniper/rollsniper/internal/gqlws"
	"github.com/rollsniper/rollsniper/internal/liveness"
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

	acked   chan struct{} // closed on the first connection_ack
	ackSeen bool          // run's own: acked is closed
	pongs   atomic.Uint64 // pongs received
	// barrier is the token of the shutdown barrier's ping once it is sent;
	// echoed is closed when the pong that echoes it arrives (echoSeen: run's
	// own record that it is closed).
	barrier  atomic.Pointer[string]
	echoed   chan struct{}
	echoSeen bool
	done     chan struct{} // closed when run returns
	// abandon is closed when a stop's budget has run out: a frame still
	// waiting for room in the parser's queue is then given up (and counted).
	abandon chan struct{}

	// clock is the session's listening time (see liveness.Clock): the
	// watchdogs judge the peer by it, so that time the reader spends blocked
	// on a full queue is not taken for the peer's silence.
	clock      *liveness.Clock
	lastFrame  atomic.Int64 // listening time (ns) when the last frame arrived
	lastTrade  atomic.Int64 // listening time (ns) when the last next arrived
	productive atomic.Bool  // a trade message arrived

	// cuttable makes the next read use run's context (see readMessage):
	// set until the session is subscribed, and again once its stop begins.
	cuttable atomic.Bool

	// run's own: the buffer the next message is read into, and the limit on
	// reading into it. A frame handed on takes its buffer with it (see
	// frameData); the protocol's own messages leave it to be reused.
	buf        bytes.Buffer
	cur        *frameBuf // buf's storage, as its pool's; nil once handed on
	limited    io.LimitedReader
	binarySeen bool // a binary frame was skipped (and said so)
}

// minFrameBuffer is the least a new read buffer holds: the protocol's own
// messages, and a frame of one trade, fit without growing it.
const minFrameBuffer = 1 << 10

func newSessionReader(c *Conn, ws *websocket.Conn, session uint64, log *slog.Logger) *sessionReader {
	r := &sessionReader{conn: c, ws: ws, session: session, log: log, clock: liveness.NewClock(time.Now()),
		acked: make(chan struct{}), echoed: make(chan struct{}), done: make(chan struct{}), abandon: make(chan struct{})}
	r.send = r.writeWS
	r.cuttable.Store(true)
	r.renew(0)
	return r
}

// listening is the session's listening time now.
func (r *sessionReader) listening() time.Duration { return r.clock.At(time.Now()) }

// errAbandoned ends a reader whose stop ran out of time while a frame it had
// read waited for room in the parser's queue.
var errAbandoned = errors.New("the stop's budget ran out while a frame waited for the parser")

// run reads until the socket fails, a frame ends the session, ctx ends, or a
// stop's budget runs out while it hands a frame on, and returns why. Every
// frame it has read and means to forward reaches the parser's queue, however
// the session ends meanwhile, unless that budget runs out.
func (r *sessionReader) run(ctx context.Context) error {
	defer close(r.done)
	for {
		typ, data, err := r.readMessage(ctx)
		if err != nil {
			return err
		}
		received := time.Now()
		var head feedjson.Head
		switch {
		case typ != websocket.MessageText:
		case feedjson.OurNext(data): // inlined: PeekFirst's head, from the code here
			head = feedjson.NextHead()
		default:
			head = feedjson.PeekFirst(data)
		}
		// The stats count the frame before anyone can see it; the session's
		// listening clock and watchdogs have it after the hand-off for a
		// next: at one trade a second, with every cache cold, that part
		// took a microsecond before the hand-off. Anything else is noted
		// whole first, and handled.
		r.conn.lastFrame.Store(received.UnixNano())
		r.conn.frames.Add(1)
		var heard time.Duration // the listening time at receipt, once noted
		if head.Partial {
			r.tradeCame(received)
		} else {
			heard = r.heardFrame(received)
			if typ != websocket.MessageText {
				// Once a session: a feed that sends nothing else must not flood
				// the log. The frames are counted all the same.
				if !r.binarySeen {
					r.binarySeen = true
					r.log.WarnContext(ctx, "skipping binary frames: the feed's messages are text; more this session are skipped without a word", slog.Int("bytes", len(data)))
				}
				continue
			}
			forward, err := r.handle(ctx, head, data, received, heard)
			if err != nil {
				return err
			}
			if !forward {
				continue
			}
		}
		frame, buf := r.frameData(data)
		f := messages.Frame{Data: frame, ReceivedAt: received, Session: r.session, Conn: r.conn.number}
		if tap := r.conn.cfg.Tap; tap != nil {
			tap.Frame(f) // returns at once, and keeps Data: see ConnTap
		} else if buf != nil {
			// The parser gives the buffer back when it is done with the
			// frame, and so does the confirmation of a next below, which
			// reads it after the hand-off.
			holders := int32(1)
			if head.Partial {
				holders = 2
			}
			buf.hold(holders)
			f.Recycler = buf
		}
		noted := !head.Partial
		if !r.offer(f) {
			if !noted {
				// The wait may be long, and stops the listening clock:
				// the watchdogs know of the trade first.
				heard, noted = r.heardNext(received), true
			}
			if !r.wait(f) {
				return errAbandoned
			}
		}
		// Hand the processor to the parser now rather than when the next read
		// finds the socket empty: the parser was made ready by the send, and
		// runs next on this thread. This leans on the scheduler (a goroutine
		// readied by a send runs next on its P), so a benchmark keeps showing
		// it pays: feedbench -no-yield runs the pipeline without it. On one P
		// at 10,000 trades a second it keeps the median frame-to-decision time
		// near 6 µs where without it the reader reads on and it is 77 µs.
		if !r.conn.cfg.NoYield {
			YieldToReadied()
		}
		if !noted {
			heard = r.heardNext(received) // the clock was not stopped since received
		}
		if head.Partial {
			// A next, handed on as soon as its first type said so: now
			// confirm it (data is the frame's, which nobody writes). One
			// whose frame says another type further on, which wins as in
			// the parser, is handled as that type too (a complete still
			// ends the session); the parser reports it as no trade.
			var err error
			if whole := feedjson.Peek(data); whole.Type != gqlws.TypeNext {
				_, err = r.handle(ctx, whole, data, received, heard)
			}
			f.Release() // the confirmation's hold: data is not read again
			if err != nil {
				return err
			}
		}
		r.renew(len(data))
	}
}

// YieldToReadied lets the goroutine the caller has just readied (by a send
// it waited for) run before the caller goes on, on the caller's P. The
// connection actor yields so after each frame it hands on; feedbench's one
// hop, which stands for the least an actor shape can do, does the same.
//
// runtime.Gosched puts the caller on the global run queue, and the scheduler
// then runs the readied goroutine, which waits next in line on the P, first.
// But one time in 61 (a count of the P's, for fairness) it takes from the
// global queue first: the caller itself, which then went on before the
// parser (confirming the frame, making its next buffer, reading the socket
// until it found it empty): 57 frames in 3,300 in feedbench's steady rates,
// and tens of microseconds each before the decision when the caches are cold,
// so that these set the p99. That count has moved on once the caller ran from
// the global queue, so a second Gosched runs the readied goroutine first if
// the first did not; when it did, the second costs one more turn through the
// scheduler, about 0.1 µs. BenchmarkYieldToReadied counts how often each
// way lets the caller go first, and feedbench -no-yield shows what the
// yield saves.
func YieldToReadied() {
	runtime.Gosched()
	runtime.Gosched()
}

// heardFrame notes for the watchdogs a frame received at received, and
// returns the session's listening time then, heard.
func (r *sessionReader) heardFrame(received time.Time) (heard time.Duration) {
	heard = r.clock.At(received)
	r.lastFrame.Store(int64(heard))
	return heard
}

// heardNext notes for the watchdogs a next received at received: a frame,
// and a trade; it returns the session's listening time then, heard. The
// listening clock must not have stopped since received.
func (r *sessionReader) heardNext(received time.Time) (heard time.Duration) {
	heard = r.heardFrame(received)
	r.lastTrade.Store(int64(heard))
	return heard
}

// tradeCame notes a trade received at received in the connection's stats:
// the session is productive, and the backoff's schedule starts again.
func (r *sessionReader) tradeCame(received time.Time) {
	r.conn.lastTrade.Store(received.UnixNano())
	if !r.productive.Swap(true) {
		r.conn.failures.Store(0)
	}
}

// frameData returns data, the message just read into the read buffer, for a
// frame of its own. It is the buffer itself, not a copy, unless the buffer
// is more than twice as large as the message (a small frame after a large
// one): then a copy. Either way the queue to the parser holds at most twice
// the frames' bytes, plus minFrameBuffer a frame.
//
// Handing the buffer on saves an allocation and a copy between the frame's
// receipt and the decision on its trades: the reader makes its next buffer
// after the hand-off (renew), while the socket is quiet. A buffer too large
// for its frame is let go as well, not kept: the next one, sized for this
// frame, is handed on again. (Kept, it had every smaller frame after a large
// one copied: nine frames in ten in feedbench's steady rates, whose frames
// range from 1 to 9 KiB, at half a microsecond each before the decision.)
//
// It returns the buffer the frame is in as the pool's, to be given back once
// the frame's holders are done with it; nil for a copy.
func (r *sessionReader) frameData(data []byte) ([]byte, *frameBuf) {
	r.buf = bytes.Buffer{} // the frame owns it, or it is too large to keep
	buf := r.cur
	r.cur = nil
	if cap(data) > 2*len(data)+minFrameBuffer {
		return bytes.Clone(data), nil
	}
	return data, buf
}

// renew gives the reader a new buffer once the last one went with a frame,
// sized for a frame half as large again as that one, of n bytes, and the
// bytes.MinRead a read into a bytes.Buffer wants free: the frames of a feed
// are much alike, and a larger one grows the buffer as it is read (then
// twice its size, which frameData still hands on whole). It is one the
// parser gave back, if the pool has one of that size, up to one that a
// frame of n bytes would be handed on in whole (see frameData); only
// otherwise new memory.
func (r *sessionReader) renew(n int) {
	if r.buf.Cap() > 0 {
		return
	}
	want := max(minFrameBuffer, n+n/2+bytes.MinRead)
	r.cur = r.conn.pool.get(want, 2*n+minFrameBuffer)
	if r.cur == nil {
		r.cur = r.conn.pool.newFrameBuf(want)
	}
	r.buf = *bytes.NewBuffer(r.cur.data)
}

// offer puts f in the parser's queue if there is room, and reports whether
// there was; wait, where there was not.
func (r *sessionReader) offer(f messages.Frame) bool {
	select {
	case r.conn.out <- f:
		return true
	default:
		return false
	}
}

// wait puts f in the parser's queue once there is room. A frame that has
// been read is never dropped because the session ends: the parser outlives
// the reader, and the session waits for this. Only when a stop's budget has
// run out (abandon) is it given up, counted, and wait reports false.
//
// While the queue is full the reader is not listening: that wait is ours, not
// the peer's silence, so the clock leaves it out.
func (r *sessionReader) wait(f messages.Frame) bool {
	r.clock.Block(time.Now())
	defer func() { r.clock.Unblock(time.Now()) }()
	select {
	case r.conn.out <- f:
		return true
	case <-r.abandon:
		r.conn.abandoned.Add(1)
		return false
	}
}

// readMessage reads one message into the reader's buffer and returns it; the
// bytes are valid until the next call. A message larger than the read limit
// returns a *readLimitError naming its size: the rest of it is counted, not
// kept, up to oversizeCountFactor times the limit, so memory stays bounded
// whatever the server sends.
//
// While the session is subscribed and not stopping, the read is made with no
// context to cancel it: coder/websocket arms a context.AfterFunc for every
// read with one (allocations, and the context's lock, for every frame: about
// 5% of the pipeline's CPU at 1,000 trades a second, feedbench's profile),
// and the session ends such a read by closing the socket instead
// (CloseNow). Before the subscription and from the start of a stop, reads
// take ctx, whose cancelling cuts a close handshake the peer leaves
// unanswered (Conn.shutdown).
func (r *sessionReader) readMessage(ctx context.Context) (websocket.MessageType, []byte, error) {
	readCtx := context.Background()
	if r.cuttable.Load() {
		readCtx = ctx
	}
	typ, msg, err := r.ws.Reader(readCtx)
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
// env is the frame's head (feedjson.PeekFirst's, or Peek's), received when
// the frame was read, heard the listening time then.
func (r *sessionReader) handle(ctx context.Context, env feedjson.Head, data []byte, received time.Time, heard time.Duration) (forward bool, err error) {
	switch env.Type {
	case gqlws.TypeConnectionAck:
		if !r.ackSeen {
			r.ackSeen = true
			close(r.acked)
		}
		return false, nil
	case gqlws.TypePing:
		if err := r.send(ctx, gqlws.PongFor(data)); err != nil {
			return false, gqlws.Retry(gqlws.ReasonWriteFailed, fmt.Errorf("answer ping: %w", err))
		}
		return false, nil
	case gqlws.TypePong:
		r.pongs.Add(1)
		if token := r.barrier.Load(); token != nil && !r.echoSeen && gqlws.EchoesBarrier(data, *token) {
			r.echoSeen = true
			close(r.echoed)
		}
		return false, nil
	case gqlws.TypeComplete:
		if env.ID == gqlws.SubscriptionID {
			return false, gqlws.Retry(gqlws.ReasonSubscriptionEnded, errors.New("server completed the subscription"))
		}
		return false, nil
	case gqlws.TypeError:
		if env.ID == gqlws.SubscriptionID {
			return false, gqlws.SubscriptionRejected(data)
		}
		return false, nil
	case gqlws.TypeNext:
		r.lastTrade.Store(int64(heard))
		r.tradeCame(received)
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

// awaitEcho waits until the pong that echoes the barrier's ping arrives, and
// reports whether it did: false when the reader ends first or deadline
// passes.
func (r *sessionReader) awaitEcho(deadline time.Time) bool {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-r.echoed:
		return true
	case <-r.done:
		return false
	case <-t.C:
		return false
	}
}
