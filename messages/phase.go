package messages

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Phase is a phase of a Doppler or Gamma Doppler finish: the pattern a knife
// (or a Glock-18 | Gamma Doppler) came out in, which the market prices apart.
// Steam leaves it out of the market name; CSGORoll writes it in, after the
// finish: "★ Karambit | Doppler Phase 2", "★ Karambit | Doppler Ruby".
type Phase uint8

// The phases. Doppler comes in Phase 1 to 4, Ruby, Sapphire and Black Pearl;
// Gamma Doppler in Phase 1 to 4 and Emerald.
const (
	PhaseNone Phase = iota
	Phase1
	Phase2
	Phase3
	Phase4
	PhaseRuby
	PhaseSapphire
	PhaseBlackPearl
	PhaseEmerald
)

// Phases lists the phases, in the order of the constants.
var Phases = [...]Phase{Phase1, Phase2, Phase3, Phase4, PhaseRuby, PhaseSapphire, PhaseBlackPearl, PhaseEmerald}

var phaseNames = [...]string{"", "Phase 1", "Phase 2", "Phase 3", "Phase 4", "Ruby", "Sapphire", "Black Pearl", "Emerald"}

// phaseFolds are the phase names in lower case without spaces, the form
// CutPhase compares against.
var phaseFolds = [...]string{"", "phase1", "phase2", "phase3", "phase4", "ruby", "sapphire", "blackpearl", "emerald"}

// String returns the phase as the market writes it, "Phase 1" or "Black
// Pearl", and "" for PhaseNone.
func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return "phase(" + strconv.Itoa(int(p)) + ")"
}

// ParsePhase returns the phase s names, ignoring case and white space
// ("Phase 2", "phase2", "black pearl"), and whether it names one.
func ParsePhase(s string) (Phase, bool) {
	for _, p := range Phases {
		if rest, ok := cutFoldSuffix(s, phaseFolds[p]); ok && strings.TrimFunc(rest, unicode.IsSpace) == "" {
			return p, true
		}
	}
	return PhaseNone, false
}

// CutPhase cuts a phase from the end of s when it follows the word Doppler,
// so it takes both "Gamma Doppler Phase 1" and "★ Karambit | Doppler Ruby"
// apart ("Gamma Doppler", Phase1; "★ Karambit | Doppler", PhaseRuby). Case and
// white space do not matter. Anything else comes back whole, with PhaseNone.
// It slices s and does not allocate.
func CutPhase(s string) (string, Phase) {
	// The last character tells which phase it can be; most names are none.
	t := strings.TrimRightFunc(s, unicode.IsSpace)
	if t == "" {
		return s, PhaseNone
	}
	var p Phase
	switch last := t[len(t)-1]; {
	case '1' <= last && last <= '4':
		p = Phase1 + Phase(last-'1')
	case last|0x20 == 'y':
		p = PhaseRuby
	case last|0x20 == 'e':
		p = PhaseSapphire
	case last|0x20 == 'l':
		p = PhaseBlackPearl
	case last|0x20 == 'd':
		p = PhaseEmerald
	default:
		return s, PhaseNone
	}
	rest, ok := cutFoldSuffix(t, phaseFolds[p])
	if !ok {
		return s, PhaseNone
	}
	if _, doppler := cutFoldSuffix(rest, "doppler"); !doppler {
		return s, PhaseNone
	}
	return strings.TrimRightFunc(rest, unicode.IsSpace), p
}

// EndsWithDoppler reports whether s, white space at its end aside, ends with
// the word Doppler in any case: whether it names a Doppler or Gamma Doppler
// finish without its phase.
func EndsWithDoppler(s string) bool {
	_, ok := cutFoldSuffix(s, "doppler")
	return ok
}

// cutFoldSuffix cuts fold (lower-case ASCII without spaces) from the end of
// s, comparing ASCII letters in any case and skipping white space in s. It
// reports whether s ended with fold.
func cutFoldSuffix(s, fold string) (string, bool) {
	i, j := len(s), len(fold)
	for j > 0 {
		if i == 0 {
			return s, false
		}
		b := s[i-1]
		if b >= utf8.RuneSelf {
			// Only white space may be other than ASCII.
			r, size := utf8.DecodeLastRuneInString(s[:i])
			if !unicode.IsSpace(r) {
				return s, false
			}
			i -= size
			continue
		}
		switch {
		case b == ' ' || '\t' <= b && b <= '\r':
			i--
			continue
		case 'A' <= b && b <= 'Z':
			b += 'a' - 'A'
		}
		if b != fold[j-1] {
			return s, false
		}
		i--
		j--
	}
	return s[:i], true
}

// cutWear cuts a "(Field-Tested)" suffix naming one of the five tiers from a
// market name.
func cutWear(name string) string {
	name = strings.TrimRightFunc(name, unicode.IsSpace)
	if !strings.HasSuffix(name, ")") {
		return name
	}
	open := strings.LastIndexByte(name, '(')
	if open < 0 {
		return name
	}
	if _, ok := ParseWear(strings.TrimFunc(name[open+1:len(name)-1], unicode.IsSpace)); !ok {
		return name
	}
	return name[:open]
}
