package whitelist

import (
	"math"
	"testing"

	"github.com/rollsniper/rollsniper/messages"
)

// matchList is the whitelist the matching tests run against. Each entry is
// there to exercise one dimension; the comments give its index.
const matchList = `{
  "defaults": {"max_markup": 12, "max_price": 5000},
  "items": [
    {"name": "AK-47 | Redline", "wear": "Field-Tested", "max_markup": 8, "max_price": 40},
    {"name": "StatTrak™ AK-47 | Redline (Field-Tested)", "max_markup": 5},
    {"name": "★ Karambit | Doppler", "wear": ["Factory New", "mw"]},
    {"name": "souvenir awp | dragon lore", "wear": "any", "min_price": 9000, "max_price": null, "max_markup": null},
    {"name": "  Sticker |   Crown (Foil) ", "joinable_only": false},
    {"name": "★ Karambit", "wear": "none"},
    {"name": "M4A1-S | Printstream", "stattrak": "any", "wear": "BS"},
    {"name": "StatTrak AWP | Asiimov", "wear": ["FT", "WW"]},
    {"name": "★ StatTrak™ Bowie Knife | Gamma Doppler Phase 1 (Factory New)"},
    {"name": "M4A4 | 龍王 (Dragon King)", "wear": "MW"}
  ]
}`

// trade returns a LISTED, joinable trade of market name at markup and price,
// with the wear, StatTrak and Souvenir the parser would derive from the name.
func trade(name string, markup, price float64) messages.Trade {
	n := split(name)
	return messages.Trade{
		ID:            "VHJhZGU6MzI5OTM0NzI",
		Status:        "LISTED",
		MarketName:    name,
		MarkupPercent: markup,
		TotalValue:    price,
		CanJoin:       true,
		Wear:          n.wear,
		StatTrak:      n.statTrak,
		Souvenir:      n.souvenir,
		Items:         1,
	}
}

func mustParse(tb testing.TB, data string) *List {
	tb.Helper()
	l, err := Parse([]byte(data))
	if err != nil {
		tb.Fatalf("Parse:\n%v", err)
	}
	return l
}

func TestMatch(t *testing.T) {
	l := mustParse(t, matchList)
	notJoinable := func(tr messages.Trade) messages.Trade { tr.CanJoin = false; return tr }
	tests := []struct {
		name       string
		trade      messages.Trade
		wantEntry  int
		wantReason Reason
	}{
		// Name, wear and prefixes.
		{"plain, named wear", trade("AK-47 | Redline (Field-Tested)", 5, 30), 0, Matched},
		{"plain, other wear", trade("AK-47 | Redline (Minimal Wear)", 5, 30), -1, NoEntry},
		{"StatTrak is its own entry", trade("StatTrak™ AK-47 | Redline (Field-Tested)", 5, 30), 1, Matched},
		{"StatTrak entry's tighter markup", trade("StatTrak™ AK-47 | Redline (Field-Tested)", 6, 30), 1, MarkupTooHigh},
		{"plain entry's markup", trade("AK-47 | Redline (Field-Tested)", 6, 30), 0, Matched},
		{"StatTrak in another wear", trade("StatTrak™ AK-47 | Redline (Well-Worn)", 1, 30), -1, NoEntry},
		{"souvenir of a plain entry", trade("Souvenir AK-47 | Redline (Field-Tested)", 1, 30), -1, NoEntry},
		{"other skin", trade("AK-47 | Vulcan (Field-Tested)", 1, 30), -1, NoEntry},
		{"knife in a listed wear", trade("★ Karambit | Doppler (Minimal Wear)", 5, 1000), 2, Matched},
		{"knife in the other listed wear", trade("★ Karambit | Doppler (Factory New)", 5, 1000), 2, Matched},
		{"knife in an unlisted wear", trade("★ Karambit | Doppler (Field-Tested)", 5, 1000), -1, NoEntry},
		{"StatTrak knife of a plain entry", trade("★ StatTrak™ Karambit | Doppler (Factory New)", 5, 1000), -1, NoEntry},
		{"souvenir, any wear", trade("Souvenir AWP | Dragon Lore (Battle-Scarred)", 300, 9100), 3, Matched},
		{"souvenir entry, plain trade", trade("AWP | Dragon Lore (Battle-Scarred)", 1, 9100), -1, NoEntry},
		{"no wear, name with parentheses", trade("Sticker | Crown (Foil)", 3, 900), 4, Matched},
		{"vanilla knife", trade("★ Karambit", 3, 900), 5, Matched},
		{"vanilla knife entry, finished knife", trade("★ Karambit | Fade (Factory New)", 3, 900), -1, NoEntry},
		{"stattrak any: plain", trade("M4A1-S | Printstream (Battle-Scarred)", 3, 90), 6, Matched},
		{"stattrak any: StatTrak", trade("StatTrak™ M4A1-S | Printstream (Battle-Scarred)", 3, 90), 6, Matched},
		{"stattrak any: other wear", trade("M4A1-S | Printstream (Factory New)", 3, 90), -1, NoEntry},
		{"StatTrak without ™ in the file", trade("StatTrak™ AWP | Asiimov (Well-Worn)", 3, 90), 7, Matched},
		{"StatTrak entry, plain trade", trade("AWP | Asiimov (Well-Worn)", 3, 90), -1, NoEntry},
		{"★ StatTrak™ full market name", trade("★ StatTrak™ Bowie Knife | Gamma Doppler Phase 1 (Factory New)", 3, 900), 8, Matched},
		{"★ StatTrak™ name, other wear", trade("★ StatTrak™ Bowie Knife | Gamma Doppler Phase 1 (Minimal Wear)", 3, 900), -1, NoEntry},
		{"non-ASCII name", trade("M4A4 | 龍王 (Dragon King) (Minimal Wear)", 3, 90), 9, Matched},
		{"case of the feed differs", trade("ak-47 | REDLINE (Field-Tested)", 3, 30), 0, Matched},
		{"empty name", trade("", 3, 30), -1, NoEntry},
		{"name too long for a key", trade(string(make([]byte, 1000)), 3, 30), -1, NoEntry},

		// Markup bounds: max_markup is inclusive.
		{"markup at the entry's max", trade("AK-47 | Redline (Field-Tested)", 8, 30), 0, Matched},
		{"markup above the entry's max", trade("AK-47 | Redline (Field-Tested)", 8.01, 30), 0, MarkupTooHigh},
		{"markup at the default max", trade("★ Karambit | Doppler (Factory New)", 12, 1000), 2, Matched},
		{"markup above the default max", trade("★ Karambit | Doppler (Factory New)", 12.5, 1000), 2, MarkupTooHigh},
		{"no markup limit (null)", trade("Souvenir AWP | Dragon Lore (Field-Tested)", 40000, 9100), 3, Matched},
		{"NaN markup", trade("AK-47 | Redline (Field-Tested)", math.NaN(), 30), 0, MarkupTooHigh},
		{"zero markup", trade("AK-47 | Redline (Field-Tested)", 0, 30), 0, Matched},

		// Price bounds: both inclusive.
		{"price at the entry's max", trade("AK-47 | Redline (Field-Tested)", 5, 40), 0, Matched},
		{"price above the entry's max", trade("AK-47 | Redline (Field-Tested)", 5, 40.01), 0, PriceTooHigh},
		{"price at the entry's min", trade("Souvenir AWP | Dragon Lore (Field-Tested)", 5, 9000), 3, Matched},
		{"price below the entry's min", trade("Souvenir AWP | Dragon Lore (Field-Tested)", 5, 8999.99), 3, PriceTooLow},
		{"no max price (null lifts the default)", trade("Souvenir AWP | Dragon Lore (Factory New)", 5, 50000), 3, Matched},
		{"price above the default max", trade("★ Karambit | Doppler (Factory New)", 5, 5000.5), 2, PriceTooHigh},
		{"NaN price", trade("AK-47 | Redline (Field-Tested)", 5, math.NaN()), 0, PriceTooLow},

		// Can-join.
		{"cannot join, joinable only", notJoinable(trade("AK-47 | Redline (Field-Tested)", 5, 30)), 0, CannotJoin},
		{"cannot join, joinable_only false", notJoinable(trade("Sticker | Crown (Foil)", 3, 900)), 4, Matched},
		{"markup is checked before can-join", notJoinable(trade("AK-47 | Redline (Field-Tested)", 50, 30)), 0, MarkupTooHigh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotEntry, gotReason := l.Match(&tt.trade)
			if gotEntry != tt.wantEntry || gotReason != tt.wantReason {
				t.Errorf("Match(%q markup %v price %v) = %d, %v; want %d, %v",
					tt.trade.MarketName, tt.trade.MarkupPercent, tt.trade.TotalValue, gotEntry, gotReason, tt.wantEntry, tt.wantReason)
			}
		})
	}
}

// TestMatchUsesTradeFields checks that the trade's wear, StatTrak and Souvenir
// fields decide, not its name: the parser may take the wear from
// itemVariant.color when the name has none.
func TestMatchUsesTradeFields(t *testing.T) {
	l := mustParse(t, matchList)
	tests := []struct {
		name       string
		trade      messages.Trade
		wantReason Reason
	}{
		{"wear from color, name without suffix", messages.Trade{MarketName: "AK-47 | Redline", Wear: messages.WearFieldTested, CanJoin: true}, Matched},
		{"wear field wins over the name", messages.Trade{MarketName: "AK-47 | Redline (Field-Tested)", Wear: messages.WearMinimalWear, CanJoin: true}, NoEntry},
		{"StatTrak field", messages.Trade{MarketName: "AK-47 | Redline", Wear: messages.WearFieldTested, StatTrak: true, CanJoin: true}, Matched},
		{"unknown wear", messages.Trade{MarketName: "AK-47 | Redline", Wear: "Pristine", CanJoin: true}, NoEntry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := l.Match(&tt.trade); got != tt.wantReason {
				t.Errorf("Match(%+v) reason = %v, want %v", tt.trade, got, tt.wantReason)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		in   string
		want splitName
	}{
		{"AK-47 | Redline", splitName{base: "AK-47 | Redline"}},
		{"AK-47 | Redline (Field-Tested)", splitName{base: "AK-47 | Redline", wear: messages.WearFieldTested}},
		{"StatTrak™ AK-47 | Redline (Field-Tested)", splitName{base: "AK-47 | Redline", statTrak: true, wear: messages.WearFieldTested}},
		{"stattrak ak-47 | redline (field-tested)", splitName{base: "ak-47 | redline", statTrak: true, wear: messages.WearFieldTested}},
		{"StatTrakAK-47", splitName{base: "StatTrakAK-47"}},
		{"★ StatTrak™ Karambit | Fade (Factory New)", splitName{base: "Karambit | Fade", star: true, statTrak: true, wear: messages.WearFactoryNew}},
		{"★Karambit", splitName{base: "Karambit", star: true}},
		{"Souvenir AWP | Dragon Lore (Battle-Scarred)", splitName{base: "AWP | Dragon Lore", souvenir: true, wear: messages.WearBattleScarred}},
		{"Souvenirs", splitName{base: "Souvenirs"}},
		{"Sticker | Crown (Foil)", splitName{base: "Sticker | Crown (Foil)"}},
		{"  M4A4 | 龍王 (Dragon King) ( Minimal Wear ) ", splitName{base: "M4A4 | 龍王 (Dragon King)", wear: messages.WearMinimalWear}},
		{"Kilowatt Case", splitName{base: "Kilowatt Case"}},
		{"", splitName{}},
	}
	for _, tt := range tests {
		if got := split(tt.in); got != tt.want {
			t.Errorf("split(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestAppendKey(t *testing.T) {
	tests := []struct {
		base  string
		want  string
		fits  bool
		wear  byte
		flags byte
	}{
		{"AK-47 | Redline", "\x03\x01ak-47|redline", true, 3, 1},
		{" ak-47\t|  REDLINE ", "\x03\x01ak-47|redline", true, 3, 1},
		{"Ünïcode\u00a0Name", "\x00\x00ünïcodename", true, 0, 0},
		{string(make([]byte, keyCap)), "", false, 0, 0},
	}
	for _, tt := range tests {
		var buf [keyCap]byte
		got, fits := appendKey(buf[:0], tt.base, tt.wear, tt.flags)
		if fits != tt.fits || (fits && string(got) != tt.want) {
			t.Errorf("appendKey(%q) = %q, %v; want %q, %v", tt.base, got, fits, tt.want, tt.fits)
		}
	}
}

// TestMatchDoesNotAllocate checks the hot path's promise on hits, misses and
// rejections.
func TestMatchDoesNotAllocate(t *testing.T) {
	l := mustParse(t, matchList)
	for _, tr := range []messages.Trade{
		trade("StatTrak™ AK-47 | Redline (Field-Tested)", 5, 30),
		trade("★ Karambit | Doppler (Minimal Wear)", 50, 1000),
		trade("M4A4 | 龍王 (Dragon King) (Minimal Wear)", 3, 90),
		trade("AK-47 | Vulcan (Factory New)", 5, 30),
	} {
		if got := testing.AllocsPerRun(100, func() { l.Match(&tr) }); got != 0 {
			t.Errorf("Match(%q) allocates %v times a run, want 0", tr.MarketName, got)
		}
	}
}

func TestEntryString(t *testing.T) {
	l := mustParse(t, matchList)
	want := []string{
		"#0 AK-47 | Redline, Field-Tested, max markup 8%, price 0-40",
		"#1 AK-47 | Redline, Field-Tested, StatTrak, max markup 5%, price 0-5000",
		"#2 ★ Karambit | Doppler, Factory New or Minimal Wear, max markup 12%, price 0-5000",
		"#3 awp | dragon lore, any wear, Souvenir, any markup, price 9000 or more",
		"#4 Sticker | Crown (Foil), any wear, max markup 12%, price 0-5000, joinable or not",
		"#5 ★ Karambit, no wear, max markup 12%, price 0-5000",
		"#6 M4A1-S | Printstream, Battle-Scarred, StatTrak or not, max markup 12%, price 0-5000",
		"#7 AWP | Asiimov, Field-Tested or Well-Worn, StatTrak, max markup 12%, price 0-5000",
		"#8 ★ Bowie Knife | Gamma Doppler Phase 1, Factory New, StatTrak, max markup 12%, price 0-5000",
		"#9 M4A4 | 龍王 (Dragon King), Minimal Wear, max markup 12%, price 0-5000",
	}
	if l.Len() != len(want) {
		t.Fatalf("Len() = %d, want %d", l.Len(), len(want))
	}
	for i, w := range want {
		e := l.Entry(i)
		if got := e.String(); got != w {
			t.Errorf("Entry(%d).String() = %q, want %q", i, got, w)
		}
		e.desc = ""
		if got := e.String(); got != w {
			t.Errorf("Entry(%d) built by hand: String() = %q, want %q", i, got, w)
		}
	}
}

func TestReasonString(t *testing.T) {
	want := []string{"matched", "no_entry", "markup_too_high", "price_too_low", "price_too_high", "cannot_join"}
	for r := range Reason(NumReasons) {
		if got := r.String(); got != want[r] {
			t.Errorf("Reason(%d).String() = %q, want %q", r, got, want[r])
		}
	}
	if got := Reason(NumReasons).String(); got != "reason(6)" {
		t.Errorf("out of range: %q", got)
	}
}
