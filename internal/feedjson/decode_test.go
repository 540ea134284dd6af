package feedjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/fixtures"
	"github.com/rollsniper/rollsniper/messages"
)

func parserWithCanJoin(t messages.Trade, canJoin bool) messages.Trade {
	t.CanJoin = canJoin
	return t
}

// parserProblems returns the *ParseErrors in a ParseFrame error.
func parserProblems(tb testing.TB, err error) []*ParseError {
	tb.Helper()
	if err == nil {
		return nil
	}
	var out []*ParseError
	for _, e := range errorList(err) {
		pe, ok := e.(*ParseError)
		if !ok {
			tb.Fatalf("error %v (%T) is not a *ParseError", e, e)
		}
		out = append(out, pe)
	}
	return out
}

func parserKinds(problems []*ParseError) []ErrorKind {
	var kinds []ErrorKind
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
	beforeJoin := fixtures.BowieJoinable.Add(-time.Millisecond)
	type frame struct {
		name       string
		receivedAt time.Time
		want       []messages.Trade
		wantKinds  []ErrorKind
	}
	want := map[string][]frame{
		"createTrade_stickers.json": {
			{"", fixtures.Received, []messages.Trade{fixtures.Aquamarine}, nil},
		},
		"createTrade_canJoinAfter.json": {
			{"before canJoinAfter", beforeJoin, []messages.Trade{fixtures.Bowie}, nil},
			{"at canJoinAfter", fixtures.BowieJoinable, []messages.Trade{parserWithCanJoin(fixtures.Bowie, true)}, nil},
			{"after canJoinAfter", fixtures.Received, []messages.Trade{parserWithCanJoin(fixtures.Bowie, true)}, nil},
		},
		// canJoin:false wins over canJoinAfter, on either side of it.
		"createTrades_batch.json": {
			{"before canJoinAfter", beforeJoin, []messages.Trade{fixtures.Aquamarine, fixtures.Bowie}, nil},
			{"after canJoinAfter", fixtures.Received, []messages.Trade{fixtures.Aquamarine, fixtures.Bowie}, nil},
		},
		"session_start.jsonl": {
			{"line 1 pong", fixtures.Received, nil, []ErrorKind{UnknownType}},
			{"line 2 connection_ack", fixtures.Received, nil, []ErrorKind{UnknownType}},
			{"line 3 pong", fixtures.Received, nil, []ErrorKind{UnknownType}},
			{"line 4 connection_ack", fixtures.Received, nil, []ErrorKind{UnknownType}},
			{"line 5 next", fixtures.Received, []messages.Trade{fixtures.Ursus}, nil},
		},
	}

	for _, file := range fixtures.All(t) {
		name := file.Name
		frames, ok := want[name]
		if !ok {
			t.Errorf("fixture %s has no expected trades in this test", name)
			continue
		}
		datas := [][]byte{fixtures.Read(t, name)}
		if strings.HasSuffix(name, ".jsonl") {
			datas = fixtures.Lines(t, name)
		}
		for i, f := range frames {
			data := datas[0]
			if len(datas) > 1 {
				data = datas[i]
			}
			t.Run(name+"/"+f.name, func(t *testing.T) {
				got, err := ParseFrame(nil, data, f.receivedAt)
				parserCheckTrades(t, got, fixtures.Stamped(f.receivedAt, f.want...))
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

// parserCase is one frame derived from a fixture, with what ParseFrame should
// make of it.
type parserCase struct {
	name string
	data []byte
	// want are the trades that still come out (stamped with fixtures.Received).
	want []messages.Trade
	// wantKinds are the problems' kinds, in order; wantMsgs are texts each
	// problem's message must contain.
	wantKinds []ErrorKind
	wantMsgs  []string
}

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
	single := fixtures.Read(tb, "createTrade_stickers.json")
	batch := fixtures.Read(tb, "createTrades_batch.json")
	bowie := fixtures.Read(tb, "createTrade_canJoinAfter.json")
	invalid := []ErrorKind{InvalidTrade}
	var cases []parserCase
	add := func(name string, data []byte, want []messages.Trade, kinds []ErrorKind, msgs ...string) {
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
			{"missing", fixtures.Delete, "is missing"},
			{"null", nil, "is null"},
			{"wrong type", f.wrong, f.wrongText},
		} {
			if v.how == "missing" && f.field == "tradeItems[0]" {
				continue // an array element cannot be missing: see "tradeItems empty"
			}
			add("single "+f.field+" "+v.how, fixtures.Mutate(tb, single, fixtures.SingleTrade+"."+jsonPath, v.value),
				nil, invalid, "trade."+f.field+" "+v.text)
			add("batch "+f.field+" "+v.how, fixtures.Mutate(tb, batch, fixtures.BatchTrades+".1."+jsonPath, v.value),
				[]messages.Trade{fixtures.Aquamarine}, invalid, "trades[1]."+f.field+" "+v.text)
		}
	}

	bad := parserTradeJSON(tb, fixtures.Mutate(tb, batch, fixtures.BatchTrades+".1.tradeItems.0.itemVariant", nil), 1)
	add("batch good bad good", parserBatchOf(tb, batch, parserTradeJSON(tb, batch, 0), bad, parserTradeJSON(tb, batch, 1)),
		[]messages.Trade{fixtures.Aquamarine, fixtures.Bowie}, invalid, "trades[1].tradeItems[0].itemVariant is null")
	add("batch two bad", parserBatchOf(tb, batch, `null`, parserTradeJSON(tb, batch, 0), `42`),
		[]messages.Trade{fixtures.Aquamarine}, []ErrorKind{InvalidTrade, InvalidTrade},
		"trades[0] is null", "trades[2] is a number, want an object")

	// Other broken trades.
	add("tradeItems empty", fixtures.Mutate(tb, single, fixtures.SingleTrade+".tradeItems", []any{}),
		nil, invalid, "trade.tradeItems is empty")
	add("id empty", fixtures.Mutate(tb, single, fixtures.SingleTrade+".id", ""), nil, invalid, "trade.id is empty")
	add("createdAt not a time", fixtures.Mutate(tb, single, fixtures.SingleTrade+".createdAt", "yesterday"),
		nil, invalid, `trade.createdAt is "yesterday", want an RFC 3339 time`)
	add("createdAt without zone", fixtures.Mutate(tb, single, fixtures.SingleTrade+".createdAt", "2024-01-02T19:37:45.236"),
		nil, invalid, "trade.createdAt")
	add("canJoin not a boolean", fixtures.Mutate(tb, batch, fixtures.BatchTrades+".1.canJoin", "no"),
		[]messages.Trade{fixtures.Aquamarine}, invalid, "trades[1].canJoin is a string, want a boolean")
	add("canJoinAfter not a time", fixtures.Mutate(tb, bowie, fixtures.SingleTrade+".canJoinAfter", "soon"),
		nil, invalid, `trade.canJoinAfter is "soon"`)
	add("canJoinAfter a number", fixtures.Mutate(tb, bowie, fixtures.SingleTrade+".canJoinAfter", 5),
		nil, invalid, "trade.canJoinAfter is a number, want a string")
	add("markupPercent too large", fixtures.Mutate(tb, single, fixtures.SingleTrade+".markupPercent", json.Number("1e400")),
		nil, invalid, "trade.markupPercent is 1e400, out of range")
	add("totalValue too large", fixtures.Mutate(tb, single, fixtures.SingleTrade+".totalValue", json.Number("-"+strings.Repeat("9", 400))),
		nil, invalid, "trade.totalValue is -999")
	add("trade null", fixtures.Mutate(tb, single, fixtures.SingleTrade, nil), nil, invalid, "trade is null")
	add("trade a string", fixtures.Mutate(tb, single, fixtures.SingleTrade, "x"), nil, invalid, "trade is a string, want an object")

	// Frames that are not JSON, or not an object.
	noKind := func(k ErrorKind) []ErrorKind { return []ErrorKind{k} }
	add("truncated half", single[:len(single)/2], nil, noKind(MalformedJSON), "unexpected end of JSON input")
	add("truncated last brace", bytes.TrimSpace(single)[:len(bytes.TrimSpace(single))-1], nil, noKind(MalformedJSON), "unexpected end")
	add("empty", []byte{}, nil, noKind(MalformedJSON), "unexpected end")
	add("bad syntax", []byte(`{"type":"next",}`), nil, noKind(MalformedJSON), "at byte 16")
	add("trailing garbage", append(bytes.Clone(single), "}"...), nil, noKind(MalformedJSON), "invalid character")
	at := bytes.Index(single, []byte("Aquamarine"))
	add("non-UTF-8 in a string", slices.Concat(single[:at], []byte{0xff}, single[at:]), nil,
		noKind(MalformedJSON), fmt.Sprintf("invalid UTF-8 at byte %d", at))
	add("non-UTF-8 outside strings", []byte("{\xc3\x28}"), nil, noKind(MalformedJSON), "invalid UTF-8 at byte 1")
	add("an array", []byte(`[{"type":"next"}]`), nil, noKind(MalformedJSON), "message is an array, want an object")
	add("null", []byte(` null `), nil, noKind(MalformedJSON), "message is null, want an object")
	add("a string", []byte(`"next"`), nil, noKind(MalformedJSON), "message is a string, want an object")

	// Messages that are not next, or next without listings.
	add("no type", fixtures.Mutate(tb, single, "type", fixtures.Delete), nil, noKind(UnknownType), "type is missing")
	add("type a number", fixtures.Mutate(tb, single, "type", 3), nil, noKind(UnknownType), "type is a number, want a string")
	add("type error", []byte(`{"id":"1","type":"error","payload":[{"message":"bad query"}]}`), nil,
		noKind(UnknownType), `message type "error" is not "next"`)
	add("type complete", []byte(`{"id":"1","type":"complete"}`), nil, noKind(UnknownType), `"complete"`)
	add("payload missing", fixtures.Mutate(tb, single, "payload", fixtures.Delete), nil, noKind(NoTrades), "payload is missing")
	add("payload an array", fixtures.Mutate(tb, single, "payload", []any{}), nil, noKind(NoTrades), "payload is an array, want an object")
	add("data null", fixtures.Mutate(tb, single, "payload.data", nil), nil, noKind(NoTrades), "data is null")
	add("data of updateTrade", fixtures.Mutate(tb, single, "payload.data", map[string]any{"updateTrade": map[string]any{"trade": nil}}),
		nil, noKind(NoTrades), "data has neither createTrades nor createTrade")
	add("createTrades a string", fixtures.Mutate(tb, batch, "payload.data.createTrades", "x"), nil,
		noKind(NoTrades), "createTrades is a string, want an object")
	add("trades null", fixtures.Mutate(tb, batch, fixtures.BatchTrades, nil), nil, noKind(NoTrades), "createTrades.trades is null")
	add("trades empty", fixtures.Mutate(tb, batch, fixtures.BatchTrades, []any{}), nil, noKind(NoTrades), "createTrades.trades is empty")

	// Server errors: reported, and whatever data came with them still counts.
	gqlErrors := []any{map[string]any{"message": "rate limited", "path": []any{"createTrades"}}}
	add("errors with data", fixtures.Mutate(tb, batch, "payload.errors", gqlErrors),
		[]messages.Trade{fixtures.Aquamarine, fixtures.Bowie}, noKind(ServerErrors), `server reported 1 error(s): "rate limited"`)
	add("errors without data", fixtures.Mutate(tb, fixtures.Mutate(tb, single, "payload.errors", gqlErrors), "payload.data", nil),
		nil, noKind(ServerErrors), `"rate limited"`)
	add("errors not a list", fixtures.Mutate(tb, single, "payload.errors", "oops"),
		[]messages.Trade{fixtures.Aquamarine}, noKind(ServerErrors), "errors is a string, want a list of {message}")
	add("errors and a bad trade", fixtures.Mutate(tb, fixtures.Mutate(tb, batch, "payload.errors", gqlErrors), fixtures.BatchTrades+".0.id", nil),
		[]messages.Trade{fixtures.Bowie}, []ErrorKind{ServerErrors, InvalidTrade}, "rate limited", "trades[0].id is null")

	// Frames that are fine, however odd.
	add("extra fields", fixtures.Mutate(tb, single, fixtures.SingleTrade+".surprise", map[string]any{"nested": []any{1, "two", nil}}),
		[]messages.Trade{fixtures.Aquamarine}, nil)
	add("errors empty", fixtures.Mutate(tb, single, "payload.errors", []any{}), []messages.Trade{fixtures.Aquamarine}, nil)
	add("escaped strings", bytes.ReplaceAll(bowie, []byte("★"), []byte(`\u2605`)),
		[]messages.Trade{parserWithCanJoin(fixtures.Bowie, true)}, nil)
	lastItem := []byte(`"steamExternalAssetId":"U3RlYW1FeHRlcm5hbEFzc2V0OjQyODM0MDAy"}]`)
	if !bytes.Contains(single, lastItem) {
		tb.Fatalf("createTrade_stickers.json no longer ends its items with %s", lastItem)
	}
	add("second item broken", bytes.Replace(single, lastItem, append(lastItem[:len(lastItem)-1:len(lastItem)-1], `,null]`...), 1),
		[]messages.Trade{func() messages.Trade { t := fixtures.Aquamarine; t.Items = 2; return t }()}, nil)
	huge := fixtures.Aquamarine
	huge.MarkupPercent = 1e308
	huge.TotalValue = 123456789012345678901234567890
	add("huge numbers in range", fixtures.Mutate(tb, fixtures.Mutate(tb, single, fixtures.SingleTrade+".markupPercent", json.Number("1e308")),
		fixtures.SingleTrade+".totalValue", json.Number("123456789012345678901234567890")), []messages.Trade{huge}, nil)
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
	return fixtures.Mutate(tb, batch, fixtures.BatchTrades, json.RawMessage("["+strings.Join(trades, ",")+"]"))
}

func TestParseFrameMalformed(t *testing.T) {
	for _, c := range parserMalformedCases(t) {
		t.Run(c.name, func(t *testing.T) {
			prefix := []messages.Trade{{ID: "already there"}}
			got, err := ParseFrame(slices.Clone(prefix), c.data, fixtures.Received)
			if len(got) == 0 || got[0] != prefix[0] {
				t.Fatalf("ParseFrame did not keep dst's trades: %+v", got)
			}
			parserCheckTrades(t, got[1:], fixtures.Stamped(fixtures.Received, c.want...))
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
	data := fixtures.Mutate(t, fixtures.Read(t, "createTrades_batch.json"), fixtures.BatchTrades+".1.tradeItems.0.itemVariant", nil)
	_, err := ParseFrame(nil, data, fixtures.Received)
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is not a *ParseError", err)
	}
	if pe.TradeID != fixtures.Bowie.ID {
		t.Errorf("TradeID = %q, want %q", pe.TradeID, fixtures.Bowie.ID)
	}
}

func TestParseFrameDerivedFields(t *testing.T) {
	single := fixtures.Read(t, "createTrade_stickers.json")
	item := fixtures.SingleTrade + ".tradeItems.0."
	tests := []struct {
		name       string
		marketName string
		color      any // fixtures.Delete to drop it
		wantWear   messages.Wear
		statTrak   bool
		souvenir   bool
	}{
		{"StatTrak", "StatTrak™ AK-47 | Redline (Field-Tested)", "Field-Tested", messages.WearFieldTested, true, false},
		{"StatTrak knife", "★ StatTrak™ Karambit | Fade (Factory New)", "Factory New", messages.WearFactoryNew, true, false},
		{"knife not StatTrak", "★ Karambit | Fade (Minimal Wear)", "Minimal Wear", messages.WearMinimalWear, false, false},
		{"Souvenir", "Souvenir AWP | Dragon Lore (Battle-Scarred)", "Battle-Scarred", messages.WearBattleScarred, false, true},
		{"StatTrak mid-name is not a prefix", "AK-47 | StatTrak™ Souvenir (Well-Worn)", "Well-Worn", messages.WearWellWorn, false, false},
		{"wear from name without color", "M4A4 | Howl (Minimal Wear)", fixtures.Delete, messages.WearMinimalWear, false, false},
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
			data := fixtures.Mutate(t, fixtures.Mutate(t, single, item+"marketName", tt.marketName), item+"itemVariant.color", tt.color)
			got, err := ParseFrame(nil, data, fixtures.Received)
			if err != nil || len(got) != 1 {
				t.Fatalf("ParseFrame: %d trades, %v", len(got), err)
			}
			want := fixtures.Aquamarine
			want.MarketName, want.Wear, want.StatTrak, want.Souvenir, want.ReceivedAt = tt.marketName, tt.wantWear, tt.statTrak, tt.souvenir, fixtures.Received
			if got[0] != want {
				t.Errorf("got  %+v\nwant %+v", got[0], want)
			}
		})
	}
}

func TestParseFrameCanJoin(t *testing.T) {
	batch := fixtures.Read(t, "createTrades_batch.json")
	bowie := fixtures.BatchTrades + ".1."
	future := fixtures.Received.Add(time.Hour).Format(time.RFC3339Nano)
	past := fixtures.Received.Add(-time.Hour).Format(time.RFC3339Nano)
	tests := []struct {
		name         string
		canJoin      any // fixtures.Delete to drop it
		canJoinAfter any
		want         bool
	}{
		{"canJoin true, after in the future", true, future, true},
		{"canJoin false, after in the past", false, past, false},
		{"canJoin false, after null", false, nil, false},
		{"canJoin null, after null", nil, nil, true},
		{"canJoin null, after in the future", nil, future, false},
		{"no canJoin, after in the past", fixtures.Delete, past, true},
		{"no canJoin, after in the future", fixtures.Delete, future, false},
		{"no canJoin, after exactly now", fixtures.Delete, fixtures.Received.Format(time.RFC3339Nano), true},
		{"no canJoin, no after", fixtures.Delete, fixtures.Delete, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := fixtures.Mutate(t, fixtures.Mutate(t, batch, bowie+"canJoin", tt.canJoin), bowie+"canJoinAfter", tt.canJoinAfter)
			got, err := ParseFrame(nil, data, fixtures.Received)
			if err != nil || len(got) != 2 {
				t.Fatalf("ParseFrame: %d trades, %v", len(got), err)
			}
			if got[1].CanJoin != tt.want {
				t.Errorf("CanJoin = %v, want %v", got[1].CanJoin, tt.want)
			}
		})
	}
}
