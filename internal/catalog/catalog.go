// Package catalog is the list of CS2 items that whitelist names are checked
// against: every weapon, knife and glove skin with its float range, the wear
// tiers that follow from it, whether a StatTrak™ version exists and, for
// Doppler and Gamma Doppler, its phases; and the agents' names.
//
// It is a snapshot of ByMykel/CSGO-API (MIT License, Copyright (c) 2023
// ByMykel: see data/LICENSE), compiled into skins_gen.go by go generate from
// the committed copy in data/; data/README.md says how to refresh it. It
// does not know stickers, cases, charms and the like, which skins come in
// Souvenir versions, or anything released after the snapshot.
//
// The catalogue is built once, on first use, and never changes: any number of
// goroutines may use it at once.
package catalog

//go:generate go run ./gen

import (
	"iter"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/rollsniper/rollsniper/messages"
)

// Category is the kind of weapon a skin is for.
type Category uint8

// The categories, as the source names them.
const (
	Pistols Category = iota + 1
	Rifles
	SMGs
	Heavy
	Knives
	Gloves
)

var categoryNames = [...]string{"", "Pistols", "Rifles", "SMGs", "Heavy", "Knives", "Gloves"}

// String returns the category's name: "Rifles", "Knives".
func (c Category) String() string {
	if int(c) < len(categoryNames) {
		return categoryNames[c]
	}
	return "Category?"
}

// Star reports whether market names of the category begin with "★ ": knives
// and gloves.
func (c Category) Star() bool { return c == Knives || c == Gloves }

// Skin is one finish of one weapon.
type Skin struct {
	// Weapon is the weapon as market names write it, without the ★ of
	// knives and gloves: "AK-47", "Karambit".
	Weapon string
	// Finish is the paint, without a Doppler phase: "Redline", "Doppler".
	Finish string
	// MinFloat and MaxFloat bound the skin's float (its paint wear).
	MinFloat, MaxFloat float64
	// StatTrak says that a StatTrak™ version exists.
	StatTrak bool
	// Category is the weapon's kind.
	Category Category
	// Rarity is the in-game grade: "Covert", "Mil-Spec Grade".
	Rarity string
	// Phases are a Doppler's or Gamma Doppler's phases, nil for other
	// finishes. The slice is shared: do not change it.
	Phases []messages.Phase
}

// Name returns the skin's market name without prefixes and wear:
// "AK-47 | Redline", "★ Karambit | Doppler".
func (s *Skin) Name() string {
	return Weapon{Name: s.Weapon, Category: s.Category}.String() + " | " + s.Finish
}

// tierRanges are the float ranges of the wear tiers, in the order of
// messages.Wears.
var tierRanges = [len(messages.Wears)][2]float64{{0, 0.07}, {0.07, 0.15}, {0.15, 0.38}, {0.38, 0.45}, {0.45, 1}}

// TierRange returns the float range of a wear tier: [0, 0.07) for Factory
// New, up to [0.45, 1] for Battle-Scarred; ok is false for anything but the
// five tiers.
func TierRange(w messages.Wear) (lower, upper float64, ok bool) {
	for i, t := range messages.Wears {
		if t == w {
			return tierRanges[i][0], tierRanges[i][1], true
		}
	}
	return 0, 0, false
}

// HasWear reports whether the skin comes in tier w: whether its float range
// overlaps the tier's (MinFloat < upper and MaxFloat > lower, so a range that
// only touches a tier's bound does not count). Skins never have WearNone.
func (s *Skin) HasWear(w messages.Wear) bool {
	lower, upper, ok := TierRange(w)
	return ok && s.MinFloat < upper && s.MaxFloat > lower
}

// Wears returns the tiers the skin comes in, best first.
func (s *Skin) Wears() []messages.Wear {
	var out []messages.Wear
	for _, w := range messages.Wears {
		if s.HasWear(w) {
			out = append(out, w)
		}
	}
	return out
}

// HasPhase reports whether the skin comes in phase p.
func (s *Skin) HasPhase(p messages.Phase) bool { return slices.Contains(s.Phases, p) }

// Weapon is a weapon, knife or pair of gloves of the catalogue.
type Weapon struct {
	// Name is as market names write it, without ★: "AK-47", "Karambit".
	Name     string
	Category Category
}

// String returns the weapon as it begins a market name: "AK-47",
// "★ Karambit".
func (w Weapon) String() string {
	if w.Category.Star() {
		return "★ " + w.Name
	}
	return w.Name
}

// Vanilla reports whether the weapon also comes without a finish, as every
// knife does ("★ Karambit", a market name without wear).
func (w Weapon) Vanilla() bool { return w.Category == Knives }

// Catalog is the catalogue with its indexes. Build one with Default.
type Catalog struct {
	skins []Skin
	// weapons are the weapons in order of name; skinsOf[i] is the range of
	// skins (which are sorted by weapon) that are weapons[i]'s.
	weapons []Weapon
	skinsOf [][2]int
	agents  []string
	// weaponIndex, skinIndex and agentIndex map a name's key (see key) to
	// its position: weapon; weapon "|" finish; agent.
	weaponIndex, skinIndex, agentIndex map[string]int
	// weaponFolds and finishFolds are the weapons' and skins' finishes'
	// names folded for suggestions (see fold); names are every real name
	// with its fold: skins, vanilla knives and agents.
	weaponFolds, finishFolds []string
	names                    []foldedName
}

// foldedName is a real name with its fold.
type foldedName struct{ fold, name string }

var defaultCatalog = sync.OnceValue(func() *Catalog { return newCatalog(skins[:], agents[:]) })

// Default returns the catalogue compiled into the program, built on the
// first call.
func Default() *Catalog { return defaultCatalog() }

// newCatalog indexes skins, which must be sorted by weapon, and agents.
func newCatalog(skins []Skin, agents []string) *Catalog {
	c := &Catalog{
		skins:       skins,
		agents:      agents,
		weaponIndex: map[string]int{},
		skinIndex:   make(map[string]int, len(skins)),
		agentIndex:  make(map[string]int, len(agents)),
	}
	for i := range skins {
		s := &skins[i]
		if n := len(c.weapons); n == 0 || c.weapons[n-1].Name != s.Weapon {
			c.weaponIndex[key(s.Weapon)] = n
			c.weapons = append(c.weapons, Weapon{Name: s.Weapon, Category: s.Category})
			c.skinsOf = append(c.skinsOf, [2]int{i, i})
		}
		c.skinsOf[len(c.skinsOf)-1][1] = i + 1
		c.skinIndex[key(s.Weapon)+"|"+key(s.Finish)] = i
	}
	for i, a := range agents {
		c.agentIndex[key(a)] = i
	}
	for i := range skins {
		s := &skins[i]
		c.finishFolds = append(c.finishFolds, fold(s.Finish))
		c.names = append(c.names, foldedName{fold(s.Weapon) + c.finishFolds[i], s.Name()})
	}
	for _, w := range c.weapons {
		c.weaponFolds = append(c.weaponFolds, fold(w.Name))
		if w.Vanilla() {
			c.names = append(c.names, foldedName{fold(w.Name), w.String()})
		}
	}
	for _, a := range agents {
		c.names = append(c.names, foldedName{fold(a), a})
	}
	return c
}

// Source says where the catalogue's data comes from and when it was taken.
func (c *Catalog) Source() string { return source + ", taken " + snapshot }

// Len returns how many skins the catalogue lists.
func (c *Catalog) Len() int { return len(c.skins) }

// All yields every skin, sorted by weapon, then finish.
func (c *Catalog) All() iter.Seq[Skin] {
	return func(yield func(Skin) bool) {
		for _, s := range c.skins {
			if !yield(s) {
				return
			}
		}
	}
}

// Weapon returns the weapon named name, in any case and spacing, with or
// without ★.
func (c *Catalog) Weapon(name string) (Weapon, bool) {
	i, ok := c.weaponIndex[key(strings.TrimPrefix(strings.TrimSpace(name), "★"))]
	if !ok {
		return Weapon{}, false
	}
	return c.weapons[i], true
}

// Lookup returns the skin of weapon (with or without ★) and finish (without
// a phase), in any case and spacing.
func (c *Catalog) Lookup(weapon, finish string) (Skin, bool) {
	i, ok := c.skinIndex[key(strings.TrimPrefix(strings.TrimSpace(weapon), "★"))+"|"+key(finish)]
	if !ok {
		return Skin{}, false
	}
	return c.skins[i], true
}

// Agent returns the agent named name, in any case and spacing, as the
// catalogue spells it.
func (c *Catalog) Agent(name string) (string, bool) {
	i, ok := c.agentIndex[key(name)]
	if !ok {
		return "", false
	}
	return c.agents[i], true
}

// key folds a name the way a whitelist's index does: letters in lower case,
// white space removed. Two names with the same key are the same item to the
// whitelist.
func key(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}
