package fakeroll

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/rollsniper/rollsniper/messages"
)

// kind is what sort of thing a catalogue item is; it decides the market name's
// form, whether the item has wear, and which variants exist.
type kind int

const (
	kindRifle kind = iota
	kindSniper
	kindPistol
	kindSMG
	kindKnife
	kindGloves
	kindSticker
	kindAgent
	kindContainer
)

// special is the variant prefix an item can have.
type special int

const (
	plain special = iota
	statTrak
	souvenir
)

// item is one catalogue entry: a skin, sticker, agent or case with the
// reference price of its best variant, in coins.
type item struct {
	id     uint64 // the Item:<id> Relay id
	kind   kind
	brand  string // "AK-47", "★ Karambit", "Sticker"
	name   string // "Redline", "Doppler Phase 2"
	rarity string
	price  float64 // the plain variant in the best wear tier it comes in
	// wears lists the tiers the finish comes in, best first; nil for items
	// without wear.
	wears []messages.Wear
	// prefix is the special variant the item also comes in: statTrak for
	// case skins and knives, souvenir for map-collection skins, never both.
	prefix special
	// fade marks finishes that carry a pattern percentage.
	fade bool
}

// Wear tier sets.
var (
	allWears = messages.Wears[:]
	fnMW     = []messages.Wear{messages.WearFactoryNew, messages.WearMinimalWear}
	fnToFT   = []messages.Wear{messages.WearFactoryNew, messages.WearMinimalWear, messages.WearFieldTested}
	fnToWW   = []messages.Wear{messages.WearFactoryNew, messages.WearMinimalWear, messages.WearFieldTested, messages.WearWellWorn}
	mwToBS   = []messages.Wear{messages.WearMinimalWear, messages.WearFieldTested, messages.WearWellWorn, messages.WearBattleScarred}
	ftToBS   = []messages.Wear{messages.WearFieldTested, messages.WearWellWorn, messages.WearBattleScarred}
	noWear   []messages.Wear
)

// catalogue is the list of items the generator draws from: real CS2 items
// with reference prices in the range the market has them, in wears and
// variants they really come in (TestCatalogueIsReal checks the skins against
// the item catalogue whitelists are checked against).
var catalogue = []item{
	// Rifles.
	{id: 4603, kind: kindRifle, brand: "AK-47", name: "Aquamarine Revenge", rarity: "covert", price: 60.75, wears: allWears, prefix: statTrak},
	{id: 4211, kind: kindRifle, brand: "AK-47", name: "Redline", rarity: "classified", price: 48.10, wears: mwToBS, prefix: statTrak},
	{id: 4877, kind: kindRifle, brand: "AK-47", name: "Vulcan", rarity: "covert", price: 245.00, wears: allWears, prefix: statTrak},
	{id: 5102, kind: kindRifle, brand: "AK-47", name: "Asiimov", rarity: "covert", price: 112.40, wears: ftToBS, prefix: statTrak},
	{id: 3390, kind: kindRifle, brand: "AK-47", name: "Fire Serpent", rarity: "covert", price: 1210.00, wears: allWears, prefix: statTrak},
	{id: 3127, kind: kindRifle, brand: "AK-47", name: "Case Hardened", rarity: "classified", price: 305.00, wears: allWears, prefix: statTrak},
	{id: 2011, kind: kindRifle, brand: "AK-47", name: "Safari Mesh", rarity: "industrial", price: 2.35, wears: allWears, prefix: souvenir},
	{id: 3301, kind: kindRifle, brand: "M4A4", name: "Howl", rarity: "contraband", price: 6150.00, wears: fnToWW, prefix: statTrak},
	{id: 5230, kind: kindRifle, brand: "M4A4", name: "Desolate Space", rarity: "classified", price: 24.60, wears: allWears, prefix: statTrak},
	{id: 9821, kind: kindRifle, brand: "M4A1-S", name: "Printstream", rarity: "covert", price: 182.00, wears: allWears, prefix: statTrak},
	{id: 4980, kind: kindRifle, brand: "M4A1-S", name: "Hyper Beast", rarity: "covert", price: 41.20, wears: allWears, prefix: statTrak},
	{id: 2104, kind: kindRifle, brand: "M4A1-S", name: "Knight", rarity: "classified", price: 1480.00, wears: fnMW, prefix: souvenir},
	{id: 6120, kind: kindRifle, brand: "FAMAS", name: "Roll Cage", rarity: "classified", price: 14.30, wears: allWears, prefix: statTrak},
	{id: 8710, kind: kindRifle, brand: "Galil AR", name: "Chatterbox", rarity: "covert", price: 31.00, wears: ftToBS, prefix: statTrak},
	{id: 7730, kind: kindRifle, brand: "SG 553", name: "Integrale", rarity: "classified", price: 19.80, wears: allWears},
	// Sniper rifles.
	{id: 1001, kind: kindSniper, brand: "AWP", name: "Dragon Lore", rarity: "covert", price: 9200.00, wears: allWears, prefix: souvenir},
	{id: 4420, kind: kindSniper, brand: "AWP", name: "Asiimov", rarity: "covert", price: 118.00, wears: ftToBS, prefix: statTrak},
	{id: 3012, kind: kindSniper, brand: "AWP", name: "Lightning Strike", rarity: "covert", price: 610.00, wears: fnMW, prefix: statTrak},
	{id: 9015, kind: kindSniper, brand: "AWP", name: "Atheris", rarity: "restricted", price: 4.10, wears: allWears, prefix: statTrak},
	{id: 9880, kind: kindSniper, brand: "AWP", name: "Gungnir", rarity: "covert", price: 8100.00, wears: allWears},
	{id: 7012, kind: kindSniper, brand: "SSG 08", name: "Dragonfire", rarity: "covert", price: 38.50, wears: allWears, prefix: statTrak},
	// Pistols.
	{id: 1204, kind: kindPistol, brand: "Desert Eagle", name: "Blaze", rarity: "restricted", price: 545.00, wears: fnMW},
	{id: 9402, kind: kindPistol, brand: "Desert Eagle", name: "Printstream", rarity: "covert", price: 71.00, wears: allWears, prefix: statTrak},
	{id: 6021, kind: kindPistol, brand: "USP-S", name: "Kill Confirmed", rarity: "covert", price: 92.00, wears: allWears, prefix: statTrak},
	{id: 9520, kind: kindPistol, brand: "USP-S", name: "Printstream", rarity: "covert", price: 83.00, wears: allWears, prefix: statTrak},
	{id: 1311, kind: kindPistol, brand: "Glock-18", name: "Fade", rarity: "restricted", price: 1520.00, wears: fnMW, fade: true},
	{id: 5512, kind: kindPistol, brand: "Glock-18", name: "Water Elemental", rarity: "classified", price: 7.90, wears: allWears, prefix: statTrak},
	{id: 5740, kind: kindPistol, brand: "P250", name: "Asiimov", rarity: "classified", price: 6.20, wears: ftToBS, prefix: statTrak},
	{id: 5005, kind: kindPistol, brand: "CZ75-Auto", name: "Victoria", rarity: "classified", price: 19.40, wears: allWears, prefix: statTrak},
	// SMGs.
	{id: 8102, kind: kindSMG, brand: "MP7", name: "Bloodsport", rarity: "covert", price: 14.80, wears: allWears, prefix: statTrak},
	{id: 6630, kind: kindSMG, brand: "MP9", name: "Hydra", rarity: "classified", price: 9.70, wears: allWears, prefix: statTrak},
	{id: 7210, kind: kindSMG, brand: "MAC-10", name: "Neon Rider", rarity: "covert", price: 11.60, wears: fnToWW, prefix: statTrak},
	{id: 6400, kind: kindSMG, brand: "P90", name: "Asiimov", rarity: "covert", price: 9.90, wears: allWears, prefix: statTrak},
	{id: 7602, kind: kindSMG, brand: "UMP-45", name: "Primal Saber", rarity: "covert", price: 7.80, wears: allWears, prefix: statTrak},
	{id: 2440, kind: kindSMG, brand: "MP5-SD", name: "Phosphor", rarity: "restricted", price: 2.90, wears: allWears, prefix: statTrak},
	// Knives.
	{id: 12204, kind: kindKnife, brand: "★ Karambit", name: "Doppler Phase 2", rarity: "covert", price: 1390.00, wears: fnMW, prefix: statTrak},
	{id: 12240, kind: kindKnife, brand: "★ Karambit", name: "Fade", rarity: "covert", price: 2210.00, wears: fnMW, prefix: statTrak, fade: true},
	{id: 13410, kind: kindKnife, brand: "★ Butterfly Knife", name: "Slaughter", rarity: "covert", price: 1620.00, wears: fnToFT, prefix: statTrak},
	{id: 11020, kind: kindKnife, brand: "★ M9 Bayonet", name: "Crimson Web", rarity: "covert", price: 910.00, wears: allWears, prefix: statTrak},
	{id: 28813, kind: kindKnife, brand: "★ Bowie Knife", name: "Gamma Doppler Phase 1", rarity: "covert", price: 551.00, wears: fnMW, prefix: statTrak},
	{id: 12748, kind: kindKnife, brand: "★ Ursus Knife", name: "Tiger Tooth", rarity: "covert", price: 445.00, wears: fnMW, prefix: statTrak},
	{id: 14120, kind: kindKnife, brand: "★ Talon Knife", name: "Marble Fade", rarity: "covert", price: 1310.00, wears: fnMW, prefix: statTrak, fade: true},
	{id: 15030, kind: kindKnife, brand: "★ Flip Knife", name: "Lore", rarity: "covert", price: 598.00, wears: allWears, prefix: statTrak},
	{id: 10990, kind: kindKnife, brand: "★ Huntsman Knife", name: "Case Hardened", rarity: "covert", price: 352.00, wears: allWears, prefix: statTrak},
	// Gloves: never StatTrak.
	{id: 16001, kind: kindGloves, brand: "★ Sport Gloves", name: "Pandora's Box", rarity: "extraordinary", price: 5100.00, wears: allWears},
	{id: 16120, kind: kindGloves, brand: "★ Specialist Gloves", name: "Crimson Kimono", rarity: "extraordinary", price: 2480.00, wears: allWears},
	{id: 16230, kind: kindGloves, brand: "★ Driver Gloves", name: "King Snake", rarity: "extraordinary", price: 705.00, wears: allWears},
	{id: 16310, kind: kindGloves, brand: "★ Hand Wraps", name: "Slaughter", rarity: "extraordinary", price: 498.00, wears: allWears},
	// Items without wear.
	{id: 20101, kind: kindSticker, brand: "Sticker", name: "Crown (Foil)", rarity: "exotic", price: 905.00, wears: noWear},
	{id: 20102, kind: kindSticker, brand: "Sticker", name: "iBUYPOWER (Holo) | Katowice 2014", rarity: "exotic", price: 24800.00, wears: noWear},
	{id: 20210, kind: kindSticker, brand: "Sticker", name: "Natus Vincere (Holo) | Stockholm 2021", rarity: "remarkable", price: 5.10, wears: noWear},
	{id: 30401, kind: kindAgent, brand: "Agent", name: "Sir Bloody Miami Darryl | The Professionals", rarity: "master", price: 24.90, wears: noWear},
	{id: 30422, kind: kindAgent, brand: "Agent", name: "Special Agent Ava | FBI", rarity: "master", price: 15.20, wears: noWear},
	{id: 40101, kind: kindContainer, brand: "Container", name: "Kilowatt Case", rarity: "base grade", price: 1.05, wears: noWear},
	{id: 40012, kind: kindContainer, brand: "Container", name: "Operation Bravo Case", rarity: "base grade", price: 61.00, wears: noWear},
}

// appliedStickers are the stickers the generator applies to weapon skins.
var appliedStickers = []struct {
	name, color string
	value       float64
}{
	{"Spirit | 2020 RMR", "Holo", 0.38},
	{"Natus Vincere (Holo) | Stockholm 2021", "Holo", 5.10},
	{"Crown (Foil)", "Foil", 905.00},
	{"Titan (Holo) | Katowice 2014", "Holo", 9400.00},
	{"FaZe Clan | Paris 2023", "Paper", 0.06},
	{"Howling Dawn", "Contraband", 410.00},
	{"Vitality (Glitter) | Copenhagen 2024", "Glitter", 0.21},
}

// wearFactor is a tier's price relative to Factory New.
var wearFactor = map[messages.Wear]float64{
	messages.WearFactoryNew:    1,
	messages.WearMinimalWear:   0.74,
	messages.WearFieldTested:   0.52,
	messages.WearWellWorn:      0.36,
	messages.WearBattleScarred: 0.31,
}

// wearRange is the float range of each tier.
var wearRange = map[messages.Wear]WearRange{
	messages.WearFactoryNew:    {0, 0.07},
	messages.WearMinimalWear:   {0.07, 0.15},
	messages.WearFieldTested:   {0.15, 0.38},
	messages.WearWellWorn:      {0.38, 0.45},
	messages.WearBattleScarred: {0.45, 1},
}

// Price factors of the special variants.
const (
	statTrakFactor = 1.65
	souvenirFactor = 2.4
)

// marketName is the Steam market name of a variant: "StatTrak™ AK-47 |
// Redline (Field-Tested)", "★ StatTrak™ Karambit | Fade (Factory New)",
// "Souvenir AWP | Dragon Lore (Field-Tested)", "Sticker | Crown (Foil)",
// "Kilowatt Case".
func (it *item) marketName(w messages.Wear, sp special) string {
	var name string
	switch it.kind {
	case kindAgent, kindContainer:
		name = it.name
	default:
		name = it.brand + " | " + it.name
	}
	switch sp {
	case statTrak:
		if rest, ok := strings.CutPrefix(name, "★ "); ok {
			name = "★ StatTrak™ " + rest
		} else {
			name = "StatTrak™ " + name
		}
	case souvenir:
		name = "Souvenir " + name
	}
	if w != messages.WearNone {
		name += " (" + string(w) + ")"
	}
	return name
}

// value is the reference value of a variant in coins, rounded to cents.
func (it *item) value(w messages.Wear, sp special) float64 {
	v := it.price
	if w != messages.WearNone {
		v *= wearFactor[w] / wearFactor[it.wears[0]]
	}
	switch sp {
	case statTrak:
		v *= statTrakFactor
	case souvenir:
		v *= souvenirFactor
	}
	return max(cents(v), 0.01)
}

// variantID is the number of the ItemVariant Relay id of a variant: the item's
// own number for its plain best-wear variant, as in the real feed.
func (it *item) variantID(wearIndex int, sp special) uint64 {
	if wearIndex == 0 && sp == plain {
		return it.id
	}
	return it.id*100 + uint64(wearIndex)*10 + uint64(sp)
}

// iconURL returns a Steam economy image URL for name, made up but shaped like
// the real ones.
func iconURL(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "https://community.cloudflare.steamstatic.com/economy/image/-9a81dlWLwJ2UUGcVs_nsVtzdOEdtWwKGZZLQHTxDZ7I56KU0Zwwo4NUX4oFJZEHLbXH5ApeO4YmlhxYQknCRvCo04DEVlxkKgpo" +
		base64.RawURLEncoding.EncodeToString(sum[:])
}
