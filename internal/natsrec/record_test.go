package natsrec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/internal/feedjson"
	"github.com/rollsniper/rollsniper/internal/fixtures"
	"github.com/rollsniper/rollsniper/internal/record"
	"github.com/rollsniper/rollsniper/messages"
)

// sampleTrades returns trades as the parser makes them: the fixtures' real
// frames, and generated ones that carry every field (floats, patterns,
// stickers with and without wear, phases), received at a time with a
// monotonic reading and a zone, as time.Now gives.
func sampleTrades(t testing.TB) []messages.Trade {
	t.Helper()
	received := time.Now().In(time.FixedZone("CET", 3600))
	var trades []messages.Trade
	for _, f := range fixtures.Frames(t) {
		trades, _ = feedjson.ParseFrame(trades, f, received)
	}
	gen := fakeroll.NewGenerator(7)
	var frame bytes.Buffer
	for range 300 {
		g := gen.Next(received)
		data, err := json.Marshal(g)
		if err != nil {
			t.Fatal(err)
		}
		frame.Reset()
		fmt.Fprintf(&frame, `{"id":"1","type":"next","payload":{"data":{"createTrades":{"trades":[%s]}}}}`, data)
		n := len(trades)
		if trades, err = feedjson.ParseFrame(trades, frame.Bytes(), received); err != nil || len(trades) != n+1 {
			t.Fatalf("generated frame: %d trades, %v", len(trades)-n, err)
		}
		// The fields the parser may not fill yet, from the generator's own.
		tr, it := &trades[n], &g.TradeItems[0]
		if g.AvgPaintWear != nil {
			tr.AvgPaintWear, tr.HasAvgPaintWear = *g.AvgPaintWear, true
		}
		if it.PatternPercentage != nil {
			tr.PatternPercentage, tr.HasPatternPercentage = *it.PatternPercentage, true
		}
		var stickers []messages.Sticker
		for i, st := range it.Stickers {
			s := messages.Sticker{Name: st.Name}
			if st.Wear != nil && i%2 == 0 { // and some without wear
				s.Wear, s.HasWear = *st.Wear, true
			}
			stickers = append(stickers, s)
		}
		tr.Stickers = messages.StickersOf(stickers...)
	}
	return trades
}

// inUTC is t as it comes back from a record: its times in UTC, without a
// monotonic reading.
func inUTC(t messages.Trade) messages.Trade {
	t.ReceivedAt, t.CreatedAt = t.ReceivedAt.UTC(), t.CreatedAt.UTC()
	return t
}

func TestTradeRoundTrips(t *testing.T) {
	trades := sampleTrades(t)
	// The sample must hold what the record has to carry, or the test proves
	// little.
	var floats, patterns, stickers, unworn, phases int
	for _, tr := range trades {
		floats += b2i(tr.HasAvgPaintWear)
		patterns += b2i(tr.HasPatternPercentage)
		stickers += b2i(tr.Stickers.Len() > 0)
		phases += b2i(tr.Phase() != messages.PhaseNone)
		for i := range tr.Stickers.Len() {
			unworn += b2i(!tr.Stickers.At(i).HasWear)
		}
	}
	if floats == 0 || patterns == 0 || stickers == 0 || phases == 0 || unworn == 0 {
		t.Fatalf("the sample lacks a field: %d floats, %d patterns, %d with stickers, %d stickers without wear, %d phases", floats, patterns, stickers, unworn, phases)
	}
	trades = append(trades, messages.Trade{ID: "bare", MarkupPercent: 0, TotalValue: 0}, // no times at all
		messages.Trade{ID: "zero-float", AvgPaintWear: 0, HasAvgPaintWear: true, Items: 2, ReceivedAt: time.Unix(0, 1)})

	enc := NewEncoder()
	for _, tr := range trades {
		data := enc.Trade(&tr)
		r, err := Decode(data)
		if err != nil {
			t.Fatalf("Decode(%s): %v", data, err)
		}
		if r.Kind != KindTrade {
			t.Errorf("kind %q, want trade", r.Kind)
		}
		if got, want := *r.Trade(), inUTC(tr); got != want {
			t.Errorf("round trip of %s:\n got %+v\nwant %+v", data, got, want)
		}
		if got, want := r.Trade().Phase(), tr.Phase(); got != want {
			t.Errorf("phase %v, want %v", got, want)
		}
	}
}

func TestMatchRoundTrips(t *testing.T) {
	enc := NewEncoder()
	for i, tr := range sampleTrades(t)[:20] {
		m := messages.Match{Trade: tr, Entry: fmt.Sprintf("#%d %s", i, tr.MarketName), EntryIndex: i,
			DecidedAt: tr.ReceivedAt.Add(time.Duration(i) * time.Microsecond)}
		data := enc.Match(&m)
		r, err := Decode(data)
		if err != nil {
			t.Fatalf("Decode(%s): %v", data, err)
		}
		want := m
		want.Trade, want.DecidedAt = inUTC(m.Trade), m.DecidedAt.UTC()
		if r.Kind != KindMatch || r.Match != want {
			t.Errorf("round trip of %s:\n got %s %+v\nwant %+v", data, r.Kind, r.Match, want)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestSameRecordAsStdout checks that a NATS record holds every key of the
// stdout line, in the same order and with the same value ("time" aside: the
// line's is when it was printed, the record's when the trade was received),
// and that "v" comes right after "msg".
func TestSameRecordAsStdout(t *testing.T) {
	enc := NewEncoder()
	for _, tr := range sampleTrades(t)[:50] {
		m := messages.Match{Trade: tr, Entry: "#3 " + tr.MarketName, EntryIndex: 3, DecidedAt: tr.ReceivedAt.Add(42 * time.Microsecond)}
		for _, c := range []struct {
			line, rec []byte
		}{
			{record.JSON.AppendTrade(nil, time.Now(), &tr), enc.Trade(&tr)},
			{record.JSON.AppendMatch(nil, time.Now(), &m), enc.Match(&m)},
		} {
			lineKeys, lineVals := orderedKeys(t, c.line)
			recKeys, recVals := orderedKeys(t, c.rec)
			if !strings.HasPrefix(strings.Join(recKeys, ","), "time,level,msg,v,") {
				t.Fatalf("record keys begin %v, want time, level, msg, v", recKeys)
			}
			// The record's keys without v, cut to the line's length, are the line's.
			rest := append(recKeys[:3:3], recKeys[4:]...)
			if got, want := strings.Join(rest[:min(len(rest), len(lineKeys))], ","), strings.Join(lineKeys, ","); got != want {
				t.Errorf("record keys %v\ndo not begin with the stdout line's %v", recKeys, lineKeys)
			}
			for k, v := range lineVals {
				if k != "time" && recVals[k] != v {
					t.Errorf("%s: record has %s, stdout line %s", k, recVals[k], v)
				}
			}
		}
	}
}

// orderedKeys returns a JSON object's keys in order, and each key's value
// as raw JSON text.
func orderedKeys(t *testing.T, data []byte) ([]string, map[string]string) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", data)
	}
	var keys []string
	vals := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		vals[tok.(string)] = string(v)
	}
	return keys, vals
}

func TestDecodeRefuses(t *testing.T) {
	for _, c := range []struct {
		data, want string
	}{
		{`not json`, "not a record"},
		{`{"msg":"trade","id":"a","markup":1,"price":2}`, `no schema version "v"`},
		{`{"v":2,"msg":"trade","id":"a","markup":1,"price":2}`, "record schema v2 is newer than this sniper's (v1): update sniper"},
		{`{"v":0,"msg":"trade","id":"a","markup":1,"price":2}`, "v0 does not exist"},
		{`{"v":1,"msg":"hello","id":"a","markup":1,"price":2}`, `"msg" is "hello"`},
		{`{"v":1,"msg":"trade","markup":1,"price":2}`, "no trade id"},
		{`{"v":1,"msg":"trade","id":"a","price":2}`, "trade a has no markup or price"},
		{`{"v":1,"msg":"trade","id":"a","markup":1}`, "trade a has no markup or price"},
		{`{"v":1,"msg":"trade","id":"a","markup":1,"price":2,"wear":"Fresh"}`, `wear "Fresh", which is no wear tier`},
		{`{"v":1,"msg":"trade","id":"a","markup":1,"price":2,"stickers":[{},{},{},{},{},{}]}`, "6 stickers"},
		{`{"v":1,"msg":"trade","id":"a","markup":1,"price":2,"time":"yesterday"}`, "not a record"},
	} {
		_, err := Decode([]byte(c.data))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Decode(%s) = %v, want an error saying %q", c.data, err, c.want)
		}
	}
}

func TestEncodeDoesNotShareItsBuffer(t *testing.T) {
	enc := NewEncoder()
	a, b := messages.Trade{ID: "first"}, messages.Trade{ID: "second"}
	first := enc.Trade(&a)
	kept := string(first)
	enc.Trade(&b)
	if string(first) != kept {
		t.Errorf("a later record changed an earlier one: %s", first)
	}
}

func BenchmarkEncodeTrade(b *testing.B) {
	trades := sampleTrades(b)
	enc := NewEncoder()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		enc.Trade(&trades[i%len(trades)])
	}
}

func BenchmarkDecodeTrade(b *testing.B) {
	trades := sampleTrades(b)
	enc := NewEncoder()
	recs := make([][]byte, len(trades))
	for i := range trades {
		recs[i] = enc.Trade(&trades[i])
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := Decode(recs[i%len(recs)]); err != nil {
			b.Fatal(err)
		}
	}
}
