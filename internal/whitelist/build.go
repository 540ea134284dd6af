package whitelist

import (
	"strconv"

	"github.com/rollsniper/rollsniper/messages"
)

// builder builds a List's index entry by entry and finds entries that claim
// the same key.
type builder struct {
	entries []Entry
	index   map[string]int32
	// reported holds the pairs of entries already reported as duplicates, so a
	// pair that overlaps in many keys is reported once.
	reported map[[2]int32]bool
	// markers counts the index's phase marker keys, which Keys leaves out.
	markers int
}

func newBuilder(n int) *builder {
	return &builder{entries: make([]Entry, 0, n), index: make(map[string]int32, n), reported: map[[2]int32]bool{}}
}

// add indexes e, whose name's base is base, under every key it accepts: each
// tier of its wear set, times the StatTrak and Souvenir variants it allows
// (never both at once), times, for a Doppler (doppler), each phase it
// accepts. A key another entry already claims is a duplicate, reported on p.
func (b *builder) add(e Entry, base string, doppler bool, p *parser) {
	pos := int32(len(b.entries))
	b.entries = append(b.entries, e)
	phases := []byte{0}
	if doppler {
		phases = phases[:0]
		for ph := range messages.PhaseEmerald + 1 {
			if e.Phases.Has(ph) {
				phases = append(phases, phaseFlags(ph))
			}
		}
	}
	var buf [keyCap]byte
	for wear := byte(0); wear < 6; wear++ {
		if e.Wears&(1<<wear) == 0 {
			continue
		}
		for _, flags := range [...]byte{0, flagStatTrak, flagSouvenir} {
			if !accepts(e.StatTrak, flags&flagStatTrak != 0) || !accepts(e.Souvenir, flags&flagSouvenir != 0) {
				continue
			}
			for _, ph := range phases {
				key, _ := appendKey(buf[:0], base, wear, flags|ph)
				if prev, dup := b.index[string(key)]; dup {
					b.duplicate(prev, pos, wear, flags|ph, p)
					continue
				}
				b.index[string(key)] = pos
			}
			if doppler && e.Phases != 0 {
				// The first entry to want certain phases answers for a
				// trade in another phase (see Match).
				key, _ := appendKey(buf[:0], base, wear, flags|phaseMarker<<phaseShift)
				if _, taken := b.index[string(key)]; !taken {
					b.index[string(key)] = pos
					b.markers++
				}
			}
		}
	}
}

// accepts reports whether choice f allows an item that has the property (has)
// or not.
func accepts(f Flag, has bool) bool {
	return f == Any || (f == Yes) == has
}

// duplicate reports that entries prev and cur both claim a key, once a pair.
func (b *builder) duplicate(prev, cur int32, wear, flags byte, p *parser) {
	pair := [2]int32{prev, cur}
	if b.reported[pair] {
		return
	}
	b.reported[pair] = true
	pe, ce := b.entries[prev], b.entries[cur]
	variant := "not StatTrak or Souvenir"
	switch {
	case flags&flagStatTrak != 0:
		variant = "StatTrak"
	case flags&flagSouvenir != 0:
		variant = "Souvenir"
	}
	if ph := messages.Phase(flags >> phaseShift); ph != messages.PhaseNone {
		variant = ph.String() + ", " + variant
	}
	p.add("items["+strconv.Itoa(ce.Index)+"]", "duplicate of items[%d]: both match %s, %s, %s: remove one, or narrow their wear, stattrak, souvenir or phase so they do not overlap",
		pe.Index, ce.Name, (WearSet(1) << wear).String(), variant)
}

// list returns the finished List.
func (b *builder) list() *List {
	return &List{entries: b.entries, index: b.index, markers: b.markers}
}
