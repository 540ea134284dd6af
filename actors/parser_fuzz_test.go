package actors

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/messages"
)

// FuzzParseFrame feeds ParseFrame arbitrary frames, seeded with every fixture and
// the malformed variants, and checks that it never panics and keeps its contract.
func FuzzParseFrame(f *testing.F) {
	for _, name := range []string{"createTrade_canJoinAfter.json", "createTrade_stickers.json", "createTrades_batch.json"} {
		f.Add(parserFixture(f, name))
	}
	for _, line := range parserFixtureLines(f, "session_start.jsonl") {
		f.Add(line)
	}
	for _, c := range parserMalformedCases(f) {
		f.Add(c.data)
	}
	receivedAt := parserBowieJoinable
	f.Fuzz(func(t *testing.T, data []byte) {
		prefix := []messages.Trade{{ID: "already there"}}
		got, err := ParseFrame(slices.Clone(prefix), data, receivedAt)
		if len(got) == 0 || got[0] != prefix[0] {
			t.Fatalf("dst's trades were not kept: %+v", got)
		}
		trades := got[1:]

		again, err2 := ParseFrame(nil, data, receivedAt)
		if !slices.Equal(again, trades) || (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("two parses differ: %v, %v", err, err2)
		}
		if len(trades) > 0 && !json.Valid(data) {
			t.Fatalf("trades from a frame that is not valid JSON")
		}
		if err == nil && len(trades) == 0 {
			t.Fatal("no trades and no error")
		}
		for i, tr := range trades {
			parserCheckInvariants(t, i, tr, receivedAt)
		}
		if err == nil {
			return
		}
		for _, e := range parseErrorList(err) {
			pe, ok := e.(*ParseError)
			if !ok {
				t.Fatalf("error %v (%T) is not a *ParseError", e, e)
			}
			if !slices.Contains(parseKinds[:], pe.Kind) || pe.Msg == "" || len(pe.Msg) > 512 {
				t.Fatalf("bad problem: kind %q, %d-byte message %q", pe.Kind, len(pe.Msg), pe.Msg)
			}
			if (pe.Kind == ParseMalformedJSON || pe.Kind == ParseUnknownType) && len(trades) > 0 {
				t.Fatalf("%v, yet %d trades", pe, len(trades))
			}
		}
	})
}

// parserCheckInvariants checks what holds for every trade ParseFrame returns.
func parserCheckInvariants(t *testing.T, i int, tr messages.Trade, receivedAt time.Time) {
	t.Helper()
	switch {
	case tr.ID == "":
		t.Fatalf("trade %d has no ID: %+v", i, tr)
	case tr.Items < 1:
		t.Fatalf("trade %d has %d items", i, tr.Items)
	case !tr.ReceivedAt.Equal(receivedAt):
		t.Fatalf("trade %d ReceivedAt %v, want %v", i, tr.ReceivedAt, receivedAt)
	case tr.Wear != messages.WearNone && !slices.Contains(messages.Wears[:], tr.Wear):
		t.Fatalf("trade %d has wear %q", i, tr.Wear)
	case tr.StatTrak != (strings.HasPrefix(tr.MarketName, "StatTrak™ ") || strings.HasPrefix(tr.MarketName, "★ StatTrak™ ")):
		t.Fatalf("trade %d StatTrak %v for %q", i, tr.StatTrak, tr.MarketName)
	case tr.Souvenir != strings.HasPrefix(tr.MarketName, "Souvenir "):
		t.Fatalf("trade %d Souvenir %v for %q", i, tr.Souvenir, tr.MarketName)
	}
}
