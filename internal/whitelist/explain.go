package whitelist

import "github.com/rollsniper/rollsniper/messages"

// A Miss is one condition of an entry that a trade fails: which, the trade's
// value and the entry's limit, so that a trader sees by how much.
type Miss struct {
	// Reason names the condition, as Match would: WrongPhase,
	// FloatUnknown, FloatTooLow, FloatTooHigh, TooFewStickers,
	// NoWantedSticker, MarkupTooHigh, PriceTooLow, PriceTooHigh or
	// CannotJoin.
	Reason Reason
	// Value is the trade's: its float (FloatTooLow, FloatTooHigh), its
	// number of stickers (TooFewStickers), its markup (MarkupTooHigh), its
	// price (PriceTooLow, PriceTooHigh); its phase, as a messages.Phase
	// (WrongPhase); 0 for the others.
	Value float64
	// Limit is the entry's bound that Value fails: min_float, max_float,
	// min_stickers, max_markup, min_price or max_price; 0 for the others.
	Limit float64
}

// Misses are the conditions a trade fails, in the order of the Reason
// constants, which is the order Match checks them in. It is a value, so that
// Explain allocates nothing.
type Misses struct {
	n    int
	list [NumReasons]Miss
}

// Len returns how many conditions were failed.
func (m *Misses) Len() int { return m.n }

// At returns miss i, from 0 to Len() − 1.
func (m *Misses) At(i int) Miss { return m.list[i] }

func (m *Misses) add(r Reason, value, limit float64) {
	m.list[m.n] = Miss{Reason: r, Value: value, Limit: limit}
	m.n++
}

// Explain checks t against entry i, the one Match named for it, and returns
// every condition t fails, where Match returns the first only: a trade that
// fails exactly one is a near miss, which that one bound, moved by the
// trade's distance from it, would have let through. It checks the conditions
// after the item itself (the name, wear, StatTrak and Souvenir, which Match's
// lookup settled): the phase, the float, the stickers, the markup, the price
// and whether the trade can be joined. For the entry and a trade Match named
// it for, the first miss is Match's reason, and there is none when Match
// matched. Explain does not allocate. It panics if i is not an entry.
func (l *List) Explain(i int, t *messages.Trade) Misses {
	var m Misses
	e := &l.entries[i]
	if e.Phases != 0 {
		if p := split(t.MarketName).phase; !e.Phases.Has(p) {
			m.add(WrongPhase, float64(p), 0)
		}
	}
	if e.MinFloat > 0 || e.MaxFloat < 1 {
		switch {
		case !t.HasAvgPaintWear || t.Items > 1:
			m.add(FloatUnknown, 0, 0)
		case !(t.AvgPaintWear >= e.MinFloat):
			m.add(FloatTooLow, t.AvgPaintWear, e.MinFloat)
		case !(t.AvgPaintWear <= e.MaxFloat):
			m.add(FloatTooHigh, t.AvgPaintWear, e.MaxFloat)
		}
	}
	if n := t.Stickers.Len(); n < e.MinStickers {
		m.add(TooFewStickers, float64(n), float64(e.MinStickers))
	}
	if len(e.stickerKeys) > 0 && !e.hasWantedSticker(&t.Stickers) {
		m.add(NoWantedSticker, 0, 0)
	}
	if !(t.MarkupPercent <= e.MaxMarkup) {
		m.add(MarkupTooHigh, t.MarkupPercent, e.MaxMarkup)
	}
	if !(t.TotalValue >= e.MinPrice) {
		m.add(PriceTooLow, t.TotalValue, e.MinPrice)
	} else if !(t.TotalValue <= e.MaxPrice) {
		m.add(PriceTooHigh, t.TotalValue, e.MaxPrice)
	}
	if e.JoinableOnly && !t.CanJoin {
		m.add(CannotJoin, 0, 0)
	}
	return m
}

// SameItem reports whether marketName names the entry's item in any wear,
// StatTrak or not, Souvenir or not, in any phase: to tell an entry whose
// variant never showed from one whose name never did (a misspelling, or a
// rare item).
func (e *Entry) SameItem(marketName string) bool {
	var a, b [keyCap]byte
	ka, ok := appendFold(a[:0], split(e.Name).base)
	kb, ok2 := appendFold(b[:0], split(marketName).base)
	return ok && ok2 && string(ka) == string(kb)
}
