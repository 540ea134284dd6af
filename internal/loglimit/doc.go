// Package loglimit decides which of a stream of repeated warnings to log: at
// most a burst of them in each window, and a count of the rest, reported with
// the next one that is logged. A feed that sends nothing but garbage must not
// fill a small server's disk, and the reader of the log must still learn how
// much was left out.
//
// A Limiter is a plain value owned by one goroutine: it starts nothing and
// reads no clock of its own (the caller passes the time).
package loglimit
