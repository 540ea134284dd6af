package natsserver

import _ "unsafe" // for go:linkname

// The NATS server's process statistics (its package pse) start a timer when
// the program starts, in pse's init, that reads /proc/PID/stat every second
// for as long as the process runs: the CPU figure of a server's monitoring
// page. Every program that links the server pays for it, whether it runs one
// or not. On the development machine that was 0.3 to 0.6 ms of CPU a second
// in an idle sniper, where a bare loop that reads the feed spends nothing;
// at the real feed's one trade a second, about as much again as the bare
// loop's whole cost (go run ./cmd/feedbench -binary shows it). The timer
// schedules its next tick only after a read that worked, so making the read
// fail ends it.
//
// pseProcStatFile is pse's path of that file. The link fails, loudly, if a
// later nats-server renames it.
//
//go:linkname pseProcStatFile github.com/nats-io/nats-server/v2/server/pse.procStatFile
var pseProcStatFile string

// StopProcSampling ends the NATS server's sampling of the process's CPU: its
// next tick, within a second, finds no file and schedules no other. A server
// then reports no CPU or memory figures in its statistics (sniper serves
// none), and nothing else changes.
//
// Call it first thing in main, before anything else runs: the tick reads the
// path on a goroutine of its own, with nothing to order the two, so it must
// come when the tick is not due (the first is a second after the start).
// norace, so that a test may call it too without a report.
//
//go:norace
func StopProcSampling() { pseProcStatFile = "" }
