package fakeroll

// This file is the market: the automatic trades (Options.TradeInterval), one
// generator for the whole server, so that every subscriber sees the same
// listings, as two connections to the real feed do.

import (
	"math/rand/v2"
	"time"
)

// marketBacklog is how many of the market's ticks a connection holds for a
// client that is slow to read before it misses some.
const marketBacklog = 64

// runMarket lists generated trades at about TradeInterval until stop closes:
// each tick's trades (one to BatchMax) go to every open connection, which
// sends them to its subscriptions. Its random source is its own (the
// connections' streams are numbered from 1), so a seed gives the same ticks
// whoever connects. The connections are offered each tick in turn, starting
// with the next one each time: offered always in one order, the same one
// sent first every time (on one P, the goroutine readied last runs first),
// where on the real feed no line is always first.
func (s *Server) runMarket(stop <-chan struct{}) {
	rng := rand.New(rand.NewPCG(s.opts.Seed, 0))
	interval := s.opts.TradeInterval
	t := time.NewTimer(jitter(rng, interval, 0.5, 1.5))
	defer t.Stop()
	for tick := uint64(0); ; tick++ {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		b := &batch{trades: s.newTrades(1 + rng.IntN(s.opts.BatchMax))}
		b.currentJSON() // encoded here, once: the connections only read it
		for _, c := range rotated(s.openConns(), tick) {
			c.offer(b)
		}
		t.Reset(jitter(rng, interval, 0.5, 1.5))
	}
}
