package actors

// This file is the feed's lines: the connection actors of one feed, run side
// by side (sniper -connections), all handing their frames to one queue, so
// that the parser sees every copy of a trade in the order the lines brought
// them and keeps the first.

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/rollsniper/rollsniper/messages"
)

// MaxLines is the most connections one feed may have: each is a session the
// feed serves, and past a few they add load, not safety.
const MaxLines = 4

// Lines runs the connection actors of one feed, its lines: each a Conn with
// its own session, backoff, reasons and stats, and all of them sending into
// one bounded frame queue, in the order their readers read. The parser
// behind it keeps the first copy of each trade (see NewParserLines).
//
// With more than one line it says when the feed as a whole goes down (its
// last line lost) and when it is whole again, and a line's wait while another
// is subscribed is logged at info: nothing is lost meanwhile.
type Lines struct {
	conns []*Conn
	out   chan messages.Frame
	log   *slog.Logger

	mu     sync.Mutex // guards what follows: the feed as last seen
	up     bool       // a line was subscribed
	lostAt time.Time  // when the last line was lost; zero while up, or before the first
}

// NewLines returns the lines of one feed, one for each config (at least one,
// at most MaxLines; it panics otherwise), numbered from 1 in that order. It
// starts nothing: call Run. With more than one line each logs with its number
// (conn=2).
func NewLines(cfgs []ConnConfig, log *slog.Logger) *Lines {
	if len(cfgs) < 1 || len(cfgs) > MaxLines {
		panic("actors: NewLines takes 1 to MaxLines connections")
	}
	l := &Lines{log: log}
	var limit int64
	for i := range cfgs {
		cfgs[i] = connDefaults(cfgs[i])
		limit = max(limit, cfgs[i].ReadLimit)
	}
	// One queue for every line, bounded as one connection's is (frameQueue):
	// a line adds copies, not memory. When it is full each reader blocks,
	// with its liveness clock stopped (see sessionReader.handOff).
	l.out = make(chan messages.Frame, frameQueue(limit))
	pool := new(framePool) // as the queue, the lines' buffers are one
	for i, cfg := range cfgs {
		clog := log
		if len(cfgs) > 1 {
			clog = log.With(slog.Int("conn", i+1))
		}
		c := newConn(cfg, clog, l.out, pool, i+1)
		c.ownsOut = false
		if len(cfgs) > 1 {
			c.covered = func() bool { return l.subscribedBut(c) > 0 }
			c.stateChanged = l.stateChanged
		}
		l.conns = append(l.conns, c)
	}
	return l
}

// Out carries the frames of every line, in the order they were read. Lines
// owns it and closes it when Run returns, after every line has handed on what
// it read.
func (l *Lines) Out() <-chan messages.Frame { return l.out }

// Conns returns the lines, in order: Conns()[i] is line i+1.
func (l *Lines) Conns() []*Conn { return l.conns }

// Up returns how many lines are subscribed now.
func (l *Lines) Up() int { return l.subscribedBut(nil) }

// subscribedBut returns how many lines other than except are subscribed.
func (l *Lines) subscribedBut(except *Conn) int {
	n := 0
	for _, c := range l.conns {
		if c != except && ConnState(c.state.Load()) == StateSubscribed {
			n++
		}
	}
	return n
}

// Run runs every line until ctx ends, then closes Out once they have all
// returned (each after its own stop: see Conn.Run) and returns nil. A line
// that gets a fatal answer (the session refused) stops the others too, and
// Run returns its *gqlws.FatalError.
func (l *Lines) Run(ctx context.Context) error {
	defer close(l.out)
	if len(l.conns) == 1 {
		return l.conns[0].Run(ctx) // one connection needs no goroutine of its own
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, c := range l.conns {
		g.Go(func() error { return c.Run(gctx) })
	}
	return g.Wait()
}

// stateChanged notes that a line changed to state s, and logs when the feed
// as a whole goes down or comes back. A line stops (StateStopped) only when
// Run ends, which is no news. It runs on the goroutine of the line that
// changed; it never blocks for long (the log's writer never waits on output).
func (l *Lines) stateChanged(s ConnState) {
	up := l.Up() > 0
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case up && !l.up:
		l.up = true
		if !l.lostAt.IsZero() {
			l.log.Info("the feed is whole again: a connection is subscribed",
				slog.Int("subscribed", l.Up()), slog.Duration("down_for", time.Since(l.lostAt).Round(time.Millisecond)))
			l.lostAt = time.Time{}
		}
	case !up && l.up && s != StateStopped:
		l.up = false
		l.lostAt = time.Now()
		l.log.Warn("the feed lost its last connection: listings published until one reconnects are lost",
			slog.Int("connections", len(l.conns)))
	}
}
