package actors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/logtest"
	"github.com/rollsniper/rollsniper/messages"
)

// hubTimeout bounds every wait in these tests, so a hub that blocks fails the
// test instead of hanging it.
const hubTimeout = 10 * time.Second

// hubTrade returns a distinct trade numbered i.
func hubTrade(i int) messages.Trade {
	return messages.Trade{
		ID:            fmt.Sprintf("trade-%d", i),
		Status:        "LISTED",
		MarkupPercent: 12,
		TotalValue:    float64(i),
		MarketName:    "AK-47 | Redline (Field-Tested)",
		Items:         1,
	}
}

// hubSink is a sink that forwards every trade it takes to got, and closes got
// when its queue closes. With a gate it takes one trade per token it receives
// from gate, so the test decides when it is slow; without one it is fast.
type hubSink struct {
	gate chan struct{}
	got  chan messages.Trade
}

var _ Sink = (*hubSink)(nil)

func newHubSink(gated bool) *hubSink {
	s := &hubSink{got: make(chan messages.Trade, 1000)}
	if gated {
		s.gate = make(chan struct{})
	}
	return s
}

func (s *hubSink) Run(ctx context.Context, in <-chan messages.Trade) error {
	for {
		if s.gate != nil {
			select {
			case <-s.gate:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		select {
		case t, ok := <-in:
			if !ok {
				close(s.got)
				return nil
			}
			s.got <- t
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// take lets the sink take n trades (a token each, if it is gated) and returns
// them.
func (s *hubSink) take(ctx context.Context, tb testing.TB, n int) []messages.Trade {
	tb.Helper()
	var got []messages.Trade
	for range n {
		if s.gate != nil {
			select {
			case s.gate <- struct{}{}:
			case <-ctx.Done():
				tb.Fatalf("sink never came back for a token after %d trades", len(got))
			}
		}
		select {
		case t := <-s.got:
			got = append(got, t)
		case <-ctx.Done():
			tb.Fatalf("sink got %d trades, want %d", len(got), n)
		}
	}
	return got
}

// hubGroup runs the actors under test, each on its own goroutine, and waits
// for them: an errgroup without the cancel on error, since the test's context
// ends with the test.
type hubGroup struct {
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []error
}

// newHubGroup returns a group and the context for its actors, which ends after
// hubTimeout or with the test. The group is awaited when the test ends, so a
// failing test leaks no goroutine.
func newHubGroup(t *testing.T) (*hubGroup, context.Context) {
	ctx, cancel := context.WithTimeout(t.Context(), hubTimeout)
	g := &hubGroup{}
	t.Cleanup(func() {
		cancel()
		g.wg.Wait()
	})
	return g, ctx
}

// Go runs run on a new goroutine.
func (g *hubGroup) Go(run func() error) {
	g.wg.Go(func() {
		if err := run(); err != nil {
			g.mu.Lock()
			g.errs = append(g.errs, err)
			g.mu.Unlock()
		}
	})
}

// Wait waits for every actor to return and returns their errors joined.
func (g *hubGroup) Wait() error {
	g.wg.Wait()
	g.mu.Lock()
	defer g.mu.Unlock()
	return errors.Join(g.errs...)
}

// hubPush sends trades numbered from through to-1 on in, failing the test if
// the hub does not take one: the producer must never wait on a sink.
func hubPush(ctx context.Context, tb testing.TB, in chan<- messages.Trade, from, to int) {
	tb.Helper()
	for i := from; i < to; i++ {
		select {
		case in <- hubTrade(i):
		case <-ctx.Done():
			tb.Fatalf("the hub stopped taking trades: trade %d was never taken", i)
		}
	}
}

// hubTrades returns the trades numbered from through to-1.
func hubTrades(from, to int) []messages.Trade {
	var ts []messages.Trade
	for i := from; i < to; i++ {
		ts = append(ts, hubTrade(i))
	}
	return ts
}

func TestHubDeliversEveryTradeToEveryFastSink(t *testing.T) {
	const n = 100
	g, ctx := newHubGroup(t)
	in := make(chan messages.Trade)
	h := NewHub(in, slog.New(slog.DiscardHandler))
	names := []string{"a", "b", "c"}
	var sinks []*hubSink
	for _, name := range names {
		s := newHubSink(false)
		// Room for every trade: a sink that reads concurrently may still lag.
		queue := h.Attach(name, n)
		g.Go(func() error { return s.Run(ctx, queue) })
		sinks = append(sinks, s)
	}
	g.Go(func() error { return h.Run(ctx) })

	hubPush(ctx, t, in, 0, n)
	close(in)
	// Every sink returns nil only when its queue is closed.
	if err := g.Wait(); err != nil {
		t.Fatalf("Wait() = %v, want nil", err)
	}

	want := hubTrades(0, n)
	for i, s := range sinks {
		var got []messages.Trade
		for tr := range s.got { // closed by the sink when its queue closed
			got = append(got, tr)
		}
		if !slices.Equal(got, want) {
			t.Errorf("sink %s got %d trades %v..., want %d in order", names[i], len(got), got[:min(3, len(got))], n)
		}
	}
	var wantStats []SinkStats
	for _, name := range names {
		wantStats = append(wantStats, SinkStats{Name: name, Capacity: n, Delivered: n})
	}
	if got := h.Stats(); !slices.Equal(got, wantStats) {
		t.Errorf("Stats() = %+v, want %+v", got, wantStats)
	}
}

// hubRecv receives from q, failing the test instead of hanging it when
// nothing comes before ctx ends.
func hubRecv(ctx context.Context, t *testing.T, q <-chan messages.Trade) (messages.Trade, bool) {
	t.Helper()
	select {
	case tr, ok := <-q:
		return tr, ok
	case <-ctx.Done():
		t.Fatal("nothing came from a sink's queue, and it was not closed")
		return messages.Trade{}, false
	}
}

func TestHubRunReturnsCtxErrAndClosesQueuesWhenCancelled(t *testing.T) {
	deadline, stop := context.WithTimeout(t.Context(), hubTimeout)
	defer stop()
	ctx, cancel := context.WithCancel(deadline)
	in := make(chan messages.Trade) // never closed
	h := NewHub(in, slog.New(slog.DiscardHandler))
	taken := h.Attach("taken", 4)
	left := h.Attach("left", 4)
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()

	hubPush(deadline, t, in, 0, 1)
	if got, _ := hubRecv(deadline, t, taken); got != hubTrade(0) {
		t.Fatalf("got %v, want trade 0", got)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run() = %v, want context.Canceled", err)
		}
	case <-deadline.Done():
		t.Fatal("Run did not return after cancel")
	}
	if got, ok := hubRecv(deadline, t, taken); ok {
		t.Errorf("queue taken is open and held %v, want closed", got)
	}
	// A queue closes behind what it holds: its sink drains it first.
	if got, _ := hubRecv(deadline, t, left); got != hubTrade(0) {
		t.Errorf("queue left held %v, want trade 0", got)
	}
	if got, ok := hubRecv(deadline, t, left); ok {
		t.Errorf("queue left is open and held %v, want closed", got)
	}
}

// TestHubSlowSinkBesideFastSink is the proof that sinks compose: a sink that
// stops reading loses only its own trades, the fast sink and the producer never
// notice, and each streak of drops is logged once when it begins and once when
// it ends.
func TestHubSlowSinkBesideFastSink(t *testing.T) {
	const (
		slowCap    = 2
		fastCap    = 100
		burst      = 10                  // trades 0..9; the slow sink takes only trade 0
		burstDrops = burst - 1 - slowCap // the burst less trade 0 and what the queue holds
		streak2    = burst + 1           // the first of slowCap+1 trades, a second streak
		last       = streak2 + slowCap + 1
		dropWarn   = "sink queue full, dropping trades"
		caughtUp   = "sink caught up"
	)
	g, ctx := newHubGroup(t)
	rec, log := logtest.New()
	in := make(chan messages.Trade) // unbuffered: every send waits for the hub
	h := NewHub(in, log)
	// The hub offers a trade to queues in attach order, so once the fast sink
	// has a trade the hub is done offering it to the slow one.
	slow, fast := newHubSink(true), newHubSink(false)
	slowQueue := h.Attach("slow", slowCap)
	fastQueue := h.Attach("fast", fastCap)
	g.Go(func() error { return h.Run(ctx) })
	g.Go(func() error { return slow.Run(ctx, slowQueue) })
	g.Go(func() error { return fast.Run(ctx, fastQueue) })

	// The slow sink takes trade 0 and then blocks, its queue empty.
	hubPush(ctx, t, in, 0, 1)
	slowGot := slow.take(ctx, t, 1)

	// A burst: the slow queue fills with trades 1 and 2 and drops the rest.
	hubPush(ctx, t, in, 1, burst)
	if got, want := fast.take(ctx, t, burst), hubTrades(0, burst); !slices.Equal(got, want) {
		t.Fatalf("fast sink got %v, want trades 0..%d in order", got, burst-1)
	}
	stats := h.Stats()
	if got, want := stats[0], (SinkStats{Name: "slow", Capacity: slowCap, Queued: slowCap, Delivered: 1 + slowCap, Dropped: burstDrops}); got != want {
		t.Errorf("slow sink stats = %+v, want %+v", got, want)
	}
	if got, want := stats[1], (SinkStats{Name: "fast", Capacity: fastCap, Queued: 0, Delivered: burst}); got != want {
		t.Errorf("fast sink stats = %+v, want %+v", got, want)
	}
	warns := rec.Matching(dropWarn)
	if len(warns) != 1 {
		t.Fatalf("logged %d %q records, want 1 for the streak:\n%s", len(warns), dropWarn, rec.Dump())
	}
	if w := warns[0]; w.Level != slog.LevelWarn || w.String("sink") != "slow" || w.String("capacity") != strconv.Itoa(slowCap) {
		t.Errorf("drop warning = %v %v, want WARN sink=slow capacity=%d", w.Level, w.Attrs, slowCap)
	}
	if got := rec.Matching(caughtUp); len(got) != 0 {
		t.Errorf("logged %q while the slow sink was still full", caughtUp)
	}

	// Unblocked, the slow sink gets what was queued; with what was dropped
	// that accounts for the whole burst.
	slowGot = append(slowGot, slow.take(ctx, t, slowCap)...)
	if want := hubTrades(0, 1+slowCap); !slices.Equal(slowGot, want) {
		t.Errorf("slow sink got %v, want %v", slowGot, want)
	}
	if dropped := h.Stats()[0].Dropped; len(slowGot)+int(dropped) != burst {
		t.Errorf("slow sink received %d and dropped %d, want %d in all", len(slowGot), dropped, burst)
	}

	// The next trade reaches it, which ends the streak.
	hubPush(ctx, t, in, burst, burst+1)
	fast.take(ctx, t, 1)
	if got := slow.take(ctx, t, 1); got[0] != hubTrade(burst) {
		t.Errorf("slow sink got %v after catching up, want trade %d", got[0], burst)
	}
	up := rec.WaitCount(ctx, t, caughtUp, 1)[0]
	dropped := strconv.Itoa(burstDrops)
	if up.Level != slog.LevelInfo || up.String("sink") != "slow" || up.String("dropped") != dropped || up.String("dropped_total") != dropped {
		t.Errorf("caught up record = %v %v, want INFO sink=slow dropped=%d dropped_total=%d", up.Level, up.Attrs, burstDrops, burstDrops)
	}

	// A second streak, one trade more than the queue holds, is logged on its
	// own, and its end counts only its one drop.
	hubPush(ctx, t, in, streak2, last)
	fast.take(ctx, t, last-streak2)
	if got := len(rec.Matching(dropWarn)); got != 2 {
		t.Errorf("logged %d %q records after two streaks, want 2:\n%s", got, dropWarn, rec.Dump())
	}
	slow.take(ctx, t, slowCap)
	hubPush(ctx, t, in, last, last+1)
	slow.take(ctx, t, 1)
	up = rec.WaitCount(ctx, t, caughtUp, 2)[1]
	if got, want := up.String("dropped")+" "+up.String("dropped_total"), "1 "+strconv.Itoa(burstDrops+1); got != want {
		t.Errorf("second caught up record: dropped, dropped_total = %s, want %s", got, want)
	}

	close(slow.gate) // from here on the slow sink is fast too
	close(in)
	if err := g.Wait(); err != nil {
		t.Fatalf("Wait() = %v, want nil", err)
	}
	want := []SinkStats{
		{Name: "slow", Capacity: slowCap, Delivered: last + 1 - (burstDrops + 1), Dropped: burstDrops + 1},
		{Name: "fast", Capacity: fastCap, Delivered: last + 1},
	}
	if got := h.Stats(); !slices.Equal(got, want) {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
}

func TestHubFanOutDoesNotAllocate(t *testing.T) {
	const runs = 100
	h := NewHub(nil, slog.New(slog.DiscardHandler))
	h.Attach("room", runs+2) // a trade to fill "full", and AllocsPerRun's warm-up
	h.Attach("full", 1)
	h.AttachDecider("decider", 1, rejectAll{}) // the decision's path too, on a rejection
	trade := hubTrade(1)
	trade.ReceivedAt = time.Now() // so that the latency is recorded too
	// Fill "full", so that every measured trade is delivered to one queue and
	// dropped for the other.
	h.fanOut(t.Context(), &trade)

	allocs := testing.AllocsPerRun(runs, func() { h.fanOut(t.Context(), &trade) })
	if allocs != 0 {
		t.Errorf("fanOut allocates %v times a trade, want 0", allocs)
	}
	want := []SinkStats{
		{Name: "room", Capacity: runs + 2, Queued: runs + 2, Delivered: runs + 2},
		{Name: "full", Capacity: 1, Queued: 1, Delivered: 1, Dropped: runs + 1},
		{Name: "decider", Capacity: 1},
	}
	if got := h.Stats(); !slices.Equal(got, want) {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
	if got := h.Latency().Count; got != runs+2 {
		t.Errorf("Latency().Count = %d, want %d: one per trade", got, runs+2)
	}
}

// The hub records each trade's latency once, however many sinks it goes to,
// measured from the trade's ReceivedAt; trades with no ReceivedAt are left out.
func TestHubRecordsLatencyOncePerTrade(t *testing.T) {
	in := make(chan messages.Trade, 10)
	h := NewHub(in, slog.New(slog.DiscardHandler))
	q1, q2 := h.Attach("a", 10), h.Attach("b", 1) // b drops: still one observation a trade
	const age = 3 * time.Millisecond
	for i := range 5 {
		tr := hubTrade(i)
		tr.ReceivedAt = time.Now().Add(-age)
		in <- tr
	}
	in <- hubTrade(99) // no ReceivedAt
	close(in)
	ctx, cancel := context.WithTimeout(t.Context(), hubTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("Run did not return once its input was closed")
	}
	for _, q := range []<-chan messages.Trade{q1, q2} {
		for _, ok := hubRecv(ctx, t, q); ok; _, ok = hubRecv(ctx, t, q) {
		}
	}
	s := h.Latency()
	if s.Count != 5 {
		t.Errorf("Count = %d, want 5", s.Count)
	}
	if i := slices.Index(s.Bounds, 2e-3); s.Counts[i] != 0 {
		t.Errorf("%d trades at most 2ms old, want 0: each was %v old", s.Counts[i], age)
	}
	if s.Sum < 5*age.Seconds() {
		t.Errorf("Sum = %vs, want at least %vs", s.Sum, 5*age.Seconds())
	}
}

func BenchmarkHubFanOut(b *testing.B) {
	h := NewHub(nil, slog.New(slog.DiscardHandler))
	q := h.Attach("sink", 1)
	trade := hubTrade(1)
	trade.ReceivedAt = time.Now()
	ctx := b.Context()
	for b.Loop() {
		h.fanOut(ctx, &trade)
		<-q
	}
}

func TestHubAttachPanics(t *testing.T) {
	tests := []struct {
		name   string
		attach func(h *Hub)
	}{
		{"capacity 0", func(h *Hub) { h.Attach("zero", 0) }},
		{"after Run", func(h *Hub) {
			_ = h.Run(t.Context()) // in is closed: Run returns at once
			h.Attach("late", 1)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := make(chan messages.Trade)
			close(in)
			h := NewHub(in, slog.New(slog.DiscardHandler))
			defer func() {
				if recover() == nil {
					t.Error("Attach did not panic")
				}
			}()
			tt.attach(h)
		})
	}
}

// rejectAll is a Decider that matches nothing.
type rejectAll struct{}

func (rejectAll) Decide(context.Context, *messages.Trade) (messages.Match, bool) {
	return messages.Match{}, false
}

// evenMatcher is a Decider that matches trades of an even value and notes,
// at each decision, how many trades the sink queue beside it held.
type evenMatcher struct {
	queue  <-chan messages.Trade
	queued []int
}

func (d *evenMatcher) Decide(_ context.Context, t *messages.Trade) (messages.Match, bool) {
	d.queued = append(d.queued, len(d.queue))
	if int(t.TotalValue)%2 != 0 {
		return messages.Match{}, false
	}
	return messages.Match{Trade: *t, Entry: "even", DecidedAt: time.Now()}, true
}

// A decider decides each trade before any queue is offered it, only its
// matches reach its queue (a full one drops them, counted and logged), and
// each decision's latency is recorded once.
func TestHubDecidesFirstAndQueuesMatchesOnly(t *testing.T) {
	rec, log := logtest.New()
	h := NewHub(nil, log)
	d := &evenMatcher{queue: h.Attach("printer", 10)}
	matches := h.AttachDecider("whitelist", 1, d)
	for _, tr := range hubTrades(0, 4) {
		tr.ReceivedAt = time.Now()
		h.fanOut(t.Context(), &tr)
	}
	if !slices.Equal(d.queued, []int{0, 1, 2, 3}) {
		t.Errorf("the printer's queue held %v trades at each decision, want [0 1 2 3]: each decided before it is offered", d.queued)
	}
	if m := <-matches; m.Trade.ID != "trade-0" || m.Entry != "even" {
		t.Errorf("queued match = %+v, want trade-0's", m)
	}
	want := []SinkStats{
		{Name: "printer", Capacity: 10, Queued: 4, Delivered: 4},
		{Name: "whitelist", Capacity: 1, Delivered: 1, Dropped: 1}, // trade-2's match found the queue full
	}
	if got := h.Stats(); !slices.Equal(got, want) {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
	if full := rec.Matching("sink queue full, dropping matches"); len(full) != 1 || full[0].String("sink") != "whitelist" {
		t.Errorf("drop warnings = %+v, want one for the whitelist's matches; logged:\n%s", full, rec.Dump())
	}
	if got := h.DecisionLatency().Count; got != 4 {
		t.Errorf("DecisionLatency().Count = %d, want 4: one a trade", got)
	}
	h.closeQueues()
	if _, ok := <-matches; ok {
		t.Error("the match queue is open after the hub's queues closed")
	}
}

// decidedAfter decides nothing, and says it decided after the trade's
// receipt by its offset, unless that is zero.
type decidedAfter time.Duration

func (d decidedAfter) Decide(_ context.Context, t *messages.Trade) (messages.Match, bool) {
	if d == 0 {
		return messages.Match{}, false
	}
	return messages.Match{DecidedAt: t.ReceivedAt.Add(time.Duration(d))}, false
}

// The decision latency is taken at the decision (the decider's DecidedAt,
// the last one's with several), not when the deciders have returned; a
// decider that gives no time is timed when it returns.
func TestHubTimesTheDecisionByDecidedAt(t *testing.T) {
	for _, tt := range []struct {
		name     string
		deciders []decidedAfter
		min, max time.Duration
	}{
		{"one decider", []decidedAfter{decidedAfter(3 * time.Millisecond)}, 3 * time.Millisecond, 3 * time.Millisecond},
		{"the last decision", []decidedAfter{decidedAfter(3 * time.Millisecond), decidedAfter(5 * time.Millisecond)}, 5 * time.Millisecond, 5 * time.Millisecond},
		{"no time given", []decidedAfter{0}, time.Hour, 2 * time.Hour},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHub(nil, slog.New(slog.DiscardHandler))
			for i, d := range tt.deciders {
				h.AttachDecider(fmt.Sprint("decider", i), 1, d)
			}
			tr := hubTrades(0, 1)[0]
			tr.ReceivedAt = time.Now().Add(-time.Hour) // an hour ago: time.Since would say so
			h.fanOut(t.Context(), &tr)
			s := h.DecisionLatency()
			got := time.Duration(s.Sum * float64(time.Second))
			if s.Count != 1 || got < tt.min-time.Microsecond || got > tt.max+time.Microsecond {
				t.Errorf("decision latency: %d observed, %v in all; want 1, in [%v, %v]", s.Count, got, tt.min, tt.max)
			}
			if fan := h.Latency(); fan.Sum < time.Hour.Seconds() {
				t.Errorf("fan-out latency %vs, want at least the hour since the receipt", fan.Sum)
			}
			h.closeQueues()
		})
	}
}
