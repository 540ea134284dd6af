// Package natsserver runs a NATS server with JetStream inside the process:
// the one behind sniper -nats-embedded, the tests' and the benchmark's. It
// stores its streams in a directory of its own and listens on loopback only.
//
// Like internal/fakeroll, it is a server, and so one of the packages under
// internal/ that start goroutines: the NATS server's own. Start returns once
// the server takes connections; Shutdown returns once every goroutine the
// server started has ended.
package natsserver
