package whitelist

import (
	"math"
	"strings"
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
    {"name": "M4A4 | 龍王 (Dragon King)", "wear": "MW"},
    {"name": "★ Bayonet | Doppler", "phase": ["Ruby", "Sapphire"]},
    {"name": "★ Bayonet | Doppler Black Pearl"},
    {"name": "AK-47 | Case Hardened", "min_float": 0.05, "max_float": 0.1},
    {"name": "AWP | Atheris", "min_stickers": 2, "any_sticker": ["Crown (Foil)", "Sticker | Titan (Holo) | Katowice 2014"]},
    {"name": "USP-S | Kill Confirmed", "any_sticker": "crown (foil)", "max_float": 0.2}
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

// withFloat returns tr with float f, as the feed's avgPaintWear.
func withFloat(tr messages.Trade, f float64) messages.Trade {
	tr.AvgPaintWear, tr.HasAvgPaintWear = f, true
	return tr
}

// withStickers returns tr with stickers of the given names.
func withStickers(tr messages.Trade, names ...string) messages.Trade {
	var st []messages.Sticker
	for _, n := range names {
		st = append(st, messages.Sticker{Name: n})
	}
	tr.Stickers = messages.StickersOf(st...)
	return tr
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

		// Doppler phases, as CSGORoll writes them into the name.
		{"entry without a phase, any phase", trade("★ Karambit | Doppler Phase 3 (Factory New)", 5, 1000), 2, Matched},
		{"entry without a phase, a gem", trade("★ Karambit | Doppler Black Pearl (Minimal Wear)", 5, 1000), 2, Matched},
		{"entry's phase", trade("★ Bayonet | Doppler Ruby (Factory New)", 5, 1000), 10, Matched},
		{"entry's other phase", trade("★ Bayonet | Doppler Sapphire (Minimal Wear)", 5, 1000), 10, Matched},
		{"another entry's phase", trade("★ Bayonet | Doppler Black Pearl (Factory New)", 5, 1000), 11, Matched},
		{"a phase no entry wants", trade("★ Bayonet | Doppler Phase 2 (Factory New)", 5, 1000), 10, WrongPhase},
		{"no phase in the name", trade("★ Bayonet | Doppler (Factory New)", 5, 1000), 10, WrongPhase},
		{"phase from the entry's name", trade("★ StatTrak™ Bowie Knife | Gamma Doppler Emerald (Factory New)", 3, 900), 8, WrongPhase},
		{"wrong phase of a wear no entry has", trade("★ Bowie Knife | Gamma Doppler Emerald (Minimal Wear)", 3, 900), -1, NoEntry},
		{"phase is checked before markup", trade("★ Bayonet | Doppler Phase 2 (Factory New)", 50, 1000), 10, WrongPhase},

		// Float bounds: both inclusive.
		{"float at min_float", withFloat(trade("AK-47 | Case Hardened (Factory New)", 5, 100), 0.05), 12, Matched},
		{"float at max_float", withFloat(trade("AK-47 | Case Hardened (Minimal Wear)", 5, 100), 0.1), 12, Matched},
		{"float below min_float", withFloat(trade("AK-47 | Case Hardened (Factory New)", 5, 100), 0.0499), 12, FloatTooLow},
		{"float above max_float", withFloat(trade("AK-47 | Case Hardened (Minimal Wear)", 5, 100), 0.1001), 12, FloatTooHigh},
		{"no float", trade("AK-47 | Case Hardened (Minimal Wear)", 5, 100), 12, FloatUnknown},
		{"NaN float", withFloat(trade("AK-47 | Case Hardened (Minimal Wear)", 5, 100), math.NaN()), 12, FloatTooLow},
		{"several items: the float is an average", func() messages.Trade {
			tr := withFloat(trade("AK-47 | Case Hardened (Minimal Wear)", 5, 100), 0.08)
			tr.Items = 2
			return tr
		}(), 12, FloatUnknown},
		{"float is checked before markup", withFloat(trade("AK-47 | Case Hardened (Minimal Wear)", 50, 100), 0.2), 12, FloatTooHigh},
		{"no float bounds, no float", trade("AK-47 | Redline (Field-Tested)", 5, 30), 0, Matched},

		// Stickers.
		{"enough stickers, one wanted", withStickers(trade("AWP | Atheris (Field-Tested)", 5, 10), "Spirit | 2020 RMR", "Crown (Foil)"), 13, Matched},
		{"the wanted sticker written with its prefix", withStickers(trade("AWP | Atheris (Field-Tested)", 5, 10), "Titan (Holo) | Katowice 2014", "Titan (Holo) | Katowice 2014"), 13, Matched},
		{"a wanted sticker in another case", withStickers(trade("AWP | Atheris (Field-Tested)", 5, 10), "CROWN (FOIL)", "x"), 13, Matched},
		{"one sticker too few", withStickers(trade("AWP | Atheris (Field-Tested)", 5, 10), "Crown (Foil)"), 13, TooFewStickers},
		{"no sticker", trade("AWP | Atheris (Field-Tested)", 5, 10), 13, TooFewStickers},
		{"enough stickers, none wanted", withStickers(trade("AWP | Atheris (Field-Tested)", 5, 10), "Spirit | 2020 RMR", "Crown (Holo)", "Titan | Katowice 2014"), 13, NoWantedSticker},
		{"the wanted sticker, float too high", withFloat(withStickers(trade("USP-S | Kill Confirmed (Field-Tested)", 5, 10), "Crown (Foil)"), 0.21), 14, FloatTooHigh},
		{"the wanted sticker, float at the bound", withFloat(withStickers(trade("USP-S | Kill Confirmed (Field-Tested)", 5, 10), "Crown (Foil)"), 0.2), 14, Matched},
		{"float right, no wanted sticker", withFloat(trade("USP-S | Kill Confirmed (Field-Tested)", 5, 10), 0.2), 14, NoWantedSticker},
		{"stickers are checked before markup", withStickers(trade("AWP | Atheris (Field-Tested)", 50, 10)), 13, TooFewStickers},
		{"stickers on an entry without conditions", withStickers(trade("AK-47 | Redline (Field-Tested)", 5, 30), "Crown (Foil)"), 0, Matched},

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

func TestFoldEqual(t *testing.T) {
	tests := []struct {
		s, key string
		want   bool
	}{
		{"Crown (Foil)", "crown(foil)", true},
		{" CROWN\t(foil) ", "crown(foil)", true},
		{"Crown (Foil)", "crown(foil)x", false},
		{"Crown (Foil)x", "crown(foil)", false},
		{"Crown (Holo)", "crown(foil)", false},
		{"龍王\u00a0Ünï", "龍王ünï", true},
		{"龍王", "龍玉", false},
		{"\xff", "\uFFFD", true},
		{"", "", true},
		{" ", "", true},
		{"", "a", false},
	}
	for _, tt := range tests {
		if got := foldEqual(tt.s, tt.key); got != tt.want {
			t.Errorf("foldEqual(%q, %q) = %v, want %v", tt.s, tt.key, got, tt.want)
		}
	}
}

func TestCutStickerPrefix(t *testing.T) {
	for in, want := range map[string]string{
		"Sticker | Crown (Foil)":       " Crown (Foil)",
		" sticker|Crown (Foil)":        "Crown (Foil)",
		"Crown (Foil)":                 "Crown (Foil)",
		"Stickers | Crown (Foil)":      "Stickers | Crown (Foil)",
		"Sticker Crown":                "Sticker Crown",
		"Titan (Holo) | Katowice 2014": "Titan (Holo) | Katowice 2014",
	} {
		if got := cutStickerPrefix(in); got != want {
			t.Errorf("cutStickerPrefix(%q) = %q, want %q", in, got, want)
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
		trade("★ Bayonet | Doppler Ruby (Factory New)", 5, 1000),
		trade("★ Bayonet | Doppler Phase 2 (Factory New)", 5, 1000),
		trade("★ Karambit | Doppler Phase 3 (Factory New)", 5, 1000),
		withFloat(trade("AK-47 | Case Hardened (Minimal Wear)", 5, 100), 0.08),
		withFloat(trade("AK-47 | Case Hardened (Minimal Wear)", 5, 100), 0.2),
		withStickers(trade("AWP | Atheris (Field-Tested)", 5, 10), "Spirit | 2020 RMR", "Crown (Foil)"),
		withStickers(trade("AWP | Atheris (Field-Tested)", 5, 10), "Spirit | 2020 RMR", "Crown (Holo)", "Titan | Katowice 2014", "FaZe Clan | Paris 2023"),
		withStickers(trade("AWP | Atheris (Field-Tested)", 5, 10), strings.Repeat("long ", 100), "Sticker | Crown (Foil)"),
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
		"#3 AWP | Dragon Lore, any wear, Souvenir, any markup, price 9000 or more",
		"#4 Sticker | Crown (Foil), any wear, max markup 12%, price 0-5000, joinable or not",
		"#5 ★ Karambit, no wear, max markup 12%, price 0-5000",
		"#6 M4A1-S | Printstream, Battle-Scarred, StatTrak or not, max markup 12%, price 0-5000",
		"#7 AWP | Asiimov, Field-Tested or Well-Worn, StatTrak, max markup 12%, price 0-5000",
		"#8 ★ Bowie Knife | Gamma Doppler, Factory New, Phase 1, StatTrak, max markup 12%, price 0-5000",
		"#9 M4A4 | 龍王 (Dragon King), Minimal Wear, max markup 12%, price 0-5000",
		"#10 ★ Bayonet | Doppler, any wear, Ruby or Sapphire, max markup 12%, price 0-5000",
		"#11 ★ Bayonet | Doppler, any wear, Black Pearl, max markup 12%, price 0-5000",
		"#12 AK-47 | Case Hardened, any wear, float 0.05-0.1, max markup 12%, price 0-5000",
		"#13 AWP | Atheris, any wear, 2+ stickers, a sticker Crown (Foil) or Titan (Holo) | Katowice 2014, max markup 12%, price 0-5000",
		"#14 USP-S | Kill Confirmed, any wear, float up to 0.2, a sticker crown (foil), max markup 12%, price 0-5000",
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
	want := []string{"matched", "no_entry", "wrong_phase", "float_unknown", "float_too_low", "float_too_high",
		"too_few_stickers", "no_wanted_sticker", "markup_too_high", "price_too_low", "price_too_high", "cannot_join"}
	if NumReasons != len(want) {
		t.Fatalf("NumReasons = %d, want %d", NumReasons, len(want))
	}
	for r := range Reason(NumReasons) {
		if got := r.String(); got != want[r] {
			t.Errorf("Reason(%d).String() = %q, want %q", r, got, want[r])
		}
	}
	if got := Reason(NumReasons).String(); got != "reason(12)" {
		t.Errorf("out of range: %q", got)
	}
}
