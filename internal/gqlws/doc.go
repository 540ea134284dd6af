// Package gqlws is the graphql-transport-ws protocol as rollsniper speaks it:
// its wire messages, its close codes, and what each way a session can end
// means for the next one (retry, retry no sooner than the server asked, or
// stop and ask the user to fix a setting), and how a wait before the next one
// is put to a person (in words, and at error level once it has gone on).
//
// It is plain code: it starts no goroutine, does no I/O and holds no state,
// so every rule can be tested with a function call. The connection actor
// (actors.Conn) and the fake server (internal/fakeroll) both use it, so the two
// cannot drift.
package gqlws
