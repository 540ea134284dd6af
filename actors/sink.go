package actors

import (
	"context"

	"github.com/rollsniper/rollsniper/messages"
)

// Sink is an actor that consumes trades: the printer, the whitelist, the
// recorder. Each sink reads its own bounded queue, which the hub hands out
// (Hub.Attach), owns and closes; a sink only receives from in.
//
// Run returns nil when in is closed and every trade taken from it has been
// handled, or ctx.Err() when ctx ends first.
type Sink interface {
	Run(ctx context.Context, in <-chan messages.Trade) error
}
