package whitelist

import (
	"crypto/sha256"
	"math"
	"strconv"
	"strings"

	"github.com/rollsniper/rollsniper/messages"
)

// List is a loaded whitelist: its entries and the index that finds the entry a
// trade belongs to. A List never changes once built, so any number of
// goroutines may use it at once; a reload builds a new one.
type List struct {
	entries []Entry
	// index maps the key of every (name, wear, StatTrak, Souvenir) an entry
	// accepts to the entry's position in entries.
	index map[string]int32
	// sum is the SHA-256 of the file the list was parsed from.
	sum [sha256.Size]byte
	// warnings are what was found but does not stop the list from working.
	warnings []Problem
	// markers is how many of index's keys are phase markers.
	markers int
}

// Warnings returns what Parse found worth saying about a valid file, such as
// names it could not check, in the order of the file.
func (l *List) Warnings() []Problem { return l.warnings }

// Sum returns the SHA-256 of the file contents the list was parsed from, so a
// reloader can tell a file whose contents changed from one merely touched.
func (l *List) Sum() [sha256.Size]byte { return l.sum }

// Len returns how many entries the list has.
func (l *List) Len() int { return len(l.entries) }

// Entry returns entry i, counted from 0 in the order of the file's items. It
// panics if i is not in [0, Len()).
func (l *List) Entry(i int) Entry { return l.entries[i] }

// Keys returns how many (name, wear, StatTrak, Souvenir) combinations the list
// accepts: the size of its index.
func (l *List) Keys() int { return len(l.index) - l.markers }

// Reason says why Match rejected a trade, or that it matched. The reasons are a
// small fixed set whose names are fit for a metric label.
type Reason uint8

// The reasons, in the order Match checks them: first that the trade is the
// item the entry wants (name, wear, StatTrak, Souvenir, phase, float,
// stickers), then that the deal is (markup, price, can-join).
const (
	// Matched: the trade matched an entry.
	Matched Reason = iota
	// NoEntry: no entry names the trade's item in its wear, StatTrak and
	// Souvenir.
	NoEntry
	// WrongPhase: an entry names the item but wants other Doppler phases,
	// or the trade's name carries no phase.
	WrongPhase
	// FloatUnknown: the entry bounds the float, and the trade has none, or
	// holds several items, whose float the feed only gives averaged.
	FloatUnknown
	// FloatTooLow: the float is below the entry's min_float.
	FloatTooLow
	// FloatTooHigh: the float is above the entry's max_float.
	FloatTooHigh
	// TooFewStickers: the item has fewer stickers than the entry's
	// min_stickers.
	TooFewStickers
	// NoWantedSticker: none of the item's stickers is among the entry's
	// any_sticker.
	NoWantedSticker
	// MarkupTooHigh: the markup is above the entry's max_markup.
	MarkupTooHigh
	// PriceTooLow: the price is below the entry's min_price.
	PriceTooLow
	// PriceTooHigh: the price is above the entry's max_price.
	PriceTooHigh
	// CannotJoin: the entry is joinable_only and the trade cannot be joined yet.
	CannotJoin

	// NumReasons is the number of reasons, for arrays indexed by Reason.
	NumReasons = iota
)

var reasonNames = [NumReasons]string{"matched", "no_entry", "wrong_phase", "float_unknown", "float_too_low", "float_too_high",
	"too_few_stickers", "no_wanted_sticker", "markup_too_high", "price_too_low", "price_too_high", "cannot_join"}

// String returns the reason's label: "matched", "no_entry", "wrong_phase",
// "float_unknown", "float_too_low", "float_too_high", "too_few_stickers",
// "no_wanted_sticker", "markup_too_high", "price_too_low", "price_too_high"
// or "cannot_join".
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// Match finds the entry t belongs to and checks t against it. It returns the
// entry's index and Matched, or the reason t was rejected: NoEntry (with entry
// -1) when no entry names t's item in t's wear, StatTrak and Souvenir, or the
// first condition t fails (with that entry's index) in the order of the
// Reason constants. A float, markup or price that is NaN fails its lower
// bound. A rejection names one bound, so the entry's field it names and the
// trade's value tell by how much t missed.
//
// Match neither allocates nor does I/O: it folds t's market name into a key on
// the stack and looks the key up in the index built at load.
func (l *List) Match(t *messages.Trade) (entry int, reason Reason) {
	var buf [keyCap]byte
	n := split(t.MarketName)
	flags := phaseFlags(n.phase)
	if t.StatTrak {
		flags |= flagStatTrak
	}
	if t.Souvenir {
		flags |= flagSouvenir
	}
	key, ok := appendKey(buf[:0], n.base, wearIndex(t.Wear), flags)
	if !ok {
		return -1, NoEntry
	}
	i, ok := l.index[string(key)]
	if !ok {
		if !n.doppler {
			return -1, NoEntry
		}
		// The entry for this Doppler, if any, wants other phases.
		key[1] = flags&^phaseMask | phaseMarker<<phaseShift
		if i, ok = l.index[string(key)]; !ok {
			return -1, NoEntry
		}
		return int(i), WrongPhase
	}
	e := &l.entries[i]
	if r := e.checkItem(t); r != Matched {
		return int(i), r
	}
	switch {
	case !(t.MarkupPercent <= e.MaxMarkup):
		return int(i), MarkupTooHigh
	case !(t.TotalValue >= e.MinPrice):
		return int(i), PriceTooLow
	case !(t.TotalValue <= e.MaxPrice):
		return int(i), PriceTooHigh
	case e.JoinableOnly && !t.CanJoin:
		return int(i), CannotJoin
	}
	return int(i), Matched
}

// checkItem checks t's float and stickers against the entry.
func (e *Entry) checkItem(t *messages.Trade) Reason {
	if e.MinFloat > 0 || e.MaxFloat < 1 {
		switch {
		case !t.HasAvgPaintWear || t.Items > 1:
			return FloatUnknown
		case !(t.AvgPaintWear >= e.MinFloat):
			return FloatTooLow
		case !(t.AvgPaintWear <= e.MaxFloat):
			return FloatTooHigh
		}
	}
	if t.Stickers.Len() < e.MinStickers {
		return TooFewStickers
	}
	if len(e.stickerKeys) > 0 && !e.hasWantedSticker(&t.Stickers) {
		return NoWantedSticker
	}
	return Matched
}

// hasWantedSticker reports whether one of stickers is among the entry's
// any_sticker. The feed names stickers without a "Sticker | " prefix; one is
// cut all the same.
func (e *Entry) hasWantedSticker(stickers *messages.Stickers) bool {
	for i := range stickers.Len() {
		name := cutStickerPrefix(stickers.At(i).Name)
		for _, k := range e.stickerKeys {
			if foldEqual(name, k) {
				return true
			}
		}
	}
	return false
}

// PhaseSet is the set of Doppler phases an entry accepts: bit p for
// messages.Phase p. The empty set accepts any phase, and items without one.
type PhaseSet uint16

// Has reports whether s accepts p.
func (s PhaseSet) Has(p messages.Phase) bool { return s == 0 || s&(1<<p) != 0 }

// String names the set: "any phase", "Ruby", "Phase 1 or Phase 2".
func (s PhaseSet) String() string {
	if s == 0 {
		return "any phase"
	}
	var names []string
	for _, p := range messages.Phases {
		if s&(1<<p) != 0 {
			names = append(names, p.String())
		}
	}
	return orList(names)
}

// orList joins names as "a", "a or b", "a, b or c".
func orList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Flag is an entry's choice for StatTrak or Souvenir.
type Flag uint8

// The choices.
const (
	No  Flag = iota // only items without it
	Yes             // only items with it
	Any             // both
)

// String returns "no", "yes" or "any".
func (f Flag) String() string {
	switch f {
	case No:
		return "no"
	case Yes:
		return "yes"
	}
	return "any"
}

// WearSet is the set of wear tiers an entry accepts. Bit 0 is WearNone (items
// that have no wear: stickers, cases, agents, vanilla knives); bits 1 to 5 are
// the tiers, best first.
type WearSet uint8

// AnyWear accepts every tier and items without wear.
const AnyWear WearSet = 1<<6 - 1

// Has reports whether s accepts w.
func (s WearSet) Has(w messages.Wear) bool {
	i := wearIndex(w)
	return i < 6 && s&(1<<i) != 0
}

// String names the set the way a trader would: "any wear", "Field-Tested",
// "Factory New or Minimal Wear", "no wear".
func (s WearSet) String() string {
	if s == AnyWear {
		return "any wear"
	}
	var names []string
	if s&1 != 0 {
		names = append(names, "no wear")
	}
	for i, w := range messages.Wears {
		if s&(2<<i) != 0 {
			names = append(names, string(w))
		}
	}
	if len(names) == 0 {
		return "no tier"
	}
	return orList(names)
}

// Entry is one item of the whitelist after the file's defaults and the name's
// prefixes and wear suffix were applied: exactly what a trade must be to match.
type Entry struct {
	// Index is the entry's position in the file's items, from 0.
	Index int
	// Name is the item's name as written, white space collapsed, without the
	// StatTrak™ and Souvenir prefixes and the wear suffix (those are in Wears,
	// StatTrak and Souvenir): "AK-47 | Redline", "★ Karambit | Doppler".
	Name string
	// Wears is the set of wear tiers the entry accepts.
	Wears WearSet
	// StatTrak and Souvenir say whether the item must, must not, or may be
	// StatTrak™ or Souvenir.
	StatTrak, Souvenir Flag
	// MaxMarkup is the highest markup accepted, in percent; +Inf for no limit.
	MaxMarkup float64
	// MinPrice and MaxPrice bound the trade's total value in coins; 0 and +Inf
	// when unbounded.
	MinPrice, MaxPrice float64
	// JoinableOnly rejects trades that cannot be joined yet.
	JoinableOnly bool

	// Phases are the Doppler phases the entry accepts; 0 for any.
	Phases PhaseSet
	// MinFloat and MaxFloat bound the item's float, inclusive; 0 and 1 when
	// unbounded. A trade without a float fails a bound.
	MinFloat, MaxFloat float64
	// AnySticker are the sticker names the item must have one of, as
	// written in the file without a "Sticker | " prefix; nil for no such
	// condition.
	AnySticker []string
	// MinStickers is how many stickers the item must have at least.
	MinStickers int
	// Unchecked says that the name was not checked against the item
	// catalogue, as the file asked.
	Unchecked bool

	// stickerKeys are AnySticker folded as appendFold does.
	stickerKeys []string
	desc        string
}

// String describes the entry the way a trader would recognise it, e.g.
// "#3 AK-47 | Redline, Field-Tested, max markup 8%, price 0-40". The number is
// the entry's index in the file's items, from 0, as in validation messages.
func (e Entry) String() string {
	if e.desc == "" {
		return e.describe()
	}
	return e.desc
}

// describe builds the text String returns; Parse stores it so that a match
// does not format anything.
func (e Entry) describe() string {
	var b strings.Builder
	b.WriteString("#")
	b.WriteString(strconv.Itoa(e.Index))
	b.WriteString(" ")
	b.WriteString(e.Name)
	b.WriteString(", ")
	b.WriteString(e.Wears.String())
	if e.Phases != 0 {
		b.WriteString(", " + e.Phases.String())
	}
	for _, f := range [...]struct {
		name string
		flag Flag
	}{{"StatTrak", e.StatTrak}, {"Souvenir", e.Souvenir}} {
		switch f.flag {
		case Yes:
			b.WriteString(", " + f.name)
		case Any:
			b.WriteString(", " + f.name + " or not")
		}
	}
	switch {
	case e.MinFloat > 0 && e.MaxFloat < 1:
		b.WriteString(", float " + formatNumber(e.MinFloat) + "-" + formatNumber(e.MaxFloat))
	case e.MinFloat > 0:
		b.WriteString(", float " + formatNumber(e.MinFloat) + " or more")
	case e.MaxFloat < 1:
		b.WriteString(", float up to " + formatNumber(e.MaxFloat))
	}
	if e.MinStickers > 0 {
		b.WriteString(", " + strconv.Itoa(e.MinStickers) + "+ stickers")
	}
	if len(e.AnySticker) > 0 {
		b.WriteString(", a sticker " + orList(e.AnySticker))
	}
	if math.IsInf(e.MaxMarkup, 1) {
		b.WriteString(", any markup")
	} else {
		b.WriteString(", max markup " + formatNumber(e.MaxMarkup) + "%")
	}
	switch {
	case e.MinPrice == 0 && math.IsInf(e.MaxPrice, 1):
		b.WriteString(", any price")
	case math.IsInf(e.MaxPrice, 1):
		b.WriteString(", price " + formatNumber(e.MinPrice) + " or more")
	default:
		b.WriteString(", price " + formatNumber(e.MinPrice) + "-" + formatNumber(e.MaxPrice))
	}
	if !e.JoinableOnly {
		b.WriteString(", joinable or not")
	}
	if e.Unchecked {
		b.WriteString(", unchecked")
	}
	return b.String()
}

// formatNumber writes v as briefly as it reads back: 8, 12.5, 0.3.
func formatNumber(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}
