package messages

import (
	"math"
	"strings"
)

// MaxStickers is the most stickers a weapon takes, and the most a Stickers
// holds.
const MaxStickers = 5

// Sticker is one sticker applied to an item.
type Sticker struct {
	// Name is the sticker's name as the feed gives it, without a "Sticker | "
	// prefix: "Spirit | 2020 RMR", "Crown (Foil)".
	Name string
	// Wear is how scraped the sticker is, from 0 (as applied) to 1.
	// HasWear is false when the feed left it out or sent null.
	Wear    float64
	HasWear bool
}

// Stickers are the stickers of an item, at most MaxStickers, in order. It is
// a comparable value that holds its names as one string: two Stickers are ==
// when their names and wears are. The zero value has none.
//
// A decoder that has the names one after the other in a string (a part of the
// trade's text, say) builds it with MakeStickers without allocating; reading
// it with Len and At does not allocate either.
type Stickers struct {
	// names are the names one after the other; name i ends at ends[i].
	names string
	ends  [MaxStickers]uint16
	// wears are the wears, 0 where the feed sent none; bit i of hasWear says
	// it sent wear i. (Not NaN: NaN != NaN would make == fail.)
	wears   [MaxStickers]float64
	hasWear uint8
	n       uint8
}

// MakeStickers returns the stickers whose names, in order, make up names,
// name i ending at byte ends[i], with wears[i] its wear or NaN when the feed
// sent none. It keeps the first MaxStickers, and stops early at an end that
// is below the previous one or past names (or past 65535 bytes), which a
// caller's bug would make. It does not allocate.
func MakeStickers(names string, ends []int, wears []float64) Stickers {
	var s Stickers
	prev := 0
	for i := 0; i < len(ends) && i < len(wears) && i < MaxStickers; i++ {
		if ends[i] < prev || ends[i] > len(names) || ends[i] > math.MaxUint16 {
			break
		}
		s.ends[i], prev = uint16(ends[i]), ends[i]
		if !math.IsNaN(wears[i]) {
			s.wears[i] = wears[i]
			s.hasWear |= 1 << i
		}
		s.n++
	}
	s.names = names[:prev]
	return s
}

// StickersOf returns the stickers given, the first MaxStickers of them. It
// allocates the names' string: a decoder uses MakeStickers.
func StickersOf(stickers ...Sticker) Stickers {
	var b strings.Builder
	var ends [MaxStickers]int
	var wears [MaxStickers]float64
	n := min(len(stickers), MaxStickers)
	for i, st := range stickers[:n] {
		b.WriteString(st.Name)
		ends[i], wears[i] = b.Len(), st.Wear
		if !st.HasWear {
			wears[i] = math.NaN()
		}
	}
	return MakeStickers(b.String(), ends[:n], wears[:n])
}

// Len returns how many stickers there are.
func (s *Stickers) Len() int { return int(s.n) }

// At returns sticker i, counted from 0; it panics if i is not in [0, Len()).
func (s *Stickers) At(i int) Sticker {
	if i < 0 || i >= int(s.n) {
		panic("messages: sticker index out of range")
	}
	from := 0
	if i > 0 {
		from = int(s.ends[i-1])
	}
	return Sticker{Name: s.names[from:s.ends[i]], Wear: s.wears[i], HasWear: s.hasWear&(1<<i) != 0}
}
