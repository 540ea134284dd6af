// Package gctune sets the garbage collector's target for the feed's work,
// for cmd/sniper and for cmd/feedbench, which measures sniper as it runs.
package gctune

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
)

// Percent is the garbage collector's target (GOGC) the program runs with
// unless the GOGC environment variable sets one: a collection starts once the
// heap has grown by Percent% since the last one, where Go's default is 100.
//
// The feed's work keeps a small heap (a few MiB) and allocates a few KiB a
// frame, so with the default a collection starts several times a second at
// busy rates. While one runs, its mark workers take turns with the actors on
// the same P: a frame handed from the connection to the parser may wait for
// one, where the bare loop, which never switches goroutines between a frame
// and its decision, does not. cmd/feedbench's steady rates show it: the p99
// from a frame to its decision is lower with 400 than with 100 (see the
// README's Performance). The heap may grow to five times its live size
// instead of twice: tens of MiB, not a few.
const Percent = 400

// Apply sets Percent unless GOGC is set in the environment (Go's convention:
// the environment wins), and returns the target in effect: -1 when
// collection is off (GOGC=off).
func Apply() int {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(Percent)
	}
	return Current()
}

// Current is the garbage collector's target in effect, as the runtime
// reports it.
func Current() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return -1
	}
	return int(s[0].Value.Uint64())
}
