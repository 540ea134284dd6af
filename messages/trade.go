package messages

import "time"

// Wear is a CS2 wear tier, as CSGORoll writes it in itemVariant.color and in the
// parenthesised tail of a market name. Items without wear (stickers, agents,
// cases) have WearNone.
type Wear string

// The five wear tiers, best first.
const (
	WearNone          Wear = ""
	WearFactoryNew    Wear = "Factory New"
	WearMinimalWear   Wear = "Minimal Wear"
	WearFieldTested   Wear = "Field-Tested"
	WearWellWorn      Wear = "Well-Worn"
	WearBattleScarred Wear = "Battle-Scarred"
)

// Wears lists the five wear tiers, best first.
var Wears = [...]Wear{WearFactoryNew, WearMinimalWear, WearFieldTested, WearWellWorn, WearBattleScarred}

// ParseWear returns the tier named s and whether s names one of the five tiers.
func ParseWear(s string) (Wear, bool) {
	for _, w := range Wears {
		if string(w) == s {
			return w, true
		}
	}
	return WearNone, false
}

// Trade is one listing on the feed, reduced to what the sinks decide on.
//
// Item fields describe the trade's first item; almost every listing has exactly
// one (Items says how many there were).
type Trade struct {
	// ID is the Relay id as the server sent it, e.g. "VHJhZGU6MzI5OTM0NzI".
	ID string
	// Status is the trade status: LISTED for new public listings.
	Status string
	// MarkupPercent is the markup over the item's reference value, in percent.
	MarkupPercent float64
	// TotalValue is the price in coins: the sum of the items' values.
	TotalValue float64
	// CanJoin is canJoin when the server sent it, otherwise whether canJoinAfter
	// was null or already past when the frame arrived.
	CanJoin bool

	// MarketName is the Steam market name, e.g. "StatTrak™ AK-47 | Redline (Field-Tested)".
	MarketName string
	// Brand is the weapon or item type, e.g. "AK-47" or "★ Bowie Knife".
	Brand string
	// SkinName is the finish, e.g. "Redline" or "Gamma Doppler Phase 1".
	SkinName string
	// Wear is the wear tier, WearNone for items that have none.
	Wear Wear
	// StatTrak and Souvenir come from the market name's prefix: the feed has no
	// field for either.
	StatTrak bool
	Souvenir bool
	// Items is how many items the trade holds.
	Items int

	// AvgPaintWear is the feed's avgPaintWear: the paint wear ("float", 0 to
	// 1) averaged over the trade's items that have one, so for a trade of one
	// item it is that item's float. HasAvgPaintWear is false when the feed
	// left it out or sent null, as it does for items without wear (stickers,
	// cases, agents); AvgPaintWear is then 0, which is also a real float, so
	// read HasAvgPaintWear first.
	AvgPaintWear    float64
	HasAvgPaintWear bool
	// PatternPercentage is the first item's patternPercentage: a percentage
	// the market gives for some finishes (such as the fade of a Fade), not the
	// paint seed, which the feed does not send. HasPatternPercentage is false
	// when the feed left it out or sent null, as it does for most items.
	PatternPercentage    float64
	HasPatternPercentage bool
	// Stickers are the stickers applied to the first item, in the feed's
	// order. A value, so Trade stays comparable; see Stickers for how a
	// decoder fills it without allocating.
	Stickers Stickers

	// CreatedAt is when the server created the listing.
	CreatedAt time.Time
	// ReceivedAt is when the frame that carried the trade was read off the socket.
	ReceivedAt time.Time
}

// Phase returns the Doppler or Gamma Doppler phase that CSGORoll writes into
// the market name ("★ Bowie Knife | Gamma Doppler Phase 1 (Factory New)"), or
// PhaseNone when the name carries none. It does not allocate.
func (t *Trade) Phase() Phase {
	_, p := CutPhase(cutWear(t.MarketName))
	return p
}
