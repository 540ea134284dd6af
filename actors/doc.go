// Package actors holds rollsniper's pipeline stages: the connection actor that
// keeps the feed open, the parser that turns frames into trades, the hub that
// fans trades out to sinks, and the sinks.
//
// Every actor is a blocking Run(ctx) error that returns only when its work has
// stopped; constructors never start goroutines. Each stage owns and closes its
// output channel. Only the connection actor restarts (its sessions), inside its
// own Run; everything downstream keeps running across reconnects.
package actors
