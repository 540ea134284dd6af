package fakeroll

import (
	"context"
	"slices"

	"github.com/coder/websocket"

	"github.com/rollsniper/rollsniper/internal/gqlws"
)

// Publish sends trades to every subscribed connection that is not silenced,
// once for each of its subscriptions: one next carrying all of them for a
// createTrades subscription, one next per trade for a createTrade one. It
// returns once every write has finished, with how many connections at least
// one message reached. Publishing no trades sends nothing. The connections
// are written to one after the other, in order of connection, or starting
// with the next in turn (Options.TakeTurns).
//
// The trades are encoded once for the createTrades shape, whatever the number
// of connections; a frame is at most as big as its trades, so a client's read
// limit caps how many one Publish can carry in that shape.
func (s *Server) Publish(trades ...Trade) int {
	if len(trades) == 0 {
		return 0
	}
	b := &batch{trades: trades}
	ctx := context.Background()
	n := 0
	for _, c := range s.publishOrder() {
		if c.deliver(ctx, b) {
			n++
		}
	}
	return n
}

// publishOrder is the open connections in the order a Publish writes to
// them: in order of connection, or with Options.TakeTurns starting with the
// next one in turn at each call.
func (s *Server) publishOrder() []*conn {
	if !s.opts.TakeTurns {
		return s.openConns()
	}
	return rotated(s.openConns(), s.turn.Add(1))
}

// rotated is conns starting with the n-th (counting round): each of them
// first in turn as n counts up.
func rotated(conns []*conn, n uint64) []*conn {
	if len(conns) < 2 {
		return conns
	}
	k := int(n % uint64(len(conns)))
	return slices.Concat(conns[k:], conns[:k])
}

// SendRaw sends data, verbatim, as one text message to every subscribed
// connection that is not silenced, and returns how many it reached. Use it for
// frames the generator would never make: malformed JSON, missing fields, an
// errors payload.
func (s *Server) SendRaw(data []byte) int {
	return s.sendRaw(websocket.MessageText, data)
}

// SendBinary is SendRaw with a binary message, which the real feed never
// sends.
func (s *Server) SendBinary(data []byte) int {
	return s.sendRaw(websocket.MessageBinary, data)
}

func (s *Server) sendRaw(typ websocket.MessageType, data []byte) int {
	ctx := context.Background()
	n := 0
	for _, c := range s.openConns() {
		if len(c.subscriptions()) > 0 && c.sendAs(ctx, typ, data) {
			n++
		}
	}
	return n
}

// NewTrade returns a trade from the server's own generator, created now.
func (s *Server) NewTrade() Trade {
	return s.newTrades(1)[0]
}

// batch is trades on their way to the connections, with the createTrades
// encoding of them made on first use and shared.
type batch struct {
	trades  []Trade
	current []byte // the trades, comma-separated, in the createTrades shape
}

func (b *batch) currentJSON() []byte {
	if b.current == nil {
		for i := range b.trades {
			if i > 0 {
				b.current = append(b.current, ',')
			}
			b.current = appendTrade(b.current, &b.trades[i], true)
		}
	}
	return b.current
}

// deliver sends b to each of c's subscriptions and reports whether any message
// was written. It stops at the first write that fails: the connection is gone.
func (c *conn) deliver(ctx context.Context, b *batch) bool {
	if c.net.silent.Load() {
		return false
	}
	reached := false
	var buf []byte
	for _, sub := range c.subscriptions() {
		if sub.field == gqlws.SubCreateTrades {
			buf = appendNextHead(buf[:0], sub.id, sub.field)
			buf = append(buf, b.currentJSON()...)
			buf = appendNextTail(buf, sub.field)
			if !c.send(ctx, buf) {
				return reached
			}
			reached = true
			continue
		}
		for i := range b.trades {
			buf = appendNextHead(buf[:0], sub.id, sub.field)
			buf = appendTrade(buf, &b.trades[i], false)
			buf = appendNextTail(buf, sub.field)
			if !c.send(ctx, buf) {
				return reached
			}
			reached = true
		}
	}
	return reached
}
