package feedjson

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/rollsniper/rollsniper/internal/fixtures"
)

// idStrings returns ids as strings.
func idStrings(ids [][]byte) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}

// decodedIDs returns the ids of the trades ParseFrame returns for data.
func decodedIDs(data []byte) []string {
	trades, _ := ParseFrame(nil, data, fixtures.Received)
	var ids []string
	for _, t := range trades {
		ids = append(ids, t.ID)
	}
	return ids
}

func TestTradeIDsOfTheFixtures(t *testing.T) {
	for _, frame := range fixtures.Frames(t) {
		ids, ok := TradeIDs(nil, frame)
		want := decodedIDs(frame)
		if len(want) == 0 {
			if ok {
				t.Errorf("TradeIDs(%.60s) = %q, ok; ParseFrame finds no trade", frame, idStrings(ids))
			}
			continue
		}
		if !ok || !slices.Equal(idStrings(ids), want) {
			t.Errorf("TradeIDs(%.60s) = %q, %v; want %q, true", frame, idStrings(ids), ok, want)
		}
	}
}

func TestTradeIDsDoubts(t *testing.T) {
	batch := fixtures.Read(t, fixtures.Batch)
	single := fixtures.Read(t, fixtures.Stickers)
	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"not json", []byte(`{"type":"next"`)},
		{"a ping", []byte(`{"type":"ping"}`)},
		{"type twice", []byte(`{"type":"next","type":"next","payload":{"data":{"createTrades":{"trades":[{"id":"A"}]}}}}`)},
		{"payload twice", []byte(`{"type":"next","payload":{"data":{"createTrades":{"trades":[{"id":"A"}]}}},"payload":{"data":{"createTrades":{"trades":[{"id":"B"}]}}}}`)},
		{"id twice", []byte(`{"type":"next","payload":{"data":{"createTrades":{"trades":[{"id":"A","id":"B"}]}}}}`)},
		{"escaped id", []byte(`{"type":"next","payload":{"data":{"createTrades":{"trades":[{"id":"\u0041"}]}}}}`)},
		{"number id", fixtures.Mutate(t, batch, fixtures.BatchTrades+".0.id", 42)},
		{"no id", fixtures.Mutate(t, batch, fixtures.BatchTrades+".1.id", fixtures.Delete)},
		{"empty id", fixtures.Mutate(t, batch, fixtures.BatchTrades+".1.id", "")},
		{"errors beside the data", fixtures.Mutate(t, batch, "payload.errors", []any{map[string]any{"message": "x"}})},
		{"no trades", fixtures.Mutate(t, batch, fixtures.BatchTrades, []any{})},
		{"trades not an array", fixtures.Mutate(t, batch, fixtures.BatchTrades, "x")},
		{"a trade not an object", fixtures.Mutate(t, batch, fixtures.BatchTrades+".0", "x")},
		{"both shapes", fixtures.Mutate(t, batch, "payload.data.createTrade", map[string]any{"trade": map[string]any{"id": "C"}})},
		{"data null", fixtures.Mutate(t, single, "payload.data", nil)},
		{"trailing garbage", append(batch[:len(batch):len(batch)], " x"...)},
	} {
		if ids, ok := TradeIDs(nil, tt.data); ok {
			t.Errorf("%s: TradeIDs = %q, ok; want not ok", tt.name, idStrings(ids))
		}
	}
}

func TestTradeIDsKeysAsParseFrameReadsThem(t *testing.T) {
	// Keys match case-insensitively, as in encoding/json and ParseFrame.
	frame := []byte(`{"TYPE":"next","Payload":{"DATA":{"CreateTrades":{"Trades":[{"ID":"A","status":"LISTED"},{"Id":"B"}]}},"errors":null}}`)
	ids, ok := TradeIDs(nil, frame)
	if !ok || !slices.Equal(idStrings(ids), []string{"A", "B"}) {
		t.Errorf("TradeIDs = %q, %v; want [A B], true", idStrings(ids), ok)
	}
}

// The hint finds the first trade's id in every fixture, in either shape and
// with the spaces a pretty-printed frame has, and nothing where there is none.
func TestFirstTradeID(t *testing.T) {
	for _, frame := range fixtures.Frames(t) {
		got := string(FirstTradeID(frame))
		if want := decodedIDs(frame); len(want) > 0 && got != want[0] {
			t.Errorf("FirstTradeID(%.60s) = %q, want %q", frame, got, want[0])
		}
	}
	for _, data := range []string{
		`{"type":"pong"}`,
		`{"id":"1","type":"next","payload":{"data":{"createTrades":{"trades":[]}}}}`,
		`{"id":"1","type":"next","payload":{"data":{"createTrade":{"trade":{"id":42}}}}}`,
		`{"id":"1","type":"next","payload":{"data":{"createTrade":{"trade":{"id":"A\u0042"}}}}}`,
		`{"id":"1","type":"next","payload":{"data":{"createTrade":{"trade":{"id":"`,
		`{"id":"1","type":"next","payload":{"data":{"createTrade":{"trade":{"id" "A"}}}}}`,
	} {
		if got := FirstTradeID([]byte(data)); got != nil {
			t.Errorf("FirstTradeID(%s) = %q, want nil", data, got)
		}
	}
	batch := fixtures.Read(t, fixtures.Batch)
	if n := testing.AllocsPerRun(100, func() { FirstTradeID(batch) }); n != 0 {
		t.Errorf("FirstTradeID allocates %v times", n)
	}
}

// FuzzFirstTradeID: whatever the bytes, the hint is a slice of them that
// could be a string's text (no quote, no backslash), or nil.
func FuzzFirstTradeID(f *testing.F) {
	for _, frame := range fixtures.Frames(f) {
		f.Add(frame)
	}
	f.Add([]byte(`"createTrade" "id" :   "`))
	f.Fuzz(func(t *testing.T, data []byte) {
		id := FirstTradeID(data)
		if id == nil {
			return
		}
		if len(id) == 0 || bytes.ContainsAny(id, `"\`) || !bytes.Contains(data, id) {
			t.Fatalf("FirstTradeID = %q, not a string's plain text from %q", id, data)
		}
	})
}

func TestTradeIDsAllocatesNothing(t *testing.T) {
	frame := fixtures.Read(t, fixtures.Batch)
	dst := make([][]byte, 0, 8)
	if n := testing.AllocsPerRun(100, func() { TradeIDs(dst[:0], frame) }); n != 0 {
		t.Errorf("TradeIDs allocates %v times a frame, want 0", n)
	}
}

// FuzzTradeIDs holds TradeIDs to the one promise the merge of two connections
// relies on: when it is sure, every trade ParseFrame would return is among
// its ids, so a frame whose ids were all seen holds nothing new.
func FuzzTradeIDs(f *testing.F) {
	for _, frame := range fixtures.Frames(f) {
		f.Add(frame)
	}
	f.Add([]byte(`{"type":"next","payload":{"data":{"createTrades":{"trades":[{"id":"A","id":"B"}]}}}}`))
	f.Add([]byte(`{"type":"next","payload":{"data":{"createTrade":{"trade":{"id":"A"}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		prefix := [][]byte{[]byte("kept")}
		ids, ok := TradeIDs(slices.Clone(prefix), data)
		if len(ids) == 0 || string(ids[0]) != "kept" {
			t.Fatalf("dst's ids were not kept: %q", idStrings(ids))
		}
		if !ok {
			if len(ids) != 1 {
				t.Fatalf("not ok, but ids grew: %q", idStrings(ids))
			}
			return
		}
		got := idStrings(ids[1:])
		for _, id := range decodedIDs(data) {
			if !slices.Contains(got, id) {
				t.Fatalf("ParseFrame returns trade %q, which TradeIDs (%q) missed in %s", id, got, strings.ToValidUTF8(string(data), "?"))
			}
		}
	})
}
