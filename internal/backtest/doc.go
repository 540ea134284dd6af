// Package backtest answers a trader's question "what would this whitelist
// have caught?" on a recorded feed: Backtest decides each trade of a replay
// against the whitelist exactly as the live whitelist sink does
// (whitelist.List.Match), and Report says, for each entry, how many trades
// it matched (first and last, price and markup ranges, how many could be
// joined), what turned the item's other trades down, the near misses (trades
// that failed one bound only, and how far the bound would have had to move
// for them: "14 more with max_markup 9 instead of 8"), the entries whose item
// never appeared, and each day's trades, matches and busiest minute; as a
// table for a terminal or JSON for scripts.
//
// It is plain code: it starts no goroutine and does no I/O but the writer it
// is given. The replay that feeds it is sniper backtest's (cmd/sniper).
package backtest
