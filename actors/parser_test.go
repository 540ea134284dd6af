package actors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/logtest"
	"github.com/rollsniper/rollsniper/messages"
)

// The fixtures' trades as ParseFrame should return them, ReceivedAt aside.
var (
	parserUrsus = messages.Trade{
		ID: "VHJhZGU6MzI5OTM0NzI", Status: "LISTED", MarkupPercent: 12, TotalValue: 498.4, CanJoin: true,
		MarketName: "★ Ursus Knife | Tiger Tooth (Factory New)", Brand: "★ Ursus Knife", SkinName: "Tiger Tooth",
		Wear: messages.WearFactoryNew, Items: 1, CreatedAt: parserTime("2024-01-02T19:37:42.998Z"),
	}
	parserAquamarine = messages.Trade{
		ID: "VHJhZGU6MzI5OTM0Nzg", Status: "LISTED", MarkupPercent: 11.98, TotalValue: 24.49, CanJoin: true,
		MarketName: "AK-47 | Aquamarine Revenge (Well-Worn)", Brand: "AK-47", SkinName: "Aquamarine Revenge",
		Wear: messages.WearWellWorn, Items: 1, CreatedAt: parserTime("2024-01-02T19:37:45.236Z"),
	}
	parserBowie = messages.Trade{
		ID: "VHJhZGU6MzQ5MjEwMjA", Status: "LISTED", MarkupPercent: 12, TotalValue: 617.12, CanJoin: false,
		MarketName: "★ Bowie Knife | Gamma Doppler Phase 1 (Factory New)", Brand: "★ Bowie Knife",
		SkinName: "Gamma Doppler Phase 1", Wear: messages.WearFactoryNew, Items: 1,
		CreatedAt: parserTime("2024-01-30T20:38:20.896Z"),
	}
	// parserBowieJoinable is when the Bowie Knife trade's canJoinAfter passes.
	parserBowieJoinable = parserTime("2024-01-30T20:39:01.006Z")
	// parserReceived stamps frames in tests that do not depend on it.
	parserReceived = parserTime("2024-02-01T00:00:00Z")
)

func parserTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// parserStamped returns trades with ReceivedAt set to at.
func parserStamped(at time.Time, trades ...messages.Trade) []messages.Trade {
	out := make([]messages.Trade, len(trades))
	for i, t := range trades {
		t.ReceivedAt = at
		out[i] = t
	}
	return out
}

func parserWithCanJoin(t messages.Trade, canJoin bool) messages.Trade {
	t.CanJoin = canJoin
	return t
}

func parserFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "fixtures", name))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// parserFile is one fixture file: its name and its bytes.
type parserFile struct {
	name string
	data []byte
}

// parserFixtureFiles returns every fixture file, in name order.
func parserFixtureFiles(tb testing.TB) []parserFile {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "fixtures", "*"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no fixtures: %v", err)
	}
	files := make([]parserFile, len(paths))
	for i, p := range paths {
		files[i] = parserFile{filepath.Base(p), parserFixture(tb, filepath.Base(p))}
	}
	return files
}

// parserFixtureLines returns the non-empty lines of a .jsonl fixture.
func parserFixtureLines(tb testing.TB, name string) [][]byte {
	tb.Helper()
	var lines [][]byte
	for line := range bytes.Lines(parserFixture(tb, name)) {
		if line = bytes.TrimSpace(line); len(line) > 0 {
			lines = append(lines, line)
		}
	}
	return lines
}

// parserProblems returns the *ParseErrors in a ParseFrame error.
func parserProblems(tb testing.TB, err error) []*ParseError {
	tb.Helper()
	if err == nil {
		return nil
	}
	var out []*ParseError
	for _, e := range parseErrorList(err) {
		pe, ok := e.(*ParseError)
		if !ok {
			tb.Fatalf("error %v (%T) is not a *ParseError", e, e)
		}
		out = append(out, pe)
	}
	return out
}

func parserKinds(problems []*ParseError) []ParseKind {
	var kinds []ParseKind
	for _, p := range problems {
		kinds = append(kinds, p.Kind)
	}
	return kinds
}

func parserCheckTrades(t *testing.T, got, want []messages.Trade) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d trades, want %d:\ngot  %+v\nwant %+v", len(got), len(want), got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("trade %d:\ngot  %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestParseFrameFixtures(t *testing.T) {
	beforeJoin := parserBowieJoinable.Add(-time.Millisecond)
	type frame struct {
		name       string
		receivedAt time.Time
		want       []messages.Trade
		wantKinds  []ParseKind
	}
	want := map[string][]frame{
		"createTrade_stickers.json": {
			{"", parserReceived, []messages.Trade{parserAquamarine}, nil},
		},
		"createTrade_canJoinAfter.json": {
			{"before canJoinAfter", beforeJoin, []messages.Trade{parserBowie}, nil},
			{"at canJoinAfter", parserBowieJoinable, []messages.Trade{parserWithCanJoin(parserBowie, true)}, nil},
			{"after canJoinAfter", parserReceived, []messages.Trade{parserWithCanJoin(parserBowie, true)}, nil},
		},
		// canJoin:false wins over canJoinAfter, on either side of it.
		"createTrades_batch.json": {
			{"before canJoinAfter", beforeJoin, []messages.Trade{parserAquamarine, parserBowie}, nil},
			{"after canJoinAfter", parserReceived, []messages.Trade{parserAquamarine, parserBowie}, nil},
		},
		"session_start.jsonl": {
			{"line 1 pong", parserReceived, nil, []ParseKind{ParseUnknownType}},
			{"line 2 connection_ack", parserReceived, nil, []ParseKind{ParseUnknownType}},
			{"line 3 pong", parserReceived, nil, []ParseKind{ParseUnknownType}},
			{"line 4 connection_ack", parserReceived, nil, []ParseKind{ParseUnknownType}},
			{"line 5 next", parserReceived, []messages.Trade{parserUrsus}, nil},
		},
	}

	for _, file := range parserFixtureFiles(t) {
		name := file.name
		frames, ok := want[name]
		if !ok {
			t.Errorf("fixture %s has no expected trades in this test", name)
			continue
		}
		datas := [][]byte{parserFixture(t, name)}
		if strings.HasSuffix(name, ".jsonl") {
			datas = parserFixtureLines(t, name)
		}
		for i, f := range frames {
			data := datas[0]
			if len(datas) > 1 {
				data = datas[i]
			}
			t.Run(name+"/"+f.name, func(t *testing.T) {
				got, err := ParseFrame(nil, data, f.receivedAt)
				parserCheckTrades(t, got, parserStamped(f.receivedAt, f.want...))
				if kinds := parserKinds(parserProblems(t, err)); !slices.Equal(kinds, f.wantKinds) {
					t.Errorf("error %v: kinds %v, want %v", err, kinds, f.wantKinds)
				}
			})
		}
		if len(datas) > 1 && len(datas) != len(frames) {
			t.Errorf("%s has %d lines, the test expects %d", name, len(datas), len(frames))
		}
	}
}

// parserDelete as a value makes parserMutate delete the field.
var parserDelete = &struct{}{}

// parserMutate decodes a JSON document, sets the value at path (dot-separated
// keys and array indexes, "" for the root) or deletes it, and encodes it again.
// Numbers keep their text.
func parserMutate(tb testing.TB, data []byte, path string, value any) []byte {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		tb.Fatal(err)
	}
	keys := strings.Split(path, ".")
	parent := root
	for _, k := range keys[:len(keys)-1] {
		parent = parserChild(tb, parent, k)
	}
	last := keys[len(keys)-1]
	switch p := parent.(type) {
	case map[string]any:
		if value == parserDelete {
			delete(p, last)
		} else {
			p[last] = value
		}
	case []any:
		i, err := strconv.Atoi(last)
		if err != nil || value == parserDelete {
			tb.Fatalf("path %s: cannot set or delete %q in an array", path, last)
		}
		p[i] = value
	default:
		tb.Fatalf("path %s: %T has no fields", path, parent)
	}
	out, err := json.Marshal(root)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func parserChild(tb testing.TB, v any, key string) any {
	tb.Helper()
	switch v := v.(type) {
	case map[string]any:
		return v[key]
	case []any:
		i, err := strconv.Atoi(key)
		if err != nil || i >= len(v) {
			tb.Fatalf("bad index %q", key)
		}
		return v[i]
	}
	tb.Fatalf("%T has no field %q", v, key)
	return nil
}

// parserCase is one frame derived from a fixture, with what ParseFrame should
// make of it.
type parserCase struct {
	name string
	data []byte
	// want are the trades that still come out (stamped with parserReceived).
	want []messages.Trade
	// wantKinds are the problems' kinds, in order; wantMsgs are texts each
	// problem's message must contain.
	wantKinds []ParseKind
	wantMsgs  []string
}

// Where the trades sit in the two shapes' fixtures.
const (
	parserSingleTrade = "payload.data.createTrade.trade"
	parserBatchTrades = "payload.data.createTrades.trades"
)

// parserRequired are the required fields of a trade, as messages name them,
// with a value of the wrong type and how the message names that type.
var parserRequired = []struct {
	field     string
	wrong     any
	wrongText string
}{
	{"id", 42, "is a number, want a string"},
	{"status", true, "is a boolean, want a string"},
	{"markupPercent", "12", "is a string, want a number"},
	{"totalValue", []any{24.49}, "is an array, want a number"},
	{"createdAt", 1704224265, "is a number, want a string"},
	{"tradeItems", "AK-47", "is a string, want an array"},
	{"tradeItems[0]", "AK-47", "is a string, want an object"},
	{"tradeItems[0].marketName", 7, "is a number, want a string"},
	{"tradeItems[0].itemVariant", []any{}, "is an array, want an object"},
	{"tradeItems[0].itemVariant.brand", map[string]any{}, "is an object, want a string"},
	{"tradeItems[0].itemVariant.name", false, "is a boolean, want a string"},
}

// parserMalformedCases derives broken frames from the fixtures.
func parserMalformedCases(tb testing.TB) []parserCase {
	tb.Helper()
	single := parserFixture(tb, "createTrade_stickers.json")
	batch := parserFixture(tb, "createTrades_batch.json")
	bowie := parserFixture(tb, "createTrade_canJoinAfter.json")
	invalid := []ParseKind{ParseInvalidTrade}
	var cases []parserCase
	add := func(name string, data []byte, want []messages.Trade, kinds []ParseKind, msgs ...string) {
		cases = append(cases, parserCase{name, data, want, kinds, msgs})
	}

	// Every required field missing, null and of the wrong type, in a single trade
	// and as the second trade of a batch (whose first trade still comes out).
	for _, f := range parserRequired {
		jsonPath := strings.NewReplacer("[", ".", "]", "").Replace(f.field)
		for _, v := range []struct {
			how   string
			value any
			text  string
		}{
			{"missing", parserDelete, "is missing"},
			{"null", nil, "is null"},
			{"wrong type", f.wrong, f.wrongText},
		} {
			if v.how == "missing" && f.field == "tradeItems[0]" {
				continue // an array element cannot be missing: see "tradeItems empty"
			}
			add("single "+f.field+" "+v.how, parserMutate(tb, single, parserSingleTrade+"."+jsonPath, v.value),
				nil, invalid, "trade."+f.field+" "+v.text)
			add("batch "+f.field+" "+v.how, parserMutate(tb, batch, parserBatchTrades+".1."+jsonPath, v.value),
				[]messages.Trade{parserAquamarine}, invalid, "trades[1]."+f.field+" "+v.text)
		}
	}

	bad := parserTradeJSON(tb, parserMutate(tb, batch, parserBatchTrades+".1.tradeItems.0.itemVariant", nil), 1)
	add("batch good bad good", parserBatchOf(tb, batch, parserTradeJSON(tb, batch, 0), bad, parserTradeJSON(tb, batch, 1)),
		[]messages.Trade{parserAquamarine, parserBowie}, invalid, "trades[1].tradeItems[0].itemVariant is null")
	add("batch two bad", parserBatchOf(tb, batch, `null`, parserTradeJSON(tb, batch, 0), `42`),
		[]messages.Trade{parserAquamarine}, []ParseKind{ParseInvalidTrade, ParseInvalidTrade},
		"trades[0] is null", "trades[2] is a number, want an object")

	// Other broken trades.
	add("tradeItems empty", parserMutate(tb, single, parserSingleTrade+".tradeItems", []any{}),
		nil, invalid, "trade.tradeItems is empty")
	add("id empty", parserMutate(tb, single, parserSingleTrade+".id", ""), nil, invalid, "trade.id is empty")
	add("createdAt not a time", parserMutate(tb, single, parserSingleTrade+".createdAt", "yesterday"),
		nil, invalid, `trade.createdAt is "yesterday", want an RFC 3339 time`)
	add("createdAt without zone", parserMutate(tb, single, parserSingleTrade+".createdAt", "2024-01-02T19:37:45.236"),
		nil, invalid, "trade.createdAt")
	add("canJoin not a boolean", parserMutate(tb, batch, parserBatchTrades+".1.canJoin", "no"),
		[]messages.Trade{parserAquamarine}, invalid, "trades[1].canJoin is a string, want a boolean")
	add("canJoinAfter not a time", parserMutate(tb, bowie, parserSingleTrade+".canJoinAfter", "soon"),
		nil, invalid, `trade.canJoinAfter is "soon"`)
	add("canJoinAfter a number", parserMutate(tb, bowie, parserSingleTrade+".canJoinAfter", 5),
		nil, invalid, "trade.canJoinAfter is a number, want a string")
	add("markupPercent too large", parserMutate(tb, single, parserSingleTrade+".markupPercent", json.Number("1e400")),
		nil, invalid, "trade.markupPercent is 1e400, out of range")
	add("totalValue too large", parserMutate(tb, single, parserSingleTrade+".totalValue", json.Number("-"+strings.Repeat("9", 400))),
		nil, invalid, "trade.totalValue is -999")
	add("trade null", parserMutate(tb, single, parserSingleTrade, nil), nil, invalid, "trade is null")
	add("trade a string", parserMutate(tb, single, parserSingleTrade, "x"), nil, invalid, "trade is a string, want an object")

	// Frames that are not JSON, or not an object.
	noKind := func(k ParseKind) []ParseKind { return []ParseKind{k} }
	add("truncated half", single[:len(single)/2], nil, noKind(ParseMalformedJSON), "unexpected end of JSON input")
	add("truncated last brace", bytes.TrimSpace(single)[:len(bytes.TrimSpace(single))-1], nil, noKind(ParseMalformedJSON), "unexpected end")
	add("empty", []byte{}, nil, noKind(ParseMalformedJSON), "unexpected end")
	add("bad syntax", []byte(`{"type":"next",}`), nil, noKind(ParseMalformedJSON), "at byte 16")
	add("trailing garbage", append(bytes.Clone(single), "}"...), nil, noKind(ParseMalformedJSON), "invalid character")
	at := bytes.Index(single, []byte("Aquamarine"))
	add("non-UTF-8 in a string", slices.Concat(single[:at], []byte{0xff}, single[at:]), nil,
		noKind(ParseMalformedJSON), fmt.Sprintf("invalid UTF-8 at byte %d", at))
	add("non-UTF-8 outside strings", []byte("{\xc3\x28}"), nil, noKind(ParseMalformedJSON), "invalid UTF-8 at byte 1")
	add("an array", []byte(`[{"type":"next"}]`), nil, noKind(ParseMalformedJSON), "message is an array, want an object")
	add("null", []byte(` null `), nil, noKind(ParseMalformedJSON), "message is null, want an object")
	add("a string", []byte(`"next"`), nil, noKind(ParseMalformedJSON), "message is a string, want an object")

	// Messages that are not next, or next without listings.
	add("no type", parserMutate(tb, single, "type", parserDelete), nil, noKind(ParseUnknownType), "type is missing")
	add("type a number", parserMutate(tb, single, "type", 3), nil, noKind(ParseUnknownType), "type is a number, want a string")
	add("type error", []byte(`{"id":"1","type":"error","payload":[{"message":"bad query"}]}`), nil,
		noKind(ParseUnknownType), `message type "error" is not "next"`)
	add("type complete", []byte(`{"id":"1","type":"complete"}`), nil, noKind(ParseUnknownType), `"complete"`)
	add("payload missing", parserMutate(tb, single, "payload", parserDelete), nil, noKind(ParseNoTrades), "payload is missing")
	add("payload an array", parserMutate(tb, single, "payload", []any{}), nil, noKind(ParseNoTrades), "payload is an array, want an object")
	add("data null", parserMutate(tb, single, "payload.data", nil), nil, noKind(ParseNoTrades), "data is null")
	add("data of updateTrade", parserMutate(tb, single, "payload.data", map[string]any{"updateTrade": map[string]any{"trade": nil}}),
		nil, noKind(ParseNoTrades), "data has neither createTrades nor createTrade")
	add("createTrades a string", parserMutate(tb, batch, "payload.data.createTrades", "x"), nil,
		noKind(ParseNoTrades), "createTrades is a string, want an object")
	add("trades null", parserMutate(tb, batch, parserBatchTrades, nil), nil, noKind(ParseNoTrades), "createTrades.trades is null")
	add("trades empty", parserMutate(tb, batch, parserBatchTrades, []any{}), nil, noKind(ParseNoTrades), "createTrades.trades is empty")

	// Server errors: reported, and whatever data came with them still counts.
	gqlErrors := []any{map[string]any{"message": "rate limited", "path": []any{"createTrades"}}}
	add("errors with data", parserMutate(tb, batch, "payload.errors", gqlErrors),
		[]messages.Trade{parserAquamarine, parserBowie}, noKind(ParseServerErrors), `server reported 1 error(s): "rate limited"`)
	add("errors without data", parserMutate(tb, parserMutate(tb, single, "payload.errors", gqlErrors), "payload.data", nil),
		nil, noKind(ParseServerErrors), `"rate limited"`)
	add("errors not a list", parserMutate(tb, single, "payload.errors", "oops"),
		[]messages.Trade{parserAquamarine}, noKind(ParseServerErrors), "errors is a string, want a list of {message}")
	add("errors and a bad trade", parserMutate(tb, parserMutate(tb, batch, "payload.errors", gqlErrors), parserBatchTrades+".0.id", nil),
		[]messages.Trade{parserBowie}, []ParseKind{ParseServerErrors, ParseInvalidTrade}, "rate limited", "trades[0].id is null")

	// Frames that are fine, however odd.
	add("extra fields", parserMutate(tb, single, parserSingleTrade+".surprise", map[string]any{"nested": []any{1, "two", nil}}),
		[]messages.Trade{parserAquamarine}, nil)
	add("errors empty", parserMutate(tb, single, "payload.errors", []any{}), []messages.Trade{parserAquamarine}, nil)
	add("escaped strings", bytes.ReplaceAll(bowie, []byte("★"), []byte(`\u2605`)),
		[]messages.Trade{parserWithCanJoin(parserBowie, true)}, nil)
	lastItem := []byte(`"steamExternalAssetId":"U3RlYW1FeHRlcm5hbEFzc2V0OjQyODM0MDAy"}]`)
	if !bytes.Contains(single, lastItem) {
		tb.Fatalf("createTrade_stickers.json no longer ends its items with %s", lastItem)
	}
	add("second item broken", bytes.Replace(single, lastItem, append(lastItem[:len(lastItem)-1:len(lastItem)-1], `,null]`...), 1),
		[]messages.Trade{func() messages.Trade { t := parserAquamarine; t.Items = 2; return t }()}, nil)
	huge := parserAquamarine
	huge.MarkupPercent = 1e308
	huge.TotalValue = 123456789012345678901234567890
	add("huge numbers in range", parserMutate(tb, parserMutate(tb, single, parserSingleTrade+".markupPercent", json.Number("1e308")),
		parserSingleTrade+".totalValue", json.Number("123456789012345678901234567890")), []messages.Trade{huge}, nil)
	return cases
}

// parserTradeJSON returns the i-th trade of a batch frame.
func parserTradeJSON(tb testing.TB, batch []byte, i int) string {
	tb.Helper()
	var f struct {
		Payload struct {
			Data struct {
				CreateTrades struct{ Trades []json.RawMessage }
			}
		}
	}
	if err := json.Unmarshal(batch, &f); err != nil {
		tb.Fatal(err)
	}
	return string(f.Payload.Data.CreateTrades.Trades[i])
}

// parserBatchOf returns batch with its trades replaced by trades.
func parserBatchOf(tb testing.TB, batch []byte, trades ...string) []byte {
	tb.Helper()
	return parserMutate(tb, batch, parserBatchTrades, json.RawMessage("["+strings.Join(trades, ",")+"]"))
}

func TestParseFrameMalformed(t *testing.T) {
	for _, c := range parserMalformedCases(t) {
		t.Run(c.name, func(t *testing.T) {
			prefix := []messages.Trade{{ID: "already there"}}
			got, err := ParseFrame(slices.Clone(prefix), c.data, parserReceived)
			if len(got) == 0 || got[0] != prefix[0] {
				t.Fatalf("ParseFrame did not keep dst's trades: %+v", got)
			}
			parserCheckTrades(t, got[1:], parserStamped(parserReceived, c.want...))
			problems := parserProblems(t, err)
			if kinds := parserKinds(problems); !slices.Equal(kinds, c.wantKinds) {
				t.Fatalf("error %v: kinds %v, want %v", err, kinds, c.wantKinds)
			}
			for i, p := range problems {
				if !strings.Contains(p.Msg, c.wantMsgs[i]) {
					t.Errorf("problem %d: message %q does not contain %q", i, p.Msg, c.wantMsgs[i])
				}
				if p.Error() != string(p.Kind)+": "+p.Msg {
					t.Errorf("Error() = %q", p.Error())
				}
			}
			if len(problems) == 1 {
				if _, ok := err.(*ParseError); !ok {
					t.Errorf("a single problem is %T, want *ParseError", err)
				}
			}
		})
	}
}

func TestParseFrameInvalidTradeNamesTheTrade(t *testing.T) {
	data := parserMutate(t, parserFixture(t, "createTrades_batch.json"), parserBatchTrades+".1.tradeItems.0.itemVariant", nil)
	_, err := ParseFrame(nil, data, parserReceived)
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is not a *ParseError", err)
	}
	if pe.TradeID != parserBowie.ID {
		t.Errorf("TradeID = %q, want %q", pe.TradeID, parserBowie.ID)
	}
}

func TestParseFrameDerivedFields(t *testing.T) {
	single := parserFixture(t, "createTrade_stickers.json")
	item := parserSingleTrade + ".tradeItems.0."
	tests := []struct {
		name       string
		marketName string
		color      any // parserDelete to drop it
		wantWear   messages.Wear
		statTrak   bool
		souvenir   bool
	}{
		{"StatTrak", "StatTrak™ AK-47 | Redline (Field-Tested)", "Field-Tested", messages.WearFieldTested, true, false},
		{"StatTrak knife", "★ StatTrak™ Karambit | Fade (Factory New)", "Factory New", messages.WearFactoryNew, true, false},
		{"knife not StatTrak", "★ Karambit | Fade (Minimal Wear)", "Minimal Wear", messages.WearMinimalWear, false, false},
		{"Souvenir", "Souvenir AWP | Dragon Lore (Battle-Scarred)", "Battle-Scarred", messages.WearBattleScarred, false, true},
		{"StatTrak mid-name is not a prefix", "AK-47 | StatTrak™ Souvenir (Well-Worn)", "Well-Worn", messages.WearWellWorn, false, false},
		{"wear from name without color", "M4A4 | Howl (Minimal Wear)", parserDelete, messages.WearMinimalWear, false, false},
		{"wear from name when color is null", "M4A4 | Howl (Well-Worn)", nil, messages.WearWellWorn, false, false},
		{"wear from name when color is no tier", "M4A4 | Howl (Factory New)", "Holo", messages.WearFactoryNew, false, false},
		{"color wins over name", "M4A4 | Howl (Factory New)", "Battle-Scarred", messages.WearBattleScarred, false, false},
		{"sticker", "Sticker | Spirit (Holo) | 2020 RMR", "Holo", messages.WearNone, false, false},
		{"graffiti tail is no tier", "Sealed Graffiti | Lambda (Blood Red)", "Blood Red", messages.WearNone, false, false},
		{"case", "Operation Breakout Weapon Case", nil, messages.WearNone, false, false},
		{"color a number", "Operation Breakout Weapon Case", 3, messages.WearNone, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := parserMutate(t, parserMutate(t, single, item+"marketName", tt.marketName), item+"itemVariant.color", tt.color)
			got, err := ParseFrame(nil, data, parserReceived)
			if err != nil || len(got) != 1 {
				t.Fatalf("ParseFrame: %d trades, %v", len(got), err)
			}
			want := parserAquamarine
			want.MarketName, want.Wear, want.StatTrak, want.Souvenir, want.ReceivedAt = tt.marketName, tt.wantWear, tt.statTrak, tt.souvenir, parserReceived
			if got[0] != want {
				t.Errorf("got  %+v\nwant %+v", got[0], want)
			}
		})
	}
}

func TestParseFrameCanJoin(t *testing.T) {
	batch := parserFixture(t, "createTrades_batch.json")
	bowie := parserBatchTrades + ".1."
	future := parserReceived.Add(time.Hour).Format(time.RFC3339Nano)
	past := parserReceived.Add(-time.Hour).Format(time.RFC3339Nano)
	tests := []struct {
		name         string
		canJoin      any // parserDelete to drop it
		canJoinAfter any
		want         bool
	}{
		{"canJoin true, after in the future", true, future, true},
		{"canJoin false, after in the past", false, past, false},
		{"canJoin false, after null", false, nil, false},
		{"canJoin null, after null", nil, nil, true},
		{"canJoin null, after in the future", nil, future, false},
		{"no canJoin, after in the past", parserDelete, past, true},
		{"no canJoin, after in the future", parserDelete, future, false},
		{"no canJoin, after exactly now", parserDelete, parserReceived.Format(time.RFC3339Nano), true},
		{"no canJoin, no after", parserDelete, parserDelete, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := parserMutate(t, parserMutate(t, batch, bowie+"canJoin", tt.canJoin), bowie+"canJoinAfter", tt.canJoinAfter)
			got, err := ParseFrame(nil, data, parserReceived)
			if err != nil || len(got) != 2 {
				t.Fatalf("ParseFrame: %d trades, %v", len(got), err)
			}
			if got[1].CanJoin != tt.want {
				t.Errorf("CanJoin = %v, want %v", got[1].CanJoin, tt.want)
			}
		})
	}
}

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

	at := parserReceived
	single := parserFixture(t, "createTrade_stickers.json")
	badBatch := parserMutate(t, parserFixture(t, "createTrades_batch.json"), parserBatchTrades+".1.tradeItems.0.itemVariant", nil)
	frames := [][]byte{
		single,
		single[:len(single)/2],
		parserFixture(t, "createTrade_canJoinAfter.json"),
		[]byte(`{"type":"pong","payload":{}}`),
		badBatch,
		parserFixtureLines(t, "session_start.jsonl")[4],
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
	parserCheckTrades(t, got, parserStamped(at, parserAquamarine, parserWithCanJoin(parserBowie, true), parserAquamarine, parserUrsus))

	wantStats := ParserStats{Frames: 6, Trades: 4, Skipped: map[ParseKind]uint64{
		ParseMalformedJSON: 1, ParseUnknownType: 1, ParseNoTrades: 0, ParseInvalidTrade: 1, ParseServerErrors: 0,
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
	if got := warns[2].String("trade"); got != parserBowie.ID {
		t.Errorf("trade skipped names trade %q, want %q", got, parserBowie.ID)
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

func parserMapsEqual(a, b map[ParseKind]uint64) bool {
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
	in <- messages.Frame{Data: parserFixture(t, "createTrade_stickers.json"), ReceivedAt: parserReceived}
	if tr := <-p.Out(); tr.ID != parserAquamarine.ID {
		t.Fatalf("trade %s, want %s", tr.ID, parserAquamarine.ID)
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
	in <- messages.Frame{Data: parserFixture(t, "createTrades_batch.json"), ReceivedAt: parserReceived}
	if tr := <-p.Out(); tr.ID != parserAquamarine.ID {
		t.Fatalf("first trade %s, want %s", tr.ID, parserAquamarine.ID)
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
	in <- messages.Frame{Data: parserFixture(t, "createTrades_batch.json"), ReceivedAt: at}
	in <- messages.Frame{Data: parserFixture(t, "createTrade_stickers.json"), ReceivedAt: at}
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
	want := []string{parserAquamarine.ID, parserBowie.ID, parserAquamarine.ID}
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

func TestParserRunIntoStopsOnCancel(t *testing.T) {
	_, log := logtest.New()
	p := NewParser(make(chan messages.Frame), log)
	h := NewHub(nil, log)
	q := h.Attach("q", 1)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.RunInto(ctx, h) }()
	cancel()
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
	var clock atomic.Int64 // nanoseconds past parserReceived
	p.now = func() time.Time { return parserReceived.Add(time.Duration(clock.Load())) }
	wait := parserStart(t, t.Context(), p)

	const flood = 3 * parserWarnBurst
	for range flood {
		in <- messages.Frame{Data: []byte(`{"type":"next","payload":`), ReceivedAt: parserReceived}
	}
	// The parser takes the next frame only once it is done with the last: when
	// this good one is taken, the flood has been handled in the first window.
	in <- messages.Frame{Data: parserFixture(t, "createTrade_stickers.json"), ReceivedAt: parserReceived}
	clock.Store(int64(parserWarnWindow))
	in <- messages.Frame{Data: []byte(`not json`), ReceivedAt: parserReceived}
	close(in)
	if err := wait(); err != nil {
		t.Fatal(err)
	}

	if got := p.Stats().Skipped[ParseMalformedJSON]; got != flood+1 {
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
