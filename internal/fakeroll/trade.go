package fakeroll

import "time"

// Trade is one listing as the feed sends it: the wire shape of the current
// createTrades feed, with the json tags of the real frames' field names, so
// that json.Unmarshal reads a fixture's trade into it.
//
// The server does not encode a Trade with its tags: it appends the JSON by hand
// (see MarshalJSON) so that times carry milliseconds like the real feed, and so
// that the older createTrade shape can leave out the fields that feed did not
// have (canJoin, avgPaintWearRange, currency, patternPercentage, sticker ids).
//
// Nil pointers and nil slices are sent as null, which is how a test makes a
// trade with a missing field (a null itemVariant, null tradeItems).
type Trade struct {
	ID                          string      `json:"id"`
	Status                      string      `json:"status"`
	SteamAppName                string      `json:"steamAppName"`
	CancelReason                *string     `json:"cancelReason"`
	CanJoinAfter                *time.Time  `json:"canJoinAfter"`
	MarkupPercent               float64     `json:"markupPercent"`
	CreatedAt                   time.Time   `json:"createdAt"`
	Depositor                   *User       `json:"depositor"`
	DepositorLastActiveAt       time.Time   `json:"depositorLastActiveAt"`
	ExpiresAt                   time.Time   `json:"expiresAt"`
	WithdrawerSteamTradeURL     *string     `json:"withdrawerSteamTradeUrl"`
	CustomValue                 bool        `json:"customValue"`
	Withdrawer                  *User       `json:"withdrawer"`
	TotalValue                  float64     `json:"totalValue"`
	UpdatedAt                   time.Time   `json:"updatedAt"`
	TradeItems                  []TradeItem `json:"tradeItems"`
	TrackingType                string      `json:"trackingType"`
	SuspectedTraderCanJoinAfter *time.Time  `json:"suspectedTraderCanJoinAfter"`
	JoinedAt                    *time.Time  `json:"joinedAt"`
	// AvgPaintWear is null when no item has wear.
	AvgPaintWear *float64 `json:"avgPaintWear"`
	HasStickers  bool     `json:"hasStickers"`

	// CanJoin is sent in the current shape only.
	CanJoin bool `json:"canJoin"`
	// AvgPaintWearRange is sent in the current shape only; null when no item has wear.
	AvgPaintWearRange *WearRange `json:"avgPaintWearRange"`
}

// TradeItem is one item of a trade.
type TradeItem struct {
	ID          string       `json:"id"`
	MarketName  string       `json:"marketName"`
	Value       float64      `json:"value"`
	CustomValue bool         `json:"customValue"`
	ItemVariant *ItemVariant `json:"itemVariant"`
	// MarkupPercent is the trade's markup, repeated on every item.
	MarkupPercent        float64   `json:"markupPercent"`
	Stickers             []Sticker `json:"stickers"`
	SteamExternalAssetID string    `json:"steamExternalAssetId"`
	// PatternPercentage is sent in the current shape only.
	PatternPercentage *float64 `json:"patternPercentage"`
}

// ItemVariant is the catalogue entry an item is an instance of: its reference
// value, before the seller's markup.
type ItemVariant struct {
	ID           string  `json:"id"`
	ItemID       string  `json:"itemId"`
	Name         string  `json:"name"`
	Brand        string  `json:"brand"`
	IconURL      string  `json:"iconUrl"`
	Value        float64 `json:"value"`
	DisplayValue float64 `json:"displayValue"`
	ExternalID   string  `json:"externalId"`
	// Color is the wear tier, "" for items without wear.
	Color       string `json:"color"`
	Rarity      string `json:"rarity"`
	Depositable bool   `json:"depositable"`
	// Currency is sent in the current shape only.
	Currency string `json:"currency"`
}

// Sticker is a sticker applied to an item.
type Sticker struct {
	// ID is sent in the current shape only.
	ID string `json:"id"`
	// Value is left out of the frame when nil (the current fixture has none).
	Value    *float64 `json:"value"`
	ImageURL string   `json:"imageUrl"`
	Brand    string   `json:"brand"`
	Name     string   `json:"name"`
	Color    string   `json:"color"`
	Wear     *float64 `json:"wear"`
}

// WearRange is the float range of a trade's wear tier.
type WearRange struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// User is a trade's depositor or withdrawer: always null on new public
// listings, there for tests that want one.
type User struct {
	ID               string `json:"id"`
	SteamID          string `json:"steamId"`
	Avatar           string `json:"avatar"`
	DisplayName      string `json:"displayName"`
	SteamDisplayName string `json:"steamDisplayName"`
}

// MarshalJSON returns t in the current (createTrades) shape, exactly as the
// server sends it.
func (t Trade) MarshalJSON() ([]byte, error) {
	return appendTrade(nil, &t, true), nil
}
