package record

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/rollsniper/rollsniper/messages"
)

// The JSON record is written by hand, byte for byte as slog's JSON handler
// wrote it before (the same string escapes, the same numbers, the same
// times), so that what scripts parsed then they parse now, and so that a
// record costs no allocation: the printer writes one for every trade.

// AppendJSONHead appends the start of a JSON record:
// {"time":AT,"level":"INFO","msg":MSG, without the time when at is zero (as
// slog does). The caller appends the keys, then '}'.
func AppendJSONHead(dst []byte, at time.Time, msg string) []byte {
	dst = append(dst, '{')
	if !at.IsZero() {
		dst = append(dst, `"time":`...)
		dst = appendJSONTimeValue(dst, at)
		dst = append(dst, ',')
	}
	dst = append(dst, `"level":"INFO","msg":`...)
	return appendJSONStringValue(dst, msg)
}

// AppendTradeFields appends the keys of a trade record: id, markup, price,
// can_join, status, item, stattrak, wear, souvenir, then float, pattern,
// stickers and created_at when t has them.
func AppendTradeFields(dst []byte, t *messages.Trade) []byte {
	dst = appendBaseFields(dst, t)
	return appendDetailFields(dst, t)
}

// AppendMatchFields appends the keys of a match record: those of
// AppendTradeFields, with entry and latency_us (microseconds from the
// frame's receipt to the decision) after souvenir, where match records have
// always had them.
func AppendMatchFields(dst []byte, m *messages.Match) []byte {
	dst = appendBaseFields(dst, &m.Trade)
	dst = AppendJSONString(dst, "entry", m.Entry)
	dst = AppendJSONFloat(dst, "latency_us", latencyMicros(m))
	return appendDetailFields(dst, &m.Trade)
}

// latencyMicros is m's latency in microseconds.
func latencyMicros(m *messages.Match) float64 {
	return float64(m.Latency()) / float64(time.Microsecond)
}

// appendBaseFields appends the keys every record about a trade has, in the
// order scripts rely on. Markup and price are the float64 the parser read, so
// they print as the feed sent them (11.98, not 11.980000000000002). wear is ""
// for an item without one.
func appendBaseFields(dst []byte, t *messages.Trade) []byte {
	dst = AppendJSONString(dst, "id", t.ID)
	dst = AppendJSONFloat(dst, "markup", t.MarkupPercent)
	dst = AppendJSONFloat(dst, "price", t.TotalValue)
	dst = AppendJSONBool(dst, "can_join", t.CanJoin)
	dst = AppendJSONString(dst, "status", t.Status)
	dst = AppendJSONString(dst, "item", t.MarketName)
	dst = AppendJSONBool(dst, "stattrak", t.StatTrak)
	dst = AppendJSONString(dst, "wear", string(t.Wear))
	return AppendJSONBool(dst, "souvenir", t.Souvenir)
}

// appendDetailFields appends what the feed tells of the item beyond its name,
// each only when the feed sent it: float, pattern, stickers (name, and wear
// when sent), created_at (in UTC).
func appendDetailFields(dst []byte, t *messages.Trade) []byte {
	if t.HasAvgPaintWear {
		dst = AppendJSONFloat(dst, "float", t.AvgPaintWear)
	}
	if t.HasPatternPercentage {
		dst = AppendJSONFloat(dst, "pattern", t.PatternPercentage)
	}
	if n := t.Stickers.Len(); n > 0 {
		dst = append(dst, `,"stickers":[`...)
		for i := range n {
			s := t.Stickers.At(i)
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"name":`...)
			dst = appendJSONStringValue(dst, s.Name)
			if s.HasWear {
				dst = AppendJSONFloat(dst, "wear", s.Wear)
			}
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if !t.CreatedAt.IsZero() {
		dst = AppendJSONTime(dst, "created_at", t.CreatedAt.UTC())
	}
	return dst
}

// AppendJSONString appends ,"key":"v".
func AppendJSONString(dst []byte, key, v string) []byte {
	return appendJSONStringValue(appendKey(dst, key), v)
}

// AppendJSONFloat appends ,"key":v, the number written as encoding/json
// writes it. NaN and infinities, which JSON has no number for, are written as
// null: a decoded trade never holds them.
func AppendJSONFloat(dst []byte, key string, v float64) []byte {
	return appendJSONFloatValue(appendKey(dst, key), v)
}

// AppendJSONInt appends ,"key":v.
func AppendJSONInt(dst []byte, key string, v int64) []byte {
	return strconv.AppendInt(appendKey(dst, key), v, 10)
}

// AppendJSONBool appends ,"key":true or ,"key":false.
func AppendJSONBool(dst []byte, key string, v bool) []byte {
	return strconv.AppendBool(appendKey(dst, key), v)
}

// AppendJSONTime appends ,"key":"v", the time in RFC 3339 with as many
// fractional digits as it needs.
func AppendJSONTime(dst []byte, key string, v time.Time) []byte {
	return appendJSONTimeValue(appendKey(dst, key), v)
}

// appendKey appends ,"key": for a key that needs no escaping.
func appendKey(dst []byte, key string) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, key...)
	return append(dst, '"', ':')
}

func appendJSONTimeValue(dst []byte, v time.Time) []byte {
	dst = append(dst, '"')
	dst = v.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

// appendJSONFloatValue writes v as encoding/json does: the shortest text
// that reads back as v, in exponent form only below 1e-6 and from 1e21.
func appendJSONFloatValue(dst []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(dst, "null"...)
	}
	format := byte('f')
	if abs := math.Abs(v); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, v, format, -1, 64)
	if format == 'e' {
		// 1e-07 becomes 1e-7, as encoding/json writes it.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

const hexDigits = "0123456789abcdef"

// appendJSONStringValue appends s as a JSON string, escaped as slog's JSON
// handler escapes it: quotes, backslashes and control characters, invalid
// UTF-8 as U+FFFD, and U+2028 and U+2029 (which break JavaScript).
func appendJSONStringValue(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
