// Package messages holds the plain values that pass between rollsniper's
// actors: raw frames as the connection actor received them (Frame), typed
// trades as the parser produced them (Trade), and the whitelist's matches
// (Match).
//
// It imports nothing of rollsniper's, and nothing here does work: no
// goroutine, no I/O, no decoding. Sinks depend on this package and never on
// the connection.
package messages
