package record

import (
	"time"

	"github.com/rollsniper/rollsniper/messages"
)

// Format is how records are written.
type Format uint8

// The formats.
const (
	// JSON writes one JSON object a line, for scripts and jq.
	JSON Format = iota
	// Text writes one aligned line a record, for people, without colour:
	// for a file, or a terminal under NO_COLOR.
	Text
	// Color is Text with ANSI colours, for a terminal: a match stands out.
	Color
)

// String returns "json", "text" or "color".
func (f Format) String() string {
	switch f {
	case JSON:
		return "json"
	case Text:
		return "text"
	}
	return "color"
}

// AppendTrade appends t's "trade" record, printed at now, and a newline.
func (f Format) AppendTrade(dst []byte, now time.Time, t *messages.Trade) []byte {
	if f == JSON {
		dst = AppendJSONHead(dst, now, "trade")
		dst = AppendTradeFields(dst, t)
		return append(dst, '}', '\n')
	}
	return appendText(dst, now, f == Color, t, nil)
}

// AppendMatch appends m's "match" record, printed at now, and a newline.
func (f Format) AppendMatch(dst []byte, now time.Time, m *messages.Match) []byte {
	if f == JSON {
		dst = AppendJSONHead(dst, now, "match")
		dst = AppendMatchFields(dst, m)
		return append(dst, '}', '\n')
	}
	return appendText(dst, now, f == Color, &m.Trade, m)
}
