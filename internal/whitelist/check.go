package whitelist

import (
	"github.com/rollsniper/rollsniper/internal/catalog"
	"github.com/rollsniper/rollsniper/messages"
)

// uncheckedHint ends the message of a name the catalogue does not know.
const uncheckedHint = `(an item newer than the catalogue can stay as written with "unchecked": true on its entry)`

// item is what the catalogue says an entry's item can be.
type item struct {
	// what names the item in messages: "AK-47 | Bloodsport".
	what string
	// wears are the tiers it comes in; WearSet(1) (no wear) for items
	// without one.
	wears WearSet
	// floatRange says how, and minFloat and maxFloat bound its float when it
	// has one.
	floatRange         string
	floats             bool
	minFloat, maxFloat float64
	statTrak           bool
	phases             []messages.Phase
	// noStickers says why it takes no stickers; "" when it takes some.
	noStickers string
}

// checkItem checks an entry's item against the catalogue: that the name is a
// real item, and, when the entry's fields are valid (fieldsOK), that it
// comes in the wear, StatTrak™, phases, float and stickers they ask for. A
// kind of item the catalogue does not list (stickers, cases...) is a warning.
// It returns the item's name as the catalogue writes it, or "" when the
// catalogue does not know it.
func (p *parser) checkItem(path, name string, n splitName, s spec, x conditions, fieldsOK bool) string {
	found := catalog.Default().Identify(n.base)
	var it item
	switch found.Kind {
	case catalog.KindUnknown:
		p.add(path+".name", "%v %s", found.Err, uncheckedHint)
		return ""
	case catalog.KindUnlisted:
		p.warn(path+".name", `%q could not be checked: the item catalogue knows weapon, knife and glove skins and agents, not stickers, cases, charms and the like; add "unchecked": true to the entry to silence this warning`, clip(name))
		return ""
	case catalog.KindSkin:
		sk := found.Skin
		it = item{what: found.Name, floats: true, minFloat: sk.MinFloat, maxFloat: sk.MaxFloat, statTrak: sk.StatTrak, phases: sk.Phases}
		it.floatRange = "its float range " + formatNumber(sk.MinFloat) + "-" + formatNumber(sk.MaxFloat)
		for _, w := range sk.Wears() {
			it.wears |= WearSet(2) << (wearIndex(w) - 1)
		}
		if sk.Category == catalog.Knives || sk.Category == catalog.Gloves {
			it.noStickers = "knives and gloves never have any"
		}
	case catalog.KindVanilla:
		it = item{what: found.Name + " (without a finish)", wears: 1, floats: true, maxFloat: 1, statTrak: true, noStickers: "knives never have any"}
	case catalog.KindAgent:
		it = item{what: found.Name + " (an agent)", wears: 1, noStickers: "agents have patches, not stickers"}
	}
	if !fieldsOK {
		return found.Name
	}
	p.checkWear(path, n, s, it)
	p.checkStatTrak(path, n, s, it)
	p.checkPhases(path, n, x, it)
	p.checkFloats(path, x, it)
	if it.noStickers != "" && (x.minStickers > 0 || len(x.anySticker) > 0) {
		key := "any_sticker"
		if x.minStickers > 0 {
			key = "min_stickers"
		}
		p.add(path+"."+key, "%s takes no stickers: %s", it.what, it.noStickers)
	}
	return found.Name
}

// checkWear reports tiers the entry asks for that the item never comes in.
// The defaults' wear is a problem only when it leaves the entry nothing.
func (p *parser) checkWear(path string, n splitName, s spec, it item) {
	bad := s.wears &^ it.wears
	if s.wears == AnyWear || bad == 0 {
		return
	}
	at := path + ".wear"
	if n.wear != messages.WearNone {
		at = path + ".name"
	}
	switch {
	case n.wear == messages.WearNone && !s.has["wear"]:
		if s.wears&it.wears == 0 {
			p.add(at, "%s (from defaults) leaves nothing of %s, which comes %s: set wear on this entry", s.wears, it.what, it.wears)
		}
	case it.wears == 1:
		p.add(at, `%s has no wear: use "none" or leave wear out`, it.what)
	case bad == 1:
		p.add(at, `%s always has a wear: "none" is for items without one`, it.what)
	default:
		p.add(at, "%s is never %s: %s gives %s", it.what, bad&^1, it.floatRange, it.wears)
	}
}

// checkStatTrak reports StatTrak™ asked of an item that has no such version.
func (p *parser) checkStatTrak(path string, n splitName, s spec, it item) {
	if s.statTrak != Yes || it.statTrak {
		return
	}
	switch {
	case n.statTrak:
		p.add(path+".name", "%s has no StatTrak™ version: remove the StatTrak™ prefix", it.what)
	case s.has["stattrak"]:
		p.add(path+".stattrak", `%s has no StatTrak™ version: set stattrak to "no"`, it.what)
	default:
		p.add(path+".stattrak", `"yes" (from defaults): %s has no StatTrak™ version: set stattrak to "no" on this entry`, it.what)
	}
}

// checkPhases reports phases the item does not come in.
func (p *parser) checkPhases(path string, n splitName, x conditions, it item) {
	if x.phases == 0 {
		return
	}
	at := path + ".phase"
	if !x.has["phase"] {
		at = path + ".name"
	}
	if len(it.phases) == 0 {
		p.add(at, "%s has no phases: only Doppler and Gamma Doppler finishes do", it.what)
		return
	}
	var has PhaseSet
	for _, ph := range it.phases {
		has |= 1 << ph
	}
	if bad := x.phases &^ has; bad != 0 {
		p.add(at, "%s has no %s: it comes in %s", it.what, bad, has)
	}
}

// checkFloats reports float bounds the item's float never meets.
func (p *parser) checkFloats(path string, x conditions, it item) {
	if x.minFloat == 0 && x.maxFloat == 1 {
		return
	}
	switch {
	case !it.floats:
		key := "max_float"
		if x.minFloat > 0 {
			key = "min_float"
		}
		p.add(path+"."+key, "%s has no float: min_float and max_float are for skins", it.what)
	case x.minFloat > it.maxFloat:
		p.add(path+".min_float", "%s is above the highest float of %s, %s: the entry never matches", formatNumber(x.minFloat), it.what, formatNumber(it.maxFloat))
	case x.maxFloat < it.minFloat:
		p.add(path+".max_float", "%s is below the lowest float of %s, %s: the entry never matches", formatNumber(x.maxFloat), it.what, formatNumber(it.minFloat))
	}
}

// floatsMeetWear reports float bounds that no tier the entry accepts meets:
// max_float 0.05 with wear Field-Tested (0.15 to 0.38) never matches.
func (p *parser) floatsMeetWear(path string, s spec, x conditions) {
	if x.minFloat == 0 && x.maxFloat == 1 || s.wears&^1 == AnyWear&^1 || x.minFloat > x.maxFloat {
		return
	}
	for _, w := range messages.Wears {
		lower, upper, _ := catalog.TierRange(w)
		// A tier holds its lower bound, not its upper, but for the last.
		if s.wears.Has(w) && x.maxFloat >= lower && (x.minFloat < upper || upper == 1) {
			return
		}
	}
	key := "max_float"
	if x.has["min_float"] {
		key = "min_float"
	}
	p.add(path+"."+key, "float %s-%s and wear %s never meet: widen the float bounds or the wear", formatNumber(x.minFloat), formatNumber(x.maxFloat), s.wears)
}
