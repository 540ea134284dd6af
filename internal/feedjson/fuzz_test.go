package feedjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/fixtures"
	"github.com/rollsniper/rollsniper/messages"
)

// FuzzParseFrame feeds ParseFrame arbitrary frames, seeded with every fixture and
// the malformed variants, and checks that it never panics and keeps its contract.
func FuzzParseFrame(f *testing.F) {
	parserAddSeeds(f)
	receivedAt := fixtures.BowieJoinable
	f.Fuzz(func(t *testing.T, data []byte) {
		prefix := []messages.Trade{{ID: "already there"}}
		got, err := ParseFrame(slices.Clone(prefix), data, receivedAt)
		if len(got) == 0 || got[0] != prefix[0] {
			t.Fatalf("dst's trades were not kept: %+v", got)
		}
		trades := got[1:]

		again, err2 := ParseFrame(nil, data, receivedAt)
		if !slices.EqualFunc(again, trades, parserSameTrade) || (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
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
		for _, e := range errorList(err) {
			pe, ok := e.(*ParseError)
			if !ok {
				t.Fatalf("error %v (%T) is not a *ParseError", e, e)
			}
			if !slices.Contains(ErrorKinds[:], pe.Kind) || pe.Msg == "" || len(pe.Msg) > 512 {
				t.Fatalf("bad problem: kind %q, %d-byte message %q", pe.Kind, len(pe.Msg), pe.Msg)
			}
			if (pe.Kind == MalformedJSON || pe.Kind == UnknownType) && len(trades) > 0 {
				t.Fatalf("%v, yet %d trades", pe, len(trades))
			}
		}
	})
}

// FuzzParseFrameMatchesReference holds ParseFrame to parseFrameRef, the
// encoding/json decoder it replaced: the same trades, and problems of the same
// kinds, in the same order, about the same trades, with the same messages.
func FuzzParseFrameMatchesReference(f *testing.F) {
	parserAddSeeds(f)
	parserAddCorpus(f, "FuzzParseFrame")
	receivedAt := fixtures.BowieJoinable
	f.Fuzz(func(t *testing.T, data []byte) {
		prefix := []messages.Trade{{ID: "already there"}}
		got, err := ParseFrame(slices.Clone(prefix), data, receivedAt)
		want, wantErr := parseFrameRef(slices.Clone(prefix), data, receivedAt)
		if !slices.EqualFunc(got, want, parserSameTrade) {
			t.Fatalf("trades differ:\ngot  %+v\nwant %+v", got, want)
		}
		problems, wantProblems := parserProblems(t, err), parserProblems(t, wantErr)
		if len(problems) != len(wantProblems) {
			t.Fatalf("problems differ:\ngot  %v\nwant %v", err, wantErr)
		}
		for i, p := range problems {
			w := wantProblems[i]
			if p.Kind != w.Kind || p.TradeID != w.TradeID || p.Msg != w.Msg {
				t.Fatalf("problem %d differs:\ngot  %q %q %q\nwant %q %q %q", i, p.Kind, p.TradeID, p.Msg, w.Kind, w.TradeID, w.Msg)
			}
		}
	})
}

// TestParseFrameMatchesReferenceQuirks checks ParseFrame against parseFrameRef
// on frames that lean on encoding/json's quirks, which a fuzzer finds slowly.
func TestParseFrameMatchesReferenceQuirks(t *testing.T) {
	receivedAt := fixtures.BowieJoinable
	for i, data := range parserQuirkFrames(t) {
		got, err := ParseFrame(nil, data, receivedAt)
		want, wantErr := parseFrameRef(nil, data, receivedAt)
		if !slices.EqualFunc(got, want, parserSameTrade) || fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Errorf("frame %d %.300s:\ngot  %+v, %v\nwant %+v, %v", i, data, got, err, want, wantErr)
		}
	}
}

// parserQuirkFrames returns frames that lean on encoding/json's quirks: keys
// matched case-insensitively (with ſ and the Kelvin sign folding to s and k),
// repeated keys, escapes, numbers out of range, deep nesting.
func parserQuirkFrames(tb testing.TB) [][]byte {
	tb.Helper()
	batch := string(fixtures.Read(tb, "createTrades_batch.json"))
	single := string(fixtures.Read(tb, "createTrade_stickers.json"))
	bowie := string(fixtures.Read(tb, "createTrade_canJoinAfter.json"))
	var frames [][]byte
	replace := func(frame string, oldNew ...string) {
		out := strings.NewReplacer(oldNew...).Replace(frame)
		if out == frame {
			tb.Fatalf("the fixture no longer holds %q", oldNew[0])
		}
		frames = append(frames, []byte(out))
	}
	// Keys in other cases, folded runes, escapes.
	replace(batch, `"tradeItems"`, `"TRADEITEMS"`, `"type"`, `"Type"`, `"createTrades"`, `"createtrades"`)
	replace(batch, `"markupPercent"`, `"mar\u212Aup\u0050ercent"`, `"status"`, `"\u017ftatus"`)
	replace(batch, `"markupPercent"`, "\"mar\u212aupPercent\"", `"status"`, "\"\u017fTATUS\"", `"brand"`, `"bran\u0064"`)
	replace(batch, `"status"`, `"stat\u00fcs"`)
	replace(batch, `"id": "VHJhZGU6MzI5OTM0Nzg"`, `"\u0069d": "VHJhZGU6MzI5OTM0Nzg"`)
	replace(single, `"type":"next"`, `"type":"\u006eext"`)
	replace(single, `"type":"next"`, `"type":"NEXT"`)
	replace(single, `"type":"next"`, `"type":"ne\u0078t\ud800"`)
	// Repeated keys: the last one wins, whatever it holds.
	replace(batch, `"id": "1",`, `"payload": {"data": {"createTrade": {"trade": null}}}, "id": "1",`)
	replace(batch, `{"id": "1", "type": "next",`, `{"id": "1", "type": "next", "type": "pong",`)
	replace(batch, `{"id": "1", "type": "next",`, `{"id": "1", "type": "pong", "type": "next",`)
	replace(single, `"type":"next"`, `"type":"next", "payload": null`)
	replace(batch, `{"createTrades":`, `{"createTrades": {"trades": [{"id": "x"}]}, "createTrades":`)
	replace(batch, `{"createTrades":`, `{"createTrade": {"trade": {"id": "y"}}, "createTrades":`)
	replace(batch, `{"createTrades":`, `{"createTrade": {"trade": null}, "createTrade": {"trade": null, "trade": 5}, "createTrades":`)
	replace(batch, `{"trades":`, `{"trades": [], "trades":`)
	replace(batch, `"tradeItems": [`, `"tradeItems": [], "tradeItems": [null, `)
	replace(batch, `"tradeItems": [`, `"tradeItems": "x", "tradeItems": [`)
	replace(batch, `"itemVariant": {`, `"itemVariant": {"brand": "B", "name": "N"}, "itemVariant": {`)
	replace(batch, `"status": "LISTED"`, `"status": "LISTED", "status": null`)
	replace(batch, `"canJoin": true`, `"canJoin": 1, "canJoin": null`)
	replace(batch, `"payload": {"data": {`, `"payload": {"data": 1, "data": {`)
	replace(batch, `"payload": {"data": {`, `"payload": {"errors": [{"message": "a"}], "data": {`)
	replace(batch, `"payload": {"data": {`, `"payload": {"errors": [{"message": "a"}], "errors": null, "data": {`)
	// Both shapes at once: the batch's trades come first, then the single one.
	replace(batch, `{"createTrades":`, `{"createTrade": {"trade": `+parserTradeJSON(tb, []byte(batch), 1)+`}, "createTrades":`)
	replace(batch, `{"createTrades":`, `{"createTrade": [], "createTrades":`)
	replace(batch, `{"createTrades":`, `{"createTrade": {}, "createTrades":`)
	replace(batch, `{"createTrades":`, `{"createTrade": {"trade": {}}, "createTrades": 7, "x":`)
	// Escapes in the strings a trade keeps, and in the ones it only checks.
	replace(single, "AK-47 | Aquamarine", `\ud83d\ude00 \ud800 \udc00\ud800 \ud800\u0041 \ud800\ud800\udc00 \u0000\n\t\"\\\/ x`)
	replace(single, `"color":"Well-Worn"`, `"color":"Well\u002dWorn"`)
	replace(single, `"color":"Well-Worn"`, `"color":"\u0046\u0061\u0063\u0074\u006f\u0072\u0079\u0020\u004e\u0065\u0077"`)
	replace(single, `"color":"Well-Worn"`, `"color":"well-worn"`)
	replace(single, `"id":"VHJhZGU6MzI5OTM0Nzg"`, `"id":"\u0000"`)
	replace(single, `"2024-01-02T19:37:45.236Z"`, `"2024-01-02T19:37:45.236+05:30"`)
	replace(single, `"2024-01-02T19:37:45.236Z"`, `"2024-01-02t19:37:45.236z"`)
	replace(single, `"2024-01-02T19:37:45.236Z"`, `"2024-01-02T19:37:45,236Z"`)
	replace(single, `"2024-01-02T19:37:45.236Z"`, `"2024-01-02T19:37:45.236\u005a"`)
	replace(bowie, `"2024-01-30T20:39:01.006Z"`, `"2024-01-30T20:39:01.006+00:00"`)
	replace(bowie, `"2024-01-30T20:39:01.006Z"`, `"2024-02-30T20:39:01.006Z"`)
	// Numbers at and past float64's range.
	replace(single, `"markupPercent":11.98`, `"markupPercent":1e309`)
	replace(single, `"markupPercent":11.98`, `"markupPercent":-1e-400`)
	replace(single, `"markupPercent":11.98`, `"markupPercent":-0.0E+0`)
	replace(single, `"totalValue":24.49`, `"totalValue":1.7976931348623159e308`)
	replace(single, `"totalValue":24.49`, `"totalValue":`+strings.Repeat("1", 40)+`.5`)
	// Server errors in every shape.
	for _, errs := range []string{`[{"message":"a","message":null}]`, `[null]`, `[{"message":5}]`, `["x"]`, `{}`,
		`[]`, `[{"MESSAGE":"x"},{"Message":"\ud800"}]`, `[{"message":"` + strings.Repeat("é", 200) + `"}, {}]`, `[{}, 1]`} {
		replace(single, `"payload":{`, `"payload":{"errors":`+errs+`,`)
		replace(single, `"payload":{"data":{`, `"payload":{"errors":`+errs+`,"data":null,"x":{`)
	}
	// Nesting as deep as encoding/json allows, and one level deeper.
	for _, depth := range []int{scanMaxDepth - 1, scanMaxDepth} { // inside the top-level object
		replace(single, `"type":"next",`, `"type":"next","id":`+strings.Repeat("[", depth)+strings.Repeat("]", depth)+`,`)
		replace(single, `"type":"next",`, `"type":"next","id":`+strings.Repeat(`{"":`, depth)+"0"+strings.Repeat("}", depth)+`,`)
	}
	// Space everywhere JSON allows it.
	replace(batch, ": ", " \t\r\n: \n", ", ", "\n,\t")
	return frames
}

// parserAddSeeds adds every fixture, the malformed variants and the quirks to
// f's corpus.
func parserAddSeeds(f *testing.F) {
	for _, name := range []string{"createTrade_canJoinAfter.json", "createTrade_stickers.json", "createTrades_batch.json"} {
		f.Add(fixtures.Read(f, name))
	}
	for _, line := range fixtures.Lines(f, "session_start.jsonl") {
		f.Add(line)
	}
	for _, c := range parserMalformedCases(f) {
		f.Add(c.data)
	}
	for _, data := range parserQuirkFrames(f) {
		f.Add(data)
	}
}

// parserAddCorpus adds the inputs checked in for another fuzz target to f's
// corpus.
func parserAddCorpus(f *testing.F, target string) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", target, "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range files {
		file, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		lines := bytes.SplitN(file, []byte("\n"), 2)
		if len(lines) < 2 || string(lines[0]) != "go test fuzz v1" {
			f.Fatalf("%s is not a fuzz corpus file", path)
		}
		quoted, ok := bytes.CutPrefix(bytes.TrimSpace(lines[1]), []byte("[]byte("))
		if !ok || !bytes.HasSuffix(quoted, []byte(")")) {
			f.Fatalf("%s does not hold one []byte", path)
		}
		data, err := strconv.Unquote(string(quoted[:len(quoted)-1]))
		if err != nil {
			f.Fatalf("%s: %v", path, err)
		}
		f.Add([]byte(data))
	}
}

// parserSameTrade reports whether two trades are equal, their CreatedAt times
// compared as instants in the same zone: time.Parse makes a new *Location for
// each offset that is not a whole number of hours, so == would tell two parses
// of one frame apart.
func parserSameTrade(a, b messages.Trade) bool {
	za, oa := a.CreatedAt.Zone()
	zb, ob := b.CreatedAt.Zone()
	if !a.CreatedAt.Equal(b.CreatedAt) || za != zb || oa != ob {
		return false
	}
	a.CreatedAt, b.CreatedAt = time.Time{}, time.Time{}
	return a == b
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
