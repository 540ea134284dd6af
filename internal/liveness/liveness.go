package liveness

import (
	"sync"
	"time"
)

// Window is how long a live peer can go without sending anything: pings go
// out every pingInterval, and a live peer answers within pingTimeout, so some
// frame (a trade, a pong) arrives at least that often.
func Window(pingInterval, pingTimeout time.Duration) time.Duration {
	return pingInterval + pingTimeout
}

// Check is a watchdog's decision when its timer fires: quiet is how long (in
// listening time) the peer has not sent what the watchdog waits for, and
// limit how long that may last. The connection is dead once quiet has reached
// limit; until then the timer is to fire again after what is left of it, so
// that a dead connection is found when its limit runs out, not a whole limit
// after the last check.
func Check(quiet, limit time.Duration) (dead bool, next time.Duration) {
	if quiet >= limit {
		return true, 0
	}
	return false, limit - max(quiet, 0)
}

// Clock measures a connection's listening time: the time since it started,
// less the time its reader spent blocked, unable to read because the queue
// behind it was full. Listening time never runs faster than the wall clock,
// so a deadline in listening time is never reached early.
//
// The reader calls Block and Unblock around a wait; any goroutine may call
// At. It is safe for concurrent use.
type Clock struct {
	mu      sync.Mutex
	start   time.Time
	blocked time.Duration // the waits that have ended
	since   time.Time     // the start of the wait in progress; zero when none
}

// NewClock returns a clock whose listening time starts at start.
func NewClock(start time.Time) *Clock {
	return &Clock{start: start}
}

// At is the listening time at t: t less the start, less every wait up to t.
// During a wait it stands still.
func (c *Clock) At(t time.Time) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := t.Sub(c.start) - c.blocked
	if !c.since.IsZero() {
		d -= t.Sub(c.since)
	}
	return d
}

// Block marks the start of a wait at t. A second Block before Unblock is
// ignored.
func (c *Clock) Block(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.since.IsZero() {
		c.since = t
	}
}

// Unblock marks the end of the wait in progress at t; without one it does
// nothing.
func (c *Clock) Unblock(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.since.IsZero() {
		c.blocked += t.Sub(c.since)
		c.since = time.Time{}
	}
}
