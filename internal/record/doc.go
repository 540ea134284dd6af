// Package record is the format of what rollsniper prints on stdout: a "trade"
// record for every listing and a "match" record for every whitelist match,
// written through a slog.Logger so that the logger's handler decides text or
// JSON. Scripts rely on the keys and their order: every record about a trade
// begins with id, markup, price, can_join, status, item and stattrak.
//
// It is plain code: it starts no goroutine and does no I/O of its own.
package record
