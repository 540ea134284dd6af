package main

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/fakeroll/rolltest"
	"github.com/rollsniper/rollsniper/internal/logtest"
)

// twoLines are the arguments for two connections to srv, on two routes as
// the real feed has (/ws and /graphql), so a test can drop one.
func twoLines(srv *fakeroll.Server) []string {
	return []string{"-url", srv.URL() + "," + graphqlURL(srv)}
}

// graphqlURL is srv's URL on its /graphql route.
func graphqlURL(srv *fakeroll.Server) string {
	return strings.TrimSuffix(srv.URL(), "/ws") + "/graphql"
}

// onPath picks the fake feed's sessions on one route.
func onPath(path string) func(fakeroll.Session) bool {
	return func(s fakeroll.Session) bool { return s.Path == path }
}

// sumOver adds up a metric's samples over its conn label.
func sumOver(samples map[string]float64, name string) float64 {
	var sum float64
	for k, v := range samples {
		if strings.HasPrefix(k, name+`{conn="`) {
			sum += v
		}
	}
	return sum
}

// Both connections deliver every trade: each is printed, and reaches every
// sink, exactly once and in order; every copy is counted as dropped, and the
// two lines' firsts add up to the trades.
func TestTwoConnectionsNeverDeliverADuplicate(t *testing.T) {
	var base string
	tp := startPipelineArgs(t, twoLines, func(tp *testPipeline) { base = startMetrics(t, tp) })
	ctx := testCtx(t)
	if err := tp.srv.WaitSubscribed(ctx, 2); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 100 {
		tr := tp.srv.NewTrade()
		if n := tp.srv.Publish(tr); n != 2 {
			t.Fatalf("a trade reached %d connections, want both", n)
		}
		ids = append(ids, tr.ID)
	}
	tp.seen.wait(ctx, t, len(ids))
	// Every copy read: then nothing more can reach a sink.
	waitFor(ctx, t, "both lines' copies", func() bool {
		var n uint64
		for _, l := range tp.parser.Stats().Lines {
			n += l.First + l.Duplicates
		}
		return n == 2*uint64(len(ids))
	})
	tp.stdout.waitTrades(ctx, t, len(ids))
	if got := tp.stdout.tradeIDs(t); !slices.Equal(got, ids) {
		t.Errorf("printed %d trades, want the %d published, each once, in order:\n%v", len(got), len(ids), got)
	}
	var seen []string
	for _, tr := range tp.seen.wait(ctx, t, len(ids)) {
		seen = append(seen, tr.ID)
	}
	if !slices.Equal(seen, ids) {
		t.Errorf("the sink got %d trades, want the %d published, each once, in order", len(seen), len(ids))
	}

	m := scrape(ctx, t, base)
	for name, want := range map[string]float64{
		`rollsniper_trades_received_total`:                         100,
		`rollsniper_sink_delivered_total{sink="printer"}`:          100,
		`rollsniper_feed_up`:                                       1,
		`rollsniper_connection_state{conn="1",state="subscribed"}`: 1,
		`rollsniper_connection_state{conn="2",state="subscribed"}`: 1,
		`rollsniper_sessions_total{conn="2"}`:                      1,
	} {
		if m[name] != want {
			t.Errorf("%s = %v, want %v", name, m[name], want)
		}
	}
	for name, want := range map[string]float64{
		"rollsniper_trades_first_total":            100,
		"rollsniper_duplicates_dropped_total":      100,
		"rollsniper_connection_lead_seconds_count": 100,
	} {
		if got := sumOver(m, name); got != want {
			t.Errorf("%s over the connections = %v, want %v", name, got, want)
		}
	}
}

// With one connection down for good, the other carries the feed: /readyz
// stays ready, rollsniper_feed_up stays 1, the down one's waits are info,
// and its trades still print. With both down the feed is down, and says so.
func TestOneConnectionDownTheFeedIsWhole(t *testing.T) {
	var base string
	tp := startPipelineArgs(t, twoLines, func(tp *testPipeline) { base = startMetrics(t, tp) })
	ctx := testCtx(t)
	if err := tp.srv.WaitSubscribed(ctx, 2); err != nil {
		t.Fatal(err)
	}
	tp.srv.RefuseNext(1_000_000, http.StatusServiceUnavailable, nil)
	if n := tp.srv.DropWhere(onPath("/ws")); n != 1 {
		t.Fatalf("dropped %d connections, want connection 1", n)
	}
	waits := tp.logs.WaitHaving(ctx, t, reconnectKey, 3)
	for _, w := range waits {
		if w.Level.String() != "INFO" || w.String("conn") != "1" || !strings.Contains(w.Message, "the feed still arrives on another connection") {
			t.Errorf("connection 1's wait while 2 carried the feed: %v %q conn=%s", w.Level, w.Message, w.String("conn"))
		}
	}
	if status, body := get(ctx, t, base+"/readyz"); status != http.StatusOK {
		t.Errorf("/readyz with connection 2 up: %d %q, want ready", status, body)
	}
	ids := publishIDs(tp.srv, 5)
	if got := tp.stdout.waitTrades(ctx, t, len(ids)); !slices.Equal(got, ids) {
		t.Errorf("printed %v, want %v", got, ids)
	}
	m := scrape(ctx, t, base)
	if m[`rollsniper_feed_up`] != 1 || m[`rollsniper_connection_state{conn="1",state="waiting"}`]+m[`rollsniper_connection_state{conn="1",state="connecting"}`] != 1 {
		t.Errorf("feed_up %v, connection 1 waiting %v connecting %v", m[`rollsniper_feed_up`],
			m[`rollsniper_connection_state{conn="1",state="waiting"}`], m[`rollsniper_connection_state{conn="1",state="connecting"}`])
	}
	if m[`rollsniper_trades_first_total{conn="2"}`] != 5 {
		t.Errorf("connection 2 delivered %v first, want the 5", m[`rollsniper_trades_first_total{conn="2"}`])
	}

	tp.srv.DropAll()
	down := tp.logs.WaitCount(ctx, t, "the feed lost its last connection: listings published until one reconnects are lost", 1)[0]
	if down.Level.String() != "WARN" {
		t.Errorf("the feed going down logged at %v, want warn", down.Level)
	}
	// The next scrape may come while a line is between states; what it says
	// then must be the feed down, and why for each line.
	status, body := get(ctx, t, base+"/readyz")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "connection 1 is ") || !strings.Contains(body, "connection 2 is ") {
		t.Errorf("/readyz with both down: %d %q, want 503 saying why for each", status, body)
	}
	if m := scrape(ctx, t, base); m[`rollsniper_feed_up`] != 0 {
		t.Errorf("rollsniper_feed_up = %v with both connections down", m[`rollsniper_feed_up`])
	}
}

// The stop's line says how many trades each connection delivered first.
func TestStopSaysWhoDeliveredFirst(t *testing.T) {
	ctx := testCtx(t)
	srv := rolltest.Start(t, fakeroll.Options{})
	stdout, stderr := newLines(), newLines()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- run(runCtx, append(fastArgs(srv.URL()), twoLines(srv)...), stdout, stderr) }()
	if err := srv.WaitSubscribed(ctx, 2); err != nil {
		t.Fatal(err)
	}
	want := publishIDs(srv, 6)
	stdout.waitTrades(ctx, t, len(want))
	stop()
	if err := <-done; err != nil {
		t.Fatalf("run = %v, want nil after cancel", err)
	}
	stopped := stopLine(t, stderr.String())
	if stopped.Trades != 6 || len(stopped.DeliveredFirst) != 2 || stopped.DeliveredFirst["conn1"]+stopped.DeliveredFirst["conn2"] != 6 {
		t.Errorf("the stop said %+v, want 6 trades, split between conn1 and conn2\n%s", stopped, tail(stderr.String(), 5))
	}
}

// stopped is what the stop's line (JSON logs) says of the run.
type stopped struct {
	Trades         uint64            `json:"trades"`
	DeliveredFirst map[string]uint64 `json:"delivered_first"`
}

// stopLine reads the stop's line from a run's stderr, JSON logs.
func stopLine(t *testing.T, stderr string) stopped {
	t.Helper()
	var s stopped
	for line := range strings.Lines(stderr) {
		if strings.Contains(line, `"msg":"stopped"`) {
			if err := json.Unmarshal([]byte(line), &s); err != nil {
				t.Fatal(err)
			}
		}
	}
	return s
}

// The fake feed's market (the demo's feed) lists its trades to every
// connection, no connection always first, as on the real feed: over a few
// dozen trades each connection delivers some first.
func TestMarketTradesComeFirstOnEachConnection(t *testing.T) {
	ctx := testCtx(t)
	srv := rolltest.Start(t, fakeroll.Options{TradeInterval: 50 * time.Millisecond, Seed: 3})
	stdout, stderr := newLines(), newLines()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- run(runCtx, append(fastArgs(srv.URL()), twoLines(srv)...), stdout, stderr) }()
	stdout.waitTrades(ctx, t, 40)
	stop()
	if err := <-done; err != nil {
		t.Fatalf("run = %v, want nil after cancel", err)
	}
	stopped := stopLine(t, stderr.String())
	if stopped.DeliveredFirst["conn1"] == 0 || stopped.DeliveredFirst["conn2"] == 0 {
		t.Errorf("delivered first: %v; want some trades first on each connection\n%s", stopped.DeliveredFirst, tail(stderr.String(), 5))
	}
}

// The demo's faults drop its connections one at a time, in turn, each on its
// own route, and refuse the dropped one's next two reconnects; the other
// carries the feed meanwhile, so every trade is printed once.
func TestDemoFaultsDropOneConnectionAtATime(t *testing.T) {
	var srv *fakeroll.Server
	tp := startPipelineArgs(t, func(s *fakeroll.Server) []string {
		srv = s
		return []string{"-url", demoURLs(s.URL(), 2)}
	}, func(tp *testPipeline) {
		tp.extra = append(tp.extra, func(ctx context.Context) error { return demoFaults(ctx, srv, 2, 50*time.Millisecond, tp.log) })
	})
	ctx := testCtx(t)
	// Each drop is of the line the demo names, and of no other.
	var dropped []string
	tp.logs.WaitFor(ctx, t, "three drops", func(recs []logtest.Record) bool {
		dropped = nil
		dropping := ""
		for _, r := range recs {
			if n, ok := strings.CutPrefix(r.Message, "demo: dropping connection "); ok {
				dropping = n[:1]
			}
			if r.String(reconnectKey) != "" && r.String("kind") == "dropped" {
				if r.String("conn") != dropping {
					t.Fatalf("connection %s dropped while the demo dropped connection %s", r.String("conn"), dropping)
				}
				dropped = append(dropped, r.String("conn"))
			}
		}
		return len(dropped) >= 3
	})
	if !slices.Contains(dropped, "1") || !slices.Contains(dropped, "2") {
		t.Errorf("the faults dropped connections %v, want each in turn", dropped)
	}
	if n := srv.Refused(); n < 4 {
		t.Errorf("%d reconnects refused, want two after each drop", n)
	}
	for _, r := range tp.logs.Having(reconnectKey) {
		if r.Level.String() != "INFO" && r.Level.String() != "WARN" {
			t.Errorf("a demo wait at %v: %q", r.Level, r.Message)
		}
	}
	if got := tp.logs.Matching("demo: dropping connection 2 and refusing its next two reconnects; the other connection carries the feed meanwhile"); len(got) == 0 {
		t.Error("the demo did not say which connection it dropped")
	}
}
