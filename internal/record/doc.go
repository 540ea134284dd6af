// Package record is the format of what rollsniper prints on stdout: a "trade"
// record for every listing and a "match" record for every whitelist match,
// in one of three formats (Format): JSON lines for scripts, or text for
// people, in colour for a terminal or plain.
//
// The JSON record is the contract scripts rely on: every record about a
// trade begins with msg, id, markup, price, can_join, status, item and
// stattrak, then wear and souvenir; a match adds entry and latency_us; then
// come float, pattern, stickers and created_at when the trade has them (an
// absent value is left out, never null or 0). The text record is for the eye
// and may change: it leaves out what is always the same (status LISTED, a
// level) and what the item's name already says (wear, StatTrak, Souvenir).
//
// Records are appended to a caller's buffer, so printing a trade allocates
// nothing. The NATS record (internal/natsrec) is the JSON record with more
// keys, built with the same functions (AppendJSONHead, AppendTradeFields,
// AppendMatchFields and the AppendJSON helpers).
//
// It is plain code: it starts no goroutine and does no I/O of its own.
package record
