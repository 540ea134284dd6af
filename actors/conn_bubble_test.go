package actors

// Tests of the connection actor on the production timings (a ping every 30 s,
// answered within 10 s), inside testing/synctest bubbles: the fake feed runs
// over in-memory connections with a fixed latency (fakeroll.StartPipe), so a
// half-minute interval passes in no time and what is in flight at an instant
// is decided by the latency, not by the scheduler.

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/gqlws"
	"github.com/rollsniper/rollsniper/internal/logtest"
	"github.com/rollsniper/rollsniper/messages"
)

// bubbleLatency is each direction's latency on the bubble's connections.
const bubbleLatency = 50 * time.Millisecond

// bubbleConn is a connection actor running, inside a bubble, against a fake
// feed over in-memory connections.
type bubbleConn struct {
	srv    *fakeroll.Server
	conn   *Conn
	logs   *logtest.Recorder
	cancel context.CancelFunc
	done   chan error
}

// startBubbleConn starts the feed and the actor with the production timings
// (mod adjusts them), the actor's queue to the parser holding queue frames.
// It must be called inside a bubble; the test's cleanup stops both.
func startBubbleConn(t *testing.T, opts fakeroll.Options, queue int, mod func(*ConnConfig)) *bubbleConn {
	t.Helper()
	srv, client := fakeroll.StartPipe(opts, bubbleLatency)
	cfg := ConnConfig{
		URL:          fakeroll.PipeURL,
		HTTPClient:   client,
		PingInterval: 30 * time.Second,
		PingTimeout:  10 * time.Second,
		StaleAfter:   -1,
	}
	if mod != nil {
		mod(&cfg)
	}
	rec, log := logtest.New()
	b := &bubbleConn{srv: srv, conn: NewConn(cfg, log), logs: rec, done: make(chan error, 1)}
	b.conn.out = make(chan messages.Frame, queue)
	var ctx context.Context
	ctx, b.cancel = context.WithCancel(context.Background())
	go func() { b.done <- b.conn.Run(ctx) }()
	t.Cleanup(func() {
		b.cancel()
		go func() { // drain what is left so the reader never waits for room
			for range b.conn.Out() {
			}
		}()
		<-b.done
		srv.Close()
	})
	if err := srv.WaitSubscribed(ctx, 1); err != nil {
		t.Fatal(err)
	}
	return b
}

// collect reads Out until it closes, into the returned channel's one value.
func collect(out <-chan messages.Frame) <-chan [][]byte {
	frames := make(chan [][]byte, 1)
	go func() {
		var all [][]byte
		for f := range out {
			all = append(all, f.Data)
		}
		frames <- all
	}()
	return frames
}

// carried returns how many of ids the frames carry, in order: the count of
// the longest prefix of ids found one after another.
func carried(frames [][]byte, ids []string) int {
	got := 0
	for _, data := range frames {
		if got < len(ids) && bytes.Contains(data, []byte(ids[got])) {
			got++
		}
	}
	return got
}

// With the production timings, a healthy but quiet connection (pongs only)
// stays up for many ping rounds, and a dead one is found exactly one window
// (interval plus timeout) after the last frame arrived: not after the ping
// timeout alone, and not a whole window after the watchdog's last check.
func TestConnFindsADeadPeerOneWindowAfterItsLastFrame(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := startBubbleConn(t, fakeroll.Options{}, 16, nil)
		// The subscribe reached the server one latency after it was sent, and
		// the pings go out every 30 s from then.
		subscribed := time.Now().Add(-bubbleLatency)
		go func() {
			for range b.conn.Out() {
			}
		}()

		time.Sleep(5*time.Minute + 5*time.Second)
		if n := len(b.logs.Having(reconnectKey)); n != 0 || b.conn.Sessions() != 1 {
			t.Fatalf("a quiet, healthy connection was replaced within 5 minutes:\n%s", b.logs.Dump())
		}
		b.srv.Silence()
		// The last frame is the pong to the ping sent at 5 min, back a round
		// trip later.
		lastFrame := subscribed.Add(5*time.Minute + 2*bubbleLatency)
		r := b.logs.WaitHaving(context.Background(), t, reconnectKey, 1)[0]
		if got := r.String("kind"); got != gqlws.ReasonHalfOpen {
			t.Fatalf("the silenced connection ended as %q, want %q", got, gqlws.ReasonHalfOpen)
		}
		window := 40 * time.Second
		if found := time.Since(lastFrame); found != window {
			t.Errorf("the dead connection was found %v after its last frame, want the window, %v", found, window)
		}
	})
}

// A parser that falls behind for two minutes (four windows) while trades and
// pongs keep coming does not make the healthy connection look dead: every
// trade arrives, on the one connection.
func TestConnStalledParserKeepsTheConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := startBubbleConn(t, fakeroll.Options{}, 4, nil)
		resume := make(chan struct{})
		frames := make(chan [][]byte, 1)
		go func() {
			<-resume
			frames <- <-collect(b.conn.Out())
		}()
		var ids []string
		for i := range 180 { // a trade a second for three minutes
			if i == 120 {
				close(resume) // the parser comes back after two
			}
			tr := b.srv.NewTrade()
			if b.srv.Publish(tr) != 1 {
				t.Fatalf("trade %d: the connection was gone:\n%s", i, b.logs.Dump())
			}
			ids = append(ids, tr.ID)
			time.Sleep(time.Second)
		}
		b.cancel()
		all := <-frames
		if got := carried(all, ids); got != len(ids) {
			t.Errorf("%d of %d trades arrived, in order", got, len(ids))
		}
		if err := <-b.done; err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
		b.done <- nil
		if n := b.conn.Sessions(); n != 1 {
			t.Errorf("%d sessions, want 1: the stall cost the connection:\n%s", n, b.logs.Dump())
		}
	})
}

// A frame the reader has read reaches the parser however the session ends:
// here the feed drops the connection while the reader waits, with a frame, for
// room in a full queue, and the session ends when its next ping cannot be
// sent.
func TestConnHandsOnAFrameReadBeforeTheSessionEnded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := startBubbleConn(t, fakeroll.Options{}, 1, nil)
		var ids []string
		for range 2 { // the first fills the queue, the reader holds the second
			tr := b.srv.NewTrade()
			b.srv.Publish(tr)
			ids = append(ids, tr.ID)
		}
		time.Sleep(time.Second)
		b.srv.DropAll()
		time.Sleep(time.Minute + time.Second) // two pings: the second fails
		frames := collect(b.conn.Out())
		b.logs.WaitHaving(context.Background(), t, reconnectKey, 1)
		b.cancel()
		if got := carried(<-frames, ids); got != len(ids) {
			t.Errorf("%d of the %d trades read before the session ended reached the parser", got, len(ids))
		}
	})
}

// A trade that waits for room in a full queue counts for the watchdogs from
// when it came, though the reader notes a trade for them only after handing
// it on: here it waits a minute, and the stale check, two minutes of
// listening without a trade, does not come a minute early. (It comes a
// minute and a half after the subscribe, so that the stale check's time is
// the trade's, not the subscribe's.)
func TestConnTimesATradeThatWaitedForRoomFromWhenItCame(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := startBubbleConn(t, fakeroll.Options{}, 1, func(c *ConnConfig) { c.StaleAfter = 2 * time.Minute })
		b.srv.Publish(b.srv.NewTrade()) // it fills the queue
		time.Sleep(time.Minute + 30*time.Second)
		b.srv.Publish(b.srv.NewTrade()) // the reader holds it, waiting for room
		time.Sleep(time.Minute)
		if s := b.conn.Stats(); len(b.conn.Out()) != 1 || s.Sessions != 1 {
			t.Fatalf("%d frames queued and %d sessions after the wait, want 1 and 1", len(b.conn.Out()), s.Sessions)
		}
		go func() {
			for range b.conn.Out() {
			}
		}()
		time.Sleep(time.Minute + 30*time.Second)
		if n := len(b.logs.Having(reconnectKey)); n != 0 {
			t.Fatalf("replaced within 1m30s of listening after the last trade, which waited a minute for room:\n%s", b.logs.Dump())
		}
		time.Sleep(time.Minute)
		b.logs.WaitHaving(context.Background(), t, reconnectKey, 1)
		if r := b.logs.Having(reconnectKey)[0]; r.String("kind") != gqlws.ReasonStale {
			t.Errorf("replaced for %q, want %q:\n%s", r.String("kind"), gqlws.ReasonStale, b.logs.Dump())
		}
	})
}

// On a stop, every trade the feed sent before it read the unsubscribe reaches
// the parser, even though none has arrived when the stop begins and the close
// handshake would discard them; heartbeat pongs, which a count of pongs would
// take for the barrier's answer, change nothing.
func TestConnStopKeepsTradesInFlight(t *testing.T) {
	for _, heartbeat := range []time.Duration{0, 10 * time.Millisecond} {
		t.Run(fmt.Sprintf("heartbeat %v", heartbeat), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := startBubbleConn(t, fakeroll.Options{Heartbeat: heartbeat}, 1024, nil)
				frames := collect(b.conn.Out())
				time.Sleep(time.Second) // some heartbeats have come
				var ids []string
				for range 200 {
					tr := b.srv.NewTrade()
					b.srv.Publish(tr)
					ids = append(ids, tr.ID)
				}
				b.cancel() // the trades are one latency away
				all := <-frames
				if got := carried(all, ids); got != len(ids) {
					t.Errorf("%d of %d trades in flight at the stop reached the parser", got, len(ids))
				}
				if s := b.conn.Stats(); s.UnconfirmedStops != 0 || s.AbandonedFrames != 0 {
					t.Errorf("unconfirmed stops %d, abandoned frames %d, want none", s.UnconfirmedStops, s.AbandonedFrames)
				}
				if got := b.srv.Sessions()[0].ClientCloseCode; got != 1000 {
					t.Errorf("closed with %d, want 1000", got)
				}
			})
		})
	}
}

// A stop against a feed that answers nothing ends within its budget: the
// barrier waits its share (not the whole ping timeout), the stop is counted
// and logged as unconfirmed, and a frame still waiting for a parser that
// never reads is given up when the budget runs out.
func TestConnStopIsBoundedByItsBudget(t *testing.T) {
	const budget = 2 * time.Second
	for _, tt := range []struct {
		name          string
		stuckParser   bool
		wantTook      time.Duration
		wantAbandoned uint64
	}{
		{"black-holed peer", false, budget / 2, 0},
		{"black-holed peer and a stuck parser", true, budget, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := startBubbleConn(t, fakeroll.Options{}, 1, func(c *ConnConfig) { c.ShutdownTimeout = budget })
				if tt.stuckParser {
					for range 2 { // one in the queue, one in the reader's hands
						b.srv.Publish(b.srv.NewTrade())
					}
				} else {
					go func() {
						for range b.conn.Out() {
						}
					}()
				}
				time.Sleep(time.Second)
				b.srv.Silence()
				start := time.Now()
				b.cancel()
				if err := <-b.done; err != nil {
					t.Errorf("Run = %v, want nil", err)
				}
				b.done <- nil
				if took := time.Since(start); took != tt.wantTook {
					t.Errorf("the stop took %v, want %v (budget %v, ping timeout 10s)", took, tt.wantTook, budget)
				}
				s := b.conn.Stats()
				if s.UnconfirmedStops != 1 || s.AbandonedFrames != tt.wantAbandoned {
					t.Errorf("unconfirmed stops %d, abandoned frames %d; want 1 and %d", s.UnconfirmedStops, s.AbandonedFrames, tt.wantAbandoned)
				}
				warn := b.logs.WaitCount(context.Background(), t, "stopping without the feed's answer to the unsubscribe: trades it sent just before may be lost", 1)[0]
				if got := warn.Attrs["waited"].Duration(); got != budget/2 {
					t.Errorf("the warning says it waited %v, want %v", got, budget/2)
				}
				if got := slices.Collect(func(yield func(string) bool) {
					for _, m := range b.srv.Sessions()[0].Received {
						if !yield(m.Type) {
							return
						}
					}
				}); !slices.Contains(got, gqlws.TypeComplete) {
					t.Errorf("the client sent %v, want an unsubscribe", got)
				}
			})
		})
	}
}

// A peer that answers the barrier but never the close frame: the close
// handshake is cut when its share of the budget has passed (the reads of a
// stop take the context that cuts them, where a subscribed session's reads
// take none), the stop is confirmed, and the trades in flight reach the
// parser.
func TestConnStopCutsACloseNobodyAnswers(t *testing.T) {
	const budget = 2 * time.Second
	synctest.Test(t, func(t *testing.T) {
		b := startBubbleConn(t, fakeroll.Options{}, 1024, func(c *ConnConfig) { c.ShutdownTimeout = budget })
		frames := collect(b.conn.Out())
		time.Sleep(time.Second)
		b.srv.IgnoreCloseAfterUnsubscribe()
		var ids []string
		for range 20 {
			tr := b.srv.NewTrade()
			b.srv.Publish(tr)
			ids = append(ids, tr.ID)
		}
		start := time.Now()
		b.cancel()
		if err := <-b.done; err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
		b.done <- nil
		if took, want := time.Since(start), time.Duration(stopCloseShare*float64(budget)); took != want {
			t.Errorf("the stop took %v, want %v: the close handshake cut at its share of the %v budget", took, want, budget)
		}
		if got := carried(<-frames, ids); got != len(ids) {
			t.Errorf("%d of %d trades in flight at the stop reached the parser", got, len(ids))
		}
		if s := b.conn.Stats(); s.UnconfirmedStops != 0 {
			t.Errorf("%d unconfirmed stops, want none: the barrier was answered", s.UnconfirmedStops)
		}
		if !b.srv.Sessions()[0].Silenced {
			t.Error("the feed never fell silent: the test did not test a close nobody answers")
		}
	})
}
