package whitelist

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rollsniper/rollsniper/messages"
)

// keyCap is the size of the stack buffer a key is built in: two bytes of wear
// and flags, then the folded name. A name that does not fit names no entry.
const keyCap = 256

// maxNameBytes is the longest folded name that always fits in a key.
const maxNameBytes = keyCap - 2 - utf8.UTFMax

// Bits of a key's flags byte: StatTrak, Souvenir, then four bits of Doppler
// phase (a messages.Phase, or phaseMarker).
const (
	flagStatTrak byte = 1 << iota
	flagSouvenir

	phaseShift      = 2
	phaseMask  byte = 0xf << phaseShift
)

// phaseMarker is the phase bits of the key an entry that wants certain phases
// of a Doppler also claims, with every phase: a trade that misses every key
// but finds this one is that entry's item in a phase it does not want.
const phaseMarker byte = 0xf

// phaseFlags returns the flags byte bits of phase p.
func phaseFlags(p messages.Phase) byte { return byte(p) << phaseShift & phaseMask }

// wearNoTier is the wear byte of a trade whose wear is none of the five tiers:
// no key has it, so such a trade matches no entry.
const wearNoTier = 0xff

// wearIndex returns w's position in a WearSet: 0 for WearNone, 1 to 5 for the
// tiers best first, wearNoTier for anything else.
func wearIndex(w messages.Wear) byte {
	switch w {
	case messages.WearNone:
		return 0
	case messages.WearFactoryNew:
		return 1
	case messages.WearMinimalWear:
		return 2
	case messages.WearFieldTested:
		return 3
	case messages.WearWellWorn:
		return 4
	case messages.WearBattleScarred:
		return 5
	}
	return wearNoTier
}

// splitName is a market name taken apart: its base (the name without the ★,
// StatTrak™ and Souvenir prefixes, the wear suffix and a Doppler's phase,
// still as written) and what the prefixes, suffix and phase said.
type splitName struct {
	base     string
	star     bool
	statTrak bool
	souvenir bool
	wear     messages.Wear  // the tier of the "(Field-Tested)" suffix, WearNone without one
	phase    messages.Phase // the phase after "Doppler", PhaseNone without one
	// doppler says that base ends with "Doppler": the item comes in phases.
	doppler bool
}

// split takes s apart by slicing, without allocating: it is used both at load
// on the user's names and on every trade's market name, so that the two are
// normalised by the same code. Prefixes are matched ignoring case and in any
// order; "StatTrak" may lack its ™; white space around them is skipped. Only a
// suffix naming one of the five tiers is a wear suffix: "Sticker | Crown
// (Foil)" keeps its "(Foil)". A phase is cut only after "Doppler", as
// messages.CutPhase does.
func split(s string) splitName {
	var n splitName
	s = strings.TrimFunc(s, unicode.IsSpace)
	for {
		if rest, ok := strings.CutPrefix(s, "★"); ok {
			n.star, s = true, rest
		} else if rest, ok := cutWordFold(s, "StatTrak"); ok {
			n.statTrak, s = true, rest
		} else if rest, ok := cutWordFold(s, "Souvenir"); ok {
			n.souvenir, s = true, rest
		} else {
			break
		}
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
	}
	if strings.HasSuffix(s, ")") {
		if open := strings.LastIndexByte(s, '('); open >= 0 {
			tier := strings.TrimFunc(s[open+1:len(s)-1], unicode.IsSpace)
			for _, w := range messages.Wears {
				if strings.EqualFold(tier, string(w)) {
					n.wear, s = w, strings.TrimRightFunc(s[:open], unicode.IsSpace)
					break
				}
			}
		}
	}
	n.base, n.phase = messages.CutPhase(s)
	n.doppler = messages.EndsWithDoppler(n.base)
	return n
}

// cutWordFold cuts the word w (ASCII, any case) from the front of s when it is
// followed by white space or, for StatTrak, by its ™.
func cutWordFold(s, w string) (string, bool) {
	if len(s) < len(w) || !strings.EqualFold(s[:len(w)], w) {
		return s, false
	}
	rest := s[len(w):]
	if r, ok := strings.CutPrefix(rest, "™"); ok && w == "StatTrak" {
		return r, true
	}
	if r, _ := utf8.DecodeRuneInString(rest); unicode.IsSpace(r) {
		return rest, true
	}
	return s, false
}

// appendKey appends the key of (base, wear, flags) to dst: the wear byte, the
// flags byte, then base folded by appendFold. It reports false when the key
// would outgrow cap(dst); it never grows dst, so a key built in a stack array
// stays there.
func appendKey(dst []byte, base string, wear, flags byte) ([]byte, bool) {
	return appendFold(append(dst, wear, flags), base)
}

// appendFold appends s to dst with white space removed and letters in lower
// case, the form names are compared in. It reports false when s would
// outgrow cap(dst), and never grows dst.
func appendFold(dst []byte, base string) ([]byte, bool) {
	for i := 0; i < len(base); {
		if c, ascii, keep := foldByte(base[i]); ascii {
			i++
			if !keep {
				continue
			}
			if len(dst) == cap(dst) {
				return dst, false
			}
			dst = append(dst, c)
			continue
		}
		r, size := utf8.DecodeRuneInString(base[i:])
		i += size
		if unicode.IsSpace(r) {
			continue
		}
		if cap(dst)-len(dst) < utf8.UTFMax {
			return dst, false
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
	}
	return dst, true
}

// foldByte folds byte c of a name: ascii is false when c begins a rune
// beyond ASCII, keep is false for white space, which folding drops.
func foldByte(c byte) (folded byte, ascii, keep bool) {
	switch {
	case c >= utf8.RuneSelf:
		return c, false, false
	case c == ' ' || c-'\t' <= '\r'-'\t':
		return c, true, false
	case 'A' <= c && c <= 'Z':
		return c + 'a' - 'A', true, true
	}
	return c, true, true
}

// foldEqual reports whether s folds (as appendFold folds it) to key, without
// building the fold: it is how a trade's sticker names are compared with an
// entry's, on every trade.
func foldEqual(s, key string) bool {
	j := 0
	for i := 0; i < len(s); {
		if c, ascii, keep := foldByte(s[i]); ascii {
			i++
			if !keep {
				continue
			}
			if j == len(key) || key[j] != c {
				return false
			}
			j++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if unicode.IsSpace(r) {
			continue
		}
		var enc [utf8.UTFMax]byte
		for _, b := range enc[:utf8.EncodeRune(enc[:], unicode.ToLower(r))] {
			if j == len(key) || key[j] != b {
				return false
			}
			j++
		}
	}
	return j == len(key)
}

// cutStickerPrefix cuts a "Sticker | " prefix, in any case and spacing, from
// a sticker's name.
func cutStickerPrefix(name string) string {
	s := strings.TrimLeftFunc(name, unicode.IsSpace)
	const word = "Sticker"
	if len(s) < len(word) || !strings.EqualFold(s[:len(word)], word) {
		return name
	}
	if r, ok := strings.CutPrefix(strings.TrimLeftFunc(s[len(word):], unicode.IsSpace), "|"); ok {
		return r
	}
	return name
}
