package fakeroll

import (
	"encoding/base64"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/rollsniper/rollsniper/messages"
)

// Generator makes trades that look and relate like the real feed's: an item
// from the catalogue in one of its wear tiers, sometimes StatTrak™ or Souvenir,
// sometimes with stickers, at a markup that is mostly 0 to 40 % with rare
// outliers in the thousands. Every item's value is its variant's reference
// value times (1 + markup/100), rounded to cents, and the total is their sum.
//
// The same seed gives the same trades for the same times. A Generator is not
// safe for concurrent use.
type Generator struct {
	rng *rand.Rand
	// The next numbers of the Relay ids it hands out.
	trade, tradeItem, asset, sticker uint64
}

// NewGenerator returns a generator seeded with seed.
func NewGenerator(seed uint64) *Generator {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return &Generator{
		rng:       rng,
		trade:     34_000_000 + rng.Uint64N(1_000_000),
		tradeItem: 35_000_000 + rng.Uint64N(1_000_000),
		asset:     42_900_000 + rng.Uint64N(1_000_000),
		sticker:   1,
	}
}

// Next returns a new LISTED trade created at now.
func (g *Generator) Next(now time.Time) Trade {
	created := now.UTC().Truncate(time.Millisecond)
	markup := g.markup()
	t := Trade{
		ID:                          relayID("Trade", next(&g.trade)),
		Status:                      "LISTED",
		SteamAppName:                "CSGO",
		MarkupPercent:               markup,
		CreatedAt:                   created,
		DepositorLastActiveAt:       created.Add(-g.millis(90 * time.Second)),
		ExpiresAt:                   created.Add(48*time.Hour - g.millis(5*time.Second)),
		CustomValue:                 g.rng.Float64() < 0.9,
		UpdatedAt:                   created,
		TrackingType:                "API_KEY_DEPOSITOR",
		SuspectedTraderCanJoinAfter: new(created.Add(time.Second + g.millis(time.Second))),
	}
	if g.rng.Float64() < 0.15 {
		t.CanJoinAfter = new(created.Add(time.Second + g.millis(45*time.Second)))
	}
	t.CanJoin = t.CanJoinAfter == nil && g.rng.Float64() >= 0.03

	n := 1
	if g.rng.Float64() < 0.03 {
		n = 2 + g.rng.IntN(2)
	}
	t.TradeItems = make([]TradeItem, 0, n)
	var wearSum float64
	var worn int
	for range n {
		it, wr := g.drawItem(t.CustomValue, markup)
		t.TradeItems = append(t.TradeItems, it)
		t.TotalValue += it.Value
		t.HasStickers = t.HasStickers || len(it.Stickers) > 0
		if wr == nil {
			continue
		}
		wearSum += *wr.wear
		worn++
		if t.AvgPaintWearRange == nil {
			t.AvgPaintWearRange = &WearRange{Min: wr.r.Min, Max: wr.r.Max}
		} else {
			t.AvgPaintWearRange.Min = min(t.AvgPaintWearRange.Min, wr.r.Min)
			t.AvgPaintWearRange.Max = max(t.AvgPaintWearRange.Max, wr.r.Max)
		}
	}
	t.TotalValue = cents(t.TotalValue)
	if worn > 0 {
		t.AvgPaintWear = new(math.Round(wearSum/float64(worn)*1000) / 1000)
	}
	return t
}

// wearOf is the wear an item was drawn with.
type wearOf struct {
	wear *float64
	r    WearRange
}

// drawItem draws one item at markup. The wear is nil for items without it.
func (g *Generator) drawItem(customValue bool, markup float64) (TradeItem, *wearOf) {
	it := &catalogue[g.rng.IntN(len(catalogue))]
	w, wi := messages.WearNone, 0
	if len(it.wears) > 0 {
		wi = g.rng.IntN(len(it.wears))
		w = it.wears[wi]
	}
	sp := plain
	switch r := g.rng.Float64(); {
	case it.prefix == statTrak && r < 0.12:
		sp = statTrak
	case it.prefix == souvenir && r < 0.25:
		sp = souvenir
	}
	market := it.marketName(w, sp)
	ref := it.value(w, sp)
	ti := TradeItem{
		ID:          relayID("TradeItem", next(&g.tradeItem)),
		MarketName:  market,
		Value:       cents(ref * (1 + markup/100)),
		CustomValue: customValue,
		ItemVariant: &ItemVariant{
			ID:           relayID("ItemVariant", it.variantID(wi, sp)),
			ItemID:       relayID("Item", it.id),
			Name:         it.name,
			Brand:        it.brand,
			IconURL:      iconURL(it.brand + " | " + it.name),
			Value:        ref,
			DisplayValue: ref,
			ExternalID:   market,
			Color:        string(w),
			Rarity:       it.rarity,
			Depositable:  true,
			Currency:     "COINS",
		},
		MarkupPercent:        markup,
		Stickers:             g.stickers(it.kind),
		SteamExternalAssetID: relayID("SteamExternalAsset", next(&g.asset)),
	}
	if it.fade {
		ti.PatternPercentage = new(float64(80 + g.rng.IntN(21)))
	}
	if w == messages.WearNone {
		return ti, nil
	}
	r := wearRange[w]
	wear := math.Round((r.Min+g.rng.Float64()*(r.Max-r.Min))*1000) / 1000
	return ti, &wearOf{wear: &wear, r: r}
}

// stickers returns the stickers applied to an item of kind k: none on most,
// one to four on about a fifth of guns. Never nil, as in the real feed.
func (g *Generator) stickers(k kind) []Sticker {
	switch k {
	case kindRifle, kindSniper, kindPistol, kindSMG:
	default:
		return []Sticker{}
	}
	if g.rng.Float64() >= 0.2 {
		return []Sticker{}
	}
	out := make([]Sticker, 1+g.rng.IntN(4))
	for i := range out {
		s := appliedStickers[g.rng.IntN(len(appliedStickers))]
		out[i] = Sticker{
			ID:       relayID("TradeItemSticker", next(&g.sticker)),
			Value:    new(s.value),
			ImageURL: iconURL("Sticker | " + s.name),
			Brand:    "Sticker",
			Name:     s.name,
			Color:    s.color,
		}
		if g.rng.Float64() < 0.4 {
			out[i].Wear = new(math.Round(g.rng.Float64()*90) / 100)
		}
	}
	return out
}

// markup draws a markup in percent: mostly 0 to 15, some 15 to 40, one in
// fifty an outlier from 100 to 50,000. Most are whole numbers.
func (g *Generator) markup() float64 {
	var m float64
	switch r := g.rng.Float64(); {
	case r < 0.02:
		m = 100 * math.Pow(500, g.rng.Float64())
	case r < 0.2:
		m = 15 + 25*g.rng.Float64()
	default:
		m = 15 * g.rng.Float64()
	}
	if g.rng.Float64() < 0.6 {
		return math.Round(m)
	}
	return cents(m)
}

// millis returns a random duration below d, in whole milliseconds.
func (g *Generator) millis(d time.Duration) time.Duration {
	return time.Duration(g.rng.Int64N(d.Milliseconds())) * time.Millisecond
}

// next returns *n and increments it.
func next(n *uint64) uint64 {
	v := *n
	*n++
	return v
}

// relayID returns the Relay id of the object typ:n, unpadded standard base64
// as the feed sends it: relayID("Trade", 32993472) is "VHJhZGU6MzI5OTM0NzI".
func relayID(typ string, n uint64) string {
	b := make([]byte, 0, len(typ)+21)
	b = append(b, typ...)
	b = append(b, ':')
	b = strconv.AppendUint(b, n, 10)
	return base64.RawStdEncoding.EncodeToString(b)
}

// cents rounds v to cents.
func cents(v float64) float64 {
	return math.Round(v*100) / 100
}
