package whitelist

import (
	"strings"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/fakeroll"
	"github.com/rollsniper/rollsniper/messages"
)

// fromFake reduces a fake feed's trade to what the parser would make of it:
// the first item's market name, the wear from itemVariant.color, StatTrak and
// Souvenir from the name's prefix, the float, and the first item's stickers.
func fromFake(ft fakeroll.Trade) messages.Trade {
	it := ft.TradeItems[0]
	wear, _ := messages.ParseWear(it.ItemVariant.Color)
	var stickers []messages.Sticker
	for _, s := range it.Stickers {
		stickers = append(stickers, messages.Sticker{Name: s.Name, Wear: deref(s.Wear), HasWear: s.Wear != nil})
	}
	return messages.Trade{
		ID:            ft.ID,
		Status:        ft.Status,
		MarkupPercent: ft.MarkupPercent,
		TotalValue:    ft.TotalValue,
		CanJoin:       ft.CanJoin,
		MarketName:    it.MarketName,
		Wear:          wear,
		StatTrak:      strings.HasPrefix(it.MarketName, "StatTrak™ ") || strings.HasPrefix(it.MarketName, "★ StatTrak™ "),
		Souvenir:      strings.HasPrefix(it.MarketName, "Souvenir "),
		Items:         len(ft.TradeItems),

		AvgPaintWear:         deref(ft.AvgPaintWear),
		HasAvgPaintWear:      ft.AvgPaintWear != nil,
		PatternPercentage:    deref(it.PatternPercentage),
		HasPatternPercentage: it.PatternPercentage != nil,
		Stickers:             messages.StickersOf(stickers...),
	}
}

func deref(v *float64) float64 {
	if v == nil {
		return 0
	}
	return *v
}

// TestDemoMatchesSomeFakeTrades proves the demo whitelist shows a match within
// a minute of the demo feed (about a trade a second), whatever its seed, and
// that it does not match everything.
func TestDemoMatchesSomeFakeTrades(t *testing.T) {
	l := Demo()
	now := time.Date(2026, 11, 28, 18, 0, 0, 0, time.UTC)
	total, totalMatched := 0, 0
	for seed := range uint64(50) {
		g := fakeroll.NewGenerator(seed)
		matched := 0
		for i := range 60 {
			tr := fromFake(g.Next(now.Add(time.Duration(i) * time.Second)))
			if _, r := l.Match(&tr); r == Matched {
				matched++
			}
		}
		if matched == 0 || matched == 60 {
			t.Errorf("seed %d: %d of 60 trades matched, want at least one and not all", seed, matched)
		}
		total += 60
		totalMatched += matched
	}
	if share := float64(totalMatched) / float64(total); share > 0.3 {
		t.Errorf("%.0f%% of the demo's trades match; a whitelist should let most pass by", share*100)
	}
	t.Logf("%d of %d trades matched", totalMatched, total)
}

// TestDemoRejectsForEveryReason shows the demo exercises every reason, so the
// counters a demo run shows are not all zero but one.
func TestDemoRejectsForEveryReason(t *testing.T) {
	l := Demo()
	if w := l.Warnings(); len(w) > 0 {
		t.Errorf("the demo whitelist has warnings: %v", w)
	}
	g := fakeroll.NewGenerator(1)
	var seen [NumReasons]int
	now := time.Date(2026, 11, 28, 18, 0, 0, 0, time.UTC)
	for i := range 5000 {
		tr := fromFake(g.Next(now.Add(time.Duration(i) * time.Second)))
		_, r := l.Match(&tr)
		seen[r]++
	}
	for r, n := range seen {
		if n == 0 {
			t.Errorf("no trade in 5000 was %v", Reason(r))
		}
	}
}
