package actors

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rollsniper/rollsniper/internal/logtest"
	"github.com/rollsniper/rollsniper/internal/natsrec"
	"github.com/rollsniper/rollsniper/internal/natsserver/natstest"
	"github.com/rollsniper/rollsniper/messages"
)

// startPublisher runs a NATS publisher on the server for the test and
// returns its queue; the test's end stops it.
func startPublisher(t *testing.T, url string) (chan<- messages.Trade, *NATSPublisher) {
	t.Helper()
	p := NewNATSPublisher(NATSPublisherConfig{Conn: NATSConnConfig{URL: url}, Subjects: defaultSubjects(t)}, nil)
	in, stop := runSink(context.WithoutCancel(t.Context()), p, 4096)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("publisher: %v", err)
		}
	})
	return in, p
}

// publish sends trades through the publisher and waits until the stream has
// them all.
func publish(ctx context.Context, t *testing.T, in chan<- messages.Trade, p *NATSPublisher, trades []messages.Trade) {
	t.Helper()
	want := p.Stats().Acked + uint64(len(trades))
	for _, tr := range trades {
		in <- tr
	}
	waitCond(ctx, t, func() string { return fmt.Sprintf("%d acknowledged, %+v", want, p.Stats()) }, func() bool { return p.Stats().Acked >= want })
}

// runningSource is a source running in the test, and every trade it handed on.
type runningSource struct {
	src  *NATSSource
	stop context.CancelFunc
	done chan error

	mu  sync.Mutex
	ids []string
}

func startSource(ctx context.Context, t *testing.T, cfg NATSSourceConfig) *runningSource {
	t.Helper()
	cfg.BackoffInitial, cfg.BackoffMax = 10*time.Millisecond, 50*time.Millisecond
	cfg.Conn.ReconnectWait = 20 * time.Millisecond
	if cfg.Subjects == (natsrec.Subjects{}) {
		cfg.Subjects = defaultSubjects(t)
	}
	rctx, stop := context.WithCancel(ctx)
	r := &runningSource{src: NewNATSSource(cfg, nil), stop: stop, done: make(chan error, 1)}
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for tr := range r.src.Out() {
			r.mu.Lock()
			r.ids = append(r.ids, tr.ID)
			r.mu.Unlock()
		}
	}()
	go func() {
		err := r.src.Run(rctx)
		<-collected
		r.done <- err
	}()
	t.Cleanup(func() { r.halt(t) })
	waitCond(ctx, t, func() string { return "the source to consume" }, func() bool { return r.src.Stats().Consuming })
	return r
}

// halt stops the source and waits for Run and the collector.
func (r *runningSource) halt(t *testing.T) {
	t.Helper()
	r.stop()
	if r.done == nil {
		return
	}
	if err := <-r.done; err != nil {
		t.Errorf("source Run = %v, want nil", err)
	}
	r.done = nil
}

func (r *runningSource) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

func (r *runningSource) waitCount(ctx context.Context, t *testing.T, n int) {
	t.Helper()
	waitCond(ctx, t, func() string { return fmt.Sprintf("%d trades, got %d, %+v", n, len(r.got()), r.src.Stats()) },
		func() bool { return len(r.got()) >= n })
}

// assertExactlyOnce checks that got holds every trade of want once, in
// want's order.
func assertExactlyOnce(t *testing.T, got []string, want []messages.Trade) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d trades handed on, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i].ID {
			t.Errorf("trade %d is %s, want %s", i, got[i], want[i].ID)
			return
		}
	}
}

// TestNATSSourceResumesWhereItStopped stops a durable source in the middle
// of a stream, publishes more while it is away, and starts it again: over
// its two runs it hands on every trade once, in order, catching up on the
// backlog without overrunning a sink that is busy.
func TestNATSSourceResumesWhereItStopped(t *testing.T) {
	ctx := natsCtx(t)
	srv := natstest.Start(t)
	in, pub := startPublisher(t, srv.URL())
	publish(ctx, t, in, pub, natsTrades("before", 5)) // the stream exists, with trades from before the source

	trades := natsTrades("t", 1500)
	first := startSource(ctx, t, NATSSourceConfig{Conn: NATSConnConfig{URL: srv.URL()}, Durable: "desk"})
	for _, tr := range trades[:1000] {
		in <- tr
	}
	first.waitCount(ctx, t, 300)
	first.halt(t) // mid-stream: the publisher is still sending
	publish(ctx, t, in, pub, trades[1000:])

	var busyCalls atomic.Int64
	second := startSource(ctx, t, NATSSourceConfig{Conn: NATSConnConfig{URL: srv.URL()}, Durable: "desk",
		Busy: func() bool { busyCalls.Add(1); return false }})
	got := first.got()
	second.waitCount(ctx, t, len(trades)-len(got))
	got = append(got, second.got()...)
	assertExactlyOnce(t, got, trades)
	if busyCalls.Load() == 0 {
		t.Error("the source caught up on a backlog without asking whether the sinks were busy")
	}
	if s := second.src.Stats(); s.Behind != 0 || s.Malformed != 0 {
		t.Errorf("stats %+v, want nothing behind, nothing malformed", s)
	}
}

// TestNATSSourcesReadTheSameStream runs two sources under different names,
// as two traders with their own whitelists would: each gets every trade.
func TestNATSSourcesReadTheSameStream(t *testing.T) {
	ctx := natsCtx(t)
	srv := natstest.Start(t)
	in, pub := startPublisher(t, srv.URL())
	publish(ctx, t, in, pub, natsTrades("setup", 1))
	a := startSource(ctx, t, NATSSourceConfig{Conn: NATSConnConfig{URL: srv.URL()}, Durable: "alice"})
	b := startSource(ctx, t, NATSSourceConfig{Conn: NATSConnConfig{URL: srv.URL()}}) // unnamed
	trades := natsTrades("both", 200)
	publish(ctx, t, in, pub, trades)
	a.waitCount(ctx, t, len(trades))
	b.waitCount(ctx, t, len(trades))
	assertExactlyOnce(t, a.got(), trades)
	assertExactlyOnce(t, b.got(), trades)
}

// TestNATSSourceWaitsForTheStream starts a source before any publisher:
// it waits, saying why, and reads the trades once the stream exists.
func TestNATSSourceWaitsForTheStream(t *testing.T) {
	ctx := natsCtx(t)
	srv := natstest.Start(t)
	rec, log := logtest.New()
	src := NewNATSSource(NATSSourceConfig{Conn: NATSConnConfig{URL: srv.URL()}, Subjects: defaultSubjects(t),
		BackoffInitial: 5 * time.Millisecond, BackoffMax: 20 * time.Millisecond}, log)
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- src.Run(rctx) }()
	waitCond(ctx, t, func() string { return "a waiting record:\n" + rec.Dump() }, func() bool {
		return strings.Contains(rec.Dump(), "does not exist yet: it is created by a publisher")
	})
	in, pub := startPublisher(t, srv.URL())
	trades := natsTrades("late", 20)
	publish(ctx, t, in, pub, trades)
	var got []string
	for len(got) < len(trades) {
		select {
		case tr := <-src.Out():
			got = append(got, tr.ID)
		case <-ctx.Done():
			t.Fatalf("got %d trades of %d", len(got), len(trades))
		}
	}
	assertExactlyOnce(t, got, trades)
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, open := <-src.Out(); open {
		t.Error("Out is open after Run returned")
	}
}

// TestNATSSourceSkipsWhatIsNoTrade puts a malformed message and a match on
// the trades subject: each is counted and refused, and the trades around
// them flow.
func TestNATSSourceSkipsWhatIsNoTrade(t *testing.T) {
	ctx := natsCtx(t)
	srv := natstest.Start(t)
	in, pub := startPublisher(t, srv.URL())
	publish(ctx, t, in, pub, natsTrades("setup", 1))
	src := startSource(ctx, t, NATSSourceConfig{Conn: NATSConnConfig{URL: srv.URL()}})
	trades := natsTrades("ok", 4)
	publish(ctx, t, in, pub, trades[:2])
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	enc := natsrec.NewEncoder()
	match := messages.Match{Trade: trades[0], Entry: "#0", DecidedAt: time.Now()}
	for _, data := range [][]byte{[]byte("not a record"), enc.Match(&match)} {
		if _, err := nc.Request("rollsniper.trades", data, 5*time.Second); err != nil { // the stream's ack
			t.Fatal(err)
		}
	}
	publish(ctx, t, in, pub, trades[2:])
	src.waitCount(ctx, t, 4)
	assertExactlyOnce(t, src.got(), trades)
	if s := src.src.Stats(); s.Malformed != 2 {
		t.Errorf("Malformed = %d, want 2", s.Malformed)
	}
}
