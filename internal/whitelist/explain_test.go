package whitelist

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rollsniper/rollsniper/messages"
)

// misses describes m as reason(value vs limit) items.
func misses(m Misses) string {
	s := ""
	for i := range m.Len() {
		x := m.At(i)
		s += fmt.Sprintf("%v(%v vs %v) ", x.Reason, x.Value, x.Limit)
	}
	return s
}

func TestExplainListsEveryFailedBound(t *testing.T) {
	l := mustParse(t, matchList)
	notJoinable := func(tr messages.Trade) messages.Trade { tr.CanJoin = false; return tr }
	for _, tt := range []struct {
		name  string
		entry int
		trade messages.Trade
		want  string
	}{
		{"matched", 0, trade("AK-47 | Redline (Field-Tested)", 5, 30), ""},
		{"markup only: a near miss", 0, trade("AK-47 | Redline (Field-Tested)", 9.5, 30), "markup_too_high(9.5 vs 8) "},
		{"markup and price", 0, trade("AK-47 | Redline (Field-Tested)", 9.5, 41), "markup_too_high(9.5 vs 8) price_too_high(41 vs 40) "},
		{"markup, price and can-join", 0, notJoinable(trade("AK-47 | Redline (Field-Tested)", 9.5, 41)), "markup_too_high(9.5 vs 8) price_too_high(41 vs 40) cannot_join(0 vs 0) "},
		{"price too low", 3, trade("Souvenir AWP | Dragon Lore (Field-Tested)", 5, 8000), "price_too_low(8000 vs 9000) "},
		{"NaN price fails the lower bound", 0, trade("AK-47 | Redline (Field-Tested)", 5, math.NaN()), "price_too_low(NaN vs 0) "},
		{"phase, then markup", 10, trade("★ Bayonet | Doppler Phase 2 (Factory New)", 50, 1000),
			fmt.Sprintf("wrong_phase(%d vs 0) markup_too_high(50 vs 12) ", messages.Phase2)},
		{"float too high and markup", 12, withFloat(trade("AK-47 | Case Hardened (Minimal Wear)", 50, 100), 0.2), "float_too_high(0.2 vs 0.1) markup_too_high(50 vs 12) "},
		{"float too low", 12, withFloat(trade("AK-47 | Case Hardened (Factory New)", 5, 100), 0.01), "float_too_low(0.01 vs 0.05) "},
		{"no float", 12, trade("AK-47 | Case Hardened (Minimal Wear)", 5, 100), "float_unknown(0 vs 0) "},
		{"stickers: too few and none wanted", 13, withStickers(trade("AWP | Atheris (Field-Tested)", 5, 10), "x"), "too_few_stickers(1 vs 2) no_wanted_sticker(0 vs 0) "},
	} {
		m := l.Explain(tt.entry, &tt.trade)
		if got := misses(m); got != tt.want {
			t.Errorf("%s: Explain = %s, want %s", tt.name, got, tt.want)
		}
	}
}

// TestExplainAgreesWithMatch draws random trades of every entry's items and
// checks that Explain's first miss is Match's reason, and that it has none
// when Match matched.
func TestExplainAgreesWithMatch(t *testing.T) {
	l := mustParse(t, matchList)
	names := []string{
		"AK-47 | Redline (Field-Tested)", "StatTrak™ AK-47 | Redline (Field-Tested)", "★ Karambit | Doppler Ruby (Factory New)",
		"★ Karambit | Doppler Phase 2 (Minimal Wear)", "Souvenir AWP | Dragon Lore (Battle-Scarred)", "Sticker | Crown (Foil)",
		"★ Karambit", "StatTrak™ M4A1-S | Printstream (Battle-Scarred)", "StatTrak™ AWP | Asiimov (Well-Worn)",
		"★ StatTrak™ Bowie Knife | Gamma Doppler Phase 1 (Factory New)", "★ StatTrak™ Bowie Knife | Gamma Doppler Emerald (Factory New)",
		"★ Bayonet | Doppler Ruby (Factory New)", "★ Bayonet | Doppler Phase 3 (Minimal Wear)", "★ Bayonet | Doppler Black Pearl (Field-Tested)",
		"AK-47 | Case Hardened (Minimal Wear)", "AWP | Atheris (Field-Tested)", "USP-S | Kill Confirmed (Field-Tested)",
	}
	stickers := []string{"Crown (Foil)", "Titan (Holo) | Katowice 2014", "Spirit | 2020 RMR", "x"}
	rng := rand.New(rand.NewPCG(1, 2))
	counts := map[Reason]int{}
	for range 20000 {
		tr := trade(names[rng.IntN(len(names))], rng.Float64()*30, rng.Float64()*12000)
		if rng.IntN(4) == 0 {
			tr.CanJoin = false
		}
		if rng.IntN(3) > 0 {
			tr = withFloat(tr, rng.Float64()*0.3)
		}
		if rng.IntN(10) == 0 {
			tr.Items = 2
		}
		var st []string
		for range rng.IntN(5) {
			st = append(st, stickers[rng.IntN(len(stickers))])
		}
		tr = withStickers(tr, st...)
		i, reason := l.Match(&tr)
		counts[reason]++
		if reason == NoEntry {
			continue
		}
		m := l.Explain(i, &tr)
		switch {
		case reason == Matched && m.Len() != 0:
			t.Fatalf("%q matched entry %d, but Explain says %s", tr.MarketName, i, misses(m))
		case reason != Matched && (m.Len() == 0 || m.At(0).Reason != reason):
			t.Fatalf("%q: Match says %v for entry %d, Explain says %s", tr.MarketName, reason, i, misses(m))
		}
	}
	for r := Matched; r < NumReasons; r++ {
		if r != NoEntry && counts[r] == 0 {
			t.Errorf("no random trade gave %v: the test does not cover it", r)
		}
	}
}

func TestExplainDoesNotAllocate(t *testing.T) {
	l := mustParse(t, matchList)
	for _, c := range []struct {
		entry int
		tr    messages.Trade
	}{
		{0, trade("AK-47 | Redline (Field-Tested)", 9, 50)},
		{10, trade("★ Bayonet | Doppler Phase 2 (Factory New)", 50, 1000)},
		{13, withStickers(trade("AWP | Atheris (Field-Tested)", 5, 10), "Spirit | 2020 RMR", "Crown (Holo)")},
		{12, withFloat(trade("AK-47 | Case Hardened (Minimal Wear)", 5, 100), 0.2)},
	} {
		if got := testing.AllocsPerRun(100, func() { l.Explain(c.entry, &c.tr) }); got != 0 {
			t.Errorf("Explain(%q) allocates %v times a run, want 0", c.tr.MarketName, got)
		}
	}
}

func TestSameItem(t *testing.T) {
	l := mustParse(t, matchList)
	for _, tt := range []struct {
		entry int
		name  string
		want  bool
	}{
		{0, "AK-47 | Redline (Minimal Wear)", true},
		{0, "StatTrak™ AK-47 | Redline (Battle-Scarred)", true},
		{0, "ak-47 |  redline", true},
		{0, "AK-47 | Vulcan (Field-Tested)", false},
		{10, "★ Bayonet | Doppler Emerald (Factory New)", true},
		{5, "★ Karambit", true},
		{5, "★ Karambit | Fade (Factory New)", false},
	} {
		e := l.Entry(tt.entry)
		if got := e.SameItem(tt.name); got != tt.want {
			t.Errorf("entry %d (%s).SameItem(%q) = %t, want %t", tt.entry, e.Name, tt.name, got, tt.want)
		}
	}
}
