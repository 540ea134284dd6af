// Package fakeroll is a fake CSGORoll trade feed: a WebSocket server that
// speaks graphql-transport-ws the way the real feed does, publishes generated
// or given trades in either listing shape (createTrades or the older
// createTrade) to every subscriber alike (one market, as on the real feed), records everything clients send, and injects the faults the
// real feed is known for (refused upgrades, drops, close codes, half-open
// connections, withheld acks), echoes a ping's payload in its pong and can
// send pongs unprompted as a heartbeat. StartPipe serves it over in-memory
// connections, for tests that run in a testing/synctest bubble.
//
// The client's tests, the sniper's -demo mode and the benchmarks share it.
//
// A Server is an http.Handler; New builds one and starts nothing, Start and
// StartAt also listen and serve. Close ends every connection and returns once
// every goroutine the server started has exited. All methods are safe for
// concurrent use.
//
// It is the one package under internal/ that starts goroutines, because it is
// a server: every one of them is awaited by Close.
package fakeroll
