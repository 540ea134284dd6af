package catalog

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rollsniper/rollsniper/internal/spell"
	"github.com/rollsniper/rollsniper/messages"
)

// Kind says what a name is to the catalogue.
type Kind uint8

// The kinds of names.
const (
	// KindUnknown: no item of the catalogue, nor a kind of item it does not
	// list. Item.Err says what is wrong and, when a real name is close, which
	// one was meant.
	KindUnknown Kind = iota
	// KindSkin: a weapon, knife or glove skin. Item.Skin and Item.Weapon are
	// set.
	KindSkin
	// KindVanilla: a knife without a finish, "★ Karambit". Item.Weapon is set.
	KindVanilla
	// KindAgent: an agent of the catalogue's list.
	KindAgent
	// KindUnlisted: a kind of item the catalogue does not list, such as a
	// sticker, case, charm or music kit, so its name could not be checked.
	KindUnlisted
)

// Item is what Identify made of a name.
type Item struct {
	Kind Kind
	// Name is the item's name as market names write it, without prefixes,
	// wear and phase: "AK-47 | Redline", "★ Karambit | Doppler", "★ Karambit",
	// "Special Agent Ava | FBI". For KindUnlisted it is the name as given,
	// for KindUnknown "".
	Name string
	// Weapon is set for KindSkin and KindVanilla.
	Weapon Weapon
	// Skin is set for KindSkin.
	Skin Skin
	// Err is set for KindUnknown: why the name is no item, e.g. `unknown
	// weapon "AK47": did you mean "AK-47 | Redline"?`.
	Err error
}

// Unlisted kinds of items: names with one of these (folded, see fold) before
// their "|", or as the last words of a name without "|".
var (
	unlistedPrefixes = []string{"sticker", "sealedgraffiti", "graffiti", "patch", "charm", "souvenircharm", "musickit"}
	unlistedSuffixes = []string{"case", "capsule", "package", "pin", "key", "pass", "nametag", "swaptool", "storageunit"}
)

// Identify says what name is: a skin ("AK-47 | Redline"), a vanilla knife
// ("★ Karambit"), an agent, a kind of item the catalogue does not list
// ("Sticker | Crown (Foil)", "Kilowatt Case"), or none of these, with the
// reason and the closest real name in Item.Err. name has no StatTrak™ or
// Souvenir prefix, wear suffix or Doppler phase; case, spacing and a leading
// ★ do not matter, as they do not to a whitelist.
func (c *Catalog) Identify(name string) Item {
	name = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), "★"))
	if unlisted(name) {
		return Item{Kind: KindUnlisted, Name: name}
	}
	if a, ok := c.Agent(name); ok {
		return Item{Kind: KindAgent, Name: a}
	}
	weaponPart, finish, sep := strings.Cut(name, "|")
	weaponPart, finish = strings.TrimSpace(weaponPart), strings.TrimSpace(finish)
	if !sep {
		return c.identifyWhole(name)
	}
	w, ok := c.Weapon(weaponPart)
	if !ok {
		return Item{Err: c.unknownWeapon(name, weaponPart, finish)}
	}
	if finish == "" {
		return Item{Err: fmt.Errorf("nothing after the \"|\": name the finish, e.g. %q", c.example(w))}
	}
	if s, ok := c.Lookup(w.Name, finish); ok {
		return Item{Kind: KindSkin, Name: s.Name(), Weapon: w, Skin: s}
	}
	return Item{Err: c.unknownFinish(w, finish)}
}

// unlisted reports whether name is of a kind the catalogue does not list.
func unlisted(name string) bool {
	if before, _, ok := strings.Cut(name, "|"); ok {
		f := fold(before)
		for _, p := range unlistedPrefixes {
			if f == p {
				return true
			}
		}
		return false
	}
	words := strings.Fields(name)
	for _, s := range unlistedSuffixes {
		for n := 1; n <= 2 && n <= len(words); n++ {
			if fold(strings.Join(words[len(words)-n:], "")) == s {
				return true
			}
		}
	}
	return false
}

// identifyWhole identifies a name without "|": a vanilla knife, or a mistake.
func (c *Catalog) identifyWhole(name string) Item {
	if w, ok := c.Weapon(name); ok {
		if w.Vanilla() {
			return Item{Kind: KindVanilla, Name: w.String(), Weapon: w}
		}
		return Item{Err: fmt.Errorf("%q is a weapon, not a skin: add its finish, e.g. %q", w.String(), c.example(w))}
	}
	if s := c.closestName(name); s != "" {
		return Item{Err: fmt.Errorf("unknown item %.60q: did you mean %q?", name, s)}
	}
	return Item{Err: fmt.Errorf("unknown item %.60q: write the weapon, then \" | \", then the finish, e.g. \"AK-47 | Redline\"", name)}
}

// unknownWeapon explains a name whose weapon part is no weapon.
func (c *Catalog) unknownWeapon(name, weaponPart, finish string) error {
	// A weapon that has the finish is the likelier one: "M9 | Doppler" is
	// the M9 Bayonet's, not the MP9's.
	if s, ok := c.closestSkin(weaponPart, finish); ok {
		return fmt.Errorf("unknown weapon %.60q: did you mean %q?", weaponPart, s.Name())
	}
	if w, ok := c.closestWeapon(weaponPart); ok {
		meant := w.String()
		if w.Category == 0 {
			meant += " | " + finish // an unlisted kind, such as "Sticker"
		} else if s, ok := c.closestFinish(w, finish); ok {
			meant = s.Name()
		}
		return fmt.Errorf("unknown weapon %.60q: did you mean %q?", weaponPart, meant)
	}
	if s := c.closestName(name); s != "" {
		return fmt.Errorf("unknown weapon %.60q: did you mean %q?", weaponPart, s)
	}
	return fmt.Errorf("unknown weapon %.60q: write it as market names do, e.g. \"AK-47\", \"★ Karambit\" or \"★ Sport Gloves\"", weaponPart)
}

// unknownFinish explains a finish weapon w does not come in.
func (c *Catalog) unknownFinish(w Weapon, finish string) error {
	if s, ok := c.closestFinish(w, finish); ok {
		return fmt.Errorf("%s has no finish %.60q: did you mean %q?", w, finish, s.Name())
	}
	if rest, phase, ok := cutPhaseWords(finish); ok {
		if s, ok := c.closestFinish(w, rest); ok && len(s.Phases) > 0 {
			return fmt.Errorf("%s has no finish %.60q: did you mean %q?", w, rest, s.Name()+" "+phase)
		}
	}
	var others []string
	for i := range c.skins {
		if s := &c.skins[i]; key(s.Finish) == key(finish) {
			others = append(others, Weapon{Name: s.Weapon, Category: s.Category}.String())
		}
	}
	msg := fmt.Sprintf("%s has no finish %.60q", w, finish)
	switch {
	case len(others) == 0:
	case len(others) <= 4:
		msg += "; it is a finish of " + strings.Join(others, ", ")
	default:
		msg += "; it is a finish of " + strings.Join(others[:3], ", ") + " and " + strconv.Itoa(len(others)-3) + " more"
	}
	return errors.New(msg)
}

// cutPhaseWords cuts a phase ("Phase 2", "Ruby", "Black Pearl") from the end
// of a finish whatever comes before it, as messages.CutPhase does only after
// "Doppler": a misspelt Doppler keeps its phase.
func cutPhaseWords(finish string) (rest, phase string, ok bool) {
	words := strings.Fields(finish)
	for n := 1; n <= 2 && n < len(words); n++ {
		if p, ok := messages.ParsePhase(strings.Join(words[len(words)-n:], " ")); ok {
			return strings.Join(words[:len(words)-n], " "), p.String(), true
		}
	}
	return finish, "", false
}

// example returns a real skin of w, for messages.
func (c *Catalog) example(w Weapon) string {
	i := c.weaponIndex[key(w.Name)]
	return c.skins[c.skinsOf[i][0]].Name()
}

// pseudoWeapons are the unlisted kinds written like weapons ("Sticker |
// ..."), so that a misspelt one is suggested too.
var pseudoWeapons = []Weapon{{Name: "Sticker"}, {Name: "Charm"}, {Name: "Patch"}, {Name: "Music Kit"}, {Name: "Sealed Graffiti"}}

// aliases are what traders call some weapons, folded.
var aliases = map[string]string{"deagle": "Desert Eagle", "scout": "SSG 08", "krieg": "SG 553", "dualies": "Dual Berettas", "bayo": "Bayonet"}

// closestWeapon returns the weapon (or unlisted kind) s is most likely a
// misspelling of.
func (c *Catalog) closestWeapon(s string) (Weapon, bool) {
	f := fold(s)
	if a, ok := aliases[f]; ok {
		return c.Weapon(a)
	}
	candidates := append(c.weapons[:len(c.weapons):len(c.weapons)], pseudoWeapons...)
	i := closest(f, len(candidates), func(i int) string {
		if i < len(c.weaponFolds) {
			return c.weaponFolds[i]
		}
		return fold(candidates[i].Name)
	})
	if i < 0 {
		return Weapon{}, false
	}
	return candidates[i], true
}

// closestSkin returns the skin whose weapon weaponPart is most likely a
// misspelling of, among the weapons that have finish (or one close to it).
func (c *Catalog) closestSkin(weaponPart, finish string) (Skin, bool) {
	var have []int // indexes in c.weapons
	var skins []Skin
	for i, w := range c.weapons {
		if s, ok := c.closestFinish(w, finish); ok {
			have, skins = append(have, i), append(skins, s)
		}
	}
	i := closest(fold(weaponPart), len(have), func(i int) string { return c.weaponFolds[have[i]] })
	if i < 0 {
		return Skin{}, false
	}
	return skins[i], true
}

// closestFinish returns the skin of w whose finish s is most likely a
// misspelling of.
func (c *Catalog) closestFinish(w Weapon, s string) (Skin, bool) {
	r := c.skinsOf[c.weaponIndex[key(w.Name)]]
	i := closest(fold(s), r[1]-r[0], func(i int) string { return c.finishFolds[r[0]+i] })
	if i < 0 {
		return Skin{}, false
	}
	return c.skins[r[0]+i], true
}

// closestName returns the real name (skin, vanilla knife or agent) that name,
// written in any form, is most likely a misspelling of: "AK47 Redline" is
// "AK-47 | Redline". It returns "" when none is close.
func (c *Catalog) closestName(name string) string {
	i := closest(fold(name), len(c.names), func(i int) string { return c.names[i].fold })
	if i < 0 {
		return ""
	}
	return c.names[i].name
}

// closest returns the index of the candidate (n of them, cand(i) folded) that
// f is closest to within the edits its length allows, preferring one that f
// begins, then the first; or, when none is that close, the only candidate f
// begins, if f has two characters or more; or -1.
func closest(f string, n int, cand func(int) string) int {
	if f == "" {
		return -1
	}
	best, bestDist, bestPrefix := -1, 1<<30, false
	prefix, prefixes := -1, 0
	for i := range n {
		c := cand(i)
		limit := allowedEdits(utf8.RuneCountInString(c))
		isPrefix := strings.HasPrefix(c, f)
		// Of two candidates as close, one that f begins wins: "M4A1" is
		// "M4A1-S" rather than "M4A4".
		if d := spell.Distance(f, c, limit); d <= limit && (d < bestDist || d == bestDist && isPrefix && !bestPrefix) {
			best, bestDist, bestPrefix = i, d, isPrefix
		}
		if isPrefix {
			prefix, prefixes = i, prefixes+1
		}
	}
	if best >= 0 {
		return best
	}
	if prefixes == 1 && utf8.RuneCountInString(f) >= 2 {
		return prefix
	}
	return -1
}

// allowedEdits is how many edits a misspelling of a name of n characters may
// have: one in a short name, up to three in a long one.
func allowedEdits(n int) int {
	switch {
	case n <= 4:
		return 1
	case n <= 9:
		return 2
	}
	return 3
}

// fold reduces a name to what a misspelling is measured on: letters and
// digits, in lower case. "AK-47" and "ak47" fold the same.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}
