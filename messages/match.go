package messages

import "time"

// Match is a trade the whitelist accepted: the decision sink sends one to the
// alert sinks for every trade that matched an entry.
type Match struct {
	// Trade is the trade that matched.
	Trade Trade
	// Entry describes the whitelist entry that matched, as the user would
	// recognise it, e.g. `#3 "AK-47 | Redline" Field-Tested, max markup 8%`.
	Entry string
	// EntryIndex is the entry's position in the whitelist file, from 0.
	EntryIndex int
	// DecidedAt is when the whitelist decided; DecidedAt minus Trade.ReceivedAt
	// is the time from the frame's receipt to the decision.
	DecidedAt time.Time
}

// Latency is the time from the frame's receipt to the decision.
func (m Match) Latency() time.Duration { return m.DecidedAt.Sub(m.Trade.ReceivedAt) }
