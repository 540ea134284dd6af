package actors

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/dedup"
	"github.com/rollsniper/rollsniper/internal/feedjson"
	"github.com/rollsniper/rollsniper/internal/fixtures"
	"github.com/rollsniper/rollsniper/internal/logtest"
	"github.com/rollsniper/rollsniper/messages"
)

// tradesFrame returns a createTrades frame of one trade per id, each a copy
// of the batch fixture's first trade with that id (raw JSON text between the
// quotes, so an id may hold an escape).
func tradesFrame(t *testing.T, ids ...string) []byte {
	t.Helper()
	return framer(t)(ids...)
}

// framer returns tradesFrame's builder, the fixture read once.
func framer(t *testing.T) func(ids ...string) []byte {
	t.Helper()
	var doc struct {
		Payload struct {
			Data struct {
				CreateTrades struct {
					Trades []map[string]json.RawMessage `json:"trades"`
				} `json:"createTrades"`
			} `json:"data"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(fixtures.Read(t, fixtures.Batch), &doc); err != nil {
		t.Fatal(err)
	}
	tr := doc.Payload.Data.CreateTrades.Trades[0]
	delete(tr, "id")
	rest, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	return func(ids ...string) []byte {
		b := []byte(`{"id":"1","type":"next","payload":{"data":{"createTrades":{"trades":[`)
		for i, id := range ids {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":"`+id+`",`...)
			b = append(b, rest[1:]...)
		}
		return append(b, `]}}}}`...)
	}
}

// singleFrame returns a createTrade frame (the older shape) of the stickers
// fixture's trade with id.
func singleFrame(t *testing.T, id string) []byte {
	t.Helper()
	return fixtures.Mutate(t, fixtures.Read(t, fixtures.Stickers), fixtures.SingleTrade+".id", id)
}

// linesCollect runs a parser over frames, in order, and returns the ids it
// handed on and its stats.
func linesCollect(t *testing.T, p *Parser, in chan messages.Frame, frames []messages.Frame) ([]string, ParserStats) {
	t.Helper()
	wait := parserStart(t, t.Context(), p)
	go func() {
		for _, f := range frames {
			in <- f
		}
		close(in)
	}()
	var ids []string
	for _, tr := range parserCollect(t, p) {
		ids = append(ids, tr.ID)
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	return ids, p.Stats()
}

// Two lines deliver the same trades, batched alike or not, in either shape,
// one with an escape in an id: each trade goes on once, from the line that
// brought it first, in the order they came; a frame of copies is never
// decoded (its broken trade would be reported), and each line's share and
// lead are counted.
func TestParserLinesHandOnTheFirstCopy(t *testing.T) {
	at := fixtures.Received
	frame := func(conn int, ms int, data []byte) messages.Frame {
		return messages.Frame{Data: data, ReceivedAt: at.Add(time.Duration(ms) * time.Millisecond), Session: 1, Conn: conn}
	}
	brokenCopy := fixtures.Mutate(t, tradesFrame(t, "A", "B"), fixtures.BatchTrades+".1.tradeItems.0.itemVariant", nil)
	brokenK := fixtures.Mutate(t, tradesFrame(t, "K"), fixtures.BatchTrades+".0.tradeItems.0.itemVariant", nil)
	frames := []messages.Frame{
		frame(1, 0, tradesFrame(t, "A", "B")),
		frame(2, 3, brokenCopy),                     // copies: dropped undecoded, the broken trade unseen
		frame(2, 10, tradesFrame(t, "C")),           // line 2 first
		frame(1, 12, tradesFrame(t, "C")),           // copy
		frame(1, 20, tradesFrame(t, "D", "E")),      // line 1 first
		frame(2, 21, tradesFrame(t, "E", "F")),      // E a copy, F new: decoded, only F goes on
		frame(2, 30, singleFrame(t, "G")),           // the older shape
		frame(1, 35, singleFrame(t, "G")),           // copy
		frame(1, 40, tradesFrame(t, `X\u0041`)),     // an escape: decoded and looked up as "XA"
		frame(2, 41, tradesFrame(t, "XA")),          // its copy, by its ids
		frame(2, 50, tradesFrame(t, "H", "H")),      // the same id twice in one frame: once
		frame(1, 50, []byte(`{"type":"surprise"}`)), // not a trade: reported, as ever
		frame(2, 51, []byte(`{"type":"surprise"}`)), // and again from line 2: no trade, so no copy
		frame(1, 60, brokenK),                       // K broken on line 1: reported, and not taken for K
		frame(2, 61, tradesFrame(t, "K")),           // so line 2's good K goes on
	}
	rec, log := logtest.New()
	in := make(chan messages.Frame)
	p := NewParserLines(in, 2, log)
	ids, s := linesCollect(t, p, in, frames)

	if want := []string{"A", "B", "C", "D", "E", "F", "G", "XA", "H", "K"}; !slices.Equal(ids, want) {
		t.Errorf("handed on %v, want %v", ids, want)
	}
	if s.Frames != uint64(len(frames)) || s.Trades != 10 || s.Skipped[feedjson.InvalidTrade] != 1 || s.Skipped[feedjson.UnknownType] != 2 {
		t.Errorf("stats %+v: want %d frames, 10 trades, the copy's broken trade never decoded (the broken K only), each surprise reported", s, len(frames))
	}
	if got := rec.Matching("frame skipped"); len(got) != 2 || got[0].String("conn") != "1" || got[1].String("conn") != "2" || len(rec.Matching("trade skipped")) != 1 {
		t.Errorf("the unknown frame's warning: %v", got)
	}
	want := []struct {
		first, dups, leads uint64
		leadSum            time.Duration
	}{
		{first: 5, dups: 2, leads: 4, leadSum: (3 + 3 + 1 + 1) * time.Millisecond}, // A, B, D, E, XA; copies of C, G; led A, B (3 ms), E, XA (1 ms)
		{first: 5, dups: 5, leads: 2, leadSum: (2 + 5) * time.Millisecond},         // C, F, G, H, K; copies of A, B, E, XA and the second H; led C (2 ms), G (5 ms)
	}
	if len(s.Lines) != 2 {
		t.Fatalf("stats of %d lines, want 2", len(s.Lines))
	}
	for i, w := range want {
		l := s.Lines[i]
		sum := time.Duration(l.Lead.Sum * float64(time.Second)).Round(time.Microsecond)
		if l.Conn != i+1 || l.First != w.first || l.Duplicates != w.dups || l.Lead.Count != w.leads || sum != w.leadSum {
			t.Errorf("line %d: conn %d, first %d, duplicates %d, %d leads summing %v; want first %d, duplicates %d, %d leads summing %v",
				i+1, l.Conn, l.First, l.Duplicates, l.Lead.Count, sum, w.first, w.dups, w.leads, w.leadSum)
		}
	}
}

// Two lines carry one market: the same trades, each line batching them its
// own way, losing some to reconnects, and lagging the other by up to a
// third of the window. Every trade either line brought goes on exactly once,
// in the order of first arrival. The window is small here so that it wraps
// thousands of times.
func TestParserLinesNeverHandOnACopy(t *testing.T) {
	const trades, capacity = 5_000, 100
	rng := rand.New(rand.NewPCG(11, 12))
	type batch struct {
		ids []string
		at  int // the trade number the line delivers it after
	}
	lineBatches := func(lag int) []batch {
		var out []batch
		for i := 0; i < trades; {
			n := min(1+rng.IntN(4), trades-i)
			var ids []string
			for j := range n {
				ids = append(ids, fmt.Sprintf("VHJhZGU6%d", i+j))
			}
			i += n
			if rng.IntN(50) == 0 { // a reconnect's gap: this line never gets them
				continue
			}
			out = append(out, batch{ids: ids, at: i + rng.IntN(lag+1)})
		}
		return out
	}
	lines := [2][]batch{lineBatches(5), lineBatches(capacity / 3)}
	frame := framer(t)
	var frames []messages.Frame
	var wantOrder []string
	seen := map[string]bool{}
	base := fixtures.Received
	for i, j := 0, 0; i < len(lines[0]) || j < len(lines[1]); {
		take := 0
		switch {
		case i == len(lines[0]):
			take = 1
		case j == len(lines[1]):
		case lines[1][j].at < lines[0][i].at:
			take = 1
		}
		var b batch
		if take == 0 {
			b = lines[0][i]
			i++
		} else {
			b = lines[1][j]
			j++
		}
		frames = append(frames, messages.Frame{Data: frame(b.ids...), ReceivedAt: base.Add(time.Duration(b.at) * time.Millisecond), Conn: take + 1})
		for _, id := range b.ids {
			if !seen[id] {
				seen[id] = true
				wantOrder = append(wantOrder, id)
			}
		}
	}

	_, log := logtest.New()
	in := make(chan messages.Frame)
	p := newParser(in, log, parserOutSize)
	p.arbitrate(2, dedup.New(capacity, time.Hour), dedup.New(capacity/4, time.Hour))
	ids, s := linesCollect(t, p, in, frames)
	if !slices.Equal(ids, wantOrder) {
		i := 0
		for i < min(len(ids), len(wantOrder)) && ids[i] == wantOrder[i] {
			i++
		}
		t.Fatalf("handed on %d trades, want the %d distinct ones brought, in order of first arrival; first difference at %d", len(ids), len(wantOrder), i)
	}
	var firsts, dups uint64
	for _, l := range s.Lines {
		firsts += l.First
		dups += l.Duplicates
	}
	var copies int
	for _, l := range lines {
		for _, b := range l {
			copies += len(b.ids)
		}
	}
	if firsts != uint64(len(wantOrder)) || firsts+dups != uint64(copies) {
		t.Errorf("lines delivered first %d and duplicated %d, want %d and %d", firsts, dups, len(wantOrder), copies-len(wantOrder))
	}
}

// A copy costs a hash of the frame (the same bytes), or a scan of its ids
// and their lookups (the same trades, batched otherwise), and allocates
// nothing either way.
func TestParserLinesCopyDoesNotAllocate(t *testing.T) {
	_, log := logtest.New()
	p := NewParserLines(nil, 2, log)
	data := tradesFrame(t, "VHJhZGU6MQ", "VHJhZGU6Mg", "VHJhZGU6Mw")
	emit := func(*messages.Trade) bool { return true }
	at := fixtures.Received
	trades, _ := p.arbitrateFrame(context.Background(), messages.Frame{Data: data, ReceivedAt: at, Conn: 1}, nil, emit)
	for _, c := range []struct {
		name   string
		data   []byte
		trades int
	}{
		{"the same bytes", data, 3},
		{"batched otherwise", tradesFrame(t, "VHJhZGU6Mw", "VHJhZGU6MQ"), 2},
	} {
		before := p.Stats().Lines[1].Duplicates
		copyOf := messages.Frame{Data: c.data, ReceivedAt: at.Add(time.Millisecond), Conn: 2}
		if n := testing.AllocsPerRun(1000, func() { trades, _ = p.arbitrateFrame(context.Background(), copyOf, trades, emit) }); n != 0 {
			t.Errorf("%s: a copy costs %v allocations, want 0", c.name, n)
		}
		if s := p.Stats(); s.Trades != 3 || s.Skipped[feedjson.InvalidTrade] != 0 || s.Lines[1].Duplicates-before != uint64(1001*c.trades) {
			t.Errorf("%s: stats %+v: want 3 trades handed on and every copy counted", c.name, s)
		}
	}
}

// One line is not arbitrated: what it sends goes on as sent, repeats and
// all, as before there were lines; its share is every trade.
func TestParserOneLineIsNotArbitrated(t *testing.T) {
	_, log := logtest.New()
	in := make(chan messages.Frame)
	p := NewParserLines(in, 1, log)
	ids, s := linesCollect(t, p, in, []messages.Frame{{Data: tradesFrame(t, "A", "A")}, {Data: tradesFrame(t, "A")}})
	if !slices.Equal(ids, []string{"A", "A", "A"}) || len(s.Lines) != 1 || s.Lines[0].First != 3 || s.Lines[0].Duplicates != 0 {
		t.Errorf("one line: handed on %v, lines %+v", ids, s.Lines)
	}
}
