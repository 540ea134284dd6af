package actors

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/logtest"
	"github.com/rollsniper/rollsniper/internal/natsrec"
	"github.com/rollsniper/rollsniper/internal/natsserver/natstest"
	"github.com/rollsniper/rollsniper/messages"
)

func TestNATSPublisherPublishesTradesAndMatches(t *testing.T) {
	ctx := natsCtx(t)
	srv := natstest.Start(t)
	subjects := defaultSubjects(t)
	matches := make(chan messages.Match, 10)
	p := NewNATSPublisher(NATSPublisherConfig{Conn: NATSConnConfig{URL: srv.URL()}, Subjects: subjects, Matches: matches}, nil)
	in, stop := runSink(ctx, p, 100)
	trades := natsTrades("t", 50)
	for i, tr := range trades {
		in <- tr
		if i%10 == 0 {
			matches <- messages.Match{Trade: tr, Entry: "#2 AK-47 | Redline", EntryIndex: 2, DecidedAt: tr.ReceivedAt.Add(time.Microsecond)}
		}
	}
	close(matches)
	if err := stop(); err != nil {
		t.Fatalf("Run = %v, want nil once the input is closed", err)
	}
	if s := p.Stats(); s.Published != 55 || s.Acked != 55 || s.Duplicates != 0 || s.Dropped != 0 || s.Abandoned != 0 || s.Pending != 0 || s.State != NATSClosed {
		t.Errorf("stats %+v, want 55 published and acknowledged, closed", s)
	}

	got := srv.Messages(ctx, t, natsrec.StreamName)
	var tradeIDs, matchIDs []string
	for _, m := range got {
		switch m.Subject {
		case "rollsniper.trades":
			tradeIDs = append(tradeIDs, m.MsgID)
			if m.Record.Kind != natsrec.KindTrade || m.Record.Trade().ID != m.MsgID {
				t.Errorf("trade message %s holds %+v", m.MsgID, m.Record)
			}
		case "rollsniper.matches":
			matchIDs = append(matchIDs, m.MsgID)
			if m.Record.Kind != natsrec.KindMatch || m.MsgID != m.Record.Trade().ID+":2" || m.Record.Match.EntryIndex != 2 {
				t.Errorf("match message %s holds %+v", m.MsgID, m.Record)
			}
		default:
			t.Errorf("a message on %s", m.Subject)
		}
	}
	var wantTrades, wantMatches []string
	for i, tr := range trades {
		wantTrades = append(wantTrades, tr.ID)
		if i%10 == 0 {
			wantMatches = append(wantMatches, tr.ID+":2")
		}
	}
	if !slices.Equal(tradeIDs, wantTrades) || !slices.Equal(matchIDs, wantMatches) {
		t.Errorf("stream holds trades %v and matches %v, want %v and %v", tradeIDs, matchIDs, wantTrades, wantMatches)
	}
	// The decoded trade is the one sent, its time in UTC.
	want := trades[0]
	want.ReceivedAt = want.ReceivedAt.UTC()
	if r := got[0].Record; *r.Trade() != want {
		t.Errorf("first trade decoded as %+v, sent %+v", *r.Trade(), want)
	}
}

// TestNATSPublishersStoreEachTradeOnce runs two publishers that send the
// same trades, as two sniper processes on one feed would: the stream keeps
// one copy of each, and the server reports the other copies as duplicates.
func TestNATSPublishersStoreEachTradeOnce(t *testing.T) {
	ctx := natsCtx(t)
	srv := natstest.Start(t)
	trades := natsTrades("dup", 200)
	var pubs []*NATSPublisher
	var stops []func() error
	for range 2 {
		p := NewNATSPublisher(NATSPublisherConfig{Conn: NATSConnConfig{URL: srv.URL()}, Subjects: defaultSubjects(t)}, nil)
		in, stop := runSink(ctx, p, len(trades))
		for _, tr := range trades {
			in <- tr
		}
		pubs, stops = append(pubs, p), append(stops, stop)
	}
	for _, stop := range stops {
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	}
	var acked, dups uint64
	for _, p := range pubs {
		s := p.Stats()
		acked, dups = acked+s.Acked, dups+s.Duplicates
	}
	if acked != 400 || dups != 200 {
		t.Errorf("%d acknowledged, %d duplicates, want 400 and 200", acked, dups)
	}
	assertEachOnce(t, srv.Messages(ctx, t, natsrec.StreamName), trades)
}

// assertEachOnce checks that the stream holds each trade exactly once.
func assertEachOnce(t *testing.T, got []natstest.Message, trades []messages.Trade) {
	t.Helper()
	seen := map[string]int{}
	for _, m := range got {
		seen[m.Record.Trade().ID]++
	}
	for _, tr := range trades {
		if seen[tr.ID] != 1 {
			t.Errorf("the stream holds trade %s %d times, want once", tr.ID, seen[tr.ID])
		}
	}
	if len(got) != len(trades) {
		t.Errorf("the stream holds %d messages, want %d", len(got), len(trades))
	}
}

// TestNATSPublisherWaitsForAServerThatIsNotThereYet starts the publisher
// with no server on its port: it takes every trade at once (nothing blocks),
// keeps the newest that its buffer holds, counts and logs the drops once,
// then publishes them when the server comes.
func TestNATSPublisherWaitsForAServerThatIsNotThereYet(t *testing.T) {
	ctx := natsCtx(t)
	port := freePort(t)
	rec, log := logtest.New()
	p := NewNATSPublisher(NATSPublisherConfig{
		Conn:     NATSConnConfig{URL: fmt.Sprintf("nats://127.0.0.1:%d", port), ReconnectWait: 20 * time.Millisecond},
		Subjects: defaultSubjects(t), Buffer: 10,
	}, log)
	in, stop := runSink(ctx, p, 0)
	trades := natsTrades("early", 25)
	for _, tr := range trades { // an unbuffered queue: each send waits for Run to take the trade
		in <- tr
	}
	waitCond(ctx, t, func() string { return fmt.Sprintf("15 drops, stats %+v", p.Stats()) }, func() bool { return p.Stats().Dropped == 15 })
	if s := p.Stats(); s.State != NATSConnecting || s.Pending != 10 || s.Published != 0 {
		t.Errorf("stats %+v, want connecting, 10 pending, none published", s)
	}
	if full := rec.Matching("NATS buffer full, dropping the oldest messages"); len(full) != 1 {
		t.Errorf("%d drop warnings, want one for the streak:\n%s", len(full), rec.Dump())
	}
	waitCond(ctx, t, func() string { return "the unreachable server logged:\n" + rec.Dump() },
		func() bool { return strings.Contains(rec.Dump(), "cannot reach NATS") })

	srv := natstest.StartAt(t, port)
	waitCond(ctx, t, func() string { return fmt.Sprintf("10 acknowledged, stats %+v", p.Stats()) }, func() bool { return p.Stats().Acked == 10 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	assertEachOnce(t, srv.Messages(ctx, t, natsrec.StreamName), trades[15:])
}

// TestNATSPublisherOutlivesAServerRestart stops the server while trades keep
// coming, and starts it again: the publisher never blocks its queue,
// reconnects on its own, and every trade it buffered meanwhile, and every
// trade after, is stored once.
func TestNATSPublisherOutlivesAServerRestart(t *testing.T) {
	ctx := natsCtx(t)
	srv := natstest.Start(t)
	p := NewNATSPublisher(NATSPublisherConfig{
		Conn:     NATSConnConfig{URL: srv.URL(), ReconnectWait: 20 * time.Millisecond},
		Subjects: defaultSubjects(t),
	}, nil)
	in, stop := runSink(ctx, p, 0)
	trades := natsTrades("r", 300)
	for _, tr := range trades[:100] {
		in <- tr
	}
	waitCond(ctx, t, func() string { return fmt.Sprintf("100 acknowledged, %+v", p.Stats()) }, func() bool { return p.Stats().Acked == 100 })
	srv.Stop()
	waitCond(ctx, t, func() string { return "the publisher to see the loss" }, func() bool { return p.Stats().State == NATSConnecting })
	for _, tr := range trades[100:200] { // unbuffered: each is taken while the server is down
		in <- tr
	}
	srv.Restart(t)
	for _, tr := range trades[200:] {
		in <- tr
	}
	waitCond(ctx, t, func() string { return fmt.Sprintf("300 stored, %+v", p.Stats()) }, func() bool {
		s := p.Stats()
		return s.Acked-s.Duplicates == 300 && s.Pending == 0
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Dropped != 0 || s.Abandoned != 0 {
		t.Errorf("stats %+v: nothing should be lost", s)
	}
	assertEachOnce(t, srv.Messages(ctx, t, natsrec.StreamName), trades)
}

// TestNATSPublisherSetsUpADeletedStreamAgain deletes the stream under a
// running publisher: the messages no stream answered are published again
// once it has set the stream up anew, and none is lost.
func TestNATSPublisherSetsUpADeletedStreamAgain(t *testing.T) {
	ctx := natsCtx(t)
	srv := natstest.Start(t)
	p := NewNATSPublisher(NATSPublisherConfig{Conn: NATSConnConfig{URL: srv.URL()}, Subjects: defaultSubjects(t)}, nil)
	in, stop := runSink(ctx, p, 0)
	trades := natsTrades("del", 40)
	for _, tr := range trades[:10] {
		in <- tr
	}
	waitCond(ctx, t, func() string { return fmt.Sprintf("10 acknowledged, %+v", p.Stats()) }, func() bool { return p.Stats().Acked == 10 })
	deleteStream(ctx, t, srv.URL(), natsrec.StreamName)
	for _, tr := range trades[10:] {
		in <- tr
	}
	waitCond(ctx, t, func() string { return fmt.Sprintf("40 acknowledged, %+v", p.Stats()) }, func() bool { return p.Stats().Acked == 40 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Retried == 0 || s.Dropped != 0 {
		t.Errorf("stats %+v: want retries and no drops", s)
	}
	assertEachOnce(t, srv.Messages(ctx, t, natsrec.StreamName), trades[10:])
}

// TestNATSPublisherAbandonsAfterTheDrainTimeout stops a publisher whose
// server never came: Run returns once the drain timeout passes, and counts
// what it could not publish.
func TestNATSPublisherAbandonsAfterTheDrainTimeout(t *testing.T) {
	ctx := natsCtx(t)
	rec, log := logtest.New()
	p := NewNATSPublisher(NATSPublisherConfig{
		Conn:     NATSConnConfig{URL: fmt.Sprintf("nats://127.0.0.1:%d", freePort(t))},
		Subjects: defaultSubjects(t), DrainTimeout: 50 * time.Millisecond,
	}, log)
	in, stop := runSink(ctx, p, 10)
	for _, tr := range natsTrades("lost", 7) {
		in <- tr
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Abandoned != 7 || s.State != NATSClosed {
		t.Errorf("stats %+v, want 7 abandoned, closed", s)
	}
	if got := rec.Matching("NATS: stopping with messages not acknowledged"); len(got) != 1 || got[0].String("abandoned") != "7" {
		t.Errorf("abandon records %+v, want one saying 7:\n%s", got, rec.Dump())
	}
}
