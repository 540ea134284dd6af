package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/actors"
	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/fakeroll/rolltest"
	"github.com/rollsniper/rollsniper/internal/natsrec"
	"github.com/rollsniper/rollsniper/internal/natsserver/natstest"
)

// sniper is the program running in the test through run, as main runs it.
type sniper struct {
	stdout, stderr *lines
	stop           func() error // cancels, as SIGINT does, and returns run's result
}

// runSniper runs the program with args until the test stops it.
func runSniper(ctx context.Context, t *testing.T, args ...string) *sniper {
	t.Helper()
	s := &sniper{stdout: newLines(), stderr: newLines()}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- run(runCtx, args, s.stdout, s.stderr) }()
	var once sync.Once
	var result error
	s.stop = func() error {
		once.Do(func() {
			cancel()
			result = <-done
		})
		return result
	}
	t.Cleanup(func() { s.stop() })
	return s
}

// waitStream waits until the stream holds n messages.
func waitStream(ctx context.Context, t *testing.T, srv *natstest.Server, n uint64) {
	t.Helper()
	waitFor(ctx, t, fmt.Sprintf("%d messages in the stream", n), func() bool { return srv.StreamLen(ctx, t, natsrec.StreamName) >= n })
}

// waitFor waits until cond holds, checking it every few milliseconds (what
// it watches has no channel to wait on), or fails the test saying what it
// waited for.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("waiting for %s", what)
		}
	}
}

// assertStreamHoldsOnce checks that the stream's trades subject holds each
// of ids once.
func assertStreamHoldsOnce(ctx context.Context, t *testing.T, srv *natstest.Server, ids []string) {
	t.Helper()
	seen := map[string]int{}
	trades := 0
	for _, m := range srv.Messages(ctx, t, natsrec.StreamName) {
		if m.Subject == "rollsniper.trades" {
			seen[m.Record.Trade().ID]++
			trades++
		}
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("the stream holds trade %s %d times, want once", id, seen[id])
		}
	}
	if trades != len(ids) {
		t.Errorf("the stream holds %d trades, want %d", trades, len(ids))
	}
}

// TestNATSTwoPublishersOneMarket runs two sniper processes on one fake market
// (every subscriber gets the same listings), both publishing to one NATS
// server: each prints every trade, and the stream holds each trade once.
func TestNATSTwoPublishersOneMarket(t *testing.T) {
	ctx := testCtx(t)
	feed := rolltest.Start(t, fakeroll.Options{})
	nsrv := natstest.Start(t)
	a := runSniper(ctx, t, append(fastArgs(feed.URL()), "-nats", nsrv.URL())...)
	b := runSniper(ctx, t, append(fastArgs(feed.URL()), "-nats", nsrv.URL())...)
	if err := feed.WaitSubscribed(ctx, 2); err != nil {
		t.Fatal(err)
	}
	ids := publishIDs(feed, 200)
	a.stdout.waitTrades(ctx, t, len(ids))
	b.stdout.waitTrades(ctx, t, len(ids))
	for _, s := range []*sniper{a, b} {
		if err := s.stop(); err != nil { // the publisher drains before run returns
			t.Fatal(err)
		}
	}
	assertStreamHoldsOnce(ctx, t, nsrv, ids)
}

// TestNATSConsumerStoppedAndStartedAgain runs a publisher and a durable
// consumer, stops the consumer in the middle of the stream, publishes more,
// and starts it again: over its two runs it prints every trade once, in
// order. A second consumer with a whitelist of its own reads the same stream
// and prints its own matches.
func TestNATSConsumerStoppedAndStartedAgain(t *testing.T) {
	ctx := testCtx(t)
	feed := rolltest.Start(t, fakeroll.Options{})
	nsrv := natstest.Start(t)
	pub := runSniper(ctx, t, append(fastArgs(feed.URL()), "-nats", nsrv.URL())...)
	if err := feed.WaitSubscribed(ctx, 1); err != nil {
		t.Fatal(err)
	}
	first := publishIDs(feed, 1) // the stream exists once this is in it
	waitStream(ctx, t, nsrv, 1)

	consumerArgs := []string{"-source", nsrv.URL(), "-nats-durable", "desk", "-log-format", "json"}
	wanted := feed.NewTrade()
	wl := writeFile(t, "wl.json", fmt.Sprintf(`{"items":[{"name":%q,"joinable_only":false}]}`, wanted.TradeItems[0].MarketName))
	c1 := runSniper(ctx, t, consumerArgs...)
	other := runSniper(ctx, t, "-source", nsrv.URL(), "-nats-durable", "other", "-log-format", "json", "-whitelist", wl)
	for _, c := range []*sniper{c1, other} {
		c.stderr.waitFor(ctx, t, "NATS source reading")
	}

	ids := publishIDs(feed, 300)
	feed.Publish(wanted)
	ids = append(ids, wanted.ID)
	ids = append(ids, publishIDs(feed, 100)...)
	c1.stdout.waitTrades(ctx, t, 100)
	if err := c1.stop(); err != nil { // as SIGINT: mid-stream
		t.Fatal(err)
	}
	ids = append(ids, publishIDs(feed, 200)...)
	waitStream(ctx, t, nsrv, uint64(len(first)+len(ids)))
	c2 := runSniper(ctx, t, consumerArgs...)
	got := c1.stdout.tradeIDs(t)
	c2.stdout.waitTrades(ctx, t, len(ids)-len(got))
	if err := c2.stop(); err != nil {
		t.Fatal(err)
	}
	got = append(got, c2.stdout.tradeIDs(t)...)
	if fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Errorf("over its two runs the consumer printed %d trades, want each of the %d once, in order (first difference at %d)",
			len(got), len(ids), firstDifference(got, ids))
	}

	other.stdout.waitTrades(ctx, t, len(ids))
	other.stdout.waitFor(ctx, t, `"msg":"match","id":"`+wanted.ID+`"`)
	if n := strings.Count(c1.stdout.String()+c2.stdout.String(), `"msg":"match"`); n != 0 {
		t.Errorf("the consumer without a whitelist printed %d matches", n)
	}
	if err := pub.stop(); err != nil {
		t.Fatal(err)
	}
}

func firstDifference(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestNATSServerRestartNeverStallsTheFeed stops the NATS server under a
// running publisher and starts it again: the printer and another sink get
// every trade at once throughout, the publisher reconnects on its own, and
// every trade, those of the outage included, ends up in the stream once.
func TestNATSServerRestartNeverStallsTheFeed(t *testing.T) {
	nsrv := natstest.Start(t)
	tp := startPipelineArgs(t, func(*fakeroll.Server) []string { return []string{"-nats", nsrv.URL()} })
	ctx := testCtx(t)
	pubStats := tp.natsPub.Stats
	before := publishIDs(tp.srv, 50)
	waitFor(ctx, t, "50 acknowledged", func() bool { return pubStats().Acked >= 50 })

	nsrv.Stop()
	waitFor(ctx, t, "the publisher to see the loss", func() bool { return pubStats().State.String() == "connecting" })
	during := publishIDs(tp.srv, 100)
	tp.seen.wait(ctx, t, 150) // the other sinks do not wait for NATS
	tp.stdout.waitTrades(ctx, t, 150)
	waitFor(ctx, t, "the publisher to hold the outage's 100 trades", func() bool { return pubStats().Pending == 100 })
	if s := pubStats(); s.Dropped != 0 || s.Published != 50 {
		t.Errorf("during the outage the publisher published %d and dropped %d, want 50 and 0", s.Published, s.Dropped)
	}

	nsrv.Restart(t)
	after := publishIDs(tp.srv, 100)
	tp.seen.wait(ctx, t, 250)
	waitFor(ctx, t, "every trade stored", func() bool { s := pubStats(); return s.Acked-s.Duplicates >= 250 && s.Pending == 0 })
	if err := tp.stop(); err != nil {
		t.Fatal(err)
	}
	assertStreamHoldsOnce(ctx, t, nsrv, append(append(before, during...), after...))
	if hub := tp.hub.Stats(); hub[len(hub)-1].Dropped != 0 {
		t.Errorf("the hub dropped trades: %+v", hub)
	}
}

// TestNATSUnreachableAtStartIsNotFatal starts the program with a NATS server
// that is not there: the feed runs and prints, and the publisher waits,
// holding and counting what it could not send yet.
func TestNATSUnreachableAtStartIsNotFatal(t *testing.T) {
	const url = "nats://127.0.0.1:1"
	tp := startPipelineArgs(t, func(*fakeroll.Server) []string { return []string{"-nats", url} }, func(tp *testPipeline) {
		// The same publisher, with a short drain: the test ends with the
		// server still away, and need not wait out the usual 5 s.
		i := slices.IndexFunc(tp.sinks, func(s namedSink) bool { return s.sink == tp.natsPub })
		tp.natsPub = actors.NewNATSPublisher(actors.NATSPublisherConfig{Conn: actors.NATSConnConfig{URL: url},
			Subjects: defaultSubjects, DrainTimeout: time.Millisecond}, slog.New(tp.logs).With("actor", "nats"))
		tp.sinks[i].sink = tp.natsPub
	})
	ctx := testCtx(t)
	ids := publishIDs(tp.srv, 20)
	tp.stdout.waitTrades(ctx, t, len(ids))
	waitFor(ctx, t, "20 pending", func() bool { return tp.natsPub.Stats().Pending == 20 })
	if s := tp.natsPub.Stats(); s.State.String() != "connecting" || s.Published != 0 {
		t.Errorf("publisher stats %+v, want connecting, nothing published", s)
	}
	waitFor(ctx, t, "the unreachable server to be logged", func() bool { return strings.Contains(tp.logs.Dump(), "cannot reach NATS") })
	if err := tp.stop(); err != nil {
		t.Fatal(err)
	}
	if s := tp.natsPub.Stats(); s.Abandoned != 20 {
		t.Errorf("publisher stats %+v after the stop, want the 20 counted as abandoned", s)
	}
}
