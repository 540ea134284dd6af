package record

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/rollsniper/rollsniper/messages"
)

// The text record is one line for the eye, at most about 120 columns for a
// trade without stickers:
//
//	18:40:02 trade    24.49 11.98% AK-47 | Aquamarine Revenge (Well-Worn) float=0.429 stickers="Spirit | 2020 RMR 8% scraped"
//	18:40:02 MATCH   374.31  1.57% ★ Hand Wraps | Slaughter (Minimal Wear) float=0.091214 entry=#9 latency=61.8µs id=VHJhZGU6MzQwMTczNTQ
//
// The time to the second, the kind, the price and the markup in aligned
// columns, the item's market name (which says its wear, StatTrak™ and
// Souvenir), then, each only when it tells something: float, pattern (a
// percentage), stickers (with how scraped each is, when it is), can_join=false,
// a status other than LISTED, and for a match the whitelist entry's number,
// the latency and the trade id, by which the match can be found in the JSON
// records, the NATS stream or the logs. The keys are the JSON record's.
//
// Text from the feed (the names, the id, the status) is written as it is
// when it is printable, and quoted with escapes otherwise, so a name can
// neither break the line nor send the terminal an escape sequence.

// ANSI styles of the colour format.
const (
	ansiReset     = "\x1b[0m"
	ansiFaint     = "\x1b[2m"
	ansiBold      = "\x1b[1m"
	ansiYellow    = "\x1b[33m"
	ansiMatch     = "\x1b[1;30;42m" // bold black on green: the MATCH badge
	ansiMatchItem = "\x1b[1;32m"    // bold green: a match's item
)

// Column widths of the price and the markup (with its %): wide enough for
// all but the rarest listings, which widen their line.
const (
	priceWidth  = 8
	markupWidth = 6
)

// Decimals shown at most: a float to a millionth, as float sites show it; a
// markup and a pattern percentage to a hundredth.
const (
	floatDecimals   = 6
	percentDecimals = 2
)

// textLine appends one text record. It holds the line being built and
// whether to colour it.
type textLine struct {
	dst   []byte
	color bool
}

// appendText appends the text record of t, or of m when m is not nil.
func appendText(dst []byte, now time.Time, color bool, t *messages.Trade, m *messages.Match) []byte {
	l := textLine{dst: dst, color: color}
	l.style(ansiFaint)
	l.dst = now.AppendFormat(l.dst, time.TimeOnly)
	l.reset()
	l.dst = append(l.dst, ' ')
	itemStyle := ansiBold
	if m != nil {
		l.style(ansiMatch)
		l.dst = append(l.dst, "MATCH"...)
		itemStyle = ansiMatchItem
	} else {
		l.style(ansiFaint)
		l.dst = append(l.dst, "trade"...)
	}
	l.reset()

	var num [32]byte
	l.padded(strconv.AppendFloat(num[:0], t.TotalValue, 'f', 2, 64), priceWidth+1)
	l.padded(append(appendDecimals(num[:0], t.MarkupPercent, percentDecimals), '%'), markupWidth+1)
	l.dst = append(l.dst, ' ')
	l.style(itemStyle)
	l.dst = appendTextName(l.dst, t.MarketName)
	l.reset()

	if t.HasAvgPaintWear {
		l.key("float")
		l.dst = appendDecimals(l.dst, t.AvgPaintWear, floatDecimals)
	}
	if t.HasPatternPercentage {
		l.key("pattern")
		l.dst = append(appendDecimals(l.dst, t.PatternPercentage, percentDecimals), '%')
	}
	if n := t.Stickers.Len(); n > 0 {
		l.key("stickers")
		l.dst = append(l.dst, '"')
		for i := range n {
			s := t.Stickers.At(i)
			if i > 0 {
				l.dst = append(l.dst, ", "...)
			}
			l.dst = appendQuotedInner(l.dst, s.Name)
			// Most stickers are as applied (a wear of 0): only a scraped
			// one says so.
			if scraped := math.Round(s.Wear*1000) / 10; s.HasWear && scraped > 0 {
				l.dst = append(l.dst, ' ')
				l.dst = appendDecimals(l.dst, scraped, 1)
				l.dst = append(l.dst, "% scraped"...)
			}
		}
		l.dst = append(l.dst, '"')
	}
	if !t.CanJoin {
		l.key("can_join")
		l.styled(ansiYellow, "false")
	}
	if t.Status != "LISTED" {
		l.key("status")
		l.style(ansiYellow)
		l.dst = appendTextValue(l.dst, t.Status)
		l.reset()
	}
	if m != nil {
		l.key("entry")
		l.dst = strconv.AppendInt(append(l.dst, '#'), int64(m.EntryIndex), 10)
		l.key("latency")
		l.dst = append(strconv.AppendFloat(l.dst, latencyMicros(m), 'f', 1, 64), "µs"...)
		l.key("id")
		l.dst = appendTextValue(l.dst, t.ID)
	}
	return append(l.dst, '\n')
}

// style starts an ANSI style, in colour only.
func (l *textLine) style(code string) {
	if l.color {
		l.dst = append(l.dst, code...)
	}
}

// reset ends a style, in colour only.
func (l *textLine) reset() {
	if l.color {
		l.dst = append(l.dst, ansiReset...)
	}
}

// styled appends s in the style code.
func (l *textLine) styled(code, s string) {
	l.style(code)
	l.dst = append(l.dst, s...)
	l.reset()
}

// key appends " key=", the key faint.
func (l *textLine) key(k string) {
	l.dst = append(l.dst, ' ')
	l.style(ansiFaint)
	l.dst = append(l.dst, k...)
	l.dst = append(l.dst, '=')
	l.reset()
}

// padded appends s right-aligned in width columns (s is ASCII), after one
// space at least.
func (l *textLine) padded(s []byte, width int) {
	for range max(width-len(s), 1) {
		l.dst = append(l.dst, ' ')
	}
	l.dst = append(l.dst, s...)
}

// appendDecimals appends v with at most decimals decimals, trailing zeros
// cut: 0.429, 0.065139, 8.
func appendDecimals(dst []byte, v float64, decimals int) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.AppendFloat(dst, v, 'f', -1, 64)
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, v, 'f', decimals, 64)
	for len(dst) > start && dst[len(dst)-1] == '0' {
		dst = dst[:len(dst)-1]
	}
	if len(dst) > start && dst[len(dst)-1] == '.' {
		dst = dst[:len(dst)-1]
	}
	return dst
}

// appendTextName appends a name from the feed as it is when every rune of it
// is printable, and quoted with Go's escapes otherwise.
func appendTextName(dst []byte, s string) []byte {
	if printable(s, false) {
		return append(dst, s...)
	}
	return strconv.AppendQuote(dst, s)
}

// appendTextValue appends a value that follows a key=: as it is when it
// holds no space, quote, equals sign or unprintable rune, quoted otherwise.
func appendTextValue(dst []byte, s string) []byte {
	if s != "" && printable(s, true) {
		return append(dst, s...)
	}
	return strconv.AppendQuote(dst, s)
}

// appendQuotedInner appends s as it would read inside a Go quoted string,
// without the quotes: escaped where strconv.Quote escapes.
func appendQuotedInner(dst []byte, s string) []byte {
	if printable(s, false) && !hasQuoteOrBackslash(s) {
		return append(dst, s...)
	}
	start := len(dst)
	dst = strconv.AppendQuote(dst, s)
	copy(dst[start:], dst[start+1:len(dst)-1])
	return dst[:len(dst)-2]
}

// printable reports whether every rune of s is valid and printable (as
// strconv.IsPrint has it: no control characters, no bidirectional
// overrides); with asValue, also that s holds no space, '=' or '"', which
// would end or confuse a key=value.
func printable(s string, asValue bool) bool {
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b < 0x20 || b == 0x7f || asValue && (b == ' ' || b == '=' || b == '"' || b == '\\') {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || !strconv.IsPrint(r) {
			return false
		}
		i += size
	}
	return true
}

func hasQuoteOrBackslash(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			return true
		}
	}
	return false
}
