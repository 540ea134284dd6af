package gqlws

import (
	"fmt"
)

// Subscription names the field the client subscribes to for new listings.
type Subscription string

const (
	// SubCreateTrades is the current shape: {createTrades: {trades: [Trade]}}, one
	// next message carrying one or more trades.
	SubCreateTrades Subscription = "createTrades"
	// SubCreateTrade is the older shape: {createTrade: {trade: Trade}}, one trade
	// a message.
	SubCreateTrade Subscription = "createTrade"
)

// ParseSubscription returns the subscription named s, or an error saying which
// names are known.
func ParseSubscription(s string) (Subscription, error) {
	switch Subscription(s) {
	case SubCreateTrades, SubCreateTrade:
		return Subscription(s), nil
	}
	return "", fmt.Errorf("unknown subscription %q: use %q (current feed) or %q (older feed)", s, SubCreateTrades, SubCreateTrade)
}

// TradeFields is the selection set the web client requests for a trade.
const TradeFields = `id status steamAppName cancelReason canJoinAfter markupPercent createdAt
depositor { id steamId avatar displayName steamDisplayName }
depositorLastActiveAt expiresAt withdrawerSteamTradeUrl customValue
withdrawer { id steamId avatar displayName steamDisplayName }
totalValue updatedAt
tradeItems {
  id marketName value customValue
  itemVariant { id itemId name brand iconUrl value displayValue externalId color rarity depositable }
  markupPercent
  stickers { value imageUrl brand name color wear }
  steamExternalAssetId
}
trackingType suspectedTraderCanJoinAfter joinedAt avgPaintWear hasStickers`

// currentTradeFields adds the fields only the current feed has (GraphQL
// merges the second tradeItems selection into the first).
const currentTradeFields = TradeFields + `
canJoin avgPaintWearRange { min max }
tradeItems { patternPercentage }`

// Payload returns the subscribe payload for s, asking for every public listing
// (userId null).
func (s Subscription) Payload() SubscribePayload {
	p := SubscribePayload{
		Variables:  map[string]any{"userId": nil},
		Extensions: map[string]any{},
	}
	switch s {
	case SubCreateTrade:
		p.OperationName = "OnCreateTrade"
		p.Query = "subscription OnCreateTrade($userId: ID) {\n  createTrade(userId: $userId) {\n    trade {\n" +
			TradeFields + "\n    }\n  }\n}"
	default:
		p.OperationName = "OnCreateTrades"
		p.Query = "subscription OnCreateTrades($userId: ID) {\n  createTrades(userId: $userId) {\n    trades {\n" +
			currentTradeFields + "\n    }\n  }\n}"
	}
	return p
}
