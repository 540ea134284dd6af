// Package liveness holds the rule by which the connection actor judges its
// peer: a connection is dead when the peer has sent nothing for a window of
// time while the client was listening. Time the client spent not listening,
// because its own reader was blocked handing a frame to a parser that had
// fallen behind, is the client's delay, not the peer's silence, and is not
// counted: a stall on our side must never cost the connection.
//
// It is a plain package: a Clock to measure listening time, and the
// watchdog's decision as a function. The connection actor owns the timers.
package liveness
