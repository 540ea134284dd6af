// Package feedjson reads the feed's frames: ParseFrame turns the bytes of one
// graphql-transport-ws next message into messages.Trade values, and Peek
// reads a message's type and id without decoding the rest, for the
// connection actor.
//
// It owns the JSON: a scanner that checks a whole frame in one pass
// (scan.go), the decoder built on it (decode.go) and the peek (peek.go). It
// is plain code: it starts no goroutine, keeps no state between calls and
// does no I/O. A problem in a frame is a *ParseError of a fixed ErrorKind,
// never a panic, whatever the bytes; the fuzz targets hold it to that, and to
// encoding/json's reading of the same bytes.
package feedjson
