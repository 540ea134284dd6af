package fakeroll

import (
	"math"
	"strconv"
	"time"
)

// The encoder appends a trade's JSON by hand: the benchmarks publish bursts of
// 100,000 trades, and the two shapes differ in which fields they carry. Field
// order follows the real frames. TestEncodeRoundTrip and the fixture tests
// keep it in step with the json tags of Trade.

// timeLayout is how the feed writes times: RFC 3339, milliseconds, UTC.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// appendTrade appends t as a JSON object. current selects the createTrades
// shape; otherwise the older createTrade shape, without the fields that feed
// did not have.
func appendTrade(b []byte, t *Trade, current bool) []byte {
	b = appendKey(b, '{', "id")
	b = appendString(b, t.ID)
	b = appendKey(b, ',', "status")
	b = appendString(b, t.Status)
	b = appendKey(b, ',', "steamAppName")
	b = appendString(b, t.SteamAppName)
	b = appendKey(b, ',', "cancelReason")
	b = appendStringPtr(b, t.CancelReason)
	b = appendKey(b, ',', "canJoinAfter")
	b = appendTimePtr(b, t.CanJoinAfter)
	b = appendKey(b, ',', "markupPercent")
	b = appendFloat(b, t.MarkupPercent)
	b = appendKey(b, ',', "createdAt")
	b = appendTime(b, t.CreatedAt)
	b = appendKey(b, ',', "depositor")
	b = appendUser(b, t.Depositor)
	b = appendKey(b, ',', "depositorLastActiveAt")
	b = appendTime(b, t.DepositorLastActiveAt)
	b = appendKey(b, ',', "expiresAt")
	b = appendTime(b, t.ExpiresAt)
	b = appendKey(b, ',', "withdrawerSteamTradeUrl")
	b = appendStringPtr(b, t.WithdrawerSteamTradeURL)
	b = appendKey(b, ',', "customValue")
	b = strconv.AppendBool(b, t.CustomValue)
	b = appendKey(b, ',', "withdrawer")
	b = appendUser(b, t.Withdrawer)
	b = appendKey(b, ',', "totalValue")
	b = appendFloat(b, t.TotalValue)
	b = appendKey(b, ',', "updatedAt")
	b = appendTime(b, t.UpdatedAt)
	b = appendKey(b, ',', "tradeItems")
	b = appendArray(b, t.TradeItems, current, appendTradeItem)
	b = appendKey(b, ',', "trackingType")
	b = appendString(b, t.TrackingType)
	b = appendKey(b, ',', "suspectedTraderCanJoinAfter")
	b = appendTimePtr(b, t.SuspectedTraderCanJoinAfter)
	b = appendKey(b, ',', "joinedAt")
	b = appendTimePtr(b, t.JoinedAt)
	b = appendKey(b, ',', "avgPaintWear")
	b = appendFloatPtr(b, t.AvgPaintWear)
	b = appendKey(b, ',', "hasStickers")
	b = strconv.AppendBool(b, t.HasStickers)
	if current {
		b = appendKey(b, ',', "canJoin")
		b = strconv.AppendBool(b, t.CanJoin)
		b = appendKey(b, ',', "avgPaintWearRange")
		if r := t.AvgPaintWearRange; r == nil {
			b = append(b, "null"...)
		} else {
			b = appendKey(b, '{', "min")
			b = appendFloat(b, r.Min)
			b = appendKey(b, ',', "max")
			b = appendFloat(b, r.Max)
			b = append(b, '}')
		}
	}
	return append(b, '}')
}

func appendTradeItem(b []byte, it *TradeItem, current bool) []byte {
	b = appendKey(b, '{', "id")
	b = appendString(b, it.ID)
	b = appendKey(b, ',', "marketName")
	b = appendString(b, it.MarketName)
	b = appendKey(b, ',', "value")
	b = appendFloat(b, it.Value)
	b = appendKey(b, ',', "customValue")
	b = strconv.AppendBool(b, it.CustomValue)
	b = appendKey(b, ',', "itemVariant")
	b = appendItemVariant(b, it.ItemVariant, current)
	b = appendKey(b, ',', "markupPercent")
	b = appendFloat(b, it.MarkupPercent)
	b = appendKey(b, ',', "stickers")
	b = appendArray(b, it.Stickers, current, appendSticker)
	b = appendKey(b, ',', "steamExternalAssetId")
	b = appendString(b, it.SteamExternalAssetID)
	if current {
		b = appendKey(b, ',', "patternPercentage")
		b = appendFloatPtr(b, it.PatternPercentage)
	}
	return append(b, '}')
}

func appendItemVariant(b []byte, v *ItemVariant, current bool) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	b = appendKey(b, '{', "id")
	b = appendString(b, v.ID)
	b = appendKey(b, ',', "itemId")
	b = appendString(b, v.ItemID)
	b = appendKey(b, ',', "name")
	b = appendString(b, v.Name)
	b = appendKey(b, ',', "brand")
	b = appendString(b, v.Brand)
	b = appendKey(b, ',', "iconUrl")
	b = appendString(b, v.IconURL)
	b = appendKey(b, ',', "value")
	b = appendFloat(b, v.Value)
	b = appendKey(b, ',', "displayValue")
	b = appendFloat(b, v.DisplayValue)
	b = appendKey(b, ',', "externalId")
	b = appendString(b, v.ExternalID)
	b = appendKey(b, ',', "color")
	b = appendString(b, v.Color)
	b = appendKey(b, ',', "rarity")
	b = appendString(b, v.Rarity)
	b = appendKey(b, ',', "depositable")
	b = strconv.AppendBool(b, v.Depositable)
	if current {
		b = appendKey(b, ',', "currency")
		b = appendString(b, v.Currency)
	}
	return append(b, '}')
}

func appendSticker(b []byte, s *Sticker, current bool) []byte {
	sep := byte('{')
	if s.Value != nil {
		b = appendKey(b, sep, "value")
		b = appendFloat(b, *s.Value)
		sep = ','
	}
	b = appendKey(b, sep, "imageUrl")
	b = appendString(b, s.ImageURL)
	b = appendKey(b, ',', "brand")
	b = appendString(b, s.Brand)
	b = appendKey(b, ',', "name")
	b = appendString(b, s.Name)
	b = appendKey(b, ',', "color")
	b = appendString(b, s.Color)
	b = appendKey(b, ',', "wear")
	b = appendFloatPtr(b, s.Wear)
	if current {
		b = appendKey(b, ',', "id")
		b = appendString(b, s.ID)
	}
	return append(b, '}')
}

// appendArray appends xs as a JSON array, each element by appendElem; a nil
// slice is null.
func appendArray[T any](b []byte, xs []T, current bool, appendElem func([]byte, *T, bool) []byte) []byte {
	if xs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendElem(b, &xs[i], current)
	}
	return append(b, ']')
}

func appendUser(b []byte, u *User) []byte {
	if u == nil {
		return append(b, "null"...)
	}
	b = appendKey(b, '{', "id")
	b = appendString(b, u.ID)
	b = appendKey(b, ',', "steamId")
	b = appendString(b, u.SteamID)
	b = appendKey(b, ',', "avatar")
	b = appendString(b, u.Avatar)
	b = appendKey(b, ',', "displayName")
	b = appendString(b, u.DisplayName)
	b = appendKey(b, ',', "steamDisplayName")
	b = appendString(b, u.SteamDisplayName)
	return append(b, '}')
}

// appendKey appends sep, then key quoted and a colon. Keys are plain ASCII.
func appendKey(b []byte, sep byte, key string) []byte {
	b = append(b, sep, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

// appendString appends s as a JSON string. Bytes from 0x80 up are copied as
// they are: s is expected to be valid UTF-8.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendStringPtr(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendString(b, *s)
}

// appendFloat appends f much as encoding/json does (shortest form, plain
// notation for the magnitudes prices have); NaN and infinities, which JSON
// cannot hold, become null.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, f, format, -1, 64)
}

func appendFloatPtr(b []byte, f *float64) []byte {
	if f == nil {
		return append(b, "null"...)
	}
	return appendFloat(b, *f)
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, timeLayout)
	return append(b, '"')
}

func appendTimePtr(b []byte, t *time.Time) []byte {
	if t == nil {
		return append(b, "null"...)
	}
	return appendTime(b, *t)
}
