package main

import (
	"os"
	"runtime"
	"strconv"
)

// procsFor is how many Ps (GOMAXPROCS) sniper runs the pipeline with for
// cfg, given the runtime's own choice (the machine's CPUs, or a container's
// limit) and whether the GOMAXPROCS environment variable set it.
//
// -procs N is N. Under -procs auto, an explicit GOMAXPROCS wins (the Go
// convention); otherwise a run that does only the feed's work (the
// connections, the parser, the printer, the whitelist and its alerts) gets
// one P. Those actors hand each frame on within microseconds: on one P a
// hand-off is a switch of goroutines on the thread already running, where
// with two it often wakes a sleeping thread (a futex call and an
// inter-processor interrupt) for every frame. cmd/feedbench measures it in
// every run (-procs): on one P the pipeline costs about the bare loop's CPU
// a trade at the feed's real rates, on two about 1.4 times as much. A run
// that also does heavy work beside the feed (compressing the journal under
// -record, publishing to NATS, an embedded NATS server) keeps the runtime's
// choice, so that work never takes turns with the next frame.
func procsFor(cfg Config, runtimeDefault int, envSet bool) int {
	switch {
	case cfg.Procs > 0:
		return cfg.Procs
	case envSet:
		return runtimeDefault
	case cfg.Record != "" || cfg.NATSURL != "" || cfg.NATSEmbedded != "":
		return runtimeDefault
	}
	return 1
}

// applyProcs sets GOMAXPROCS for cfg (see procsFor) and returns it.
func applyProcs(cfg Config) int {
	_, envSet := os.LookupEnv("GOMAXPROCS")
	n := procsFor(cfg, runtime.GOMAXPROCS(0), envSet)
	runtime.GOMAXPROCS(n)
	return n
}

// procsText is -procs as the settings show it.
func procsText(n int) string {
	if n <= 0 {
		return "auto"
	}
	return strconv.Itoa(n)
}
