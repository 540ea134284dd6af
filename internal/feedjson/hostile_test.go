package feedjson

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rollsniper/rollsniper/internal/fixtures"
	"github.com/rollsniper/rollsniper/messages"
)

// parserHostileValues are what a hostile or broken server might put in any
// field: every JSON type, null, numbers past float64, NaN-like strings, and
// text a field cannot hold.
var parserHostileValues = []struct {
	name  string
	value any
}{
	{"null", nil},
	{"true", true},
	{"zero", 0},
	{"negative", -1},
	{"huge number", json.Number("1e400")},
	{"huge negative number", json.Number("-1e400")},
	{"largest float", json.Number("1.7976931348623157e308")},
	{"long integer", json.Number("123456789012345678901234567890")},
	{"NaN string", "NaN"},
	{"Infinity string", "Infinity"},
	{"-Infinity string", "-Infinity"},
	{"1e999 string", "1e999"},
	{"empty string", ""},
	{"long string", strings.Repeat("x", 64<<10)},
	{"NUL and escapes", "a\x00b\u2028\"\\"},
	{"array", []any{1, "two", nil}},
	{"object", map[string]any{"$type": "Trade"}},
}

// parserHostileFields are every field the parser reads, in the single-trade
// fixture's coordinates.
var parserHostileFields = []string{
	"id", "status", "markupPercent", "totalValue", "canJoinAfter", "createdAt",
	"tradeItems", "tradeItems.0", "tradeItems.0.marketName", "tradeItems.0.value",
	"tradeItems.0.itemVariant", "tradeItems.0.itemVariant.brand",
	"tradeItems.0.itemVariant.name", "tradeItems.0.itemVariant.color",
}

// TestParseFrameHostileFields puts every hostile value in every field, and
// checks that ParseFrame neither panics nor lets a bad value through: it either
// rejects the trade, naming the field, or returns a trade whose numbers are
// finite and whose text is valid UTF-8. Nothing else in the frame is lost.
func TestParseFrameHostileFields(t *testing.T) {
	single := fixtures.Read(t, "createTrade_canJoinAfter.json")
	batch := fixtures.Read(t, "createTrades_batch.json")
	for _, field := range parserHostileFields {
		for _, v := range parserHostileValues {
			t.Run(field+"/"+v.name, func(t *testing.T) {
				// As the only trade of a frame.
				data := fixtures.Mutate(t, single, fixtures.SingleTrade+"."+field, v.value)
				trades, err := ParseFrame(nil, data, fixtures.Received)
				checkHostile(t, field, trades, err)

				// As the second trade of a batch: the first must still come out.
				if field == "canJoinAfter" {
					return // the batch shape has canJoin instead
				}
				data = fixtures.Mutate(t, batch, fixtures.BatchTrades+".1."+field, v.value)
				trades, err = ParseFrame(nil, data, fixtures.Received)
				if len(trades) == 0 || trades[0].ID != fixtures.Aquamarine.ID {
					t.Errorf("batch: the good first trade was lost (got %d trades, err %v)", len(trades), err)
				}
				checkHostile(t, field, trades, err)
			})
		}
	}
}

// TestParseFrameNonUTF8InEveryString puts bytes that are not UTF-8 inside each
// string field: the frame is malformed (encoding/json would refuse it too),
// skipped whole with an error that says where.
func TestParseFrameNonUTF8InEveryString(t *testing.T) {
	single := fixtures.Read(t, "createTrade_canJoinAfter.json")
	for _, field := range []string{"id", "status", "createdAt", "tradeItems.0.marketName", "tradeItems.0.itemVariant.brand", "tradeItems.0.itemVariant.name"} {
		for _, bad := range []string{"\xff", "\xc3\x28", "\xed\xa0\x80", "\xf4\x90\x80\x80"} {
			const marker = "HOSTILE-MARKER"
			data := bytes.Replace(fixtures.Mutate(t, single, fixtures.SingleTrade+"."+field, marker), []byte(marker), []byte(bad), 1)
			trades, err := ParseFrame(nil, data, fixtures.Received)
			var pe *ParseError
			if len(trades) != 0 || !errorsAsParse(err, &pe) || pe.Kind != MalformedJSON || !strings.Contains(err.Error(), "UTF-8") {
				t.Errorf("%s = %q: got %d trades, err %v; want the frame skipped as malformed, naming UTF-8", field, bad, len(trades), err)
			}
		}
	}
}

// checkHostile checks one ParseFrame result for a hostile value in field.
func checkHostile(t *testing.T, field string, trades []messages.Trade, err error) {
	t.Helper()
	for _, tr := range trades {
		for name, f := range map[string]float64{"MarkupPercent": tr.MarkupPercent, "TotalValue": tr.TotalValue} {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				t.Errorf("%s let through a trade with %s = %v", field, name, f)
			}
		}
		for name, s := range map[string]string{"ID": tr.ID, "Status": tr.Status, "MarketName": tr.MarketName, "Brand": tr.Brand, "SkinName": tr.SkinName} {
			if !utf8.ValidString(s) {
				t.Errorf("%s let through a trade with %s not UTF-8: %q", field, name, s)
			}
		}
		if tr.ID == "" {
			t.Errorf("%s let through a trade without an id", field)
		}
	}
	if err == nil {
		return
	}
	// A rejection says which field: its last JSON key, as the parser names it.
	key := field[strings.LastIndexByte(field, '.')+1:]
	if key == "0" {
		key = "tradeItems[0]"
	}
	if !strings.Contains(err.Error(), key) {
		t.Errorf("%s: error %q does not name the field", field, err)
	}
	if len(err.Error()) > 4096 {
		t.Errorf("%s: error of %d bytes: a hostile value must not be echoed whole", field, len(err.Error()))
	}
}

func errorsAsParse(err error, pe **ParseError) bool {
	for _, e := range errorList(err) {
		if p, ok := e.(*ParseError); ok {
			*pe = p
			return true
		}
	}
	return false
}

// The fields a listing can do without (the float, the pattern percentage, the
// stickers) never cost the listing: any hostile value there leaves the trade
// whole, the field marked absent or its value in range.
func TestParseFrameHostileOptionalFields(t *testing.T) {
	single := fixtures.Read(t, fixtures.Stickers)
	fields := []string{
		"avgPaintWear", "tradeItems.0.patternPercentage", "tradeItems.0.stickers",
		"tradeItems.0.stickers.0", "tradeItems.0.stickers.0.name", "tradeItems.0.stickers.0.wear",
	}
	for _, field := range fields {
		for _, v := range parserHostileValues {
			data := fixtures.Mutate(t, single, fixtures.SingleTrade+"."+field, v.value)
			trades, err := ParseFrame(nil, data, fixtures.Received)
			if err != nil || len(trades) != 1 {
				t.Errorf("%s = %s: %d trades, err %v; want the trade", field, v.name, len(trades), err)
				continue
			}
			tr := trades[0]
			if tr.HasAvgPaintWear && !(tr.AvgPaintWear >= 0 && tr.AvgPaintWear <= 1) {
				t.Errorf("%s = %s: avgPaintWear %v let through", field, v.name, tr.AvgPaintWear)
			}
			if tr.HasPatternPercentage && (math.IsNaN(tr.PatternPercentage) || math.IsInf(tr.PatternPercentage, 0)) {
				t.Errorf("%s = %s: patternPercentage %v let through", field, v.name, tr.PatternPercentage)
			}
			for i := range tr.Stickers.Len() {
				st := tr.Stickers.At(i)
				if st.Name == "" || !utf8.ValidString(st.Name) || (st.HasWear && !(st.Wear >= 0 && st.Wear <= 1)) {
					t.Errorf("%s = %s: sticker %+v let through", field, v.name, st)
				}
			}
		}
	}
}

func TestParseFrameStickers(t *testing.T) {
	single := fixtures.Read(t, fixtures.Stickers)
	sticker := func(name string, wear any) map[string]any {
		return map[string]any{"name": name, "wear": wear, "brand": "Sticker", "imageUrl": "https://example.invalid/x.png"}
	}
	for _, tt := range []struct {
		name     string
		stickers any
		want     messages.Stickers
	}{
		{"none", []any{}, messages.Stickers{}},
		{"absent", fixtures.Delete, messages.Stickers{}},
		{"one", []any{sticker("Crown (Foil)", 0)},
			messages.StickersOf(messages.Sticker{Name: "Crown (Foil)", Wear: 0, HasWear: true})},
		{"escaped name, wear null", []any{sticker("Titan | Katowice 2014 \u2605", nil)},
			messages.StickersOf(messages.Sticker{Name: "Titan | Katowice 2014 ★"})},
		{"six: the first five kept", []any{sticker("a", 0.1), sticker("b", 0.2), sticker("c", 0.3), sticker("d", 0.4), sticker("e", 0.5), sticker("f", 0.6)},
			messages.StickersOf(
				messages.Sticker{Name: "a", Wear: 0.1, HasWear: true}, messages.Sticker{Name: "b", Wear: 0.2, HasWear: true},
				messages.Sticker{Name: "c", Wear: 0.3, HasWear: true}, messages.Sticker{Name: "d", Wear: 0.4, HasWear: true},
				messages.Sticker{Name: "e", Wear: 0.5, HasWear: true})},
		{"ones without a name passed over", []any{map[string]any{"wear": 0.1}, sticker("", 0.2), "x", sticker("b", 7)},
			messages.StickersOf(messages.Sticker{Name: "b"})},
		{"a name too long passed over", []any{sticker(strings.Repeat("x", MaxStickerName+1), 0.1), sticker("b", 0.2)},
			messages.StickersOf(messages.Sticker{Name: "b", Wear: 0.2, HasWear: true})},
	} {
		data := fixtures.Mutate(t, single, fixtures.SingleTrade+".tradeItems.0.stickers", tt.stickers)
		trades, err := ParseFrame(nil, data, fixtures.Received)
		if err != nil || len(trades) != 1 {
			t.Fatalf("%s: %d trades, err %v", tt.name, len(trades), err)
		}
		if got := trades[0].Stickers; got != tt.want {
			t.Errorf("%s: stickers %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// A trade holding more text than any listing is skipped, naming its longest
// field, and the other trades of its batch come through: so a queue of n
// trades holds at most n × MaxTradeText bytes of text, whatever the feed
// sends and whatever the read limit allows.
func TestParseFrameBoundsATradesText(t *testing.T) {
	batch := fixtures.Read(t, "createTrades_batch.json")
	for _, tt := range []struct {
		field   string
		size    int
		wantErr bool
	}{
		{"tradeItems.0.marketName", 800, false},
		{"tradeItems.0.marketName", MaxTradeText + 1, true},
		{"tradeItems.0.itemVariant.name", 4 << 10, true},
		{"id", 2 << 10, true},
	} {
		data := fixtures.Mutate(t, batch, fixtures.BatchTrades+".1."+tt.field, strings.Repeat("x", tt.size))
		trades, err := ParseFrame(nil, data, fixtures.Received)
		if !tt.wantErr {
			if err != nil || len(trades) != 2 {
				t.Errorf("%s of %d bytes: %d trades, %v; want both trades", tt.field, tt.size, len(trades), err)
			}
			continue
		}
		var pe *ParseError
		key := tt.field[strings.LastIndexByte(tt.field, '.')+1:]
		if len(trades) != 1 || !errorsAsParse(err, &pe) || pe.Kind != InvalidTrade || !strings.Contains(pe.Msg, key) || len(pe.TradeID) > 64+len("…") {
			t.Errorf("%s of %d bytes: %d trades, %v; want the first trade, and the second skipped naming %s", tt.field, tt.size, len(trades), err, key)
		}
		for _, tr := range trades {
			if n := TradeText(&tr); n > MaxTradeText {
				t.Errorf("a trade of %d bytes of text came through", n)
			}
		}
	}
}
