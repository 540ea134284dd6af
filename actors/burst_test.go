package actors

// This file holds the liveness test under a burst: the whole pipeline but the
// printer (conn → parser → hub → a fast and a stuck sink) against the fake
// feed on loopback.

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/fakeroll/rolltest"
	"github.com/rollsniper/rollsniper/internal/gqlws"
	"github.com/rollsniper/rollsniper/internal/logtest"
	"github.com/rollsniper/rollsniper/messages"
)

// burstCountSink counts trades and closes full once it has seen want of them.
type burstCountSink struct {
	want int64
	seen atomic.Int64
	full chan struct{}
}

func (s *burstCountSink) Run(ctx context.Context, in <-chan messages.Trade) error {
	for range in {
		if s.seen.Add(1) == s.want {
			close(s.full)
		}
	}
	return nil
}

// burstStuckSink takes nothing from its queue until open is closed, then
// drains it: a sink stuck for the whole burst.
type burstStuckSink struct {
	open chan struct{}
	seen atomic.Int64
}

func (s *burstStuckSink) Run(ctx context.Context, in <-chan messages.Trade) error {
	select {
	case <-s.open:
	case <-ctx.Done():
		return ctx.Err()
	}
	for range in {
		s.seen.Add(1)
	}
	return nil
}

// During a burst the connection stays up even with a 500 ms ping timeout and
// a sink that takes nothing: every frame is proof of life, the reader never
// waits for the sinks, and only the stuck sink loses trades.
func TestBurstKeepsTheConnectionUp(t *testing.T) {
	// The full burst takes about a second; the race detector makes it ten.
	n := 100_000
	if testing.Short() || raceDetector {
		n = 15_000
	}
	srv := rolltest.Start(t, fakeroll.Options{})
	rec, log := logtest.New()
	conn := NewConn(ConnConfig{
		URL:            srv.URL(),
		BackoffInitial: time.Millisecond,
		BackoffMax:     time.Millisecond,
		PingInterval:   5 * time.Millisecond,
		PingTimeout:    500 * time.Millisecond,
		AckTimeout:     5 * time.Second,
	}, log.With("actor", "conn"))
	parser := NewParser(conn.Out(), log.With("actor", "parser"))
	hub := NewHub(nil, log.With("actor", "hub")) // run by the parser, as the program does
	// The fast sink's queue holds the whole burst, so that what it counts is
	// what the connection, parser and hub passed on, not how fast it is.
	fast := &burstCountSink{want: int64(n), full: make(chan struct{})}
	fastIn := hub.Attach("fast", n)
	const stuckCap = 64
	stuck := &burstStuckSink{open: make(chan struct{})}
	stuckIn := hub.Attach("stuck", stuckCap)

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a guard against a hang, not a timing
	defer cancel()
	connCtx, stopConn := context.WithCancel(ctx)
	defer stopConn()
	errs := make(chan error, 4)
	for _, run := range []func() error{
		func() error { return conn.Run(connCtx) },
		func() error { return parser.RunInto(ctx, hub) },
		func() error { return fast.Run(ctx, fastIn) },
		func() error { return stuck.Run(ctx, stuckIn) },
	} {
		go func() { errs <- run() }()
	}
	if err := srv.WaitSubscribed(ctx, 1); err != nil {
		t.Fatal(err)
	}

	gen := fakeroll.NewGenerator(1)
	now := time.Now()
	trades := make([]fakeroll.Trade, n)
	for i := range trades {
		trades[i] = gen.Next(now)
	}
	start := time.Now()
	for i := 0; i < n; {
		size := min(1+i%4, n-i) // createTrades batches of one to four
		if srv.Publish(trades[i:i+size]...) != 1 {
			t.Fatalf("trade %d: the connection was gone; logged:\n%s", i, rec.Dump())
		}
		i += size
	}
	select {
	case <-fast.full:
	case <-ctx.Done():
		t.Fatalf("the fast sink saw %d of %d trades; logged:\n%s", fast.seen.Load(), n, rec.Dump())
	}
	burst := time.Since(start)
	close(stuck.open)
	stopConn()
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("an actor returned %v", err)
		}
	}

	sessions := srv.Sessions()
	pings := 0
	for _, m := range sessions[0].Received {
		if m.Type == gqlws.TypePing {
			pings++
		}
	}
	t.Logf("%d trades in %v; %d pings sent", n, burst.Round(time.Millisecond), pings)
	if got := len(sessions); got != 1 {
		t.Errorf("the server saw %d sessions, want 1 (no reconnect)", got)
	}
	if got := conn.Sessions(); got != 1 {
		t.Errorf("the connection actor opened %d sessions, want 1; logged:\n%s", got, rec.Dump())
	}
	if got := len(rec.Having(reconnectKey)); got != 0 {
		t.Errorf("logged %d reconnects, want 0", got)
	}
	stats := hub.Stats()
	if got, want := stats[0], (SinkStats{Name: "fast", Capacity: n, Delivered: uint64(n)}); got != want {
		t.Errorf("fast sink stats = %+v, want %+v", got, want)
	}
	if got := fast.seen.Load(); got != int64(n) {
		t.Errorf("the fast sink saw %d trades, want %d", got, n)
	}
	slow := stats[1]
	if slow.Dropped == 0 || slow.Delivered+slow.Dropped != uint64(n) || int64(slow.Delivered) != stuck.seen.Load() {
		t.Errorf("stuck sink stats = %+v and it saw %d: want drops counted, delivered plus dropped = %d, and every delivered trade seen",
			slow, stuck.seen.Load(), n)
	}
	if got := len(rec.Matching("sink queue full, dropping trades")); got != 1 {
		t.Errorf("logged %d drop warnings, want 1 (one streak)", got)
	}
	if got := parser.Stats().Trades; got != uint64(n) {
		t.Errorf("the parser passed on %d trades, want %d", got, n)
	}
}
