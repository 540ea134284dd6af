package actors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/feedjson"
	"github.com/rollsniper/rollsniper/internal/fixtures"
	"github.com/rollsniper/rollsniper/internal/logtest"
	"github.com/rollsniper/rollsniper/messages"
)

// parserStart runs p and returns a function that waits for Run's result. The
// test fails if Run has not returned by the time the test ends.
func parserStart(t *testing.T, ctx context.Context, p *Parser) (wait func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	wait = sync.OnceValue(func() error {
		select {
		case err := <-done:
			return err
		case <-time.After(5 * time.Second):
			return errors.New("Run did not return")
		}
	})
	t.Cleanup(func() {
		if err := wait(); err != nil && !errors.Is(err, context.Canceled) {
			t.Error(err)
		}
	})
	return wait
}

// parserCollect reads Out until it is closed.
func parserCollect(t *testing.T, p *Parser) []messages.Trade {
	t.Helper()
	var got []messages.Trade
	timeout := time.After(5 * time.Second)
	for {
		select {
		case tr, ok := <-p.Out():
			if !ok {
				return got
			}
			got = append(got, tr)
		case <-timeout:
			t.Fatalf("Out not closed; got %d trades", len(got))
		}
	}
}

func TestParserRun(t *testing.T) {
	rec, log := logtest.New()
	in := make(chan messages.Frame, 8)
	p := NewParser(in, log.With("actor", "parser"))
	ctx := t.Context()
	wait := parserStart(t, ctx, p)

	at := fixtures.Received
	single := fixtures.Read(t, "createTrade_stickers.json")
	badBatch := fixtures.Mutate(t, fixtures.Read(t, "createTrades_batch.json"), fixtures.BatchTrades+".1.tradeItems.0.itemVariant", nil)
	frames := [][]byte{
		single,
		single[:len(single)/2],
		fixtures.Read(t, "createTrade_canJoinAfter.json"),
		[]byte(`{"type":"pong","payload":{}}`),
		badBatch,
		fixtures.Lines(t, "session_start.jsonl")[4],
	}
	for i, data := range frames {
		in <- messages.Frame{Data: data, ReceivedAt: at, Session: uint64(1 + i/3)}
	}
	// A stats read while Run runs, for the race detector.
	_ = p.Stats()
	close(in)

	got := parserCollect(t, p)
	if err := wait(); err != nil {
		t.Fatalf("Run = %v, want nil after in closed", err)
	}
	bowie := fixtures.Bowie
	bowie.CanJoin = true // received long after canJoinAfter
	if want := fixtures.Stamped(at, fixtures.Aquamarine, bowie, fixtures.Aquamarine, fixtures.Ursus); !reflect.DeepEqual(got, want) {
		t.Errorf("trades:\ngot  %+v\nwant %+v", got, want)
	}

	wantStats := ParserStats{Frames: 6, Trades: 4, Skipped: map[feedjson.ErrorKind]uint64{
		feedjson.MalformedJSON: 1, feedjson.UnknownType: 1, feedjson.NoTrades: 0, feedjson.InvalidTrade: 1, feedjson.ServerErrors: 0,
	}}
	if s := p.Stats(); s.Frames != wantStats.Frames || s.Trades != wantStats.Trades || !parserMapsEqual(s.Skipped, wantStats.Skipped) {
		t.Errorf("Stats = %+v, want %+v", s, wantStats)
	}

	warns := rec.WaitFor(ctx, t, "three warnings", func(recs []logtest.Record) bool {
		return len(parserWarnings(recs)) == 3
	})
	warns = parserWarnings(warns)
	wantWarns := []struct{ msg, kind, session, contains string }{
		{"frame skipped", "malformed_json", "1", "unexpected end of JSON input"},
		{"frame skipped", "unknown_type", "2", `"pong"`},
		{"trade skipped", "invalid_trade", "2", "trades[1].tradeItems[0].itemVariant is null"},
	}
	for i, w := range wantWarns {
		r := warns[i]
		if r.Message != w.msg || r.String("kind") != w.kind || r.String("session") != w.session ||
			!strings.Contains(r.String("err"), w.contains) || r.String("actor") != "parser" {
			t.Errorf("warning %d: %s %v, want %q kind=%s session=%s err containing %q", i, r.Message, r.Attrs, w.msg, w.kind, w.session, w.contains)
		}
		for k := range r.Attrs {
			if len(r.String(k)) > 200 {
				t.Errorf("warning %d: attribute %s is %d bytes; a warning must not carry the frame", i, k, len(r.String(k)))
			}
		}
	}
	if got := warns[2].String("trade"); got != fixtures.Bowie.ID {
		t.Errorf("trade skipped names trade %q, want %q", got, fixtures.Bowie.ID)
	}
	debugs := rec.Matching("frame with problems")
	if len(debugs) != 3 || len(debugs[0].String("prefix")) != parserDebugPrefix {
		t.Errorf("debug records %v, want 3 with a %d-byte prefix", debugs, parserDebugPrefix)
	}
}

func parserWarnings(recs []logtest.Record) []logtest.Record {
	var out []logtest.Record
	for _, r := range recs {
		if r.Level == slog.LevelWarn {
			out = append(out, r)
		}
	}
	return out
}

func parserMapsEqual(a, b map[feedjson.ErrorKind]uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestParserRunStopsOnCancelWhileWaiting(t *testing.T) {
	_, log := logtest.New()
	in := make(chan messages.Frame)
	p := NewParser(in, log)
	ctx, cancel := context.WithCancel(t.Context())
	wait := parserStart(t, ctx, p)
	in <- messages.Frame{Data: fixtures.Read(t, "createTrade_stickers.json"), ReceivedAt: fixtures.Received}
	if tr := <-p.Out(); tr.ID != fixtures.Aquamarine.ID {
		t.Fatalf("trade %s, want %s", tr.ID, fixtures.Aquamarine.ID)
	}
	// Run is now waiting for the next frame.
	cancel()
	if err := wait(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if got := parserCollect(t, p); len(got) != 0 {
		t.Fatalf("Out delivered %d trades after cancel", len(got))
	}
}

func TestParserRunStopsOnCancelWhileSending(t *testing.T) {
	_, log := logtest.New()
	in := make(chan messages.Frame, 1)
	p := newParser(in, log, 0) // unbuffered: the first send blocks until read
	ctx, cancel := context.WithCancel(t.Context())
	wait := parserStart(t, ctx, p)
	in <- messages.Frame{Data: fixtures.Read(t, "createTrades_batch.json"), ReceivedAt: fixtures.Received}
	if tr := <-p.Out(); tr.ID != fixtures.Aquamarine.ID {
		t.Fatalf("first trade %s, want %s", tr.ID, fixtures.Aquamarine.ID)
	}
	// Run is now blocked sending the second trade.
	cancel()
	if err := wait(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if _, ok := <-p.Out(); ok {
		t.Fatal("Out delivered a trade after cancel")
	}
	if s := p.Stats(); s.Frames != 1 || s.Trades != 1 {
		t.Errorf("Stats = %+v, want 1 frame, 1 trade sent", s)
	}
}

// Once its context has ended, RunInto fans out no frame it has not taken
// yet, though it waits on its input alone.
func TestParserRunIntoTakesNoFrameOnceCancelled(t *testing.T) {
	_, log := logtest.New()
	in := make(chan messages.Frame, 2)
	for range 2 {
		in <- messages.Frame{Data: fixtures.Read(t, "createTrade_stickers.json"), ReceivedAt: fixtures.Received}
	}
	close(in)
	p := NewParser(in, log)
	h := NewHub(nil, log)
	q := h.Attach("q", 4)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := p.RunInto(ctx, h); !errors.Is(err, context.Canceled) {
		t.Fatalf("RunInto = %v, want context.Canceled", err)
	}
	if n := len(q); n != 0 || p.Stats().Frames != 0 {
		t.Errorf("%d trades fanned out and %d frames taken after the cancel, want none", n, p.Stats().Frames)
	}
}

// RunInto fans out on the parser's goroutine: every trade reaches every queue
// in order, stats and latency count as with Hub.Run, and the queues close when
// the input does.
func TestParserRunIntoHub(t *testing.T) {
	_, log := logtest.New()
	in := make(chan messages.Frame, 4)
	p := NewParser(in, log)
	h := NewHub(nil, log)
	a, b := h.Attach("a", 8), h.Attach("b", 1)
	done := make(chan error, 1)
	go func() { done <- p.RunInto(t.Context(), h) }()

	at := time.Now()
	in <- messages.Frame{Data: fixtures.Read(t, "createTrades_batch.json"), ReceivedAt: at}
	in <- messages.Frame{Data: fixtures.Read(t, "createTrade_stickers.json"), ReceivedAt: at}
	close(in)
	if err := <-done; err != nil {
		t.Fatalf("RunInto = %v, want nil once in is closed", err)
	}
	var gotA, gotB []string
	for tr := range a { // closed by RunInto
		gotA = append(gotA, tr.ID)
	}
	for tr := range b {
		gotB = append(gotB, tr.ID)
	}
	want := []string{fixtures.Aquamarine.ID, fixtures.Bowie.ID, fixtures.Aquamarine.ID}
	if !slices.Equal(gotA, want) || !slices.Equal(gotB, want[:1]) {
		t.Errorf("queues got %v and %v, want %v and the first only (b holds one)", gotA, gotB, want)
	}
	if s := p.Stats(); s.Trades != 3 || s.Frames != 2 {
		t.Errorf("parser stats %+v, want 2 frames, 3 trades", s)
	}
	if s := h.Stats(); s[1].Dropped != 2 || s[0].Delivered != 3 {
		t.Errorf("hub stats %+v, want a's 3 delivered and b's 2 dropped", s)
	}
	if l := h.Latency(); l.Count != 3 {
		t.Errorf("latency observed %d times, want once a trade", l.Count)
	}
}

// RunInto waits on its input alone: cancelled while it waits, it returns
// ctx's error once the input closes (as the connections' queue does once
// they stop on the same context), and closes the queues.
func TestParserRunIntoStopsOnCancelOnceInCloses(t *testing.T) {
	_, log := logtest.New()
	in := make(chan messages.Frame)
	p := NewParser(in, log)
	h := NewHub(nil, log)
	q := h.Attach("q", 4)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.RunInto(ctx, h) }()
	in <- messages.Frame{Data: fixtures.Read(t, "createTrade_stickers.json"), ReceivedAt: fixtures.Received}
	if tr := <-q; tr.ID != fixtures.Aquamarine.ID {
		t.Fatalf("trade %s, want %s", tr.ID, fixtures.Aquamarine.ID)
	}
	cancel()
	close(in)
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("RunInto = %v, want context.Canceled", err)
	}
	if _, open := <-q; open {
		t.Error("the queue is still open after RunInto returned")
	}
	defer func() {
		if recover() == nil {
			t.Error("Run after RunInto did not panic")
		}
	}()
	h.Run(ctx)
}

// A feed of garbage is counted in full but logged at most parserWarnBurst
// times a window; the next warning after a quiet spell says how many it left
// out.
func TestParserLimitsWarnings(t *testing.T) {
	rec, log := logtest.New()
	in := make(chan messages.Frame)
	p := NewParser(in, log)
	var clock atomic.Int64 // nanoseconds past fixtures.Received
	p.now = func() time.Time { return fixtures.Received.Add(time.Duration(clock.Load())) }
	wait := parserStart(t, t.Context(), p)

	const flood = 3 * parserWarnBurst
	for range flood {
		in <- messages.Frame{Data: []byte(`{"type":"next","payload":`), ReceivedAt: fixtures.Received}
	}
	// The parser takes the next frame only once it is done with the last: when
	// this good one is taken, the flood has been handled in the first window.
	in <- messages.Frame{Data: fixtures.Read(t, "createTrade_stickers.json"), ReceivedAt: fixtures.Received}
	clock.Store(int64(parserWarnWindow))
	in <- messages.Frame{Data: []byte(`not json`), ReceivedAt: fixtures.Received}
	close(in)
	if err := wait(); err != nil {
		t.Fatal(err)
	}

	if got := p.Stats().Skipped[feedjson.MalformedJSON]; got != flood+1 {
		t.Errorf("counted %d malformed frames, want every one of %d", got, flood+1)
	}
	warns := parserWarnings(rec.Records())
	if len(warns) != parserWarnBurst+1 {
		t.Fatalf("%d warnings, want %d in the flood's window and 1 after it:\n%s", len(warns), parserWarnBurst+1, rec.Dump())
	}
	last := warns[len(warns)-1]
	if got, want := last.String("suppressed"), fmt.Sprint(flood-parserWarnBurst); got != want {
		t.Errorf("the warning after the flood says suppressed=%q, want %s", got, want)
	}
	if warns[0].String("suppressed") != "" {
		t.Errorf("the first warning says suppressed=%q, want none", warns[0].String("suppressed"))
	}
}
